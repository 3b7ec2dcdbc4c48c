package publish

import (
	"context"
	"errors"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestEnqueueKeepsTheChosenPrice: adding an item that is already queued
// changes nothing and says so, with the price it keeps; Requeue changes
// the price (and the reason, when given) in place.
func TestEnqueueKeepsTheChosenPrice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		slots, _ := ParseSlots("08:00")
		p := f.plan(t, &Plan{Name: "日常", Tag: "宝妈", Slots: slots, PerSlot: 1, DailyCap: 5, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000, Reason: "史低"}, Queued{Key: f.b, ChosenPrice: 3000})
		err := f.store.Enqueue(ctx, Queued{PlanID: p.ID, Key: f.a, ChosenPrice: 9900, Reason: "再加一次"})
		var aq *AlreadyQueued
		if !errors.As(err, &aq) || aq.Queued.ChosenPrice != 6000 || aq.Queued.Reason != "史低" {
			t.Fatalf("re-adding a queued item: %v", err)
		}
		q, err := f.store.Queue(ctx, p.ID)
		if err != nil || len(q) != 2 || q[0].Key != f.a || q[0].ChosenPrice != 6000 || q[0].Reason != "史低" {
			t.Fatalf("queue after re-adding: %+v %v", q, err)
		}
		if err := f.store.Requeue(ctx, Queued{PlanID: p.ID, Key: f.a, ChosenPrice: 5500}); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Requeue(ctx, Queued{PlanID: p.ID, Key: f.c, ChosenPrice: 7000}); err != nil {
			t.Fatal(err)
		}
		q, err = f.store.Queue(ctx, p.ID)
		if err != nil || len(q) != 3 || q[0].Key != f.a || q[0].ChosenPrice != 5500 || q[0].Reason != "史低" || q[2].Key != f.c {
			t.Fatalf("queue after requeueing: %+v %v", q, err)
		}
	})
}
