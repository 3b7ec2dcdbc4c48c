package insight

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestWeekStart(t *testing.T) {
	for _, c := range []struct{ day, want string }{{"2026-06-08", "2026-06-08"}, {"2026-06-14", "2026-06-08"},
		{"2026-06-10", "2026-06-08"}, {"1970-01-01", "1969-12-29"}, {"1969-12-31", "1969-12-29"}} {
		d, _ := time.ParseInLocation("2006-01-02", c.day, shanghai.Zone)
		w, _ := time.ParseInLocation("2006-01-02", c.want, shanghai.Zone)
		if got := WeekStart(shanghai.Day(d.Unix())); got != shanghai.Day(w.Unix()) {
			t.Errorf("WeekStart(%s) = %s, want %s", c.day, DayTime(got).Format("2006-01-02"), c.want)
		}
	}
}

func TestQuintileAndSegments(t *testing.T) {
	// Ties share a score: five members, three with one order.
	ms := []MemberRFM{{MemberID: 1, LastDay: 10, Orders: 1, MoneyFen: 100}, {MemberID: 2, LastDay: 20, Orders: 1, MoneyFen: 200},
		{MemberID: 3, LastDay: 30, Orders: 1, MoneyFen: 300}, {MemberID: 4, LastDay: 40, Orders: 2, MoneyFen: 400},
		{MemberID: 5, LastDay: 50, Orders: 3, MoneyFen: 500}}
	ScoreRFM(ms)
	want := []struct {
		r, f, m int
		seg     Segment
	}{{1, 1, 1, SegHibernating}, {2, 1, 2, SegHibernating}, {3, 1, 3, SegHibernating}, {4, 4, 4, SegChampions}, {5, 5, 5, SegChampions}}
	for i, w := range want {
		if ms[i].R != w.r || ms[i].F != w.f || ms[i].M != w.m || ms[i].Segment != w.seg {
			t.Errorf("member %d: %+v, want %+v", i+1, ms[i], w)
		}
	}
	for _, c := range []struct {
		r, f, m int
		seg     Segment
	}{{5, 1, 5, SegBigNew}, {1, 5, 5, SegBigSlipping}, {1, 1, 4, SegBigLost}, {4, 4, 1, SegLoyal}, {5, 3, 3, SegNew}, {3, 5, 3, SegSlipping}} {
		if got := SegmentOf(c.r, c.f, c.m); got != c.seg {
			t.Errorf("SegmentOf(%d,%d,%d) = %s, want %s", c.r, c.f, c.m, got, c.seg)
		}
	}
}

// world is randomised members, stays and orders written through the
// owners, and the reference computed from what landed.
type world struct {
	now     time.Time
	members []int64
}

func buildWorld(t *testing.T, db *store.DB, seed uint64) world {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 7))
	gs := community.NewStore(db)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, shanghai.Zone)
	var groups []int64
	for i := range 4 {
		g := &community.Group{Name: fmt.Sprintf("群%d", i), Channel: community.Manual, Active: true}
		if err := gs.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g.ID)
	}
	span := int64(20 * 7 * 86400)
	var evs []community.MemberEvent
	for m := range 80 {
		ext := strconv.Itoa(1000 + m)
		for _, g := range groups {
			if r.IntN(3) != 0 {
				continue
			}
			at := now.Unix() - span + r.Int64N(span+3*86400) // a few joins after now: not counted
			key := fmt.Sprintf("t:%s:%d", ext, g)
			evs = append(evs, community.MemberEvent{Key: key + ":j1", Source: community.SourceTelegram, GroupID: g, Kind: community.Join,
				At: time.Unix(at, 0), ExternalID: ext, Name: "成员" + ext})
			if r.IntN(2) == 0 {
				left := at + r.Int64N(60*86400)
				evs = append(evs, community.MemberEvent{Key: key + ":l1", Source: community.SourceTelegram, GroupID: g, Kind: community.Leave,
					At: time.Unix(left, 0), ExternalID: ext})
				if r.IntN(2) == 0 {
					back := left + r.Int64N(30*86400)
					evs = append(evs, community.MemberEvent{Key: key + ":j2", Source: community.SourceTelegram, GroupID: g, Kind: community.Join,
						At: time.Unix(back, 0), ExternalID: ext})
				}
			}
		}
	}
	if _, err := gs.ApplyEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, external_id FROM members ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	w := world{now: now}
	for rows.Next() {
		var id int64
		var ext string
		if err := rows.Scan(&id, &ext); err != nil {
			t.Fatal(err)
		}
		w.members = append(w.members, id)
		if err := gs.Bind(ctx, id, community.PersonTaobao, community.KindSpecialID, "7"+ext); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	os := orders.NewStore(db)
	statuses := []orders.Status{orders.Paid, orders.Paid, orders.Received, orders.Settled, orders.Invalid, orders.Refunded}
	var batch []orders.Order
	ospan := int64(400 * 86400)
	for i := range 600 {
		special := "7" + strconv.Itoa(1000+r.IntN(90)) // some bound to nobody
		paid := now.Unix() - ospan + r.Int64N(ospan+5*86400)
		batch = append(batch, orders.Order{Platform: orders.PlatformTaobao, TradeID: strconv.Itoa(9000 + i), AdzoneID: strconv.Itoa(500 + r.IntN(5)),
			ItemID: "X", SpecialID: special, CreatedAt: paid, PaidAt: paid, Status: statuses[r.IntN(len(statuses))],
			EstIncome: r.Int64N(500), PaidAmount: 1000})
	}
	if _, err := os.Import(ctx, batch); err != nil {
		t.Fatal(err)
	}
	return w
}

// refRetention is the retention triangle computed day by day from the
// memberships: cohort Monday -> weeks -> members.
func refRetention(t *testing.T, db *store.DB, now time.Time) map[int64][]int64 {
	t.Helper()
	nowDay := shanghai.Day(now.Unix())
	rows, err := db.Query(`SELECT member_id, joined_at, left_at FROM memberships WHERE joined_at <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	type stay struct{ a, b int64 } // days, both included
	stays := map[int64][]stay{}
	for rows.Next() {
		var m, j, l int64
		if err := rows.Scan(&m, &j, &l); err != nil {
			t.Fatal(err)
		}
		a := shanghai.Day(j)
		if a > nowDay {
			continue
		}
		b := nowDay
		if l != 0 {
			b = min(shanghai.Day(max(l, j)), nowDay)
		}
		stays[m] = append(stays[m], stay{a, b})
	}
	rows.Close()
	out := map[int64][]int64{}
	for _, ss := range stays {
		first := ss[0].a
		for _, s := range ss {
			first = min(first, s.a)
		}
		// the Monday on or before first, by walking back
		c := first
		for DayTime(c).Weekday() != time.Monday {
			c--
		}
		var row []int64
		for wk := c; wk <= nowDay; wk += 7 {
			in := false
			for d := wk; d < wk+7 && !in; d++ {
				for _, s := range ss {
					if s.a <= d && d <= s.b {
						in = true
					}
				}
			}
			n := int64(0)
			if in {
				n = 1
			}
			row = append(row, n)
		}
		if out[c] == nil {
			out[c] = make([]int64, len(row))
		}
		for k, v := range row {
			out[c][k] += v
		}
	}
	return out
}

type refOrder struct {
	member, paid, income int64
}

func refOrders(t *testing.T, db *store.DB, now time.Time) map[int64][]refOrder {
	t.Helper()
	rows, err := db.Query(`SELECT member_id, paid_at, est_income, status FROM orders WHERE member_id <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]refOrder{}
	for rows.Next() {
		var o refOrder
		var status string
		if err := rows.Scan(&o.member, &o.paid, &o.income, &status); err != nil {
			t.Fatal(err)
		}
		if status == "invalid" || status == "refunded" || o.paid <= 0 || o.paid > now.Unix() {
			continue
		}
		out[o.member] = append(out[o.member], o)
	}
	rows.Close()
	return out
}

func month(t int64) int64 {
	tt := time.Unix(t, 0).In(shanghai.Zone)
	return int64(tt.Year())*12 + int64(tt.Month()) - 1
}

// refRepurchase: cohort month -> months since -> members, orders, income.
func refRepurchase(byMember map[int64][]refOrder, now time.Time) map[int64][]RepurchaseCell {
	out := map[int64][]RepurchaseCell{}
	nowMonth := month(now.Unix())
	for _, os := range byMember {
		first := os[0].paid
		for _, o := range os {
			first = min(first, o.paid)
		}
		c := month(first)
		if out[c] == nil {
			out[c] = make([]RepurchaseCell, nowMonth-c+1)
		}
		seen := map[int64]bool{}
		for _, o := range os {
			k := month(o.paid) - c
			out[c][k].Orders++
			out[c][k].IncomeFen += o.income
			if !seen[k] {
				seen[k] = true
				out[c][k].Members++
			}
		}
	}
	return out
}

func TestCohortsAgainstReference(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) { checkCohorts(t, db, seed) })
		})
	}
}

func checkCohorts(t *testing.T, db *store.DB, seed uint64) {
	ctx := context.Background()
	w := buildWorld(t, db, seed)
	gs := community.NewStore(db)
	c := NewCohorts(db, gs, orders.NewStore(db))
	c.Now = func() time.Time { return w.now }
	st, err := c.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Joined == 0 || st.Buyers == 0 {
		t.Fatalf("empty world: %+v", st)
	}

	// Retention: rollup, plain SQL and reference agree.
	ref := refRetention(t, db, w.now)
	tri, err := c.Retention(ctx, MaxPeriods)
	if err != nil {
		t.Fatal(err)
	}
	if len(tri.Rows) != len(ref) {
		t.Fatalf("retention: %d cohorts, reference %d", len(tri.Rows), len(ref))
	}
	for _, row := range tri.Rows {
		want := ref[shanghai.Day(row.Start.Unix())]
		got := make([]int64, len(row.Cells))
		for k, cell := range row.Cells {
			got[k] = cell.Members
			if cell.ShareBP != Share(cell.Members, want[0]) {
				t.Errorf("retention %s week %d: share %d", row.Start, k, cell.ShareBP)
			}
		}
		if !slices.Equal(got, want) || row.Size != want[0] {
			t.Errorf("retention cohort %s: %v (size %d), reference %v", row.Start.Format("2006-01-02"), got, row.Size, want)
		}
	}
	plain, err := gs.RetentionSQL(ctx, 0, shanghai.Day(w.now.Unix()))
	if err != nil {
		t.Fatal(err)
	}
	fromPlain := map[int64][]int64{}
	for _, p := range plain {
		r := fromPlain[p.Cohort]
		for int64(len(r)) <= p.Week {
			r = append(r, 0)
		}
		r[p.Week] = p.Members
		fromPlain[p.Cohort] = r
	}
	for cohort, want := range ref {
		got := fromPlain[cohort]
		for len(got) < len(want) {
			got = append(got, 0) // the plain SQL leaves out empty weeks
		}
		if !slices.Equal(got, want) {
			t.Errorf("retention (plain SQL) cohort %s: %v, reference %v", DayTime(cohort).Format("2006-01-02"), got, want)
		}
	}

	// Repurchase: rollup, plain SQL and reference agree.
	byMember := refOrders(t, db, w.now)
	refRep := refRepurchase(byMember, w.now)
	rep, err := c.Repurchase(ctx, MaxPeriods)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != len(refRep) {
		t.Fatalf("repurchase: %d cohorts, reference %d", len(rep.Rows), len(refRep))
	}
	for _, row := range rep.Rows {
		want := refRep[month(row.Start.Unix())]
		for k, cell := range row.Cells {
			if cell.Members != want[k].Members || cell.Orders != want[k].Orders || cell.IncomeFen != want[k].IncomeFen {
				t.Errorf("repurchase %s +%d: %+v, reference %+v", row.Start.Format("2006-01"), k, cell, want[k])
			}
		}
		if len(row.Cells) != len(want) {
			t.Errorf("repurchase %s: %d months, reference %d", row.Start.Format("2006-01"), len(row.Cells), len(want))
		}
	}
	for _, mb := range rep.Months {
		m := month(mb.Month.Unix())
		var first, again int64
		for _, os := range byMember {
			f := os[0].paid
			ordered := false
			for _, o := range os {
				f = min(f, o.paid)
				ordered = ordered || month(o.paid) == m
			}
			if month(f) == m {
				first++
			} else if ordered && month(f) < m {
				again++
			}
		}
		if mb.FirstTime != first || mb.Recurring != again {
			t.Errorf("month %s: first-time %d recurring %d, reference %d %d", mb.Month.Format("2006-01"), mb.FirstTime, mb.Recurring, first, again)
		}
	}
	minMonth := month(w.now.Unix()) - 30
	plainRep, err := orders.NewStore(db).RepurchaseSQL(ctx, minMonth, w.now)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range plainRep {
		want := refRep[p.Cohort]
		if int(p.Month) >= len(want) || want[p.Month].Members != p.Members || want[p.Month].Orders != p.Orders || want[p.Month].IncomeFen != p.IncomeFen {
			t.Errorf("repurchase (plain SQL) %d +%d: %+v, reference %v", p.Cohort, p.Month, p, want)
		}
		n++
	}
	if n == 0 {
		t.Error("repurchase (plain SQL): no cells")
	}

	// RFM: each member's figures and scores by brute force.
	type fig struct{ last, n, money int64 }
	figs := map[int64]fig{}
	for m, os := range byMember {
		var f fig
		for _, o := range os {
			f.last = max(f.last, shanghai.Day(o.paid))
			f.n++
			f.money += o.income
		}
		figs[m] = f
	}
	score := func(v int64, get func(fig) int64) int {
		below := 0
		for _, f := range figs {
			if get(f) < v {
				below++
			}
		}
		return 1 + 5*below/len(figs)
	}
	got := 0
	segCount := map[Segment]int64{}
	err = c.EachRFM(ctx, "", func(m MemberRFM) error {
		got++
		f, ok := figs[m.MemberID]
		if !ok {
			t.Errorf("rfm: member %d has no counted orders", m.MemberID)
			return nil
		}
		r, fq, mo := score(f.last, func(f fig) int64 { return f.last }), score(f.n, func(f fig) int64 { return f.n }), score(f.money, func(f fig) int64 { return f.money })
		if m.LastDay != f.last || m.Orders != f.n || m.MoneyFen != f.money || m.R != r || m.F != fq || m.M != mo || m.Segment != SegmentOf(r, fq, mo) {
			t.Errorf("rfm member %d: %+v, reference %+v r%d f%d m%d", m.MemberID, m, f, r, fq, mo)
		}
		if m.Name == "" {
			t.Errorf("rfm member %d: no name", m.MemberID)
		}
		segCount[m.Segment]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != len(figs) {
		t.Errorf("rfm: %d members, reference %d", got, len(figs))
	}
	report, err := c.RFM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range report.Segments {
		if s.Members != segCount[s.Segment] {
			t.Errorf("segment %s: %d members, listed %d", s.Segment, s.Members, segCount[s.Segment])
		}
		total += s.Members
		list, err := c.SegmentMembers(ctx, s.Segment, 0, 1000)
		if err != nil || int64(len(list)) != s.Members {
			t.Errorf("segment %s list: %d (%v), want %d", s.Segment, len(list), err, s.Members)
		}
	}
	if total != int64(len(figs)) || report.Run.Members != total {
		t.Errorf("segments add up to %d, run %d, want %d", total, report.Run.Members, len(figs))
	}
	if report.Run.MemberIncomeFen > report.Run.IncomeFen || report.Run.IncomeFen == 0 {
		t.Errorf("income to members %d of %d", report.Run.MemberIncomeFen, report.Run.IncomeFen)
	}

	// A second refresh replaces, never adds.
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := c.Retention(ctx, MaxPeriods)
	if err != nil || len(again.Rows) != len(tri.Rows) || again.Rows[0].Size != tri.Rows[0].Size {
		t.Errorf("second refresh: %v", err)
	}
}

// TestCohortsTwoServers: two servers rebuilding at once (the lease aside)
// leave one whole set of rollups, the same as one rebuild.
func TestCohortsTwoServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := buildWorld(t, db, 4)
		mk := func() *Cohorts {
			c := NewCohorts(db, community.NewStore(db), orders.NewStore(db))
			c.Now = func() time.Time { return w.now }
			return c
		}
		one := mk()
		if _, err := one.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		want, err := one.Repurchase(ctx, MaxPeriods)
		if err != nil {
			t.Fatal(err)
		}
		wantRFM, _ := one.RFM(ctx)
		errs := make(chan error, 2)
		for range 2 {
			go func() { _, err := mk().Refresh(ctx); errs <- err }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got, err := one.Repurchase(ctx, MaxPeriods)
		if err != nil {
			t.Fatal(err)
		}
		gotRFM, _ := one.RFM(ctx)
		if fmt.Sprint(got.Rows) != fmt.Sprint(want.Rows) || fmt.Sprint(gotRFM.Segments) != fmt.Sprint(wantRFM.Segments) {
			t.Errorf("after two rebuilds at once:\n%v\n%v, want\n%v\n%v", got.Rows, gotRFM.Segments, want.Rows, wantRFM.Segments)
		}
	})
}
