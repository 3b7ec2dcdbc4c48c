package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/qunke/qunke/internal/store"
)

// The benchmark must store every observation in both designs, in both
// orders, on both engines; the same market compacts to the same price
// changes on each.
func TestIngestStoresEverything(t *testing.T) {
	for _, order := range []string{"feed", "backfill"} {
		t.Run(order, func(t *testing.T) {
			changes := map[string]int{}
			eachEngine(t, func(t *testing.T, pg string) {
				dir := t.TempDir()
				res, err := Ingest(context.Background(), IngestConfig{Dir: dir, Postgres: pg, Items: 40, Snapshots: 30, Seed: 3,
					Order: order, CompactEvery: 7, Naive: true})
				if err != nil {
					t.Fatal(err)
				}
				if res.Observations != 1200 || res.Stored != 1200 || res.Qunke.Bytes <= 0 || res.QunkeVacuum.Bytes <= 0 ||
					res.Naive.Bytes <= 0 || res.PriceChanges <= 0 {
					t.Fatalf("result: %+v", res)
				}
				changes[engineName(pg)] = res.PriceChanges
				if pg != "" {
					return // the schema is dropped: the figures above are what is left to check
				}
				count := func(file, q string) int64 {
					db, err := store.Open(context.Background(), filepath.Join(dir, file))
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					var n int64
					if err := db.QueryRow(q).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				if n := count("qunke.db", `SELECT sum(n) FROM item_history`); n != 1200 {
					t.Errorf("qunke history holds %d observations, want 1200", n)
				}
				if n := count("qunke.db", `SELECT count(*) FROM pending_observations`); n != 0 {
					t.Errorf("%d frames left pending", n)
				}
				if n := count("naive.db", `SELECT count(*) FROM observations`); n != 1200 {
					t.Errorf("naive table holds %d rows, want 1200", n)
				}
			})
			if len(changes) == 2 && changes["sqlite"] != changes["postgres"] {
				t.Errorf("price changes: %v, want the same on both engines", changes)
			}
		})
	}
}
