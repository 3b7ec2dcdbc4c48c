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

// Candidate caps of Similar. Terms are taken rarest (heaviest) first. A term
// generates candidates (every title in its postings, inside the requested
// groups, gets its weight added) unless candidates exist already and either
// its postings in the requested groups exceed perTermCap or scanning them
// would take the candidate scan past scanBudget (so the first term with
// postings always generates candidates, however common). Such terms are
// "lookup-only": they are added, by galloping search in their postings, to
// the rerankPool best candidates by partial score and then to any other
// candidate whose score could still reach the k-th best (at most extraCap of
// them, best upper bound first). Titles that share only lookup-only terms
// with the query are never candidates; they score at most
// Σ w(lookup-only) / Σ w(query), which is small because those terms are the
// commonest ones. When nothing is lookup-only the result is exact: always
// when the query's postings inside the requested groups total at most
// scanBudget, e.g. any title of up to 30 terms in a group of 5,000 items.
// On the 1M-title benchmark corpus, unrestricted queries agree with an
// uncapped run on 98% of the top-10 slots, at ~1 ms instead of ~3.3 ms.
const (
	perTermCap = 50_000
	scanBudget = 150_000
	rerankPool = 256
	extraCap   = 1024
)

// limits holds the caps above; tests lower them to exercise the capped path.
type limits struct {
	perTermCap, scanBudget, rerankPool, extraCap int
}

var defaultLimits = limits{perTermCap, scanBudget, rerankPool, extraCap}

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
	keep func(int32) bool
}

func (s *selector) full() bool { return len(s.h) == s.k }

func (s *selector) offer(e hit) {
	if len(s.h) == s.k && !worse(s.h[0], e) {
		return
	}
	if s.keep != nil && !s.keep(e.ext) {
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
// with title are returned. keep is called only for items that would enter
// the result (or the rerank pool, or the extra candidates), not for every
// candidate.
//
// The score is the IDF-weighted Jaccard similarity of the two term sets (see
// the package comment for the weights). The work on very common terms is
// capped: terms are taken rarest first and generate candidates until one has
// more than 50,000 postings in the requested groups or the scan would pass
// 150,000 postings; the remaining (common, light) terms are only looked up
// for the 256 best candidates and for up to 1,024 others whose upper bound
// could still reach the top k. Within those caps (for example any title of
// up to 30 terms in a group of 5,000 items) the result is exact; beyond them
// an item sharing only common terms with title can be missed.
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

	if len(s.acc) < x.n {
		s.acc = make([]float32, x.n)
		s.cnt = make([]uint16, x.n)
	}
	acc, cnt := s.acc, s.cnt
	cand := s.cand[:0]
	defer func() {
		for _, d := range cand {
			acc[d], cnt[d] = 0, 0
		}
		s.cand = cand[:0]
	}()

	// Candidate generation, rarest terms first.
	var lookup []qterm // lookup-only terms; reuses the tail of q
	var rest float32   // their total weight
	scanned := 0
	li := 0
	for _, t := range q {
		if t.rdf == 0 {
			continue
		}
		if len(cand) > 0 && (t.rdf > x.lim.perTermCap || scanned+t.rdf > x.lim.scanBudget) {
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
				if cnt[d] == 0 {
					cand = append(cand, d)
				}
				cnt[d]++
				acc[d] += t.w
			}
		}
	}
	lookup = q[:li]
	if len(cand) == 0 {
		return nil
	}

	fin := selector{h: s.hits[:0], k: k, keep: keep}
	if len(lookup) == 0 {
		for _, d := range cand {
			fin.offer(hit{d, x.intExt[d], jaccard(acc[d], wq, x.norm[d])})
		}
		s.hits = fin.h
		return x.matches(fin.h, cnt)
	}

	// Rerank pool: the best candidates by partial score (a lower bound).
	pool := selector{h: s.pool[:0], k: max(x.lim.rerankPool, k), keep: keep}
	for _, d := range cand {
		pool.offer(hit{d, x.intExt[d], jaccard(acc[d], wq, x.norm[d])})
	}
	ids := s.ids[:0]
	for _, h := range pool.h {
		ids = append(ids, h.d)
		cnt[h.d] |= poolFlag
	}
	slices.Sort(ids)
	x.addLookups(ids, lookup, acc, cnt)
	for _, d := range ids {
		fin.offer(hit{d, x.intExt[d], jaccard(acc[d], wq, x.norm[d])})
	}
	if pool.full() {
		// Other candidates whose upper bound reaches the k-th best score.
		theta := float32(-1)
		if fin.full() {
			theta = fin.h[0].score
		}
		extra := selector{h: pool.h[:0], k: x.lim.extraCap}
		for _, d := range cand {
			if cnt[d]&poolFlag != 0 {
				continue
			}
			sh, wd := acc[d], x.norm[d]
			ub := jaccard(sh+min(rest, wd-sh), wq, wd)
			if ub >= theta {
				extra.offer(hit{d, x.intExt[d], ub})
			}
		}
		ids = ids[:0]
		for _, h := range extra.h {
			if keep == nil || keep(h.ext) {
				ids = append(ids, h.d)
			}
		}
		slices.Sort(ids)
		x.addLookups(ids, lookup, acc, cnt)
		fin.keep = nil
		for _, d := range ids {
			fin.offer(hit{d, x.intExt[d], jaccard(acc[d], wq, x.norm[d])})
		}
	}
	s.ids = ids[:0]
	s.pool = pool.h[:0]
	s.hits = fin.h
	return x.matches(fin.h, cnt)
}

// addLookups adds the lookup-only terms to the candidates ids (sorted).
func (x *Index) addLookups(ids []int32, lookup []qterm, acc []float32, cnt []uint16) {
	if len(ids) == 0 {
		return
	}
	for _, t := range lookup {
		p := x.postings(t.id)
		j := 0
		for _, d := range ids {
			j = gallop(p, j, d)
			if j == len(p) {
				break
			}
			if p[j] == d {
				acc[d] += t.w
				cnt[d]++
				j++
			}
		}
	}
}

func (x *Index) matches(h []hit, cnt []uint16) []Match {
	slices.SortFunc(h, func(a, b hit) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	out := make([]Match, len(h))
	for i, e := range h {
		out[i] = Match{ID: e.ext, Score: e.score, Shared: int(cnt[e.d] &^ poolFlag)}
	}
	return out
}
