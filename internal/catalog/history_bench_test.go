package catalog_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store/storetest"
)

// BenchmarkObservations reads one item's whole history, as a card does:
// 2,000 items of a year of daily snapshots (365 observations, two chunks),
// compacted, read in random order. The store fits the page cache, so this
// is the read's CPU: the statements, the chunk copies and the decoding.
func BenchmarkObservations(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	s := catalog.NewStore(db)
	const items, days = 2000, 365
	rng := rand.New(rand.NewPCG(3, 5))
	base := int64(1_760_000_000)
	var recs []catalog.Record
	for i := range items {
		it := catalog.Item{Platform: catalog.Taobao, ItemID: strconv.Itoa(700000000000 + i), Title: "商品 " + strconv.Itoa(i)}
		list := int64(1000 + rng.IntN(50000))
		o := catalog.Observation{ListPrice: list, FinalPrice: list, CommissionRate: 2000, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}
		for d := range days {
			if rng.IntN(10) == 0 {
				o.CouponAmount = int64(rng.IntN(5)) * 500
				o.FinalPrice = max(1, list-o.CouponAmount)
			}
			o.At = base + int64(d)*86400
			o.Sales30 += int64(rng.IntN(50))
			recs = append(recs, catalog.Record{Item: it, Obs: o})
		}
		if len(recs) >= 100_000 || i == items-1 {
			if _, err := s.Ingest(ctx, recs); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if _, err := s.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, items)
	for i := range ids {
		it, err := s.Find(ctx, catalog.Key{Platform: catalog.Taobao, ItemID: strconv.Itoa(700000000000 + i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = it.ID
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		obs, err := s.Observations(ctx, ids[rng.IntN(items)], 0, catalog.Forever)
		if err != nil || len(obs) != days {
			b.Fatal(len(obs), err)
		}
	}
	// The machine is shared: the process's CPU time says more than the
	// wall clock.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
