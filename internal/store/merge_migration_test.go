package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

const day = 86400

// obsAt is an observation priced by its day, so a merged history shows
// where each observation came from.
func obsAt(d int64) catalog.Observation {
	return catalog.Observation{At: d * day, ListPrice: 1000 + d, FinalPrice: 1000 + d, Sales2h: catalog.Unknown, CouponRemain: catalog.Unknown}
}

// encoded returns what the catalog stores for observations of one item on
// days: a history chunk, or (pending) an uncompacted frame naming item 1.
func encoded(t *testing.T, pending bool, days ...int64) []byte {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := catalog.NewStore(db)
	var recs []catalog.Record
	for _, d := range days {
		recs = append(recs, catalog.Record{Item: catalog.Item{Platform: catalog.JD, ItemID: "1", Title: "x"}, Obs: obsAt(d)})
	}
	if _, err := s.Ingest(ctx, recs); err != nil {
		t.Fatal(err)
	}
	q := `SELECT data FROM pending_observations`
	if !pending {
		if _, err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		q = `SELECT data FROM item_history`
	}
	var data []byte
	if err := db.QueryRowContext(ctx, q).Scan(&data); err != nil {
		t.Fatal(err)
	}
	return data
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func texts(t *testing.T, db *store.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Migration 0008 merges the Taobao and Tmall rows of one id that earlier
// versions stored: the most recently observed label wins, attributes it
// lacks come from the other row, history (stored and pending) becomes one,
// queues and posts follow; then no second row can be written.
func TestMigration0008MergesDuplicates(t *testing.T) {
	storetest.EachAt(t, 7, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		item := `INSERT INTO items (id, platform, item_id, title, category_path, shop_type, dsr_desc, dsr_service, dsr_ship,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, $8, $8)`
		exec(t, db, item, 1, "tmall", "700", "保温杯", "家居/水杯", "tmall", 480, 100) // older, full attributes
		exec(t, db, item, 2, "taobao", "700", "保温杯 新款", "", "", 0, 200)         // seen last, no category
		exec(t, db, item, 3, "jd", "700", "京东杯", "家居", "", 0, 100)              // another family
		exec(t, db, item, 4, "taobao", "900", "旧标签", "家居", "", 0, 300)          // updated last, seen first
		exec(t, db, item, 5, "tmall", "900", "新标签", "家居", "tmall", 0, 100)
		if db.Dialect == store.Postgres {
			exec(t, db, `SELECT setval(pg_get_serial_sequence('items', 'id'), 5)`)
		}
		hist := `INSERT INTO item_history (item, t0, t1, n, data) VALUES ($1, $2, $3, $4, $5)`
		exec(t, db, hist, 1, 1*day, 3*day, 3, encoded(t, false, 1, 2, 3))
		exec(t, db, hist, 2, 2*day, 4*day, 2, encoded(t, false, 2, 4)) // day 2 seen by both rows
		exec(t, db, hist, 3, 1*day, 1*day, 1, encoded(t, false, 1))
		exec(t, db, hist, 4, 1*day, 1*day, 1, encoded(t, false, 1))
		exec(t, db, hist, 5, 2*day, 2*day, 1, encoded(t, false, 2))
		// An import that never compacted, under the loser's id (1).
		exec(t, db, `INSERT INTO pending_observations (created_at, n, data) VALUES (1, 1, $1)`, encoded(t, true, 5))

		exec(t, db, `INSERT INTO chat_groups (id, name, channel, created_at, updated_at) VALUES (1, 'g', 'manual', 0, 0)`)
		plan := `INSERT INTO plans (id, name, slots, per_slot, daily_cap, repeat_days, created_at) VALUES ($1, 'p', '08:00', 1, 1, 1, 0)`
		exec(t, db, plan, 1)
		exec(t, db, plan, 2)
		queue := `INSERT INTO plan_queue (plan_id, platform, item_id, chosen_price, pos, added_at) VALUES ($1, $2, '700', 0, 0, 0)`
		exec(t, db, queue, 1, "tmall")
		exec(t, db, queue, 1, "taobao")
		exec(t, db, queue, 2, "tmall")
		post := `INSERT INTO deliveries (dkey, group_id, platform, item_id, slot_at, status, body, next_at, created_at)
			VALUES ($1, 1, $2, '700', $3, $4, '', 0, 0)`
		exec(t, db, post, "a", "tmall", 1000, "planned") // both planned in one slot: the loser's goes
		exec(t, db, post, "b", "taobao", 1000, "planned")
		exec(t, db, post, "c", "tmall", 2000, "sent") // alone: relabelled
		exec(t, db, post, "d", "tmall", 3000, "sent") // both sent in one slot: kept as sent
		exec(t, db, post, "e", "taobao", 3000, "sent")
		exec(t, db, post, "f", "tmall", 4000, "sent") // the loser's sent: the survivor's planned one goes, it is relabelled
		exec(t, db, post, "g", "taobao", 4000, "planned")

		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s := catalog.NewStore(db)
		if _, err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}

		if got := texts(t, db, `SELECT platform || ':' || item_id FROM items`); !slices.Equal(got, []string{"jd:700", "taobao:700", "tmall:900"}) {
			t.Fatalf("items %v", got)
		}
		it, err := s.Find(ctx, catalog.Key{Platform: catalog.Tmall, ItemID: "700"})
		if err != nil {
			t.Fatal(err)
		}
		want := catalog.Item{Platform: catalog.Taobao, ItemID: "700", Title: "保温杯 新款", CategoryPath: "家居/水杯",
			ShopType: catalog.ShopTmall, DSRDesc: 480, DSRService: 480, DSRShip: 480}
		if it.ID != 2 || it.Item != want {
			t.Fatalf("merged item %d %+v, want 2 %+v", it.ID, it.Item, want)
		}
		obs, err := s.Observations(ctx, it.ID, 0, catalog.Forever)
		if err != nil {
			t.Fatal(err)
		}
		if want := []catalog.Observation{obsAt(1), obsAt(2), obsAt(3), obsAt(4), obsAt(5)}; !slices.Equal(obs, want) {
			t.Fatalf("merged history %+v, want days 1-5", obs)
		}
		if got := texts(t, db, `SELECT CAST(plan_id AS TEXT) || ':' || platform FROM plan_queue`); !slices.Equal(got, []string{"1:taobao", "2:taobao"}) {
			t.Errorf("queues %v", got)
		}
		if got := texts(t, db, `SELECT dkey || ':' || platform FROM deliveries`); !slices.Equal(got, []string{"b:taobao", "c:taobao", "d:tmall", "e:taobao", "f:taobao"}) {
			t.Errorf("posts %v", got)
		}
		for _, table := range []string{"item_merges", "item_history_merged", "pending_observations"} {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left (%v)", table, n, err)
			}
		}
		_, err = db.ExecContext(ctx, `INSERT INTO items (platform, item_id, family, created_at, updated_at) VALUES ('tmall', '700', 'taobao', 0, 0)`)
		if err == nil {
			t.Error("a second row of taobao:700 was accepted")
		}
	})
}
