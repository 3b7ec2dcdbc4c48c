package orders

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// moneyFixture stores random orders and posts for three groups and returns
// them with the groups' ids (adzone → id) and members.
func moneyFixture(t *testing.T, db *store.DB) ([]Order, map[string]int64, map[int64]int64, []postRec) {
	t.Helper()
	ctx := context.Background()
	groups := map[string]int64{"111": addGroup(t, db, "甲群", "111", 100), "222": addGroup(t, db, "乙群", "222", 0),
		"333": addGroup(t, db, "丙群", "333", 250)}
	members := map[int64]int64{groups["111"]: 100, groups["222"]: 0, groups["333"]: 250}
	r := rand.New(rand.NewPCG(7, 7))
	start, end := sh("2026-01-20 00:00:00"), sh("2026-03-15 00:00:00")
	var posts []postRec
	for i := range 300 {
		adzone := []string{"111", "222", "333"}[r.IntN(3)]
		at := start + r.Int64N(end-start)
		status := []string{"sent", "sent", "sent", "failed"}[r.IntN(4)]
		addPost(t, db, groups[adzone], "taobao", fmt.Sprint("item", i%40), status, at)
		if status == "sent" {
			posts = append(posts, postRec{groups[adzone], at})
		}
	}
	var orders []Order
	for i := range 2000 {
		paid := start + r.Int64N(end-start)
		o := Order{TradeID: fmt.Sprint(5000 + i), ItemID: fmt.Sprint("item", r.IntN(40)),
			AdzoneID: []string{"111", "222", "333", "444", ""}[r.IntN(5)], ClickAt: paid - 600, CreatedAt: paid - 30, PaidAt: paid,
			PaidAmount: 100 + r.Int64N(20000), EstIncome: r.Int64N(3000),
			Status: []Status{Paid, Received, Settled, Settled, Invalid, Refunded}[r.IntN(6)]}
		if o.Status == Settled {
			o.SettledIncome, o.SettledAt = o.EstIncome-r.Int64N(10), paid+10*86400
		}
		orders = append(orders, o)
	}
	// Days around midnight and the week boundary: Sunday 2026-02-01 23:59:59
	// and Monday 2026-02-02 00:00:00 in Shanghai.
	orders = append(orders,
		Order{TradeID: "sun", AdzoneID: "111", PaidAt: sh("2026-02-01 23:59:59"), Status: Paid, EstIncome: 7},
		Order{TradeID: "mon", AdzoneID: "111", PaidAt: sh("2026-02-02 00:00:00"), Status: Paid, EstIncome: 11})
	if _, err := NewStore(db).Import(ctx, orders); err != nil {
		t.Fatal(err)
	}
	return orders, groups, members, posts
}

type postRec struct {
	group int64
	at    int64
}

// label is the bucket of t, computed with the calendar.
func label(by Period, t int64) string {
	d := time.Unix(t, 0).In(shanghai.Zone)
	switch by {
	case Month:
		return d.Format("2006-01")
	case Week:
		off := (int(d.Weekday()) + 6) % 7 // days since Monday
		return d.AddDate(0, 0, -off).Format("2006-01-02")
	}
	return d.Format("2006-01-02")
}

func TestIncomeMatchesOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orders, groups, members, posts := moneyFixture(t, db)
		s := NewStore(db)
		from, to := time.Unix(sh("2026-01-25 00:00:00"), 0), time.Unix(sh("2026-03-10 00:00:00"), 0)
		now := time.Unix(sh("2026-03-05 12:00:00"), 0)
		for _, by := range []Period{Day, Week, Month} {
			rep, err := s.Income(ctx, IncomeQuery{By: by, From: from, To: to, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			type key struct {
				label string
				group int64
			}
			want := map[key]*IncomeRow{}
			row := func(k key) *IncomeRow {
				if want[k] == nil {
					want[k] = &IncomeRow{}
				}
				return want[k]
			}
			var total IncomeRow
			for _, o := range orders {
				if o.PaidAt < from.Unix() || o.PaidAt >= to.Unix() {
					continue
				}
				r := row(key{label(by, o.PaidAt), groups[o.AdzoneID]})
				for _, r := range []*IncomeRow{r, &total} {
					r.Orders++
					r.PaidAmount += o.PaidAmount
					if o.Status == Invalid || o.Status == Refunded {
						r.Failed++
					} else {
						r.EstIncome += o.EstIncome
					}
					if o.Status == Settled {
						r.SettledIncome += o.SettledIncome
					}
				}
			}
			for _, p := range posts {
				if p.at >= from.Unix() && p.at < to.Unix() {
					row(key{label(by, p.at), p.group}).Posts++
					total.Posts++
				}
			}
			got := map[key]IncomeRow{}
			for _, b := range rep.Buckets {
				for _, r := range b.Rows {
					got[key{b.Label, r.GroupID}] = r
				}
				// Member-days: the bucket's days up to 2026-03-05.
				wantDays := int64(0)
				for d := b.Start; d.Before(b.End); d = d.AddDate(0, 0, 1) {
					if d.Unix() <= now.Unix() {
						wantDays++
					}
				}
				if b.Days != wantDays {
					t.Errorf("%s %s: %d days, want %d", by, b.Label, b.Days, wantDays)
				}
				for _, r := range b.Rows {
					if r.Members != members[r.GroupID] || r.MemberDays != r.Members*wantDays {
						t.Errorf("%s %s group %d: members %d member-days %d", by, b.Label, r.GroupID, r.Members, r.MemberDays)
					}
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d rows, want %d", by, len(got), len(want))
			}
			for k, w := range want {
				g := got[k]
				if g.Orders != w.Orders || g.Failed != w.Failed || g.PaidAmount != w.PaidAmount || g.EstIncome != w.EstIncome ||
					g.SettledIncome != w.SettledIncome || g.Posts != w.Posts {
					t.Errorf("%s %v:\n got %+v\nwant %+v", by, k, g, *w)
				}
				if g.Orders > 0 && g.InvalidRateBP != g.Failed*10000/g.Orders {
					t.Errorf("%s %v: invalid rate %d", by, k, g.InvalidRateBP)
				}
				if (g.Posts > 0) != (g.IncomePerPost != nil) || (g.IncomePerPost != nil && *g.IncomePerPost != g.EstIncome/g.Posts) {
					t.Errorf("%s %v: income per post %v", by, k, g.IncomePerPost)
				}
				if (g.MemberDays > 0) != (g.IncomePer100MemberDays != nil) {
					t.Errorf("%s %v: per member-day %v", by, k, g.IncomePer100MemberDays)
				}
			}
			if rep.Total.Orders != total.Orders || rep.Total.EstIncome != total.EstIncome || rep.Total.Posts != total.Posts ||
				rep.Total.SettledIncome != total.SettledIncome || rep.Total.PaidAmount != total.PaidAmount {
				t.Errorf("%s total\n got %+v\nwant %+v", by, rep.Total, total)
			}
		}

		// The week boundary: Sunday's order and Monday's are in different weeks.
		rep, err := s.Income(ctx, IncomeQuery{By: Week, From: time.Unix(sh("2026-01-26 00:00:00"), 0),
			To: time.Unix(sh("2026-02-09 00:00:00"), 0), Now: now, Groups: []int64{groups["111"]}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Buckets) != 2 || rep.Buckets[0].Label != "2026-01-26" || rep.Buckets[1].Label != "2026-02-02" {
			t.Fatalf("weeks %+v", rep.Buckets)
		}
		for _, b := range rep.Buckets {
			for _, r := range b.Rows {
				if r.GroupID != groups["111"] {
					t.Fatalf("group filter let %d through", r.GroupID)
				}
			}
		}
		// Only the unattributed.
		rep, err = s.Income(ctx, IncomeQuery{From: from, To: to, Now: now, Groups: []int64{Unattributed}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Summary) != 1 || rep.Summary[0].GroupID != 0 || rep.Summary[0].GroupName != UnattributedName || rep.Summary[0].Posts != 0 {
			t.Fatalf("unattributed summary %+v", rep.Summary)
		}
		if _, err := s.Income(ctx, IncomeQuery{From: to, To: from}); err == nil {
			t.Fatal("reversed range accepted")
		}
	})
}

func TestPeriodBuckets(t *testing.T) {
	for _, c := range []struct {
		by   Period
		t    string
		want string
	}{
		{Day, "2026-02-01 23:59:59", "2026-02-01 00:00:00"},
		{Day, "2026-02-02 00:00:00", "2026-02-02 00:00:00"},
		{Week, "2026-02-01 23:59:59", "2026-01-26 00:00:00"}, // a Sunday
		{Week, "2026-02-02 00:00:00", "2026-02-02 00:00:00"}, // a Monday
		{Week, "1970-01-01 09:00:00", "1969-12-29 00:00:00"},
		{Month, "2026-12-31 23:59:59", "2026-12-01 00:00:00"},
		{Month, "2024-02-29 12:00:00", "2024-02-01 00:00:00"},
	} {
		if got := bucketStart(c.by, dayOf(sh(c.t))); got != sh(c.want) {
			t.Errorf("%s %s: %s, want %s", c.by, c.t, time.Unix(got, 0).In(shanghai.Zone), c.want)
		}
	}
	if _, err := ParsePeriod("year"); err == nil {
		t.Error("year accepted")
	}
}

func TestForecast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		o := func(id string, st Status, paid, settled string, est, settledIncome int64) Order {
			x := Order{TradeID: id, Status: st, PaidAt: sh(paid), EstIncome: est, SettledIncome: settledIncome}
			if settled != "" {
				x.SettledAt = sh(settled)
			}
			return x
		}
		orders := []Order{
			o("s1", Settled, "2026-02-01 10:00:00", "2026-02-15 10:00:00", 1000, 900),  // paid on 03-20
			o("s0", Settled, "2026-01-01 10:00:00", "2026-01-15 10:00:00", 500, 500),   // paid out on 02-20
			o("s2", Settled, "2026-02-20 10:00:00", "2026-03-05 10:00:00", 2000, 2000), // 04-20
			o("r1", Received, "2026-02-25 10:00:00", "", 300, 0),                       // confirmed ~03-04: 04-20
			o("r0", Received, "2026-01-20 10:00:00", "", 70, 0),                        // late: the next pay day, 03-20
			o("p1", Paid, "2026-03-08 10:00:00", "", 400, 0),                           // ~03-15: 04-20
			o("p0", Paid, "2026-02-01 10:00:00", "", 50, 0),                            // overdue: from today, 04-20
			o("p2", Paid, "2026-03-28 10:00:00", "", 60, 0),                            // (paid after now: a clock skew) 04-04: 05-20
			o("x1", Invalid, "2026-02-10 10:00:00", "", 800, 0),
		}
		if _, err := s.Import(ctx, orders); err != nil {
			t.Fatal(err)
		}
		now := time.Unix(sh("2026-03-10 12:00:00"), 0)
		f, err := s.Forecast(ctx, ForecastOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		type m struct {
			month              string
			confirmed, pending int64
			cOrders, pOrders   int64
		}
		var got []m
		for _, p := range f.Coming {
			got = append(got, m{p.Month, p.Confirmed, p.Pending, p.ConfirmedOrders, p.PendingOrders})
			if p.Expected != p.Confirmed+p.Pending || p.Orders != p.ConfirmedOrders+p.PendingOrders || p.PayDate.Day() != 20 {
				t.Errorf("payout %+v", p)
			}
		}
		want := []m{{"2026-03", 970, 0, 2, 0}, {"2026-04", 2300, 450, 2, 2}, {"2026-05", 0, 60, 0, 1}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("coming\n got %v\nwant %v", got, want)
		}
		// History: by month of payment, estimates against settlements.
		hist := map[string]SettledMonth{}
		for _, h := range f.History {
			hist[h.Month] = h
		}
		if len(f.History) != 6 || f.History[0].Month != "2025-09" || f.History[5].Month != "2026-02" {
			t.Fatalf("history months %+v", f.History)
		}
		if h := hist["2026-01"]; h.Orders != 2 || h.Estimated != 570 || h.Settled != 500 || h.Gap != 70 || h.Open != 1 || h.Complete {
			t.Errorf("2026-01 %+v", h)
		}
		if h := hist["2026-02"]; h.Orders != 5 || h.Estimated != 4150 || h.Settled != 2900 || h.Failed != 1 || h.Gap != 1250 || h.GapBP != 3012 {
			t.Errorf("2026-02 %+v", h)
		}
		// After the 20th, March's pay day is past: the forecast starts in April.
		f, err = s.Forecast(ctx, ForecastOptions{Now: time.Unix(sh("2026-03-20 10:00:00"), 0), PayDay: 20})
		if err != nil {
			t.Fatal(err)
		}
		if f.Coming[0].Month != "2026-04" {
			t.Fatalf("after the pay day: %+v", f.Coming)
		}
		// s1 (settled in February) has been paid; r0 is overdue: the next pay day.
		if p := f.Coming[0]; p.Confirmed != 2000+300+70 {
			t.Errorf("April after the 20th: %+v", p)
		}
	})
}
