package publish

import (
	"context"
	"errors"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestRepeatRuleByFamily: Taobao and Tmall are one item id space, so an
// item posted under the Taobao label two days ago is not planned again
// under its Tmall label (7-day rule), and queueing it under the other label
// finds the entry already there.
func TestRepeatRuleByFamily(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db) // f.a is tmall:1001
		asTaobao := catalog.Key{Platform: catalog.Taobao, ItemID: f.a.ItemID}
		sent := f.now.AddDate(0, 0, -2).Unix()
		if err := f.store.RecordPosts(ctx, []Post{{GroupID: f.g1.ID, Platform: string(asTaobao.Platform), ItemID: asTaobao.ItemID,
			Status: Sent, SentAt: sent}}); err != nil {
			t.Fatal(err)
		}
		slots, _ := ParseSlots("08:00")
		p := f.plan(t, &Plan{Name: "一群", GroupID: f.g1.ID, Slots: slots, PerSlot: 1, DailyCap: 5, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000})
		st, err := f.planner.PlanDay(ctx, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Planned != 0 || len(st.Skips) != 1 || st.Skips[0].Reason != ReasonRecent {
			t.Fatalf("an item posted as taobao two days ago, queued as tmall: %+v", st)
		}
		var aq *AlreadyQueued
		if err := f.store.Enqueue(ctx, Queued{PlanID: p.ID, Key: asTaobao, ChosenPrice: 5000}); !errors.As(err, &aq) || aq.Queued.ChosenPrice != 6000 {
			t.Fatalf("queueing tmall:1001 again as taobao:1001: %v", err)
		}
		if q, err := f.store.Queue(ctx, p.ID); err != nil || len(q) != 1 {
			t.Fatalf("queue %+v %v", q, err)
		}
	})
}

// TestQueueFamilyMigration: migration 0011 keeps the first of a plan's
// entries of one item under two labels, and the queue refuses a second.
func TestQueueFamilyMigration(t *testing.T) {
	storetest.EachAt(t, 9, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `INSERT INTO plans (id, name, slots, per_slot, daily_cap, repeat_days, created_at)
			VALUES (1, 'p', '480', 1, 1, 7, 0)`); err != nil {
			t.Fatal(err)
		}
		for i, label := range []string{"tmall", "taobao", "jd"} {
			if _, err := db.ExecContext(ctx, `INSERT INTO plan_queue (plan_id, platform, item_id, chosen_price, pos, added_at)
				VALUES (1, $1, '7', 100, $2, 0)`, label, i+1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		q, err := NewStore(db).Queue(ctx, 1)
		if err != nil || len(q) != 2 || q[0].Key.Platform != catalog.Tmall || q[1].Key.Platform != catalog.JD {
			t.Fatalf("queue after the migration: %+v %v", q, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO plan_queue (plan_id, platform, item_id, chosen_price, pos, added_at)
			VALUES (1, 'taobao', '7', 100, 9, 0)`); err == nil {
			t.Fatal("a second label of one item was queued")
		}
	})
}
