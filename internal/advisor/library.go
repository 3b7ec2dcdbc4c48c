package advisor

import (
	"container/heap"
	"context"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

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
	p := &libPlan{h: h, sort: q.Sort, key: key}
	if q.After != nil {
		p.after = &after
	}
	if q.Before != nil {
		p.before = &before
	}
	total := 0
	for _, sh := range shards {
		if q.Category != "" && sh.category != q.Category && !strings.HasPrefix(sh.category, q.Category+"/") {
			continue
		}
		f, ok := sh.filter(q)
		if !ok {
			continue // a platform, brand or shop type no item of the shard has
		}
		if text == "" {
			total += p.shard(sh, &f, nil, true)
			continue
		}
		sh.sim.Matching(text, func(ids []int32) { total += p.shard(sh, &f, ids, false) })
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

// libPlan is a library question as every shard answers it.
type libPlan struct {
	h             *matchHeap
	sort          string
	key           func(*rowVals) int64
	after, before *matchRef
	found         []matchRef // scratch for walk
}

// walkAlways makes every shard walk its order whatever it costs (tests).
var walkAlways atomic.Bool

// shard offers the shard's matches to the page and returns how many there
// are: the rows ids names (ascending positions), or every row with all.
//
// With no filter but the text, the count is len(ids), and the page needs
// only the shard's best few matches in the sort order. When the matches are
// a large share of the shard, they are found by walking the shard's rows in
// that order (see walk) and testing each for membership in ids: about
// want·n/m rows for m matches of n, instead of every match. Otherwise, or
// with a filter, every match is read and offered.
func (p *libPlan) shard(sh *shard, f *rowFilter, ids []int32, all bool) int {
	n := len(sh.rows)
	m := len(ids)
	if all {
		m = n
	}
	if m == 0 {
		return 0
	}
	pos := func(k int) int32 {
		if all {
			return int32(k)
		}
		return ids[k]
	}
	if !f.everything(sh) {
		count := 0
		for k := range m {
			i := pos(k)
			if v := sh.row(i); f.match(&sh.rows[i], &v) {
				count++
				p.offer(sh, i)
			}
		}
		return count
	}
	h := p.h
	if o := sh.libOrder(p.sort); o.n() > 0 && len(h.rs) >= h.want {
		// The page is full: skip the shard when its best row (its worst
		// with a Before cursor) cannot enter it.
		j := 0
		if h.rev {
			j = o.n() - 1
		}
		if v := sh.row(o.at(j)); p.beyond(p.key(&v), h.rs[0].key) {
			return m
		}
	}
	always := walkAlways.Load()
	if always || 8*int64(h.want)*int64(n) < int64(m)*int64(m) {
		budget := m / 4
		if always {
			budget = n + 1
		}
		if p.walk(sh, ids, all, budget) {
			return m
		}
	}
	for k := range m {
		p.offer(sh, pos(k))
	}
	return m
}

// offer offers row i of sh to the page, unless a cursor puts it on a page
// in front of (or behind) this one.
func (p *libPlan) offer(sh *shard, i int32) {
	v := sh.row(i)
	m := matchRef{key: p.key(&v), id: v.id, sh: sh, pos: i}
	if p.after != nil && !m.worse(*p.after) || p.before != nil && !p.before.worse(m) {
		return
	}
	p.h.offer(m)
}

// beyond reports whether a row of key k comes after every row of key ref
// in the direction the page is gathered (worse, or better with Before).
func (p *libPlan) beyond(k, ref int64) bool {
	if p.h.rev {
		return k > ref
	}
	return k < ref
}

// walk reads the shard's rows in the sort order, from the best (or, with a
// Before cursor, from the cursor up), and offers the matches the page can
// take: it stops once the page holds want rows and the next row's key is
// beyond the page's last, or this shard gave want matches and the next row's
// key is beyond the last of them (rows of equal key may come in any order:
// they are all taken). It gives up after budget rows, offering nothing, and
// reports whether it finished.
func (p *libPlan) walk(sh *shard, ids []int32, all bool, budget int) bool {
	h := p.h
	o := sh.libOrder(p.sort)
	n := o.n()
	keyAt := func(j int) int64 { v := sh.row(o.at(j)); return p.key(&v) }
	j, step := 0, 1
	if h.rev {
		j, step = n-1, -1
		if p.before != nil { // the last row whose key is not below the cursor's
			j = sort.Search(n, func(j int) bool { return keyAt(j) < p.before.key }) - 1
		}
	} else if p.after != nil { // the first row whose key is not above the cursor's
		j = sort.Search(n, func(j int) bool { return keyAt(j) <= p.after.key })
	}
	found := p.found[:0]
	defer func() { p.found = found[:0] }()
	for steps := 0; j >= 0 && j < n; j, steps = j+step, steps+1 {
		if steps == budget {
			return false
		}
		i := o.at(j)
		v := sh.row(i)
		k := p.key(&v)
		if len(found) >= h.want && p.beyond(k, found[len(found)-1].key) || len(h.rs) >= h.want && p.beyond(k, h.rs[0].key) {
			break
		}
		if !all {
			if _, ok := slices.BinarySearch(ids, i); !ok {
				continue
			}
		}
		m := matchRef{key: k, id: v.id, sh: sh, pos: i}
		if p.after != nil && !m.worse(*p.after) || p.before != nil && !p.before.worse(m) {
			continue
		}
		found = append(found, m)
	}
	for _, m := range found {
		h.offer(m)
	}
	runtime.KeepAlive(sh) // its arrays are its arena's
	return true
}

// libOrder is a shard's rows in a library sort order: the keys of
// order[at(0)], order[at(1)], … do not increase.
type libOrder struct {
	order []int32
	back  bool // read order from its end
}

func (o libOrder) n() int { return len(o.order) }

func (o libOrder) at(j int) int32 {
	if o.back {
		return o.order[len(o.order)-1-j]
	}
	return o.order[j]
}

// libOrder returns the shard's order for a library sort (see librarySort).
func (sh *shard) libOrder(by string) libOrder {
	x := &sh.rank
	switch by {
	case "price":
		return libOrder{order: x.byPrice}
	case "-price":
		return libOrder{order: x.byPrice, back: true}
	case "commission":
		return libOrder{order: x.byRate, back: true}
	case "drop":
		return libOrder{order: x.byDrop}
	}
	return libOrder{order: x.bySales}
}

// everything reports whether f lets every row of sh through.
func (f *rowFilter) everything(sh *shard) bool {
	q := f.q
	if f.byBrand || f.byPlatform || f.byShop || q.MinPrice > 0 || q.MaxPrice > 0 {
		return false
	}
	if len(sh.rows) == 0 {
		return true
	}
	x := &sh.rank
	return q.MinRateBP <= sh.row(x.byRate[0]).rate && q.MinSales <= sh.row(x.bySales[len(x.bySales)-1]).sales
}
