package catalog_test

import (
	"context"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// reference keeps every observation, as the naive design would.
type reference map[catalog.Key]map[int64]catalog.Observation

func (r reference) sorted(k catalog.Key) []catalog.Observation {
	var out []catalog.Observation
	for _, o := range r[k] {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// bruteAt: the latest observation at or before t.
func bruteAt(all []catalog.Observation, t int64) (catalog.Observation, bool) {
	var best catalog.Observation
	ok := false
	for _, o := range all {
		if o.At <= t && (!ok || o.At > best.At) {
			best, ok = o, true
		}
	}
	return best, ok
}

// bruteMin: the lowest final price in effect at any moment of [a, b], and
// the earliest such moment. The price can only change at observation times,
// so the moments to look at are a and every observation time in (a, b].
func bruteMin(all []catalog.Observation, a, b int64) (price, at int64, ok bool) {
	moments := []int64{a}
	for _, o := range all {
		if o.At > a && o.At <= b {
			moments = append(moments, o.At)
		}
	}
	sort.Slice(moments, func(i, j int) bool { return moments[i] < moments[j] })
	for _, m := range moments {
		o, in := bruteAt(all, m)
		if in && (!ok || o.FinalPrice < price) {
			price, at, ok = o.FinalPrice, m, true
		}
	}
	return
}

func randomMarket(rng *rand.Rand, items int) (keys []catalog.Key, recs []catalog.Record) {
	base := int64(1_700_000_000)
	for i := 0; i < items; i++ {
		k := catalog.Key{Platform: catalog.Platforms[i%4], ItemID: strconv.Itoa(600000000000 + i)}
		keys = append(keys, k)
		n := 1 + rng.IntN(700) // some items span several chunks
		if i%5 == 0 {
			n = 1 + rng.IntN(5)
		}
		list := int64(1000 + rng.IntN(50000))
		o := catalog.Observation{ListPrice: list, FinalPrice: list, CommissionRate: 2000, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}
		t := base + int64(rng.IntN(86400))
		for j := 0; j < n; j++ {
			t += 1 + int64(rng.IntN(7200))
			if rng.IntN(4) == 0 { // prices hold most of the time
				o.CouponAmount = int64(rng.IntN(5)) * 500
				o.FinalPrice = max(0, list-o.CouponAmount-int64(rng.IntN(300)))
				o.CommissionRate = int64(100 + rng.IntN(5000))
				o.CommissionType = catalog.CommissionType(rng.IntN(5))
				o.CouponEnd = t + int64(rng.IntN(86400*3))
			}
			o.At = t
			o.Sales30 += int64(rng.IntN(50))
			o.Sales2h = int64(rng.IntN(20)) - 1
			o.CouponRemain = int64(rng.IntN(1000)) - 1
			recs = append(recs, catalog.Record{Item: catalog.Item{Platform: k.Platform, ItemID: k.ItemID, Title: "测试商品 " + k.ItemID}, Obs: o})
		}
	}
	return keys, recs
}

func TestHistoryMatchesBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(7, 11))
		s := catalog.NewStore(db)
		keys, recs := randomMarket(rng, 24)
		ref := reference{}
		// Arrive in random order and in random batches, some re-sent with
		// other values (later wins), compacting now and then.
		rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		for len(recs) > 0 {
			n := min(len(recs), 1+rng.IntN(2500))
			batch := recs[:n]
			recs = recs[n:]
			if rng.IntN(3) == 0 && n > 10 { // a re-import with one value changed
				dup := batch[rng.IntN(n)]
				dup.Obs.Sales30 += 7
				batch = append(batch, dup)
			}
			if _, err := s.Ingest(ctx, batch); err != nil {
				t.Fatal(err)
			}
			for _, r := range batch {
				if ref[r.Item.Key()] == nil {
					ref[r.Item.Key()] = map[int64]catalog.Observation{}
				}
				ref[r.Item.Key()][r.Obs.At] = r.Obs
			}
			if rng.IntN(2) == 0 {
				if _, err := s.Compact(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		check := func(stage string) {
			for _, k := range keys {
				all := ref.sorted(k)
				it, err := s.Find(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				whole, err := s.Observations(ctx, it.ID, 0, catalog.Forever)
				if err != nil {
					t.Fatal(err)
				}
				if len(whole) != len(all) {
					t.Fatalf("%s %s: %d observations, want %d", stage, k, len(whole), len(all))
				}
				for i := range all {
					if whole[i] != all[i] {
						t.Fatalf("%s %s obs %d: got %+v want %+v", stage, k, i, whole[i], all[i])
					}
				}
				lo, hi := all[0].At-3600, all[len(all)-1].At+3600
				for q := 0; q < 30; q++ {
					a := lo + rng.Int64N(hi-lo)
					b := a + rng.Int64N(hi-a+1)
					if q%7 == 0 { // windows that start on an observation
						a = all[rng.IntN(len(all))].At
						b = a + rng.Int64N(hi-a+1)
					}
					win, err := s.Observations(ctx, it.ID, a, b)
					if err != nil {
						t.Fatal(err)
					}
					wantO, wantOK := bruteAt(all, b)
					gotO, gotOK := catalog.At(win, b)
					if gotOK != wantOK || gotO != wantO {
						t.Fatalf("%s %s At(%d): got %v %+v want %v %+v", stage, k, b, gotOK, gotO, wantOK, wantO)
					}
					wp, wat, wok := bruteMin(all, a, b)
					e, ok := catalog.MinFinal(win, a, b)
					if ok != wok || (ok && (e.Price != wp || e.At != wat)) {
						t.Fatalf("%s %s MinFinal[%d,%d]: got %v %d@%d want %v %d@%d", stage, k, a, b, ok, e.Price, e.At, wok, wp, wat)
					}
					var wantPts int
					for _, o := range all {
						if o.At >= a && o.At <= b {
							wantPts++
						}
					}
					if pts := catalog.SalesCurve(win, a, b); len(pts) != wantPts {
						t.Fatalf("%s %s SalesCurve[%d,%d]: %d points, want %d", stage, k, a, b, len(pts), wantPts)
					}
				}
			}
		}
		check("before final compaction")
		if _, err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.PendingObservations(ctx); n != 0 {
			t.Fatalf("%d observations still pending after Compact", n)
		}
		check("compacted")
	})
}

func TestReimportChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := catalog.NewStore(db)
		_, recs := randomMarket(rand.New(rand.NewPCG(1, 2)), 6)
		if _, err := s.Ingest(ctx, recs); err != nil {
			t.Fatal(err)
		}
		first, err := s.Compact(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first.NewTimes != len(recs) || first.PriceChanges == 0 {
			t.Fatalf("first import: %+v for %d records", first, len(recs))
		}
		before := dumpHistory(t, db)
		st, err := catalog.NewStore(db).Ingest(ctx, recs) // a fresh process: no cache
		if err != nil {
			t.Fatal(err)
		}
		if st.ItemsNew != 0 || st.ItemsUpdated != 0 {
			t.Fatalf("re-import touched items: %+v", st)
		}
		again, err := s.Compact(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.NewTimes != 0 || again.PriceChanges != 0 || again.Items != 0 || again.Unchanged != len(recs) {
			t.Fatalf("re-import changed history: %+v", again)
		}
		if after := dumpHistory(t, db); after != before {
			t.Fatal("re-import rewrote stored history")
		}
	})
}

func dumpHistory(t *testing.T, db *store.DB) string {
	rows, err := db.Query(`SELECT item, t0, t1, n, data FROM item_history ORDER BY item, t0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var item, t0, t1, n int64
		var data []byte
		if err := rows.Scan(&item, &t0, &t1, &n, &data); err != nil {
			t.Fatal(err)
		}
		out = strconv.AppendInt(out, item+t0+t1+n, 10)
		out = append(out, data...)
	}
	return string(out)
}

func TestRollbackLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := catalog.NewStore(db)
		_, recs := randomMarket(rand.New(rand.NewPCG(3, 4)), 3)
		w, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(recs); err != nil {
			t.Fatal(err)
		}
		w.Rollback()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM items`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback: %d items (%v)", n, err)
		}
		// The cache must not remember ids from the abandoned transaction.
		if _, err := s.Ingest(ctx, recs[:1]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Find(ctx, recs[0].Item.Key()); err != nil {
			t.Fatal(err)
		}
	})
}

// Asked for more categories than one query may name (SQLite takes 32,766
// parameters; an import that touched that many is reloaded by a following
// server), the scan still returns just their items.
func TestEachHistoryInManyCategories(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(storetest.SQLite(t))
	var recs []catalog.Record
	for i, cat := range []string{"a", "b", "c"} {
		recs = append(recs, catalog.Record{Item: catalog.Item{Platform: catalog.JD, ItemID: strconv.Itoa(i + 1), Title: "x", CategoryPath: cat},
			Obs: catalog.Observation{At: 86400, ListPrice: 100, FinalPrice: 100, Sales2h: catalog.Unknown, CouponRemain: catalog.Unknown}})
	}
	if _, err := s.Ingest(ctx, recs); err != nil {
		t.Fatal(err)
	}
	cats := []string{"a", "c"}
	for i := range 33000 {
		cats = append(cats, "无此类目"+strconv.Itoa(i))
	}
	var got []string
	err := s.EachHistoryIn(ctx, cats, func(it *catalog.StoredItem, _ []catalog.Observation) error {
		got = append(got, it.CategoryPath)
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("items of %v (%v), want those of a and c", got, err)
	}
}
