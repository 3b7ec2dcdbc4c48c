package similar

import (
	"cmp"
	"slices"
)

// Match is one result of Similar.
type Match struct {
	ID     int32   // the item's ordinal
	Score  float32 // IDF-weighted Jaccard similarity, 0..1
	Shared int     // distinct terms shared with the query title
}

// How Similar bounds its work. Terms are taken rarest (heaviest) first and
// every title in a term's postings, inside the requested groups, gets its
// weight added. Before each costly term Similar checks whether k candidates
// (that keep accepts) already score more, on the weight they share so far,
// than any title sharing none of the terms taken could reach; once they do,
// the remaining (common, light) terms are "lookup-only" and the result is
// still exact. On the demo market's categories (about 15,000 titles with a
// small vocabulary) this scans a seventh of the postings.
//
// Caps bound the rest. A term is also lookup-only, once candidates exist,
// when its postings in the requested groups exceed perTermCap or scanning
// them would take the scan past scanBudget. Lookup-only terms are added, by
// galloping search in their postings, to the rerankPool best candidates by
// partial score and then to any other candidate whose score could still
// reach the k-th best (at most extraCap of them, best upper bound first).
// Only when a cap made terms lookup-only can a title that shares nothing but
// those terms be missed; it scores at most Σ w(lookup-only) / Σ w(query),
// small because those terms are the commonest ones. On the 1M-title benchmark
// corpus, unrestricted queries agree with an uncapped run on 98% of the
// top-10 slots.
const (
	perTermCap = 50_000
	scanBudget = 150_000
	rerankPool = 256
	extraCap   = 1024
	// boundedPool is the rerank pool once the threshold bounded the scan.
	boundedPool = 32
)

// limits holds the caps above; tests lower them to exercise the capped path.
type limits struct {
	perTermCap, scanBudget, rerankPool, extraCap int
	// boundAlways checks the bound that ends the scan whenever it can,
	// not only when it looks cheaper than scanning on.
	boundAlways bool
}

var defaultLimits = limits{perTermCap: perTermCap, scanBudget: scanBudget, rerankPool: rerankPool, extraCap: extraCap}

// poolFlag marks a candidate in the rerank pool in scratch.cnt.
const poolFlag = 1 << 15

type qterm struct {
	id   uint32
	w    float32
	rdf  int  // postings inside the requested groups
	segs span // its segments: scratch.segs[segs.a:segs.b], arena offsets
}

type hit struct {
	d     int32 // internal id
	ext   int32
	score float32
	n     uint16 // shared terms, once final
}

// worse orders hits: lower score, then larger ordinal, is worse.
func worse(a, b hit) bool {
	return a.score < b.score || a.score == b.score && a.ext > b.ext
}

// selector keeps the k best hits offered, calling keep only for hits that
// would enter.
type selector struct {
	h    []hit // a heap, worst at h[0]
	k    int
	keep func(hit) bool
}

func (s *selector) full() bool { return len(s.h) == s.k }

func (s *selector) offer(e hit) {
	if len(s.h) == s.k && !worse(s.h[0], e) {
		return
	}
	if s.keep != nil && !s.keep(e) {
		return
	}
	if len(s.h) < s.k {
		s.h = append(s.h, e)
		for i := len(s.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(s.h[i], s.h[p]) {
				break
			}
			s.h[i], s.h[p] = s.h[p], s.h[i]
			i = p
		}
		return
	}
	s.h[0] = e
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(s.h) && worse(s.h[l], s.h[m]) {
			m = l
		}
		if r < len(s.h) && worse(s.h[r], s.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		s.h[i], s.h[m] = s.h[m], s.h[i]
		i = m
	}
}

// jaccard is S / (wq + wd − S) clamped to [0, 1].
func jaccard(shared, wq, wd float32) float32 {
	den := wq + wd - shared
	if den <= 0 || shared <= 0 {
		return 0
	}
	if s := shared / den; s < 1 {
		return s
	}
	return 1
}

// Similar returns up to k items most similar to title, best first, among
// those in groups (nil: all groups; empty non-nil: none) for which keep
// returns true (nil: all), leaving out ordinal exclude (-1: none). Equal
// scores are ordered by smaller ordinal. Only items sharing at least one term
// with title are returned. keep is called only for candidates that could
// matter (those that would enter the result, the rerank pool or the extra
// candidates, and those already scoring above the bound that ends the
// scan), not for every candidate.
//
// The score is the IDF-weighted Jaccard similarity of the two term sets (see
// the package comment for the weights). The result is exact unless a cap
// on very common terms applied (see perTermCap and the constants beside it):
// then an item sharing only such common terms with title can be missed.
func (x *Index) Similar(title string, groups []int32, keep func(int32) bool, exclude int32, k int) []Match {
	x.mustFrozen()
	if k <= 0 || x.n == 0 || groups != nil && len(groups) == 0 {
		return nil
	}
	s := x.getScratch()
	defer x.putScratch(s)

	// The requested internal id ranges.
	rng := s.rng[:0]
	if groups == nil {
		rng = append(rng, span{0, int32(x.n)})
	} else {
		for _, g := range groups {
			if lo, hi, ok := x.groupRange(g); ok && hi > lo {
				rng = append(rng, span{lo, hi})
			}
		}
		slices.SortFunc(rng, func(p, q span) int { return cmp.Compare(p.a, q.a) })
		rng = slices.Compact(rng)
	}
	s.rng = rng
	if len(rng) == 0 {
		return nil
	}
	exInt := int32(-1)
	if exclude >= 0 && int(exclude) < len(x.extInt) {
		exInt = x.extInt[exclude]
	}

	// Query terms, their weights and their segments of postings.
	s.toks, s.wb = appendTokens(s.toks[:0], s.wb[:0], title)
	toks := s.toks
	if len(toks) > maxTitleTerms {
		toks = toks[:maxTitleTerms]
	}
	q, unk, unkw := s.q[:0], s.unk[:0], s.unkw[:0]
	for _, t := range toks {
		if id, ok := x.lookup(t, s.wb); ok {
			q = append(q, qterm{id: id})
		} else if t.key != 0 {
			unk = append(unk, t.key)
		} else {
			unkw = append(unkw, string(s.wb[t.ws:t.we]))
		}
	}
	slices.SortFunc(q, func(p, r qterm) int { return cmp.Compare(p.id, r.id) })
	q = slices.CompactFunc(q, func(p, r qterm) bool { return p.id == r.id })
	slices.Sort(unk)
	slices.Sort(unkw)
	unseen := len(slices.Compact(unk)) + len(slices.Compact(unkw))
	clear(unkw)
	s.unk, s.unkw = unk[:0], unkw[:0]
	wq := float32(unseen) * idf(x.n, 0)
	segs := s.segs[:0]
	for i := range q {
		t := &q[i]
		t.w = idf(x.n, x.df(t.id))
		wq += t.w
		o, e := x.off[t.id], x.off[t.id+1]
		start := len(segs)
		if groups == nil {
			segs = append(segs, span{int32(o), int32(e)})
		} else {
			p := x.post[o:e]
			for _, r := range rng {
				a := lowerBound(p, r.a)
				b := a + lowerBound(p[a:], r.b)
				if b > a {
					segs = append(segs, span{int32(o) + int32(a), int32(o) + int32(b)})
				}
			}
		}
		for _, sg := range segs[start:] {
			t.rdf += int(sg.b - sg.a)
		}
		t.segs = span{int32(start), int32(len(segs))}
	}
	s.segs = segs
	slices.SortFunc(q, func(p, r qterm) int {
		if c := cmp.Compare(r.w, p.w); c != 0 {
			return c
		}
		return cmp.Compare(p.id, r.id)
	})
	s.q = q

	if len(s.cells) < x.n {
		s.cells = make([]cell, x.n)
	}
	cells := s.cells[:x.n]
	// kept is keep remembered in the candidate's cell: the checks of the
	// bound, the pool and the result may ask about the same candidate, and
	// keep (a card's price band) may cost more than a cache miss.
	var keepHit, kept func(hit) bool
	if keep != nil {
		keepHit = func(h hit) bool { return keep(h.ext) }
		kept = func(h hit) bool {
			c := &cells[h.d]
			if c.keep == 0 {
				c.keep = keepNo
				if keep(h.ext) {
					c.keep = keepYes
				}
			}
			return c.keep == keepYes
		}
	}
	cand := s.cand[:0]
	defer func() {
		for _, d := range cand {
			cells[d] = cell{}
		}
		s.cand = cand[:0]
	}()
	// size is the number of titles in the requested groups: a term with
	// that many postings there is in every one of them.
	size := 0
	for _, r := range rng {
		size += int(r.b - r.a)
	}

	// Candidate generation, rarest terms first. rem is the weight of the
	// terms not yet taken that occur in the requested groups: a title sharing
	// none of the terms taken so far scores at most rem/wq (its shared weight
	// is at most rem, and the union at least wq). Once the k-th best score
	// among the candidates (a lower bound, the partial shared weight) beats
	// that, no other title can enter the top k, and the remaining terms need
	// only be looked up for the candidates: the result stays exact.
	// rem(i), the weight of q[i:] that occurs in the requested groups, as
	// suffix sums in float64 from the lightest term up: exact enough that
	// the 1e-5 margin on tau covers the rounding.
	if cap(s.suf) < len(q)+1 {
		s.suf = make([]float64, len(q)+1)
	}
	suf := s.suf[:len(q)+1]
	suf[len(q)] = 0
	for i := len(q) - 1; i >= 0; i-- {
		suf[i] = suf[i+1]
		if q[i].rdf > 0 {
			suf[i] += float64(q[i].w)
		}
	}
	var lookup []qterm // lookup-only terms; reuses the tail of q
	var rest float32   // their total weight
	scanned := 0
	li := 0
	bounded := false // the threshold proved the remaining terms lookup-only
	var tau float32  // the score k candidates beat when bounded became true
	// Checking costs a pass over the candidates, most of them passed over
	// on their shared weight alone (no norm read): it is done once rem is at
	// most 0.9·wq and again each time rem has fallen by a twentieth of wq.
	// On one category of 100k–300k synthetic titles this ends the scan on
	// most queries (checking only when the rest of the scan looked costly,
	// as before, ended few of them there: the scan went on to the caps).
	checkAt := 0.9 * float64(wq)
	for i, t := range q {
		if t.rdf == 0 {
			continue
		}
		if rem := suf[i]; !bounded && li == 0 && len(cand) >= k && (x.lim.boundAlways || rem <= checkAt) {
			tau = float32(rem / float64(wq) * (1 + 1e-5))
			bounded = x.atLeastK(cand, cells, wq, tau, kept, k)
			checkAt = rem - 0.05*float64(wq)
		}
		if bounded || len(cand) > 0 && (t.rdf > x.lim.perTermCap || scanned+t.rdf > x.lim.scanBudget) {
			q[li] = t // li ≤ current index: safe in place
			li++
			rest += t.w
			continue
		}
		scanned += t.rdf
		for _, sg := range segs[t.segs.a:t.segs.b] {
			for _, d := range x.post[sg.a:sg.b] {
				if d == exInt {
					continue
				}
				c := &cells[d]
				if c.cnt == 0 {
					cand = append(cand, d)
				}
				c.cnt++
				c.acc += t.w
			}
		}
	}
	lookup = q[:li]
	if len(cand) == 0 {
		return nil
	}

	fin := selector{h: s.hits[:0], k: k, keep: keepHit}
	if len(lookup) == 0 {
		// A title's score is at most its shared weight over wq: once k
		// hits are in, the ones sharing too little are passed over without
		// reading their norm (the slack covers rounding in the norms).
		// Each cell is cleared as it is read (the deferred clearing then
		// has nothing left to do).
		var floor float32
		for _, d := range cand {
			c := cells[d]
			cells[d] = cell{}
			if c.acc < floor {
				continue
			}
			j := jaccard(c.acc, wq, x.norm[d])
			if fin.full() && j < fin.h[0].score {
				continue
			}
			fin.offer(hit{d, x.intExt[d], j, c.cnt})
			if fin.full() {
				floor = fin.h[0].score * wq * (1 - 1e-3)
			}
		}
		cand = cand[:0]
		s.hits = fin.h
		return matches(fin.h)
	}

	// Rerank pool: the best candidates by partial score (a lower bound).
	// When bounded, the partial scores miss only light terms and a small
	// pool finds the k-th best well enough for the upper bounds below.
	poolK := x.lim.rerankPool
	if bounded {
		poolK = min(poolK, boundedPool)
	}
	fin.keep = kept // from here on a candidate may be asked twice
	pool := selector{h: s.pool[:0], k: max(poolK, k), keep: kept}
	// The pool is chosen in two steps, so that keep is called about as
	// often as the pool is large, not for every candidate that enters it
	// in passing: the best 2·pool.k candidates regardless of keep first,
	// then those, best first, offered to the pool. When fewer than pool.k
	// of them are kept and others were left out, the pool is chosen from
	// all the candidates again.
	pre := selector{h: s.pre[:0], k: 2 * pool.k}
	x.bestCands(&pre, cand, cells, wq, bounded, tau)
	sortBest(pre.h)
	for _, h := range pre.h {
		pool.offer(h)
	}
	if pre.full() && !pool.full() {
		pool.h = pool.h[:0]
		x.bestCands(&pool, cand, cells, wq, bounded, tau)
	}
	s.pre = pre.h[:0]
	ids := s.ids[:0]
	for _, h := range pool.h {
		ids = append(ids, h.d)
		cells[h.d].cnt |= poolFlag
	}
	slices.Sort(ids)
	x.addLookups(ids, lookup, size, cells)
	for _, d := range ids {
		fin.offer(hit{d, x.intExt[d], jaccard(cells[d].acc, wq, x.norm[d]), cells[d].cnt &^ poolFlag})
	}
	if pool.full() || bounded {
		// Other candidates whose upper bound reaches the k-th best score.
		theta := float32(-1)
		if fin.full() {
			theta = fin.h[0].score
		}
		// When bounded, every such candidate is taken (the batches below
		// stop early): the result stays exact. Otherwise extraCap bounds
		// them, best upper bound first. The bounds get a little slack for
		// rounding in the sums: a tie at the k-th score may still win on
		// its ordinal.
		// When bounded they are simply collected (no heap), and keep is
		// asked below, batch by batch, only of those looked up.
		extra := selector{h: pool.h[:0], k: x.lim.extraCap, keep: kept}
		// The upper bound is at most (shared + rest)/wq: candidates below
		// floor are passed over without reading their norm.
		// The cells of candidates that cannot be looked up any more are
		// cleared here, and cand keeps the others.
		floor := theta*wq*(1-1e-3) - rest
		w := 0
		for _, d := range cand {
			c := cells[d]
			if c.cnt&poolFlag != 0 {
				cand[w] = d
				w++
				continue
			}
			if c.acc < floor {
				cells[d] = cell{}
				continue
			}
			sh, wd := c.acc, x.norm[d]
			ub := jaccard(sh+min(rest, wd-sh), wq, wd)
			if ub*(1+1e-5) >= theta {
				if bounded {
					extra.h = append(extra.h, hit{d: d, ext: x.intExt[d], score: ub})
				} else {
					extra.offer(hit{d: d, ext: x.intExt[d], score: ub})
				}
				cand[w] = d
				w++
			} else {
				cells[d] = cell{}
			}
		}
		cand = cand[:w]
		// Best upper bound first, in batches: each batch's exact scores raise
		// the k-th best, and the next batch is looked up only while its best
		// upper bound still reaches it.
		hs := extra.h
		slices.SortFunc(hs, func(a, b hit) int { return cmp.Compare(b.score, a.score) })
		if !bounded {
			fin.keep = nil // extra kept only what keep accepts
		}
		for i, n := 0, 32; i < len(hs); n *= 2 {
			if fin.full() && hs[i].score*(1+1e-5) < fin.h[0].score {
				break
			}
			j := min(len(hs), i+n)
			ids = ids[:0]
			for _, h := range hs[i:j] {
				// Collected without keep when bounded: asked here, for the
				// batches looked up only.
				if !bounded || kept == nil || kept(h) {
					ids = append(ids, h.d)
				}
			}
			slices.Sort(ids)
			x.addLookups(ids, lookup, size, cells)
			for _, d := range ids {
				fin.offer(hit{d, x.intExt[d], jaccard(cells[d].acc, wq, x.norm[d]), cells[d].cnt &^ poolFlag})
			}
			i = j
		}
	}
	s.ids = ids[:0]
	s.pool = pool.h[:0]
	s.hits = fin.h
	return matches(fin.h)
}

// bestCands offers sel the candidates by partial score (a lower bound of
// their score); when bounded, only those already beating tau.
func (x *Index) bestCands(sel *selector, cand []int32, cells []cell, wq float32, bounded bool, tau float32) {
	// A partial score is at most the shared weight over wq: candidates
	// below floor (tau's and, once sel is full, its worst score's share of
	// wq, with slack for rounding in the norms) can neither beat tau nor
	// enter sel, and their norm and ordinal are not read.
	var tauFloor float32
	if bounded {
		tauFloor = tau * wq * (1 - 1e-3)
	}
	floor := tauFloor
	for _, d := range cand {
		a := cells[d].acc
		if a < floor {
			continue
		}
		wd := x.norm[d]
		if bounded && a*(1+tau) <= tau*(wq+wd) {
			continue
		}
		j := jaccard(a, wq, wd)
		if sel.full() && j < sel.h[0].score {
			continue
		}
		sel.offer(hit{d: d, ext: x.intExt[d], score: j})
		if sel.full() {
			floor = max(tauFloor, sel.h[0].score*wq*(1-1e-3))
		}
	}
}

// sortBest sorts hits best first.
func sortBest(h []hit) {
	slices.SortFunc(h, func(a, b hit) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
}

// atLeastK reports whether k of the candidates that keep accepts score
// above tau by the weight they share so far (a lower bound of their score).
// It counts without keep first: a check that fails (most do) then costs no
// keep calls.
func (x *Index) atLeastK(cand []int32, cells []cell, wq, tau float32, keep func(hit) bool, k int) bool {
	// jaccard > tau, without dividing; a title sharing less than tau's
	// share of wq cannot pass (the slack covers rounding in the norms), and
	// its norm is not read.
	floor := tau * wq * (1 - 1e-3)
	above := func(d int32) bool {
		a := cells[d].acc
		return a >= floor && a*(1+tau) > tau*(wq+x.norm[d])
	}
	n := 0
	for _, d := range cand {
		if above(d) {
			n++
		}
	}
	if n < k {
		return false
	}
	if keep == nil {
		return true
	}
	n = 0
	for _, d := range cand {
		if above(d) && keep(hit{d: d, ext: x.intExt[d]}) {
			if n++; n == k {
				return true
			}
		}
	}
	return false
}

// addLookups adds the lookup-only terms to the candidates ids (sorted, all
// in the requested groups, which hold size titles).
func (x *Index) addLookups(ids []int32, lookup []qterm, size int, cells []cell) {
	if len(ids) == 0 {
		return
	}
	for _, t := range lookup {
		if t.rdf == size { // in every title of the groups (the product's name, say)
			for _, d := range ids {
				cells[d].acc += t.w
				cells[d].cnt++
			}
			continue
		}
		p := x.postings(t.id)
		j := 0
		for _, d := range ids {
			j = gallop(p, j, d)
			if j == len(p) {
				break
			}
			if p[j] == d {
				cells[d].acc += t.w
				cells[d].cnt++
				j++
			}
		}
	}
}

func matches(h []hit) []Match {
	sortBest(h)
	out := make([]Match, len(h))
	for i, e := range h {
		out[i] = Match{ID: e.ext, Score: e.score, Shared: int(e.n)}
	}
	return out
}
