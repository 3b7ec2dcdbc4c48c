package catalog

import (
	"math/rand/v2"
	"testing"
)

func TestChunkRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 200; trial++ {
		n := rng.IntN(300)
		obs := make([]Observation, n)
		at := int64(rng.IntN(1 << 31))
		var prev Observation
		for i := range obs {
			at += 1 + int64(rng.IntN(100000))
			o := prev
			if i == 0 || rng.IntN(3) == 0 {
				o.ListPrice = rng.Int64N(1e8)
				o.FinalPrice = rng.Int64N(o.ListPrice + 1)
				o.CouponAmount = o.ListPrice - o.FinalPrice
				o.CouponThreshold = rng.Int64N(1e6)
				o.CouponEnd = at + rng.Int64N(1e6) - 5e5
				o.CommissionRate = rng.Int64N(9001)
				o.CommissionType = CommissionType(rng.IntN(5))
			}
			o.At = at
			o.Sales30 = rng.Int64N(1e7) - 1
			o.Sales2h = rng.Int64N(100) - 1
			o.CouponRemain = rng.Int64N(1e5) - 1
			obs[i], prev = o, o
		}
		b := appendChunk(nil, obs)
		got, err := decodeChunk(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("decoded %d of %d", len(got), n)
		}
		for i := range obs {
			if got[i] != obs[i] {
				t.Fatalf("obs %d: got %+v want %+v", i, got[i], obs[i])
			}
		}
	}
}

func TestChunkStoresOnlyChanges(t *testing.T) {
	// 200 daily observations with one price change: the price state must be
	// written twice, not 200 times.
	obs := make([]Observation, 200)
	for i := range obs {
		obs[i] = Observation{At: 1_700_000_000 + int64(i)*86400, ListPrice: 19900, FinalPrice: 15900,
			CouponAmount: 4000, CommissionRate: 2000, Sales30: 1000 + int64(i)*3, Sales2h: 5, CouponRemain: Unknown}
		if i >= 120 {
			obs[i].FinalPrice = 12900
		}
	}
	b := appendChunk(nil, obs)
	if len(b) > 2*len(obs) {
		t.Fatalf("200 observations with one price change took %d bytes", len(b))
	}
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add(appendChunk(nil, []Observation{{At: 1, ListPrice: 100, FinalPrice: 90}, {At: 5, ListPrice: 100, FinalPrice: 80}}))
	f.Add([]byte{1, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeChunk(nil, b) // must not panic or allocate without bound
	})
}
