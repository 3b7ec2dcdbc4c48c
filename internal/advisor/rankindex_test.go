package advisor_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// Issue 17: the indexed rankings must equal a scan of every entry for every
// ranking and filter shape, also once some items have gone stale and an
// import by another process changed some categories.
func TestRankIndexMatchesScan(t *testing.T) {
	advisor.ForceOffHeap(t) // as at scale: every array outside the heap
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 500
		m, s := loadDemo(t, db, n, 20)
		a := advisor.New(s, advisor.Options{})
		all := latest(m, n)
		rng := rand.New(rand.NewPCG(17, 3))
		compare := func(phase string) {
			t.Helper()
			nonEmpty := 0
			for qi := range 400 {
				pick := all[rng.IntN(n)]
				q := advisor.RankQuery{Kind: advisor.RankKinds[qi%len(advisor.RankKinds)], Limit: 1 + rng.IntN(60)}
				switch shape := (qi / len(advisor.RankKinds)) % 6; shape { // none, category, band + rate, category + band, brand, all
				case 1:
					q.Category = strings.Split(pick.it.CategoryPath, "/")[0]
				case 2:
					q.MinPrice, q.MaxPrice, q.MinRateBP = pick.now.FinalPrice/2, pick.now.FinalPrice*2, all[rng.IntN(n)].now.CommissionRate
				case 3:
					q.Category, q.MinPrice, q.MaxPrice = pick.it.CategoryPath, pick.now.FinalPrice/3, pick.now.FinalPrice*3
				case 4:
					q.Brand = pick.it.Brand
				case 5:
					q.Category, q.Brand, q.MinRateBP = strings.Split(pick.it.CategoryPath, "/")[0], pick.it.Brand, pick.now.CommissionRate/2
					q.MaxPrice = pick.now.FinalPrice * 2
				}
				if rng.IntN(4) == 0 {
					q.Offset = rng.IntN(120)
				}
				got, err := a.Rank(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want, err := a.RankScan(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%s, query %d %+v: %d rows, the scan %d", phase, qi, q, len(got), len(want))
				}
				if len(got) > 0 {
					nonEmpty++
				}
				for i := range got {
					if got[i].Entry.ID != want[i].Entry.ID || got[i].Value != want[i].Value || got[i].Rank != want[i].Rank {
						t.Fatalf("%s, query %d %+v: row %d is item %d (%d, rank %d), the scan's %d (%d, rank %d)", phase, qi, q, i,
							got[i].Entry.ID, got[i].Value, got[i].Rank, want[i].Entry.ID, want[i].Value, want[i].Rank)
					}
				}
			}
			if nonEmpty < 150 {
				t.Errorf("%s: only %d of 400 rankings had rows", phase, nonEmpty)
			}
		}
		compare("loaded")

		// Another process observes a third of the items 30 hours later (the
		// rest go stale), with new prices and rates, and moves a few.
		var recs []catalog.Record
		for i := 0; i < n; i += 3 {
			r := lastSeen(m, i)
			r.Obs.At += 29 * 3600
			switch rng.IntN(4) {
			case 0:
				r.Obs.FinalPrice = max(1, r.Obs.FinalPrice*2/3)
			case 1:
				r.Obs.CommissionRate = int64(rng.IntN(5000))
			case 2:
				r.Obs.Sales2h, r.Obs.Sales30 = int64(rng.IntN(500)), r.Obs.Sales30+int64(rng.IntN(5000))
			}
			if i%30 == 0 {
				r.Item.CategoryPath = all[(i+7)%n].it.CategoryPath
			}
			recs = append(recs, r)
			all[i].now = r.Obs
		}
		if _, err := catalog.NewStore(db).Ingest(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if cats, err := a.CatchUp(ctx); err != nil || len(cats) == 0 {
			t.Fatalf("catch up: %q %v", cats, err)
		}
		compare("after an import")
	})
}
