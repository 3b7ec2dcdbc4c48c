package advisor

import (
	"container/heap"
	"context"
	"strings"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/msg"
)

// RankKind names a ranking.
type RankKind string

const (
	RankHot        RankKind = "hot"        // 2-hour sales: what sells right now
	RankToday      RankKind = "today"      // sales over the last day
	RankLows       RankKind = "lows"       // at their lowest price today
	RankCommission RankKind = "commission" // highest commission rate
	RankDrop       RankKind = "drop"       // biggest price drop against the last 7 days
)

// RankKinds lists the rankings in display order.
var RankKinds = []RankKind{RankHot, RankToday, RankLows, RankCommission, RankDrop}

// RankQuery selects and filters a ranking.
type RankQuery struct {
	Kind      RankKind
	Category  string // a category path or its prefix ("美妆" or "美妆/面部护肤")
	Brand     string
	MinPrice  int64 // final price band, fen; 0 = no bound
	MaxPrice  int64
	MinRateBP int64 // minimum commission rate
	Offset    int
	Limit     int // default 50
}

// MaxRankRows bounds a ranking's offset and page size.
const MaxRankRows = 10000

// RankRow is one ranked item.
type RankRow struct {
	Rank  int
	Entry *Entry
	// Value is what the ranking sorts by: 2-hour sales, day sales, 30-day
	// sales (lows), commission rate in bp, or the drop in bp of the week's high.
	Value int64
}

// Rank returns a page of a ranking. Only items observed in the last day
// before the catalog's newest observation count: a ranking is about now.
func (a *Advisor) Rank(ctx context.Context, q RankQuery) ([]RankRow, error) {
	shards, err := a.idx.loadAll(ctx)
	if err != nil {
		return nil, err
	}
	if q.Offset < 0 || q.Offset > MaxRankRows {
		return nil, msg.New("advisor.bad_offset", q.Offset, MaxRankRows)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, MaxRankRows)
	value, err := rankValue(q.Kind)
	if err != nil {
		return nil, err
	}
	var latest int64
	for _, sh := range shards {
		latest = max(latest, sh.rank.maxAt)
	}
	k := rankKindIndex(q.Kind)
	want := q.Offset + q.Limit
	h := &refHeap{}
	for _, sh := range shards {
		if q.Category != "" && sh.category != q.Category && !strings.HasPrefix(sh.category, q.Category+"/") {
			continue
		}
		if sh.rank.maxAt < latest-day {
			continue // nothing of the category was observed in the last day
		}
		sh.rankInto(h, k, value, &q, latest, want)
	}
	return h.rows(q.Offset), nil
}

// rows empties the heap into ranked rows, best first, less the first
// offset.
func (h *refHeap) rows(offset int) []RankRow {
	refs := make([]rankRef, h.Len())
	for i := len(refs) - 1; i >= 0; i-- {
		refs[i] = heap.Pop(h).(rankRef)
	}
	if offset >= len(refs) {
		return nil
	}
	refs = refs[offset:]
	rows := make([]RankRow, len(refs))
	for i, r := range refs {
		rows[i] = RankRow{Rank: offset + i + 1, Entry: r.sh.entry(r.pos), Value: r.value}
	}
	return rows
}

func rankValue(k RankKind) (func(*stats) (int64, bool), error) {
	switch k {
	case RankHot:
		return func(e *stats) (int64, bool) { return e.Now.Sales2h, e.Now.Sales2h > 0 }, nil
	case RankToday:
		return func(e *stats) (int64, bool) { return e.DaySales, e.DaySales > 0 }, nil
	case RankLows:
		return func(e *stats) (int64, bool) {
			ref := e.NormalLow // as on the card: normal days, unless in a promotion now
			if _, inPromo := catalog.PromotionAt(e.Now.At); inPromo || !ref.OK {
				ref = e.Low
			}
			// A low means something only with history behind it.
			return e.Now.Sales30, ref.OK && e.Now.FinalPrice <= ref.Price && e.Now.At-ref.At < day && e.Now.At-e.FirstSeen >= 7*day
		}, nil
	case RankCommission:
		return func(e *stats) (int64, bool) { return e.Now.CommissionRate, true }, nil
	case RankDrop:
		return func(e *stats) (int64, bool) {
			if e.WeekHigh <= e.Now.FinalPrice {
				return 0, false
			}
			return (e.WeekHigh - e.Now.FinalPrice) * 10000 / e.WeekHigh, true
		}, nil
	}
	return nil, msg.New("advisor.bad_ranking", k)
}

// rankRef is a ranked entry while the page is worked out.
type rankRef struct {
	value, id int64
	sh        *shard
	pos       int32
}

// refLess orders refs worst first: lower value, then higher item id.
func refLess(a, b rankRef) bool {
	if a.value != b.value {
		return a.value < b.value
	}
	return a.id > b.id
}

type refHeap []rankRef

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return refLess(h[i], h[j]) }
func (h refHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refHeap) Push(x any)        { *h = append(*h, x.(rankRef)) }

// offer keeps r if it is among the want best refs seen.
func (h *refHeap) offer(r rankRef, want int) {
	if h.Len() < want {
		heap.Push(h, r)
	} else if refLess((*h)[0], r) {
		(*h)[0] = r
		heap.Fix(h, 0)
	}
}

func (h *refHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
