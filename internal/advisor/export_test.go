package advisor

import (
	"container/heap"
	"context"
	"strings"
)

// RankScan is Rank by a scan of every entry, as it was before the rankings
// were indexed: the reference the index must agree with.
func (a *Advisor) RankScan(ctx context.Context, q RankQuery) ([]RankRow, error) {
	shards, err := a.idx.loadAll(ctx)
	if err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var latest int64
	for _, sh := range shards {
		for i := range sh.entries {
			latest = max(latest, sh.entries[i].Now.At)
		}
	}
	value, err := rankValue(q.Kind)
	if err != nil {
		return nil, err
	}
	want := q.Offset + q.Limit
	h := &rowHeap{}
	for _, sh := range shards {
		if q.Category != "" && sh.category != q.Category && !strings.HasPrefix(sh.category, q.Category+"/") {
			continue
		}
		for i := range sh.entries {
			e := &sh.entries[i]
			if e.Now.At < latest-day || (q.Brand != "" && e.Brand != q.Brand) ||
				(q.MinPrice > 0 && e.Now.FinalPrice < q.MinPrice) || (q.MaxPrice > 0 && e.Now.FinalPrice > q.MaxPrice) ||
				e.Now.CommissionRate < q.MinRateBP {
				continue
			}
			if v, ok := value(e); ok {
				h.offer(RankRow{Entry: e, Value: v}, want)
			}
		}
	}
	rows := make([]RankRow, h.Len())
	for i := len(rows) - 1; i >= 0; i-- {
		rows[i] = heap.Pop(h).(RankRow)
	}
	if q.Offset >= len(rows) {
		return nil, nil
	}
	rows = rows[q.Offset:]
	for i := range rows {
		rows[i].Rank = q.Offset + i + 1
	}
	return rows, nil
}
