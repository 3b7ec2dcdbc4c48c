package advisor

import (
	"container/heap"
	"context"
	"fmt"
	"strings"

	"github.com/qunke/qunke/internal/catalog"
)

// LibraryQuery searches and filters the catalog for the library page.
type LibraryQuery struct {
	Text      string // title words, all of which must match ("保温" works); "" for every item
	Platform  catalog.Platform
	Category  string // a path or its prefix
	Brand     string
	ShopType  catalog.ShopType
	MinPrice  int64 // final price band, fen; 0 = no bound
	MaxPrice  int64
	MinRateBP int64
	MinSales  int64  // 30-day sales
	Sort      string // "sales" (default), "price", "-price", "commission", "drop"
	Offset    int
	Limit     int // default 50, at most MaxRankRows
}

// LibrarySorts lists the sort orders the library offers.
var LibrarySorts = []string{"sales", "price", "-price", "commission", "drop"}

// Library returns a page of matching items and how many match in all.
func (a *Advisor) Library(ctx context.Context, q LibraryQuery) ([]*Entry, int, error) {
	if q.Offset < 0 || q.Offset > MaxRankRows {
		return nil, 0, fmt.Errorf("offset %d: 应在 0 到 %d 之间 (must be between 0 and %d)", q.Offset, MaxRankRows, MaxRankRows)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, MaxRankRows)
	key, err := librarySort(q.Sort)
	if err != nil {
		return nil, 0, err
	}
	shards, err := a.idx.loadAll(ctx)
	if err != nil {
		return nil, 0, err
	}
	text := strings.TrimSpace(q.Text)
	want := q.Offset + q.Limit
	h := &entryHeap{key: key}
	total := 0
	consider := func(e *Entry) {
		if (q.Platform != "" && e.Platform != q.Platform) || (q.Brand != "" && e.Brand != q.Brand) ||
			(q.ShopType != "" && e.ShopType != q.ShopType) ||
			(q.MinPrice > 0 && e.Now.FinalPrice < q.MinPrice) || (q.MaxPrice > 0 && e.Now.FinalPrice > q.MaxPrice) ||
			e.Now.CommissionRate < q.MinRateBP || e.Now.Sales30 < q.MinSales {
			return
		}
		total++
		if h.Len() < want {
			heap.Push(h, e)
		} else if h.less(h.es[0], e) {
			h.es[0] = e
			heap.Fix(h, 0)
		}
	}
	for _, sh := range shards {
		if q.Category != "" && sh.category != q.Category && !strings.HasPrefix(sh.category, q.Category+"/") {
			continue
		}
		if text == "" {
			for i := range sh.entries {
				consider(&sh.entries[i])
			}
			continue
		}
		ids, _ := sh.sim.Search(text, nil, 0, len(sh.entries))
		for _, id := range ids {
			consider(&sh.entries[id])
		}
	}
	out := make([]*Entry, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(*Entry)
	}
	if q.Offset >= len(out) {
		return nil, total, nil
	}
	return out[q.Offset:], total, nil
}

// librarySort returns a sort key: larger sorts first.
func librarySort(s string) (func(*Entry) int64, error) {
	switch s {
	case "", "sales":
		return func(e *Entry) int64 { return e.Now.Sales30 }, nil
	case "price":
		return func(e *Entry) int64 { return -e.Now.FinalPrice }, nil
	case "-price":
		return func(e *Entry) int64 { return e.Now.FinalPrice }, nil
	case "commission":
		return func(e *Entry) int64 { return e.Now.CommissionRate }, nil
	case "drop":
		return func(e *Entry) int64 {
			if e.WeekHigh <= e.Now.FinalPrice {
				return 0
			}
			return (e.WeekHigh - e.Now.FinalPrice) * 10000 / e.WeekHigh
		}, nil
	}
	return nil, fmt.Errorf("未知的排序 %q，可用 sales, price, -price, commission, drop (unknown sort)", s)
}

// entryHeap keeps the best entries, worst on top.
type entryHeap struct {
	es  []*Entry
	key func(*Entry) int64
}

func (h *entryHeap) less(a, b *Entry) bool { // a is worse than b
	ka, kb := h.key(a), h.key(b)
	if ka != kb {
		return ka < kb
	}
	return a.ID > b.ID
}
func (h *entryHeap) Len() int           { return len(h.es) }
func (h *entryHeap) Less(i, j int) bool { return h.less(h.es[i], h.es[j]) }
func (h *entryHeap) Swap(i, j int)      { h.es[i], h.es[j] = h.es[j], h.es[i] }
func (h *entryHeap) Push(x any)         { h.es = append(h.es, x.(*Entry)) }
func (h *entryHeap) Pop() any {
	x := h.es[len(h.es)-1]
	h.es = h.es[:len(h.es)-1]
	return x
}
