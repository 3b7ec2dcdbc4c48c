package advisor

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
)

// bruteLowOutside evaluates every moment at which the answer can change
// (a, each observation time, each end of a skipped span), counting a moment
// only when it and the observation in effect at it are outside skip.
func bruteLowOutside(obs []catalog.Observation, a, b int64, skip []span) Low {
	moments := []int64{a}
	for _, o := range obs {
		moments = append(moments, o.At)
	}
	for _, s := range skip {
		moments = append(moments, s.to, s.from)
	}
	sort.Slice(moments, func(i, j int) bool { return moments[i] < moments[j] })
	var best Low
	for _, m := range moments {
		if m < a || m > b {
			continue
		}
		if inSpans(m, skip) {
			continue
		}
		o, ok := catalog.At(obs, m)
		if ok && !inSpans(o.At, skip) && (!best.OK || o.FinalPrice < best.Price) {
			best = Low{Price: o.FinalPrice, At: m, OK: true}
		}
	}
	return best
}

func TestLowOutsideMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 3000; trial++ {
		var obs []catalog.Observation
		at := int64(1000)
		for i := rng.IntN(30); i >= 0; i-- {
			at += 1 + rng.Int64N(100)
			obs = append(obs, catalog.Observation{At: at, FinalPrice: 100 + rng.Int64N(20)})
		}
		var skip []span
		s := int64(900)
		for i := rng.IntN(4); i > 0; i-- {
			s += rng.Int64N(400)
			e := s + 1 + rng.Int64N(300)
			skip = append(skip, span{s, e})
			s = e
		}
		a := 900 + rng.Int64N(at-800)
		b := a + rng.Int64N(at-a+200)
		got, want := lowOutside(obs, a, b, skip), bruteLowOutside(obs, a, b, skip)
		if got != want {
			t.Fatalf("trial %d [%d,%d] skip %v obs %v: got %+v want %+v", trial, a, b, skip, obs, got, want)
		}
		if len(skip) == 0 {
			if in := lowIn(obs, a, b); in != want {
				t.Fatalf("lowIn %+v, lowOutside %+v", in, want)
			}
		}
	}
}

func TestTypicalPriceIsTimeWeightedMedian(t *testing.T) {
	// 100 for 8 days, 50 for 1 day (a flash sale), 120 for 1 day: the usual price is 100.
	day := int64(86400)
	obs := []catalog.Observation{{At: 0, FinalPrice: 100}, {At: 8 * day, FinalPrice: 50}, {At: 9 * day, FinalPrice: 120}}
	if p, ok := typicalPrice(obs, 0, 10*day-1, nil); !ok || p != 100 {
		t.Fatalf("typical %d %v, want 100", p, ok)
	}
	// Skipping the first 8 days leaves 50 (1 day) and 120 (1 day): the lower half's top is 50.
	if p, ok := typicalPrice(obs, 0, 10*day-1, []span{{0, 8 * day}}); !ok || p != 50 {
		t.Fatalf("typical outside skip %d %v, want 50", p, ok)
	}
	if _, ok := typicalPrice(obs, 0, day, []span{{0, 2 * day}}); ok {
		t.Fatal("typical price of a fully skipped window")
	}
}
