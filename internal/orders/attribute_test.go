package orders

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// addGroup registers a manual group with an Alimama placement and returns its id.
func addGroup(t *testing.T, db *store.DB, name, adzone string, members int64) int64 {
	t.Helper()
	g := &community.Group{Name: name, Channel: community.Manual, PIDTaobao: "mm_1_2_" + adzone, Members: members, Active: true}
	if err := community.NewStore(db).Save(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// setAdzone moves group id to another placement ("": none).
func setAdzone(t *testing.T, db *store.DB, id int64, adzone string) {
	t.Helper()
	ctx := context.Background()
	gs := community.NewStore(db)
	g, err := gs.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	g.PIDTaobao = ""
	if adzone != "" {
		g.PIDTaobao = "mm_1_2_" + adzone
	}
	if err := gs.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
}

// addPost records a delivery of item to group with status and sent time.
func addPost(t *testing.T, db *store.DB, group int64, platform, item, status string, sentAt int64) int64 {
	t.Helper()
	p := []publish.Post{{GroupID: group, Platform: platform, ItemID: item, Status: publish.Status(status), SlotAt: sentAt - 60, SentAt: sentAt}}
	if err := publish.NewStore(db).RecordPosts(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p[0].ID
}

func attributionOf(t *testing.T, s *Store, id string) Attribution {
	t.Helper()
	a, ok, err := s.AttributionOf(context.Background(), PlatformTaobao, id)
	if err != nil || !ok {
		t.Fatalf("attribution of %s: %v %v", id, ok, err)
	}
	return a
}

func TestAttribution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		t0 := sh("2026-03-01 10:00:00")
		const day = 86400
		a := addGroup(t, db, "A 群", "111", 100)
		b := addGroup(t, db, "B 群", "222", 0)
		d1 := addPost(t, db, a, "taobao", "X", "sent", t0)
		d2 := addPost(t, db, a, "taobao", "X", "sent", t0+2*day)
		d3 := addPost(t, db, a, "tmall", "Y", "sent", t0)
		d4 := addPost(t, db, b, "taobao", "X", "sent", t0+day)
		addPost(t, db, a, "taobao", "X", "failed", t0+3*day)        // never sent: not credited
		addPost(t, db, a, "taobao", "Z", "sent", t0-31*day)         // older than the window
		edge := addPost(t, db, a, "taobao", "W", "sent", t0-30*day) // exactly the window
		addPost(t, db, a, "jd", "V", "sent", t0)                    // another platform family

		o := func(id, adzone, item string, click, created int64) Order {
			return Order{TradeID: id, AdzoneID: adzone, ItemID: item, ClickAt: click, CreatedAt: created,
				PaidAt: max(click, created) + 60, Status: Paid, EstIncome: 100, PaidAmount: 1000}
		}
		orders := []Order{
			o("1", "111", "X", t0+day, 0),
			o("2", "111", "X", t0+2*day, 0),   // at the second of the later post
			o("3", "111", "X", t0+2*day-1, 0), // a second before it
			o("4", "111", "Y", t0+3600, 0),    // a Tmall post, an Alimama order
			o("5", "222", "X", t0+5*day, 0),
			o("6", "111", "Z", t0, 0),
			o("7", "999", "X", t0+day, 0), // no group has this placement
			o("8", "111", "X", 0, t0+day), // no click time: the created time
			o("9", "111", "X", t0-1, 0),   // before any post
			o("10", "111", "W", t0, 0),
			o("11", "111", "V", t0, 0),
			o("12", "", "X", t0, 0),
		}
		want := map[string]Attribution{
			"1": {a, d1, 0}, "2": {a, d2, 0}, "3": {a, d1, 0}, "4": {a, d3, 0}, "5": {b, d4, 0}, "6": {a, 0, 0}, "7": {0, 0, 0},
			"8": {a, d1, 0}, "9": {a, 0, 0}, "10": {a, edge, 0}, "11": {a, 0, 0}, "12": {0, 0, 0},
		}
		st, err := s.Import(ctx, orders)
		if err != nil {
			t.Fatal(err)
		}
		if st.New != 12 || st.Attributed != 10 || st.FromPosts != 7 {
			t.Fatalf("stats %+v", st)
		}
		check := func(when string, want map[string]Attribution) {
			t.Helper()
			for id, w := range want {
				if got := attributionOf(t, s, id); got != w {
					t.Errorf("%s: order %s credited to %+v, want %+v", when, id, got, w)
				}
			}
		}
		check("import", want)

		// The unattributed, by adzone.
		un, err := s.Unattributed(ctx, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 2 || un[0].Orders != 1 || un[0].EstIncome != 100 || un[0].PaidAmount != 1000 {
			t.Fatalf("unattributed %+v", un)
		}
		if ids := []string{un[0].AdzoneID, un[1].AdzoneID}; !reflect.DeepEqual(ids, []string{"", "999"}) {
			t.Fatalf("unattributed adzones %v", ids)
		}
		list, err := s.UnattributedOrders(ctx, time.Time{}, time.Time{}, 10)
		if err != nil || len(list) != 2 {
			t.Fatalf("unattributed orders %v %v", list, err)
		}

		// A group takes the placement 999 and group B moves to 333: nothing
		// changes until Attribute runs.
		c := addGroup(t, db, "C 群", "999", 50)
		dc := addPost(t, db, c, "taobao", "X", "sent", t0)
		setAdzone(t, db, b, "333")
		check("before Attribute", map[string]Attribution{"7": {0, 0, 0}, "5": {b, d4, 0}})
		ast, err := s.Attribute(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if ast.Orders != 12 || ast.Changed != 2 || ast.Attributed != 10 {
			t.Fatalf("attribute stats %+v", ast)
		}
		want["7"], want["5"] = Attribution{c, dc, 0}, Attribution{}
		check("after Attribute", want)
		// Run again: nothing to change.
		if ast, err := s.Attribute(ctx, time.Time{}); err != nil || ast.Changed != 0 {
			t.Fatalf("second Attribute: %+v %v", ast, err)
		}

		// Re-importing the same report changes nothing, and a newer report
		// of an order keeps attributing it.
		st, err = s.Import(ctx, orders)
		if err != nil || st.Unchanged != 12 {
			t.Fatalf("re-import %+v %v", st, err)
		}
		check("re-import", want)
		later := orders[0]
		later.Status = Received
		if st, err := s.Import(ctx, []Order{later}); err != nil || st.Updated != 1 || st.FromPosts != 1 {
			t.Fatalf("update %+v %v", st, err)
		}
		check("update", want)

		// A post marked sent by hand later: Attribute since a time only
		// looks at the orders paid since.
		d6 := addPost(t, db, a, "taobao", "Z", "sent", t0-10)
		if ast, err := s.Attribute(ctx, time.Unix(t0+day, 0)); err != nil || ast.Changed != 0 {
			t.Fatalf("Attribute since: %+v %v", ast, err)
		}
		if ast, err := s.Attribute(ctx, time.Unix(t0-day, 0)); err != nil || ast.Changed != 1 {
			t.Fatalf("Attribute since earlier: %+v %v", ast, err)
		}
		want["6"] = Attribution{a, d6, 0}
		check("late post", want)

		// A shorter window.
		s.Window = 29 * 24 * time.Hour
		if _, err := s.Attribute(ctx, time.Time{}); err != nil {
			t.Fatal(err)
		}
		want["10"] = Attribution{a, 0, 0}
		check("window", want)
	})
}

// An import repeats a trade id inside one batch and across batches, and
// mixes new, changed, unchanged and regressed orders: the result is the
// one-by-one result.
func TestImportBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		var first []Order
		for i := range 1234 {
			first = append(first, Order{TradeID: fmt.Sprint(100000 + i), Status: Paid, PaidAmount: int64(i), PaidAt: sh("2026-03-01 10:00:00") + int64(i)})
		}
		st, err := s.Import(ctx, first)
		if err != nil || st.New != 1234 {
			t.Fatalf("first %+v %v", st, err)
		}
		// Settle a few, so that a later paid copy regresses.
		var next []Order
		for i := range 1234 {
			o := first[i]
			switch i % 4 {
			case 0: // unchanged
			case 1:
				o.Status = Settled
			case 2:
				o.PaidAmount++
			case 3:
				o.Status = Received
			}
			next = append(next, o)
		}
		next = append(next, Order{TradeID: "new-1", Status: Paid}, Order{TradeID: "new-1", Status: Received})
		next = append(next, first[1]) // settled → paid in the same import: regressed
		st, err = s.Import(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		if st.Unchanged != 309 || st.Updated != 925+1 || st.New != 1 || st.Regressed != 1 {
			t.Fatalf("second %+v", st)
		}
		o, reg := get1(t, s, first[1].TradeID)
		if o.Status != Settled || !reg {
			t.Fatalf("regressed order %+v %v", o, reg)
		}
		if o, _ := get1(t, s, "new-1"); o.Status != Received {
			t.Fatalf("repeated new order %+v", o)
		}
		if o, reg := get1(t, s, first[6].TradeID); o.PaidAmount != 7 || reg {
			t.Fatalf("changed order %+v", o)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 1235 {
			t.Fatalf("count %d %v", n, err)
		}
	})
}

// Each platform's orders go to the group whose placement on that platform
// they carry: JD's positionId (third part of the JD PID), PDD's p_id, the
// Alimama adzone; the same number on another platform is not that group's.
func TestAttributionPerPlatform(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gs := community.NewStore(db)
		a := &community.Group{Name: "A", Channel: community.Manual, PIDTaobao: "mm_1_2_300", PIDJD: "1001_2002_400", PIDPDD: "8888_500", Active: true}
		b := &community.Group{Name: "B", Channel: community.Manual, PIDTaobao: "mm_1_2_400", Active: true}
		for _, g := range []*community.Group{a, b} {
			if err := gs.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		t0 := sh("2026-03-01 10:00:00")
		jdPost := addPost(t, db, a.ID, "jd", "J1", "sent", t0)
		s := NewStore(db)
		o := func(platform, id, placement, item, sub string) Order {
			return Order{Platform: platform, TradeID: id, AdzoneID: placement, ItemID: item, SubID: sub,
				CreatedAt: t0 + 60, PaidAt: t0 + 60, Status: Paid}
		}
		list := []Order{
			o(PlatformJD, "j1", "400", "J1", "member-7"), // A's JD position
			o(PlatformJD, "j2", "300", "J1", ""),         // A's adzone, but a JD order
			o(PlatformPDD, "p1", "8888_500", "P1", "agent-2"),
			o(PlatformPDD, "p2", "400", "P1", ""),
			o(PlatformTaobao, "t1", "400", "X", ""), // B's adzone
		}
		if _, err := s.Import(ctx, list); err != nil {
			t.Fatal(err)
		}
		want := map[[2]string]Attribution{
			{PlatformJD, "j1"}: {a.ID, jdPost, 0}, {PlatformJD, "j2"}: {}, {PlatformPDD, "p1"}: {a.ID, 0, 0},
			{PlatformPDD, "p2"}: {}, {PlatformTaobao, "t1"}: {b.ID, 0, 0},
		}
		for k, w := range want {
			got, ok, err := s.AttributionOf(ctx, k[0], k[1])
			if err != nil || !ok || got != w {
				t.Errorf("%s order %s credited to %+v (%v %v), want %+v", k[0], k[1], got, ok, err, w)
			}
		}
		if got, _, ok, err := s.Get(ctx, PlatformJD, "j1"); err != nil || !ok || got.SubID != "member-7" {
			t.Errorf("JD order's subUnionId: %+v %v", got, err)
		}
	})
}
