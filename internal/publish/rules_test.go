package publish

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The rule "only catalog items are queued" is Enqueue's, not the pages'.
func TestEnqueueOnlyCatalogItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		p := f.plan(t, &Plan{Name: "p", Tag: "宝妈", Slots: []int{600}, PerSlot: 1, DailyCap: 5, Active: true})
		missing := catalog.Key{Platform: catalog.Taobao, ItemID: "404"}
		for _, add := range []func(context.Context, Queued) error{f.store.Enqueue, f.store.Requeue} {
			err := add(ctx, Queued{PlanID: p.ID, Key: missing, ChosenPrice: 100})
			if !errors.Is(err, ErrNotInCatalog) {
				t.Fatalf("queued an item the catalog does not have: %v", err)
			}
		}
		if q, _ := f.store.Queue(ctx, p.ID); len(q) != 0 {
			t.Fatalf("queue: %v", q)
		}
		if err := f.store.Enqueue(ctx, Queued{PlanID: p.ID, Key: f.a, ChosenPrice: 100}); err != nil {
			t.Fatal(err)
		}
	})
}

// The rule "only manual groups' posts are marked sent" is MarkSent's, with
// its own error.
func TestMarkSentOnlyManualGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := &community.Group{Name: "电报群", Channel: community.Telegram, Target: "-100123", PIDTaobao: "mm_1_2_9", PIDJD: "1_2_3", PIDPDD: "1_2", Tags: []string{"电报"}, Active: true}
		if err := f.groups.Save(ctx, tg); err != nil {
			t.Fatal(err)
		}
		f.plan(t, &Plan{Name: "p", Tag: "电报", Slots: []int{20 * 60}, PerSlot: 1, DailyCap: 5, Active: true}, Queued{Key: f.a, ChosenPrice: 9900})
		f.plan(t, &Plan{Name: "m", GroupID: f.g1.ID, Slots: []int{20 * 60}, PerSlot: 1, DailyCap: 5, Active: true}, Queued{Key: f.a, ChosenPrice: 9900})
		if _, err := f.planner.PlanDay(ctx, f.now); err != nil {
			t.Fatal(err)
		}
		ds, err := f.store.Board(ctx, f.now.Add(-24*time.Hour), f.now.Add(24*time.Hour))
		if err != nil || len(ds) != 2 {
			t.Fatalf("board: %d posts, %v", len(ds), err)
		}
		for _, d := range ds {
			err := f.store.MarkSent(ctx, d.ID, "小王")
			if d.GroupID == tg.ID && !errors.Is(err, ErrNotManual) {
				t.Errorf("a Telegram group's post marked sent by hand: %v", err)
			}
			if d.GroupID == f.g1.ID && err != nil {
				t.Errorf("manual group: %v", err)
			}
		}
	})
}

// The serve loop plans each group's own today (PlanToday): a group's
// slots follow its zone, whatever zone the server or its pages are in.
func TestPlanTodayFollowsEachGroupsZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		// 06:00 on Nov 25 in Shanghai is 14:00 on Nov 24 in Los Angeles.
		la := &community.Group{Name: "洛杉矶群", Channel: community.Manual, TZ: "America/Los_Angeles", PIDTaobao: "mm_1_2_7", PIDJD: "1_2_3", PIDPDD: "1_2", Tags: []string{"时区"}, Active: true}
		sh := &community.Group{Name: "上海群", Channel: community.Manual, TZ: "Asia/Shanghai", PIDTaobao: "mm_1_2_8", PIDJD: "1_2_3", PIDPDD: "1_2", Tags: []string{"时区"}, Active: true}
		for _, g := range []*community.Group{la, sh} {
			if err := f.groups.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		f.plan(t, &Plan{Name: "晚八点", Tag: "时区", Slots: []int{20 * 60}, PerSlot: 1, DailyCap: 5, Active: true}, Queued{Key: f.a, ChosenPrice: 9900})
		// The server's own zone and clock's zone play no part.
		f.planner.Now = func() time.Time { return f.now.In(time.FixedZone("X", -11*3600)) }
		if _, err := f.planner.PlanToday(ctx); err != nil {
			t.Fatal(err)
		}
		ds, err := f.store.Board(ctx, f.now.Add(-48*time.Hour), f.now.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		laZone, _ := time.LoadLocation("America/Los_Angeles")
		want := map[int64]time.Time{
			la.ID: time.Date(2026, 11, 24, 20, 0, 0, 0, laZone),
			sh.ID: time.Date(2026, 11, 25, 20, 0, 0, 0, cst),
		}
		got := map[int64]time.Time{}
		for _, d := range ds {
			got[d.GroupID] = time.Unix(d.SlotAt, 0).UTC()
		}
		for id, w := range want {
			if !got[id].Equal(w) {
				t.Errorf("group %d: slot at %v, want %v (its own today's 20:00)", id, got[id], w.UTC())
			}
		}
	})
}

// A queue entry is moved or removed only through its own plan.
func TestQueueEntriesBelongToTheirPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		mine := f.plan(t, &Plan{Name: "mine", Tag: "宝妈", Slots: []int{600}, PerSlot: 1, DailyCap: 5},
			Queued{Key: f.a, ChosenPrice: 9900}, Queued{Key: f.b, ChosenPrice: 9900})
		other := f.plan(t, &Plan{Name: "other", Tag: "数码", Slots: []int{600}, PerSlot: 1, DailyCap: 5})
		q, err := f.store.Queue(ctx, mine.ID)
		if err != nil || len(q) != 2 {
			t.Fatalf("queue %v, %v", q, err)
		}
		if err := f.store.MoveQueued(ctx, other.ID, q[1].ID, -1); !errors.Is(err, ErrNotFound) {
			t.Errorf("moved through another plan: %v", err)
		}
		if err := f.store.Dequeue(ctx, other.ID, q[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed through another plan: %v", err)
		}
		if after, _ := f.store.Queue(ctx, mine.ID); len(after) != 2 || after[0].Key != f.a {
			t.Fatalf("queue changed: %v", after)
		}
		if err := f.store.MoveQueued(ctx, mine.ID, q[1].ID, -1); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Dequeue(ctx, mine.ID, q[1].ID); err != nil {
			t.Fatal(err)
		}
		if after, _ := f.store.Queue(ctx, mine.ID); len(after) != 1 || after[0].Key != f.a {
			t.Fatalf("queue after move and remove: %v", after)
		}
	})
}
