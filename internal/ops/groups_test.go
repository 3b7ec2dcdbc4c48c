package ops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func newGroups(db *store.DB) *Groups {
	return &Groups{DB: db, Groups: community.NewStore(db), Publish: publish.NewStore(db), Orders: orders.NewStore(db),
		Health: health.NewStore(db)}
}

func addGroup(t *testing.T, g *Groups, name string) (*community.Group, *publish.Plan) {
	t.Helper()
	ctx := context.Background()
	grp := &community.Group{Name: name, Channel: community.Manual, Active: true}
	if err := g.Groups.Save(ctx, grp); err != nil {
		t.Fatal(err)
	}
	p := &publish.Plan{Name: name, GroupID: grp.ID, Slots: []int{600}, PerSlot: 1, DailyCap: 5, Active: true}
	if err := g.Publish.SavePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	return grp, p
}

// Deleting a group removes its plans in the same transaction; a failure
// leaves both, never a plan of a deleted group.
func TestDeleteGroupIsOneTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := newGroups(db)
		grp, p := addGroup(t, g, "宝妈群")
		svc := health.NewService(db, nil)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := g.Health.Health(ctx, grp.ID); err != nil || !ok {
			t.Fatalf("no health before the delete: %v %v", ok, err)
		}
		if err := g.Delete(ctx, grp.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := g.Health.Health(ctx, grp.ID); err != nil || ok {
			t.Fatalf("the group's health outlived it: %v %v", ok, err)
		}
		if days, err := g.Health.Days(ctx, grp.ID, 0, 1<<40); err != nil || len(days) != 0 {
			t.Fatalf("the group's days outlived it: %d %v", len(days), err)
		}
		if _, err := g.Publish.Plan(ctx, p.ID); !errors.Is(err, publish.ErrNotFound) {
			t.Fatalf("the group's plan outlived it: %v", err)
		}
		if _, err := g.Groups.Get(ctx, grp.ID); !errors.Is(err, community.ErrNotFound) {
			t.Fatalf("group: %v", err)
		}

		// A group with a post on record is kept, and so is its plan.
		kept, p2 := addGroup(t, g, "数码群")
		if err := g.Publish.RecordPosts(ctx, []publish.Post{{GroupID: kept.ID, Platform: "taobao", ItemID: "1",
			Status: publish.Sent, SentAt: time.Now().Unix()}}); err != nil {
			t.Fatal(err)
		}
		if err := g.Delete(ctx, kept.ID); !errors.Is(err, community.ErrInUse) {
			t.Fatalf("a group with posts was deleted: %v", err)
		}
		if _, err := g.Publish.Plan(ctx, p2.ID); err != nil {
			t.Fatalf("the kept group lost its plan: %v", err)
		}

		// Nor can a plan name a group that does not exist.
		err := g.Publish.SavePlan(ctx, &publish.Plan{Name: "孤儿", GroupID: kept.ID + 1000, Slots: []int{600}, PerSlot: 1, DailyCap: 5})
		if !errors.Is(err, publish.ErrNoGroup) {
			t.Fatalf("a plan for a deleted group was saved: %v", err)
		}
	})
}

// A group with orders on record is kept, with its plans.
func TestDeleteGroupWithOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := newGroups(db)
		grp, p := addGroup(t, g, "宝妈群")
		grp.PIDTaobao = "mm_120033_2841001_9876543"
		if err := g.Groups.Save(ctx, grp); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Orders.Import(ctx, []orders.Order{{TradeID: "t1", AdzoneID: "9876543", ItemID: "42",
			PaidAt: time.Now().Unix(), Status: orders.Paid, PaidAmount: 9900, EstIncome: 300}}); err != nil {
			t.Fatal(err)
		}
		if err := g.Delete(ctx, grp.ID); !errors.Is(err, ErrGroupHasOrders) {
			t.Fatalf("a group with orders was deleted: %v", err)
		}
		if _, err := g.Publish.Plan(ctx, p.ID); err != nil {
			t.Fatalf("plan: %v", err)
		}
	})
}
