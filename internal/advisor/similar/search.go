package similar

import (
	"math"
	"math/bits"
	"slices"
)

// Search returns, in ascending ordinal order, the items whose titles contain
// every term of query (AND) and for which keep returns true (nil: all),
// skipping the first offset of them and returning at most limit; total is
// the exact number of matching items (keep applied), not capped. keep is
// called once for every item matching the terms, so total costs a call per
// match.
//
// The query is cut into terms like a title (see Terms):
//
//   - a CJK run of two or more characters matches titles containing all of
//     its bigrams: "保温" and "纸巾" exactly; "保温杯" titles with both 保温
//     and 温杯, which is nearly always the phrase itself but could be
//     "保温…温杯" (the index keeps no positions);
//   - a single CJK character (a one-character run: "杯", or "保 温") matches
//     titles containing that character anywhere: the union of the postings of
//     its unigram and of every bigram starting or ending with it, so no extra
//     unigram postings are stored;
//   - a word ("iphone15", "316", "5l", case-insensitive, full-width folded)
//     matches titles with that whole word: "iphone" does not match
//     "iphone15".
//
// A query with no terms (empty, punctuation only) matches nothing.
func (x *Index) Search(query string, keep func(int32) bool, offset, limit int) (ids []int32, total int) {
	x.mustFrozen()
	s := x.getScratch()
	defer x.putScratch(s)
	res := x.match(s, query)
	if len(res) == 0 {
		return nil, 0
	}

	// Ordinal order, keep, paging.
	offset = max(offset, 0)
	limit = min(max(limit, 0), math.MaxInt-offset) // offset+limit must not overflow
	emit := func(e int32) bool {                   // reports whether to go on
		if keep != nil && !keep(e) {
			return true
		}
		if total >= offset && total-offset < limit {
			ids = append(ids, e)
		}
		total++
		return keep != nil || total < offset+limit
	}
	// Few matches: map and sort them; many: a bitmap by ordinal (setting a
	// bit per match and scanning N/64 words beats sorting m > N/1024 ids).
	if x.identity || len(res)*16 < len(s.bits) {
		var ext []int32
		if x.identity {
			ext = res
		} else {
			ext = s.ids[:0]
			for _, d := range res {
				ext = append(ext, x.intExt[d])
			}
			slices.Sort(ext)
			s.ids = ext[:0]
		}
		for _, e := range ext {
			if !emit(e) {
				break
			}
		}
	} else {
		eb := s.bits[:(len(x.extInt)+63)/64]
		for _, d := range res {
			e := x.intExt[d]
			eb[e>>6] |= 1 << (e & 63)
		}
	scan:
		for wi, w := range eb {
			for w != 0 {
				if !emit(int32(wi<<6 | bits.TrailingZeros64(w))) {
					break scan
				}
				w &= w - 1
			}
		}
		clear(eb)
	}
	if keep == nil {
		total = len(res)
	}
	return ids, total
}

// match returns the internal ids of the items matching query, sorted: a
// posting list of the index or s.buf.
func (x *Index) match(s *scratch, query string) []int32 {
	s.toks, s.wb = appendTokens(s.toks[:0], s.wb[:0], query)
	toks := s.toks
	if len(toks) == 0 || x.n == 0 {
		return nil
	}
	if len(toks) > maxTitleTerms {
		toks = toks[:maxTitleTerms]
	}
	// Plain terms (one posting list each) and characters (unions).
	terms := s.terms[:0]
	var chars []rune
	for _, t := range toks {
		if t.key != 0 && t.key&runeMask == 0 {
			chars = append(chars, rune(t.key>>runeBits))
			continue
		}
		id, ok := x.lookup(t, s.wb)
		if !ok {
			s.terms = terms
			return nil
		}
		terms = append(terms, id)
	}
	slices.SortFunc(terms, func(a, b uint32) int {
		if c := x.df(a) - x.df(b); c != 0 {
			return c
		}
		return int(a) - int(b)
	})
	terms = slices.Compact(terms)
	slices.Sort(chars)
	chars = slices.Compact(chars)
	s.terms = terms

	nw := (x.n + 63) / 64
	if cap(s.bits) < max(nw, (len(x.extInt)+63)/64) {
		s.bits = make([]uint64, max(nw, (len(x.extInt)+63)/64))
	}
	bm := s.bits[:nw]

	// Intersect the plain lists, smallest first, into res.
	var res []int32
	if len(terms) > 0 {
		res = x.postings(terms[0])
		if len(terms) > 1 {
			buf := s.buf[:0]
			buf = intersect(buf, res, x.postings(terms[1]))
			for _, t := range terms[2:] {
				if len(buf) == 0 {
					break
				}
				buf = intersect(buf[:0], buf, x.postings(t))
			}
			s.buf = buf
			res = buf
		}
	}
	// Characters: build each one's bitmap and filter (or, first, fill) res.
	var ctids []uint32
	for ci, c := range chars {
		if len(terms) > 0 || ci > 0 {
			if len(res) == 0 {
				break
			}
		}
		ctids = x.charTerms(ctids[:0], c)
		for _, t := range ctids {
			for _, d := range x.postings(t) {
				bm[d>>6] |= 1 << (d & 63)
			}
		}
		if len(terms) == 0 && ci == 0 {
			buf := s.buf[:0]
			for wi, w := range bm {
				for w != 0 {
					buf = append(buf, int32(wi<<6|bits.TrailingZeros64(w)))
					w &= w - 1
				}
			}
			s.buf = buf
			res = buf
		} else {
			// res may be a posting list: filter into buf (in place if res is buf).
			buf := s.buf[:0]
			for _, d := range res {
				if bm[d>>6]&(1<<(d&63)) != 0 {
					buf = append(buf, d)
				}
			}
			s.buf = buf
			res = buf
		}
		clear(bm)
	}
	return res
}

// Each calls fn for every item matching query, in ascending ordinal order,
// as Search would return them, without collecting them.
func (x *Index) Each(query string, fn func(id int32)) {
	x.Matching(query, func(ids []int32) {
		for _, id := range ids {
			fn(id)
		}
	})
}

// Matching calls fn once with the ordinals of every item matching query, in
// ascending order, as Search would return them (none: an empty slice). The
// slice is the index's own or scratch space: fn must neither change nor keep
// it. When ordinals are the internal ids (items added as 0, 1, 2, … in one
// group, as the advisor's shards do) a one-term query costs no copy: the
// slice is the term's posting list, and its length is the count.
func (x *Index) Matching(query string, fn func(ids []int32)) {
	x.mustFrozen()
	s := x.getScratch()
	defer x.putScratch(s)
	res := x.match(s, query)
	if x.identity || len(res) == 0 {
		fn(res)
		return
	}
	ext := s.ids[:0]
	for _, d := range res {
		ext = append(ext, x.intExt[d])
	}
	slices.Sort(ext)
	s.ids = ext[:0]
	fn(ext)
}

// intersect appends to dst the values in both sorted lists a and b, walking
// a (the shorter one) and galloping in b. dst may be a[:0].
func intersect(dst, a, b []int32) []int32 {
	j := 0
	for _, v := range a {
		j = gallop(b, j, v)
		if j == len(b) {
			break
		}
		if b[j] == v {
			dst = append(dst, v)
			j++
		}
	}
	return dst
}
