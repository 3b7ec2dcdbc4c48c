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
			if trial%2 == 0 { // structured: whole yuan, whole days, as feeds are
				o.ListPrice -= o.ListPrice % 100
				o.FinalPrice -= o.FinalPrice % 100
				o.CouponEnd -= o.CouponEnd % 86400
			}
			o.At = at
			// Counters in every shape a column form is chosen for: constant,
			// small noise, large steps, and rare outliers.
			switch trial % 4 {
			case 0:
				o.Sales30, o.Sales2h, o.CouponRemain = 500, Unknown, Unknown
			case 1:
				o.Sales30 = prev.Sales30 + rng.Int64N(20)
				o.Sales2h = rng.Int64N(8)
				o.CouponRemain = max(0, prev.CouponRemain-rng.Int64N(3))
			case 2:
				o.Sales30 = rng.Int64N(1e7) - 1
				o.Sales2h = rng.Int64N(100) - 1
				o.CouponRemain = rng.Int64N(1e5) - 1
			default:
				o.Sales30 = prev.Sales30 + rng.Int64N(3)
				if rng.IntN(50) == 0 {
					o.Sales30 = rng.Int64N(MaxCounter)
				}
				o.Sales2h = rng.Int64N(3)
				o.CouponRemain = MaxCounter - rng.Int64N(2)
			}
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

// FuzzChunkRoundTrip: any observations within the valid domain decode back
// exactly.
func FuzzChunkRoundTrip(f *testing.F) {
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"), uint8(7))
	f.Add(make([]byte, 64), uint8(200))
	f.Fuzz(func(t *testing.T, seed []byte, n uint8) {
		src := rand.New(rand.NewPCG(uint64(len(seed)), uint64(n)))
		next := func(limit int64) int64 {
			if len(seed) > 0 {
				v := int64(seed[0])
				seed = seed[1:]
				if v%3 == 0 {
					return limit - 1 - v%2
				}
			}
			return src.Int64N(limit)
		}
		obs := make([]Observation, int(n)+1)
		at := int64(1_600_000_000)
		for i := range obs {
			at += 1 + next(1<<20)
			obs[i] = Observation{At: at, ListPrice: next(1e12), CouponAmount: next(1e9), CouponThreshold: next(1e9),
				CouponEnd: next(1 << 40), FinalPrice: next(1e12), CommissionRate: next(9001),
				CommissionType: CommissionType(next(5)), Sales30: next(MaxCounter + 1), Sales2h: next(MaxCounter+2) - 1,
				CouponRemain: next(MaxCounter+2) - 1}
			if i > 0 && next(2) == 0 {
				copyPrice(&obs[i], &obs[i-1])
			}
		}
		got, err := decodeChunk(nil, appendChunk(nil, obs))
		if err != nil {
			t.Fatal(err)
		}
		for i := range obs {
			if got[i] != obs[i] {
				t.Fatalf("obs %d: got %+v want %+v", i, got[i], obs[i])
			}
		}
	})
}

func TestCheckRejectsImplausibleValues(t *testing.T) {
	base := Record{Item: Item{Platform: Taobao, ItemID: "1"}, Obs: Observation{At: 1, ListPrice: 1000, FinalPrice: 900, Sales2h: Unknown, CouponRemain: Unknown}}
	if err := base.Check(); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	for name, mod := range map[string]func(*Record){
		"price":      func(r *Record) { r.Obs.ListPrice, r.Obs.FinalPrice = MaxPrice+1, MaxPrice+1 },
		"coupon":     func(r *Record) { r.Obs.CouponAmount = MaxPrice + 1 },
		"sales":      func(r *Record) { r.Obs.Sales30 = MaxCounter + 1 },
		"commission": func(r *Record) { r.Obs.CommissionRate = MaxCommissionRate + 1 },
		"final>list": func(r *Record) { r.Obs.FinalPrice = 1001 },
		"no id":      func(r *Record) { r.Item.ItemID = "" },
	} {
		r := base
		mod(&r)
		if err := r.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
