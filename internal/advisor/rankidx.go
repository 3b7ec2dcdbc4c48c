package advisor

import (
	"cmp"
	"runtime"
	"slices"
	"sort"
)

// rankIndex is a shard's rankings kept in order, built with the shard (a
// category that an import changes is rebuilt whole, its index with it), so
// that a ranking page reads a few dozen entries of each category instead of
// every entry of the library.
type rankIndex struct {
	maxAt int64 // the newest observation of the shard
	// byKind holds, for each of RankKinds, the positions of the entries
	// that kind ranks and that were observed within a day of maxAt, best
	// first (higher value, then lower item id: positions follow item ids).
	byKind [len(rankKindOrder)][]int32
	// The filters' own orders, to read only the entries a selective filter
	// lets through: positions by final price, by commission rate (both
	// ascending), and grouped by brand (brandAt[b]:brandAt[b+1] of byBrand
	// are the items of the shard's brand b).
	byPrice, byRate, byBrand []int32
	brandAt                  []int32
	// The library's sort orders that the two above do not give: positions
	// by 30-day sales and by drop, highest first (ties by position).
	bySales, byDrop []int32
}

// rankKindOrder is RankKinds as array indexes.
var rankKindOrder = [...]RankKind{RankHot, RankToday, RankLows, RankCommission, RankDrop}

func rankKindIndex(k RankKind) int {
	for i, x := range rankKindOrder {
		if x == k {
			return i
		}
	}
	return -1
}

// buildRankIndex indexes a shard whose entries and rows are built.
func (sh *shard) buildRankIndex() {
	n := len(sh.recs)
	x := &sh.rank
	finals, rates := make([]int64, n), make([]int64, n)
	for i := range n {
		e := sh.stats(int32(i))
		x.maxAt = max(x.maxAt, e.Now.At)
		finals[i], rates[i] = e.Now.FinalPrice, e.Now.CommissionRate
	}
	vals := make([]int64, n)
	var e stats // one for the build: value, a function value, takes its address
	for k, kind := range rankKindOrder {
		value, _ := rankValue(kind)
		var ps []int32
		for i := range n {
			e = sh.stats(int32(i))
			if e.Now.At < x.maxAt-day {
				continue
			}
			if v, ok := value(&e); ok {
				vals[i] = v
				ps = append(ps, int32(i))
			}
		}
		slices.SortFunc(ps, func(a, b int32) int {
			switch {
			case vals[a] > vals[b]:
				return -1
			case vals[a] < vals[b]:
				return 1
			}
			return int(a - b)
		})
		x.byKind[k] = arenaCopy(sh.arena, ps)
	}
	positions := func() []int32 {
		ps := make([]int32, n)
		for i := range ps {
			ps[i] = int32(i)
		}
		return ps
	}
	x.byPrice = positions()
	slices.SortStableFunc(x.byPrice, func(a, b int32) int { return cmp.Compare(finals[a], finals[b]) })
	x.byRate = positions()
	slices.SortStableFunc(x.byRate, func(a, b int32) int { return cmp.Compare(rates[a], rates[b]) })
	x.byBrand = positions()
	slices.SortStableFunc(x.byBrand, func(a, b int32) int { return int(sh.rows[a].brand) - int(sh.rows[b].brand) })
	x.brandAt = make([]int32, len(sh.attrs.brands)+1)
	for _, p := range x.byBrand {
		x.brandAt[sh.rows[p].brand+1]++
	}
	for b := 1; b < len(x.brandAt); b++ {
		x.brandAt[b] += x.brandAt[b-1]
	}
	sales, drops := finals, rates // reused: their orders are made
	for i := range n {
		v := sh.row(int32(i))
		sales[i], drops[i] = v.sales, v.drop
	}
	x.bySales = positions()
	slices.SortStableFunc(x.bySales, func(a, b int32) int { return cmp.Compare(sales[b], sales[a]) })
	x.byDrop = positions()
	slices.SortStableFunc(x.byDrop, func(a, b int32) int { return cmp.Compare(drops[b], drops[a]) })
	x.byPrice, x.byRate, x.byBrand = arenaCopy(sh.arena, x.byPrice), arenaCopy(sh.arena, x.byRate), arenaCopy(sh.arena, x.byBrand)
	x.bySales, x.byDrop = arenaCopy(sh.arena, x.bySales), arenaCopy(sh.arena, x.byDrop)
}

// rankInto offers the shard's best want rows of ranking k (value, its
// RankValue) matching q to h, for a library whose newest observation is at
// latest. It walks the ranking's order until want rows match or no later row
// can enter h; when the filters let fewer entries through than that walk
// would read (a brand, a narrow price band, a high minimum commission), it
// reads those entries instead, so a page costs at most about twice the
// cheaper of the two.
func (sh *shard) rankInto(h *refHeap, k int, value func(*stats) (int64, bool), q *RankQuery, latest int64, want int) {
	x := &sh.rank
	var brand uint32
	if q.Brand != "" {
		b, ok := sh.attrs.brands[q.Brand]
		if !ok {
			return // no item of the shard has the brand
		}
		brand = b
	}
	var e stats // one for the call: value, a function value, takes its address
	// check tests entry i, whose figures are in e.
	check := func(i int32) (rankRef, bool) {
		if e.Now.At < latest-day || (q.Brand != "" && sh.rows[i].brand != brand) ||
			(q.MinPrice > 0 && e.Now.FinalPrice < q.MinPrice) || (q.MaxPrice > 0 && e.Now.FinalPrice > q.MaxPrice) ||
			e.Now.CommissionRate < q.MinRateBP {
			return rankRef{}, false
		}
		v, ok := value(&e)
		return rankRef{value: v, id: e.ID, sh: sh, pos: i}, ok
	}
	// match tests entry i, reading its row first.
	match := func(i int32) (rankRef, bool) {
		if q.Brand != "" && sh.rows[i].brand != brand {
			return rankRef{}, false
		}
		if v := sh.row(i); (q.MinPrice > 0 && v.final < q.MinPrice) || (q.MaxPrice > 0 && v.final > q.MaxPrice) ||
			v.rate < q.MinRateBP {
			return rankRef{}, false // without decoding the entry
		}
		e = sh.stats(i)
		return check(i)
	}
	// The smallest set of entries the filters let through, if any.
	var set []int32
	budget := -1 // no limit on the walk
	narrow := func(s []int32) {
		if budget < 0 || len(s) < budget {
			set, budget = s, len(s)
		}
	}
	if q.Brand != "" {
		narrow(x.byBrand[x.brandAt[brand]:x.brandAt[brand+1]])
	}
	if q.MinPrice > 0 || q.MaxPrice > 0 {
		lo, hi := 0, len(x.byPrice)
		if q.MinPrice > 0 {
			lo = sort.Search(len(x.byPrice), func(j int) bool { return sh.row(x.byPrice[j]).final >= q.MinPrice })
		}
		if q.MaxPrice > 0 {
			hi = sort.Search(len(x.byPrice), func(j int) bool { return sh.row(x.byPrice[j]).final > q.MaxPrice })
		}
		narrow(x.byPrice[lo:max(lo, hi)])
	}
	if q.MinRateBP > 0 {
		lo := sort.Search(len(x.byRate), func(j int) bool { return sh.row(x.byRate[j]).rate >= q.MinRateBP })
		narrow(x.byRate[lo:])
	}
	// Walk the ranking, keeping what matches apart until the walk is known
	// to be complete (a fallback to the set must not offer a row twice).
	var found []rankRef
	complete := true
	for j, i := range x.byKind[k] {
		if budget >= 0 && j >= budget {
			complete = false
			break
		}
		e = sh.stats(i) // once for both tests
		if h.Len() >= want {
			v, _ := value(&e)
			if !refLess((*h)[0], rankRef{value: v, id: e.ID}) {
				break // this row and every later one rank below the page
			}
		}
		if r, ok := check(i); ok {
			found = append(found, r)
			if len(found) >= want {
				break
			}
		}
	}
	if !complete {
		found = found[:0]
		for _, i := range set {
			if r, ok := match(i); ok {
				h.offer(r, want)
			}
		}
		runtime.KeepAlive(sh)
		return
	}
	for _, r := range found {
		h.offer(r, want)
	}
	runtime.KeepAlive(sh) // its arrays are its arena's
}
