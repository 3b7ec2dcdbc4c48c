package orders

import (
	"context"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// Orders are credited to the member whose person-level id they carry: on
// import, and for stored orders when Attribute runs after ids are bound or
// unbound.
func TestMemberAttribution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gs := community.NewStore(db)
		s := NewStore(db)
		ma, mb, mc, md := communitytest.Member(t, db, "a"), communitytest.Member(t, db, "b"), communitytest.Member(t, db, "c"), communitytest.Member(t, db, "d")
		for _, b := range []struct {
			member                int64
			platform, kind, value string
		}{
			{ma, "taobao", "special_id", "100"},
			{mb, "taobao", "relation_id", "200"},
			{mc, "jd", "", "m-c"},
			{md, "pdd", "", `{"uid":"d"}`},
		} {
			if err := gs.Bind(ctx, b.member, b.platform, b.kind, b.value); err != nil {
				t.Fatal(err)
			}
		}
		group := addGroup(t, db, "A 群", "111", 100)
		t0 := sh("2026-03-01 10:00:00")
		o := func(platform, id, relation, special, sub string, paid int64) Order {
			return Order{Platform: platform, TradeID: id, AdzoneID: "111", ItemID: "X", RelationID: relation, SpecialID: special,
				SubID: sub, CreatedAt: paid, PaidAt: paid, Status: Paid, EstIncome: 100, PaidAmount: 1000}
		}
		orders := []Order{
			o(PlatformTaobao, "t1", "200", "100", "", t0),       // both ids: the 会员运营ID wins
			o(PlatformTaobao, "t2", "200", "", "", t0),          // the 渠道关系ID
			o(PlatformTaobao, "t3", "0", "0", "", t0),           // the order API's "none"
			o("tmall", "t4", "", "100", "", t0),                 // Tmall is Alimama
			o(PlatformTaobao, "t5", "", "300", "", t0+40*86400), // not bound (yet), a month later
			o(PlatformJD, "j1", "", "", "m-c", t0),
			o(PlatformJD, "j2", "", "", "100", t0), // Taobao's id, not JD's
			o(PlatformPDD, "p1", "", "", `{"uid":"d"}`, t0),
			o(PlatformPDD, "p2", "", "", "m-c", 0), // JD's id; no payment time
		}
		st, err := s.Import(ctx, orders)
		if err != nil {
			t.Fatal(err)
		}
		if st.New != 9 || st.ToMembers != 5 || st.Attributed != 5 {
			t.Fatalf("stats %+v", st)
		}
		check := func(when string, want map[[2]string]int64) {
			t.Helper()
			for k, w := range want {
				a, ok, err := s.AttributionOf(ctx, k[0], k[1])
				if err != nil || !ok || a.MemberID != w || (Family(k[0]) == PlatformTaobao) != (a.GroupID == group) {
					t.Errorf("%s: %s order %s: %+v (%v %v), want member %d", when, k[0], k[1], a, ok, err, w)
				}
			}
		}
		want := map[[2]string]int64{
			{PlatformTaobao, "t1"}: ma, {PlatformTaobao, "t2"}: mb, {PlatformTaobao, "t3"}: 0, {"tmall", "t4"}: ma,
			{PlatformTaobao, "t5"}: 0, {PlatformJD, "j1"}: mc, {PlatformJD, "j2"}: 0, {PlatformPDD, "p1"}: md,
			{PlatformPDD, "p2"}: 0,
		}
		check("import", want)

		// Bound later: the stored orders are credited by Attribute, month
		// by month, with progress; again, nothing changes.
		if err := gs.Bind(ctx, mb, "taobao", "special_id", "300"); err != nil {
			t.Fatal(err)
		}
		if err := gs.Bind(ctx, mb, "pdd", "", "m-c"); err != nil {
			t.Fatal(err)
		}
		var steps []AttributeStats
		var months []time.Time
		ast, err := s.AttributeProgress(ctx, time.Time{}, func(st AttributeStats, m time.Time) {
			steps, months = append(steps, st), append(months, m)
		})
		if err != nil {
			t.Fatal(err)
		}
		if ast.Orders != 9 || ast.Changed != 2 || ast.ToMembers != 7 {
			t.Fatalf("attribute: %+v", ast)
		}
		// March, April (t5), then the orders without a payment time.
		if len(steps) != 3 || steps[2] != ast || !months[2].IsZero() || !months[0].Equal(time.Unix(sh("2026-03-01 00:00:00"), 0)) ||
			!months[1].Equal(time.Unix(sh("2026-04-01 00:00:00"), 0)) {
			t.Fatalf("progress: %+v %v", steps, months)
		}
		want[[2]string{PlatformTaobao, "t5"}], want[[2]string{PlatformPDD, "p2"}] = mb, mb
		check("after binding", want)
		if ast, err = s.Attribute(ctx, time.Time{}); err != nil || ast.Changed != 0 {
			t.Fatalf("again: %+v %v", ast, err)
		}

		// Unbound: the orders lose the member when attributed again; a
		// report bringing an order again attributes it too.
		if err := gs.Unbind(ctx, "taobao", "special_id", "100"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, []Order{orders[0]}); err != nil {
			t.Fatal(err)
		}
		check("re-imported", map[[2]string]int64{{PlatformTaobao, "t1"}: mb, {"tmall", "t4"}: ma}) // t1 falls back to its relation id
		if _, err := s.Attribute(ctx, time.Time{}); err != nil {
			t.Fatal(err)
		}
		check("after unbinding", map[[2]string]int64{{PlatformTaobao, "t1"}: mb, {"tmall", "t4"}: 0})

		// The member page's orders: mb has t1, t2, t5 and p2.
		tot, list, err := s.MemberOrders(ctx, mb, 2)
		if err != nil || tot != (MemberTotals{Orders: 4, PaidAmount: 4000, EstIncome: 400}) || len(list) != 2 || list[0].TradeID != "t5" {
			t.Fatalf("member orders: %+v %+v %v", tot, list, err)
		}
		if tot, list, err = s.MemberOrders(ctx, ma+mb+mc+md, 10); err != nil || tot.Orders != 0 || len(list) != 0 {
			t.Fatalf("no member's orders: %+v %+v %v", tot, list, err)
		}
	})
}
