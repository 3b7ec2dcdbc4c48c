// Package similar is an in-memory index of product titles for finding
// substitutes (Similar) and for the library search box (Search).
//
// # Terms
//
// Chinese titles have no spaces, so a title is cut into CJK character bigrams
// plus lower-cased ASCII/digit words; see Terms for the exact rules
// (full-width folding, punctuation/emoji stripping, one-character runs).
//
// # Layout
//
// Add records each title's distinct term ids in a temporary forward buffer.
// Freeze renumbers the titles internally so that each group (leaf category)
// is one contiguous range of internal ids, ordered by ordinal inside the
// group, and writes one sorted []int32 posting list of internal ids per term
// into a single arena. A query limited to a few groups therefore reads only
// the slice of each posting list that falls in those groups (two binary
// searches per term and group). The term dictionary is a sorted []uint64 of
// packed CJK keys (two runes, no strings) and a sorted, concatenated list of
// words; a term id is a position in it. Per title the index keeps its
// internal↔ordinal mapping and its weight norm: 12 bytes. Postings cost
// 4 bytes per distinct term of a title (about 21 for a 30-character title)
// and the dictionary about 16 bytes per distinct term. On the benchmark
// corpus (1M titles, 30 characters on average, 506k distinct terms) the
// frozen index holds 103 MB of live heap (BenchmarkSimilar's index-MB);
// every further million distinct terms would add about 16 MB. Building
// costs more than that for a while: the forward buffer (4 bytes per posting)
// and the arena coexist in Freeze, and the process peaked at 323 MB RSS
// building the benchmark corpus.
//
// # Weights and scores
//
// A term's weight is its BM25 inverse document frequency,
// ln(1 + (N − df + 0.5)/(df + 0.5)): a term in nearly every title (包邮, 正品,
// 2026) weighs close to 0, one in 1 title of 10,000 about 9. Similar scores
// by weighted Jaccard: Σ w(shared) / Σ w(terms of either title), in [0, 1],
// 1 for identical term sets. See Similar for the candidate caps.
//
// # Concurrency
//
// Add and Freeze must not run concurrently with anything. After Freeze the
// index is read-only and any number of goroutines may call Similar and
// Search; each query borrows scratch space (about 8 bytes per title for
// Similar, 1 bit per title for Search): the index keeps one aside that the
// collector does not take (a sync.Pool is emptied by every other collection,
// and a card in a 100k-title category would allocate and clear ~1 MB again),
// and queries running at once take more from a sync.Pool.
package similar

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

const (
	// maxTitleTerms caps the terms read from one title (and one query);
	// the rest of a longer text is ignored.
	maxTitleTerms = 4096
	// chunkLen is the length of one block of the build-time forward buffer.
	chunkLen = 1 << 20
	wordFlag = 1 << 63
)

// Index maps item ordinals to their title terms. The zero value is not
// usable; call NewIndex.
type Index struct {
	b      *builder // build state; nil after Freeze
	frozen bool

	n          int       // titles added
	keys       []uint64  // sorted CJK term keys; term id = position
	wordData   string    // words, sorted and concatenated
	wordOff    []uint32  // word i is wordData[wordOff[i]:wordOff[i+1]]; its term id is len(keys)+i
	byR2       []uint32  // ids of CJK bigram terms ordered by (second rune, first rune)
	off        []uint32  // term t's postings are post[off[t]:off[t+1]]
	post       []int32   // posting lists of internal ids
	norm       []float32 // Σ weight of the title's terms, by internal id
	intExt     []int32   // internal id → ordinal
	extInt     []int32   // ordinal → internal id, -1 when never added
	identity   bool      // internal id == ordinal for all titles
	groupIDs   []int32   // distinct groups, sorted
	groupStart []int32   // group groupIDs[i] is internal ids [groupStart[i], groupStart[i+1])

	lim   limits
	spare atomic.Pointer[scratch] // one scratch kept between queries
	pool  sync.Pool               // *scratch, beyond the spare
	alloc func(n int) []byte      // during FreezeIn
}

type builder struct {
	cjk      map[uint64]uint32 // CJK key → temporary term id
	words    map[string]uint32 // word → temporary term id
	tmpKey   []uint64          // temporary term id → CJK key, or wordFlag|index in wordList
	wordList []string
	df       []uint32 // temporary term id → titles containing it

	chunks   [][]uint32 // forward buffer: each title's distinct temporary term ids
	docStart []uint32   // title (in Add order) → chunk*chunkLen + offset
	docLen   []uint16
	docExt   []int32
	docGroup []int32
	lastID   int32

	toks []tok
	wb   []byte
	ids  []uint32
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{b: &builder{
		cjk:    make(map[uint64]uint32),
		words:  make(map[string]uint32),
		lastID: -1,
	}, lim: defaultLimits}
}

// Add indexes title for ordinal id in group (for example the item's leaf
// category). Ordinals must be added in increasing order, each once; gaps are
// allowed. Groups are arbitrary non-negative int32s (they need not be dense).
// Add panics after Freeze, for a non-increasing id or a negative group. It is
// not safe for concurrent use.
func (x *Index) Add(id int32, group int32, title string) {
	if x.frozen {
		panic("similar: Add after Freeze")
	}
	b := x.b
	if id <= b.lastID {
		panic("similar: Add ordinals must increase")
	}
	if group < 0 {
		panic("similar: negative group")
	}
	b.lastID = id
	b.toks, b.wb = appendTokens(b.toks[:0], b.wb[:0], title)
	toks := b.toks
	if len(toks) > maxTitleTerms {
		toks = toks[:maxTitleTerms]
	}
	ids := b.ids[:0]
	for _, t := range toks {
		var tid uint32
		var ok bool
		if t.key != 0 {
			if tid, ok = b.cjk[t.key]; !ok {
				tid = uint32(len(b.tmpKey))
				b.cjk[t.key] = tid
				b.tmpKey = append(b.tmpKey, t.key)
				b.df = append(b.df, 0)
			}
		} else {
			w := b.wb[t.ws:t.we]
			if tid, ok = b.words[string(w)]; !ok {
				s := string(w)
				tid = uint32(len(b.tmpKey))
				b.words[s] = tid
				b.tmpKey = append(b.tmpKey, wordFlag|uint64(len(b.wordList)))
				b.wordList = append(b.wordList, s)
				b.df = append(b.df, 0)
			}
		}
		ids = append(ids, tid)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	b.ids = ids
	for _, t := range ids {
		b.df[t]++
	}
	last := len(b.chunks) - 1
	if last < 0 || len(b.chunks[last])+len(ids) > chunkLen {
		b.chunks = append(b.chunks, make([]uint32, 0, 4096))
		last++
	}
	b.docStart = append(b.docStart, uint32(last*chunkLen+len(b.chunks[last])))
	b.chunks[last] = append(b.chunks[last], ids...)
	b.docLen = append(b.docLen, uint16(len(ids)))
	b.docExt = append(b.docExt, id)
	b.docGroup = append(b.docGroup, group)
}

func (b *builder) doc(d int) []uint32 {
	s := b.docStart[d]
	c := b.chunks[s/chunkLen]
	o := s % chunkLen
	return c[o : o+uint32(b.docLen[d])]
}

// idf is the weight of a term found in df of n titles.
func idf(n, df int) float32 {
	return float32(math.Log(1 + (float64(n-df)+0.5)/(float64(df)+0.5)))
}

// FreezeIn is Freeze with the index's largest arrays (postings, norms, the
// id maps) in memory from alloc, which returns n zeroed bytes aligned for
// 4-byte values: memory outside the Go heap, say, that the caller gives
// back once the index is unreachable. nil means the heap.
func (x *Index) FreezeIn(alloc func(n int) []byte) {
	x.alloc = alloc
	x.Freeze()
	x.alloc = nil
}

// make32 returns n zeroed 4-byte values from x.alloc (the heap without one).
func make32[T int32 | uint32 | float32](x *Index, n int) []T {
	if x.alloc == nil || n == 0 {
		return make([]T, n)
	}
	b := x.alloc(4 * n)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// Freeze builds the query structures and drops the build state. After
// Freeze the index is read-only and safe for concurrent queries. Calling it
// again does nothing.
func (x *Index) Freeze() {
	if x.frozen {
		return
	}
	b := x.b
	nt := len(b.tmpKey)

	// Dictionary: CJK keys sorted, then words sorted; remap temporary ids.
	var cjkIDs, wordIDs []uint32
	for t, k := range b.tmpKey {
		if k&wordFlag != 0 {
			wordIDs = append(wordIDs, uint32(t))
		} else {
			cjkIDs = append(cjkIDs, uint32(t))
		}
	}
	slices.SortFunc(cjkIDs, func(p, q uint32) int { return cmp.Compare(b.tmpKey[p], b.tmpKey[q]) })
	word := func(t uint32) string { return b.wordList[b.tmpKey[t]&^wordFlag] }
	slices.SortFunc(wordIDs, func(p, q uint32) int { return strings.Compare(word(p), word(q)) })
	remap := make([]uint32, nt)
	x.keys = make([]uint64, len(cjkIDs))
	for i, t := range cjkIDs {
		x.keys[i] = b.tmpKey[t]
		remap[t] = uint32(i)
	}
	var sb strings.Builder
	x.wordOff = make([]uint32, len(wordIDs)+1)
	for i, t := range wordIDs {
		sb.WriteString(word(t))
		x.wordOff[i+1] = uint32(sb.Len())
		remap[t] = uint32(len(cjkIDs) + i)
	}
	x.wordData = sb.String()
	cjkIDs, wordIDs = nil, nil
	b.cjk, b.words, b.wordList = nil, nil, nil

	// Bigrams by second rune, for one-character searches.
	swapped := make([]uint64, 0, len(x.keys))
	for _, k := range x.keys {
		if r2 := k & runeMask; r2 != 0 {
			swapped = append(swapped, r2<<runeBits|k>>runeBits)
		}
	}
	slices.Sort(swapped)
	x.byR2 = make([]uint32, len(swapped))
	for i, s := range swapped {
		j, _ := slices.BinarySearch(x.keys, (s&runeMask)<<runeBits|s>>runeBits)
		x.byR2[i] = uint32(j)
	}
	swapped = nil

	// Posting offsets.
	x.off = make([]uint32, nt+1)
	for t, df := range b.df {
		x.off[remap[t]+1] = df
	}
	for t := range nt {
		x.off[t+1] += x.off[t]
	}
	b.df = nil

	// Internal ids: by group, then by ordinal.
	n := len(b.docExt)
	x.n = n
	counts := make(map[int32]int32)
	for _, g := range b.docGroup {
		counts[g]++
	}
	x.groupIDs = make([]int32, 0, len(counts))
	for g := range counts {
		x.groupIDs = append(x.groupIDs, g)
	}
	slices.Sort(x.groupIDs)
	x.groupStart = make([]int32, len(x.groupIDs)+1)
	next := make(map[int32]int32, len(counts))
	for i, g := range x.groupIDs {
		next[g] = x.groupStart[i]
		x.groupStart[i+1] = x.groupStart[i] + counts[g]
	}
	docOfInt := make([]int32, n)
	x.intExt = make32[int32](x, n)
	lastG, lastI := int32(-1), int32(0)
	for d, g := range b.docGroup {
		if g != lastG {
			if lastG >= 0 {
				next[lastG] = lastI
			}
			lastG, lastI = g, next[g]
		}
		docOfInt[lastI] = int32(d)
		x.intExt[lastI] = b.docExt[d]
		lastI++
	}
	x.extInt = make32[int32](x, int(b.lastID+1))
	for i := range x.extInt {
		x.extInt[i] = -1
	}
	x.identity = len(x.extInt) == n
	for i, e := range x.intExt {
		x.extInt[e] = int32(i)
		if e != int32(i) {
			x.identity = false
		}
	}
	b.docExt, b.docGroup = nil, nil

	// Postings and norms, title by title in internal order, so that every
	// posting list comes out sorted.
	w := make([]float32, nt)
	for t := range nt {
		w[t] = idf(n, int(x.off[t+1]-x.off[t]))
	}
	cur := slices.Clone(x.off[:nt])
	x.post = make32[int32](x, int(x.off[nt]))
	x.norm = make32[float32](x, n)
	for i, d := range docOfInt {
		var s float32
		for _, t := range b.doc(int(d)) {
			f := remap[t]
			x.post[cur[f]] = int32(i)
			cur[f]++
			s += w[f]
		}
		x.norm[i] = s
	}
	x.b = nil
	x.frozen = true
}

// Len returns the number of titles added.
func (x *Index) Len() int {
	if x.frozen {
		return x.n
	}
	return len(x.b.docExt)
}

// SizeBytes returns the approximate memory held by a frozen index (the
// slices' lengths; 0 before Freeze).
func (x *Index) SizeBytes() int64 {
	if !x.frozen {
		return 0
	}
	return int64(8*len(x.keys) + len(x.wordData) + 4*(len(x.wordOff)+len(x.byR2)+len(x.off)+len(x.post)+
		len(x.norm)+len(x.intExt)+len(x.extInt)+len(x.groupIDs)+len(x.groupStart)))
}

func (x *Index) mustFrozen() {
	if !x.frozen {
		panic("similar: query before Freeze")
	}
}

func (x *Index) postings(t uint32) []int32 { return x.post[x.off[t]:x.off[t+1]] }

func (x *Index) df(t uint32) int { return int(x.off[t+1] - x.off[t]) }

// lookup returns the term id of a token, or false when no title has it.
func (x *Index) lookup(t tok, wb []byte) (uint32, bool) {
	if t.key != 0 {
		i, ok := slices.BinarySearch(x.keys, t.key)
		return uint32(i), ok
	}
	w := string(wb[t.ws:t.we])
	lo, hi := 0, len(x.wordOff)-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x.wordData[x.wordOff[m]:x.wordOff[m+1]] < w {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(x.wordOff)-1 && x.wordData[x.wordOff[lo]:x.wordOff[lo+1]] == w {
		return uint32(len(x.keys) + lo), true
	}
	return 0, false
}

// charTerms appends the ids of all terms containing CJK character c: its
// unigram and the bigrams starting or ending with it.
func (x *Index) charTerms(dst []uint32, c rune) []uint32 {
	lo, _ := slices.BinarySearch(x.keys, cjkKey(c, 0))
	hi, _ := slices.BinarySearch(x.keys, cjkKey(c+1, 0))
	for i := lo; i < hi; i++ {
		dst = append(dst, uint32(i))
	}
	r2 := uint64(c)
	lo2, hi2 := 0, len(x.byR2)
	for lo2 < hi2 { // first bigram whose second rune is ≥ c
		m := int(uint(lo2+hi2) >> 1)
		if x.keys[x.byR2[m]]&runeMask < r2 {
			lo2 = m + 1
		} else {
			hi2 = m
		}
	}
	for i := lo2; i < len(x.byR2) && x.keys[x.byR2[i]]&runeMask == r2; i++ {
		if t := x.byR2[i]; x.keys[t]>>runeBits != r2 { // (c, c) was added above
			dst = append(dst, t)
		}
	}
	return dst
}

// groupRange returns the internal id range of group g.
func (x *Index) groupRange(g int32) (lo, hi int32, ok bool) {
	i, found := slices.BinarySearch(x.groupIDs, g)
	if !found {
		return 0, 0, false
	}
	return x.groupStart[i], x.groupStart[i+1], true
}

// cell is a title's state in a Similar query: both fields side by side, so
// that adding a posting touches one cache line, not two.
type cell struct {
	acc  float32 // shared weight accumulated so far
	cnt  uint16  // shared terms; poolFlag marks the rerank pool
	keep uint16  // keep's answer once asked: keepYes or keepNo (0: not asked)
}

const (
	keepYes = 1
	keepNo  = 2
)

// scratch is per-query working space, pooled.
type scratch struct {
	toks []tok
	wb   []byte
	q    []qterm
	segs []span
	rng  []span
	unk  []uint64
	unkw []string

	cells []cell // Similar: by internal id, the weight and terms shared so far
	cand  []int32
	hits  []hit
	pool  []hit
	pre   []hit
	ids   []int32
	suf   []float64 // Similar: suffix sums of the query's weights

	bits  []uint64 // Search: a bitmap of ids
	buf   []int32
	terms []uint32
}

func (x *Index) getScratch() *scratch {
	if s := x.spare.Swap(nil); s != nil {
		return s
	}
	if s, ok := x.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}

func (x *Index) putScratch(s *scratch) {
	if !x.spare.CompareAndSwap(nil, s) {
		x.pool.Put(s)
	}
}

// span is a half-open range [a, b).
type span struct{ a, b int32 }

// gallop returns the first index ≥ j at which p[index] ≥ v (len(p) if none),
// probing 1, 2, 4, … ahead of j and then bisecting.
func gallop(p []int32, j int, v int32) int {
	if j >= len(p) || p[j] >= v {
		return j
	}
	lo, step := j, 1 // p[lo] < v
	hi := lo + step
	for hi < len(p) && p[hi] < v {
		lo = hi
		step <<= 1
		hi = lo + step
	}
	if hi > len(p) {
		hi = len(p)
	}
	// p[lo] < v, p[hi] ≥ v or hi == len(p)
	for lo+1 < hi {
		m := int(uint(lo+hi) >> 1)
		if p[m] < v {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// lowerBound returns the first index at which p[index] ≥ v.
func lowerBound(p []int32, v int32) int {
	lo, hi := 0, len(p)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
