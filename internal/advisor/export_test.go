package advisor

import (
	"context"
	"strings"
	"testing"
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
		for i := range sh.recs {
			latest = max(latest, sh.entry(int32(i)).Now.At)
		}
	}
	value, err := rankValue(q.Kind)
	if err != nil {
		return nil, err
	}
	want := q.Offset + q.Limit
	h := &refHeap{}
	for _, sh := range shards {
		if q.Category != "" && sh.category != q.Category && !strings.HasPrefix(sh.category, q.Category+"/") {
			continue
		}
		for i := range sh.recs {
			e := sh.entry(int32(i))
			if e.Now.At < latest-day || (q.Brand != "" && e.Brand != q.Brand) ||
				(q.MinPrice > 0 && e.Now.FinalPrice < q.MinPrice) || (q.MaxPrice > 0 && e.Now.FinalPrice > q.MaxPrice) ||
				e.Now.CommissionRate < q.MinRateBP {
				continue
			}
			st := stats{ID: e.ID, Now: e.Now, FirstSeen: e.FirstSeen, Low: e.Low, NormalLow: e.NormalLow, DaySales: e.DaySales, WeekHigh: e.WeekHigh}
			if v, ok := value(&st); ok {
				h.offer(rankRef{value: v, id: e.ID, sh: sh, pos: int32(i)}, want)
			}
		}
	}
	return h.rows(q.Offset), nil
}

// ForceOffHeap puts every shard array outside the heap for the rest of the
// test, however small.
func ForceOffHeap(t testing.TB) {
	was := offHeapMin.Swap(1)
	t.Cleanup(func() { offHeapMin.Store(was) })
}

// ForceLibraryWalk makes every library question walk each shard's sort
// order (the path a match of a large share of a big category takes), or
// not (each shard then chooses by cost), for the rest of the test.
func ForceLibraryWalk(t testing.TB, on bool) {
	was := walkAlways.Swap(on)
	t.Cleanup(func() { walkAlways.Store(was) })
}

// AllLoaded reports whether every category is loaded (a search then reads
// no catalog).
func (a *Advisor) AllLoaded() bool { return a.idx.cur.Load().loaded }
