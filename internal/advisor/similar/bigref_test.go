package similar

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// bigRef is a brute-force scorer over a frozen index's own postings, in
// float64 and without any bound or cap: every title's score is computed.
type bigRef struct {
	x    *Index
	w    []float64 // by term id
	norm []float64 // by ordinal
}

func newBigRef(x *Index) *bigRef {
	r := &bigRef{x: x, w: make([]float64, len(x.off)-1), norm: make([]float64, len(x.extInt))}
	n := float64(x.n)
	for t := range r.w {
		df := float64(x.off[t+1] - x.off[t])
		r.w[t] = math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, d := range x.post[x.off[t]:x.off[t+1]] {
			r.norm[x.intExt[d]] += r.w[t]
		}
	}
	return r
}

type refHit struct {
	id     int32
	score  float64
	shared int
}

// top returns the k best titles for the terms of indexed title q (an
// ordinal) among those in(d) accepts, best first, ties by smaller ordinal.
func (r *bigRef) top(q int32, in func(int32) bool, k int) []refHit {
	x := r.x
	dq := x.extInt[q]
	var terms []int
	for t := range r.w {
		if _, ok := slices.BinarySearch(x.post[x.off[t]:x.off[t+1]], dq); ok {
			terms = append(terms, t)
		}
	}
	shared := make([]float64, len(x.extInt))
	count := make([]int, len(x.extInt))
	var wq float64
	for _, t := range terms {
		wq += r.w[t]
		for _, d := range x.post[x.off[t]:x.off[t+1]] {
			e := x.intExt[d]
			shared[e] += r.w[t]
			count[e]++
		}
	}
	var hs []refHit
	for e, s := range shared {
		if e := int32(e); s == 0 || e == q || !in(e) {
			continue
		}
		hs = append(hs, refHit{int32(e), s / (wq + r.norm[e] - s), count[e]})
	}
	slices.SortFunc(hs, func(a, b refHit) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	})
	return hs[:min(k, len(hs))]
}

// TestSimilarBigReference compares Similar with the brute-force scorer on
// one category of 120,000 synthetic titles (one title in 40 a near-copy of
// an earlier one) and on the same titles in four groups, with price-band
// keep filters: with the caps lifted the results must be the reference's,
// ordinal for ordinal wherever the reference has no near-tie; with the
// default caps nearly all of them.
func TestSimilarBigReference(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 240,000 titles")
	}
	const n, k = 120_000, 10
	c := newBenchCorpus(11)
	r := rand.New(rand.NewPCG(11, 12))
	titles := make([]string, n)
	prices := make([]float64, n)
	for i := range titles {
		switch {
		case i > 1000 && i%40 == 0: // a near-copy: one more word or a word fewer
			src := titles[r.IntN(i)]
			if f := strings.Fields(src); len(f) > 1 && r.IntN(2) == 0 {
				titles[i] = strings.Join(f[1:], " ")
			} else {
				titles[i] = src + " " + tAttrs[r.IntN(len(tAttrs))]
			}
		default:
			titles[i] = c.title(0)
		}
		prices[i] = 9900 * math.Exp(0.45*r.NormFloat64())
	}
	one, four := NewIndex(), NewIndex()
	for i, s := range titles {
		one.Add(int32(i), 0, s)
		four.Add(int32(i), int32(i%4), s)
	}
	one.Freeze()
	four.Freeze()
	refs := map[*Index]*bigRef{one: newBigRef(one), four: newBigRef(four)}
	uncapped := limits{perTermCap: 1 << 30, scanBudget: 1 << 30, rerankPool: rerankPool, extraCap: extraCap}

	for _, tc := range []struct {
		name   string
		x      *Index
		groups bool
		lim    limits
	}{
		{"one group, uncapped", one, false, uncapped},
		{"four groups, uncapped", four, true, uncapped},
		{"one group, default caps", one, false, defaultLimits},
		{"four groups, default caps", four, true, defaultLimits},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, ref := tc.x, refs[tc.x]
			x.lim = tc.lim
			defer func() { x.lim = defaultLimits }()
			exact := tc.lim == uncapped
			found, total := 0, 0
			for qi := range 120 {
				q := int32(qi*(n/120) + r.IntN(n/120))
				if qi%5 == 0 && q > 1000 { // a near-copy's original is likely among the results
					q = q - q%40
				}
				var gs []int32
				inGroups := func(int32) bool { return true }
				if tc.groups {
					gs = []int32{q % 4, (q + 1 + int32(qi%3)) % 4}
					inGroups = func(d int32) bool { return d%4 == gs[0] || d%4 == gs[1] }
				}
				var keep func(int32) bool
				in := inGroups
				if qi%4 != 3 { // a card's price band, half to double
					lo, hi := prices[q]/2, prices[q]*2
					keep = func(d int32) bool { return prices[d] >= lo && prices[d] <= hi }
					in = func(d int32) bool { return inGroups(d) && keep(d) }
				}
				got := x.Similar(titles[q], gs, keep, q, k)
				want := ref.top(q, in, k)
				if len(got) != len(want) {
					t.Fatalf("query %d: %d results, reference %d", q, len(got), len(want))
				}
				for i, m := range got {
					total++
					if !in(m.ID) || m.ID == q {
						t.Fatalf("query %d: result %d should be filtered out", q, m.ID)
					}
					if m.Score >= float32(want[len(want)-1].score-1e-5) {
						found++
					}
					if !exact {
						continue
					}
					w := want[i]
					if math.Abs(float64(m.Score)-w.score) > 1e-5 {
						t.Fatalf("query %d rank %d: score %v, reference %v", q, i, m.Score, w.score)
					}
					tie := i > 0 && want[i-1].score-w.score < 1e-5 || i+1 < len(want) && w.score-want[i+1].score < 1e-5
					if !tie && (m.ID != w.id || m.Shared != w.shared) {
						t.Fatalf("query %d rank %d: item %d sharing %d, reference %d sharing %d",
							q, i, m.ID, m.Shared, w.id, w.shared)
					}
				}
			}
			share := float64(found) / float64(total)
			t.Logf("%d results, %.4f of them in the reference top %d", total, share, k)
			if exact && share != 1 || share < 0.95 {
				t.Errorf("only %.4f of the results are in the reference top %d", share, k)
			}
		})
	}
}
