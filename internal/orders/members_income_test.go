package orders

import (
	"context"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestIncomeMembersFromRegistry: a group whose members the registry holds
// counts its member-days from it, day by day (as group health does); a
// group without counts members × days from its member count field.
func TestIncomeMembersFromRegistry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tracked := addGroup(t, db, "甲群", "111", 999) // the field says 999; the registry knows better
		plain := addGroup(t, db, "乙群", "222", 50)
		cs := community.NewStore(db)
		at := func(s string) time.Time { return time.Unix(sh(s), 0) }
		// Four members from 2026-03-02, two more from 03-04 (a sheet
		// snapshot each time), one leaves on 03-05.
		snap := func(day string, ids ...string) {
			var rows []community.SnapshotRow
			for _, id := range ids {
				rows = append(rows, community.SnapshotRow{ExternalID: id, Name: "成员" + id})
			}
			if _, err := cs.Snapshot(ctx, tracked, community.SourceSheet, rows, at(day+" 10:00:00")); err != nil {
				t.Fatal(err)
			}
		}
		snap("2026-03-02", "a", "b", "c", "d")
		snap("2026-03-04", "a", "b", "c", "d", "e", "f")
		snap("2026-03-05", "a", "b", "c", "d", "e")
		var orders []Order
		for i, adz := range []string{"111", "222"} {
			orders = append(orders, Order{TradeID: "t" + adz, AdzoneID: adz, PaidAt: sh("2026-03-03 12:00:00"), Status: Paid,
				EstIncome: int64(1000 * (i + 1))})
		}
		if _, err := NewStore(db).Import(ctx, orders); err != nil {
			t.Fatal(err)
		}
		rep, err := NewStore(db).Income(ctx, IncomeQuery{By: Day, From: at("2026-03-01 00:00:00"), To: at("2026-03-06 00:00:00"),
			Now: at("2026-03-10 12:00:00")})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]IncomeRow{}
		for _, r := range rep.Summary {
			got[r.GroupID] = r
		}
		// 03-01: 0, 03-02: 4, 03-03: 4, 03-04: 6, 03-05: 5 → 19 member-days, 5 members at the end.
		if r := got[tracked]; r.MemberDays != 19 || r.Members != 5 || r.IncomePer100MemberDays == nil || *r.IncomePer100MemberDays != 1000*100/19 {
			t.Errorf("tracked group: members %d, member-days %d, per 100 %v", r.Members, r.MemberDays, r.IncomePer100MemberDays)
		}
		if r := got[plain]; r.MemberDays != 250 || r.Members != 50 {
			t.Errorf("plain group: members %d, member-days %d", r.Members, r.MemberDays)
		}
		for _, b := range rep.Buckets {
			for _, r := range b.Rows {
				if r.GroupID == tracked && b.Label == "2026-03-03" && (r.Members != 4 || r.MemberDays != 4) {
					t.Errorf("03-03: members %d, member-days %d", r.Members, r.MemberDays)
				}
			}
		}
	})
}
