package ordersync

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The TOP order API's relation_id and special_id (numbers in its JSON,
// special_id past 2^53) are kept on the order, and the member bound to one
// is credited with it.
func TestSyncKeepsPersonIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, c := newFake(t)
		n := f.Seed(base, time.Hour)
		f.Mu.Lock()
		f.Orders[0]["relation_id"] = json.Number("2800000001")
		f.Orders[1]["special_id"] = json.Number("1234567890123456789")
		f.Orders[1]["relation_id"] = json.Number("2800000001")
		f.Mu.Unlock()
		memberA, memberB := communitytest.Member(t, db, "a"), communitytest.Member(t, db, "b")
		gs := community.NewStore(db)
		if err := gs.Bind(ctx, memberA, "taobao", "relation_id", "2800000001"); err != nil {
			t.Fatal(err)
		}
		if err := gs.Bind(ctx, memberB, "taobao", "special_id", "1234567890123456789"); err != nil {
			t.Fatal(err)
		}
		res, err := New(c, db).Sync(ctx, base, base.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		checkFake(t, f)
		if res.Stats.New != n || res.Stats.ToMembers != 2 {
			t.Fatalf("result %+v", res.Stats)
		}
		st := orders.NewStore(db)
		for i, want := range []struct {
			relation, special string
			member            int64
		}{{"2800000001", "", memberA}, {"2800000001", "1234567890123456789", memberB}, {"0", "", 0}} {
			id := string(f.Orders[i]["trade_id"].(json.Number))
			o, _, ok, err := st.Get(ctx, orders.PlatformTaobao, id)
			if err != nil || !ok || o.RelationID != want.relation || o.SpecialID != want.special {
				t.Errorf("order %d: %+v %v %v", i, o, ok, err)
			}
			a, _, err := st.AttributionOf(ctx, orders.PlatformTaobao, id)
			if err != nil || a.MemberID != want.member {
				t.Errorf("order %d credited to %+v, want member %d", i, a, want.member)
			}
		}
	})
}
