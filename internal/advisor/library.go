package advisor

import (
	"container/heap"
	"context"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/msg"
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
	// After and Before page by the rows themselves rather than by offset,
	// so that every page of any catalog can be reached at the cost of one
	// page: the page after the row After names, or the page before the row
	// Before names (see Cursor). Offset then counts from that row.
	After, Before *Cursor
}

// Cursor names a row of a library listing in its sort order (see
// LibraryQuery.After): its sort key and item id. Its text form, for
// links, is "key_id".
type Cursor struct{ Key, ID int64 }

func (c Cursor) String() string {
	return strconv.FormatInt(c.Key, 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a cursor's text form.
func ParseCursor(s string) (Cursor, error) {
	k, id, ok := strings.Cut(s, "_")
	var c Cursor
	var err1, err2 error
	c.Key, err1 = strconv.ParseInt(k, 10, 64)
	c.ID, err2 = strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return Cursor{}, msg.New("advisor.bad_cursor", s)
	}
	return c, nil
}

// LibraryCursor is the cursor of e, one of the rows Library returned for q.
func LibraryCursor(q LibraryQuery, e *Entry) Cursor {
	key, _ := librarySort(q.Sort)
	r := rowOf(e.ID, e.WeekHigh, &e.Now)
	return Cursor{Key: key(&r), ID: e.ID}
}

// LibrarySorts lists the sort orders the library offers.
var LibrarySorts = []string{"sales", "price", "-price", "commission", "drop"}

// Library returns a page of matching items and how many match in all.
func (a *Advisor) Library(ctx context.Context, q LibraryQuery) ([]*Entry, int, error) {
	if q.Offset < 0 || q.Offset > MaxRankRows {
		return nil, 0, msg.New("advisor.bad_offset", q.Offset, MaxRankRows)
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
	h := &matchHeap{want: q.Offset + q.Limit, rev: q.Before != nil}
	var after, before matchRef
	if q.After != nil {
		after = matchRef{key: q.After.Key, id: q.After.ID}
	}
	if q.Before != nil {
		before = matchRef{key: q.Before.Key, id: q.Before.ID}
	}
	total := 0
	var v rowVals // one for the whole search: the sort key, a function value, takes its address
	for _, sh := range shards {
		if q.Category != "" && sh.category != q.Category && !strings.HasPrefix(sh.category, q.Category+"/") {
			continue
		}
		f, ok := sh.filter(q)
		if !ok {
			continue // a platform, brand or shop type no item of the shard has
		}
		consider := func(i int32) {
			v = sh.row(i)
			if !f.match(&sh.rows[i], &v) {
				return
			}
			total++
			m := matchRef{key: key(&v), id: v.id, sh: sh, pos: i}
			if q.After != nil && !m.worse(after) || q.Before != nil && !before.worse(m) {
				return // on a page in front of the cursor (or behind it)
			}
			h.offer(m)
		}
		if text == "" {
			for i := range sh.rows {
				consider(int32(i))
			}
			continue
		}
		sh.sim.Each(text, consider)
	}
	out := h.sorted()
	if q.Offset >= len(out) {
		return nil, total, nil
	}
	if h.rev {
		return out[:len(out)-q.Offset], total, nil
	}
	return out[q.Offset:], total, nil
}

// libRow is what the library filters and sorts an item by, kept apart from
// the entries: a two-character search matches tens of thousands of items,
// and reading a short row of each, in order, costs a fraction of reading
// their scattered entries. The figures are 32-bit, as in packed; an entry
// with one that does not fit is wide, its figures in the shard's wide
// table (read them with shard.row).
type libRow struct {
	id                       int64
	final, rate, sales, drop int32 // drop: basis points below the highest price of the week before
	brand                    uint32
	platform                 uint8
	shop                     uint8 // shop type
	wide                     bool
}

// rowVals are a row's figures.
type rowVals struct{ id, final, rate, sales, drop int64 }

// attrs interns a shard's brands, platforms and shop types, by the
// numbers its rows use.
type attrs struct {
	brands, platforms, shops map[string]uint32
}

func newAttrs(sh *shard) attrs {
	at := attrs{brands: map[string]uint32{}, platforms: map[string]uint32{}, shops: map[string]uint32{}}
	for i, b := range sh.brands {
		at.brands[b] = uint32(i)
	}
	for i, p := range sh.platforms {
		at.platforms[string(p)] = uint32(i)
	}
	for i, t := range sh.shopTypes {
		at.shops[string(t)] = uint32(i)
	}
	return at
}

// rowOf is an entry's row figures.
func rowOf(id, weekHigh int64, now *catalog.Observation) rowVals {
	var drop int64
	if weekHigh > now.FinalPrice {
		drop = (weekHigh - now.FinalPrice) * 10000 / weekHigh
	}
	return rowVals{id: id, final: now.FinalPrice, rate: now.CommissionRate, sales: now.Sales30, drop: drop}
}

// rowFilter is a LibraryQuery in a shard's terms.
type rowFilter struct {
	q                           *LibraryQuery
	brand                       uint32
	platform, shop              uint8
	byBrand, byPlatform, byShop bool
}

// filter returns q in the shard's terms, or false when no item of the shard
// can match.
func (sh *shard) filter(q LibraryQuery) (rowFilter, bool) {
	f := rowFilter{q: &q}
	if q.Brand != "" {
		id, ok := sh.attrs.brands[q.Brand]
		if !ok {
			return f, false
		}
		f.brand, f.byBrand = id, true
	}
	if q.Platform != "" {
		id, ok := sh.attrs.platforms[string(q.Platform)]
		if !ok {
			return f, false
		}
		f.platform, f.byPlatform = uint8(id), true
	}
	if q.ShopType != "" {
		id, ok := sh.attrs.shops[string(q.ShopType)]
		if !ok {
			return f, false
		}
		f.shop, f.byShop = uint8(id), true
	}
	return f, true
}

func (f *rowFilter) match(r *libRow, v *rowVals) bool {
	q := f.q
	return !(f.byPlatform && r.platform != f.platform || f.byBrand && r.brand != f.brand || f.byShop && r.shop != f.shop ||
		q.MinPrice > 0 && v.final < q.MinPrice || q.MaxPrice > 0 && v.final > q.MaxPrice ||
		v.rate < q.MinRateBP || v.sales < q.MinSales)
}

// librarySort returns a sort key: larger sorts first.
func librarySort(s string) (func(*rowVals) int64, error) {
	switch s {
	case "", "sales":
		return func(r *rowVals) int64 { return r.sales }, nil
	case "price":
		return func(r *rowVals) int64 { return -r.final }, nil
	case "-price":
		return func(r *rowVals) int64 { return r.final }, nil
	case "commission":
		return func(r *rowVals) int64 { return r.rate }, nil
	case "drop":
		return func(r *rowVals) int64 { return r.drop }, nil
	}
	return nil, msg.New("advisor.bad_sort", s)
}

// matchRef is a match with its sort key: the heap compares keys without
// reading the entries.
type matchRef struct {
	key, id int64
	sh      *shard
	pos     int32
}

// worse orders matches: a lower key, then a larger item id, is worse.
func (a matchRef) worse(b matchRef) bool {
	return a.key < b.key || a.key == b.key && a.id > b.id
}

// matchHeap keeps the want best matches, worst on top; with rev, the want
// worst, best on top (the page before a cursor).
type matchHeap struct {
	want int
	rev  bool
	rs   []matchRef
}

func (h *matchHeap) Len() int { return len(h.rs) }
func (h *matchHeap) Less(i, j int) bool {
	if h.rev {
		return h.rs[j].worse(h.rs[i])
	}
	return h.rs[i].worse(h.rs[j])
}
func (h *matchHeap) Swap(i, j int) { h.rs[i], h.rs[j] = h.rs[j], h.rs[i] }
func (h *matchHeap) Push(x any)    { h.rs = append(h.rs, x.(matchRef)) }
func (h *matchHeap) Pop() any {
	x := h.rs[len(h.rs)-1]
	h.rs = h.rs[:len(h.rs)-1]
	return x
}

func (h *matchHeap) offer(r matchRef) {
	if len(h.rs) < h.want {
		heap.Push(h, r)
	} else if h.rev && r.worse(h.rs[0]) || !h.rev && h.rs[0].worse(r) {
		h.rs[0] = r
		heap.Fix(h, 0)
	}
}

// sorted empties the heap, best first.
func (h *matchHeap) sorted() []*Entry {
	out := make([]*Entry, len(h.rs))
	for i := range out {
		k := len(out) - 1 - i // worst first, from the back
		if h.rev {
			k = i // best first, from the front
		}
		m := heap.Pop(h).(matchRef)
		out[k] = m.sh.entry(m.pos)
	}
	return out
}
