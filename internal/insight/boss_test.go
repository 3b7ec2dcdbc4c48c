package insight

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// bossWorld is randomised data behind a boss's table, kept in memory too
// for the brute-force reference.
type bossWorld struct {
	groups []*community.Group
	days   map[int64]map[int64]health.Day // group → day → figures
	costs  []Cost
	states map[int64]health.State
	first  int64 // the first day any group has
}

// seedBoss stores n groups with random days (random starts, some gaps),
// random costs (some for no group) and random verdicts.
func seedBoss(t *testing.T, db *store.DB, seed uint64, n int, first int64, span int) *bossWorld {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	w := &bossWorld{days: map[int64]map[int64]health.Day{}, states: map[int64]health.State{}, first: first}
	owners := []string{"", "小李", "老王", "Ann"}
	tags := []string{"母婴", "数码", "美妆"}
	cs := community.NewStore(db)
	var all []health.GroupDays
	var judged []health.Judged
	for i := range n {
		g := &community.Group{Name: fmt.Sprintf("群%02d", i), Channel: community.Manual, Owner: owners[rng.IntN(len(owners))],
			Active: true}
		for _, tag := range tags {
			if rng.IntN(3) == 0 {
				g.Tags = append(g.Tags, tag)
			}
		}
		if err := cs.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		w.groups = append(w.groups, g)
		w.days[g.ID] = map[int64]health.Day{}
		start := first + int64(rng.IntN(span/2))
		members := int64(rng.IntN(300))
		gd := health.GroupDays{GroupID: g.ID}
		for d := start; d < first+int64(span); d++ {
			if rng.IntN(10) == 0 {
				continue // a gap
			}
			joins, leaves := int64(rng.IntN(20)), int64(rng.IntN(15))
			members = max(0, members+joins-leaves)
			day := health.Day{Day: d, Members: members, Tracked: true, Joins: joins, LeavesSelf: leaves / 2,
				LeavesRemoved: leaves - leaves/2, LeavesOther: int64(rng.IntN(2)), Active: int64(rng.IntN(40)),
				Posts: int64(rng.IntN(8)), Orders: int64(rng.IntN(30)), IncomeFen: int64(rng.IntN(50000))}
			gd.Days = append(gd.Days, day)
			w.days[g.ID][d] = day
		}
		all = append(all, gd)
		if rng.IntN(4) > 0 {
			st := []health.State{health.OK, health.Watch, health.Warning, health.Dead}[rng.IntN(4)]
			w.states[g.ID] = st
			judged = append(judged, health.Judged{GroupID: g.ID, Verdict: health.Verdict{Day: first + int64(span) - 1,
				Score: 50, State: st}, Members: members, Peak: members})
		}
	}
	hs := health.NewStore(db)
	if err := hs.SaveDays(ctx, all); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.SaveVerdicts(ctx, judged); err != nil {
		t.Fatal(err)
	}
	for range 3 * n {
		c := Cost{Day: DayTime(first + int64(rng.IntN(span))), Kind: Ads, AmountFen: int64(1 + rng.IntN(2_000_000))}
		if rng.IntN(5) == 0 {
			c.Campaign = "抖音投放"
		} else {
			c.GroupID = w.groups[rng.IntN(n)].ID
		}
		w.costs = append(w.costs, c)
	}
	if err := NewStore(db).AddCosts(ctx, w.costs); err != nil {
		t.Fatal(err)
	}
	return w
}

// reference computes a table's rows the slow way, from the figures kept in
// memory: key → row (the totals under "\x00total").
func (w *bossWorld) reference(q BossQuery) (map[string]BossRow, int64) {
	from, to := q.Period.Bounds(q.Day)
	out := map[string]BossRow{}
	total := BossRow{Health: map[health.State]int64{}}
	var unassigned int64
	known := map[int64]bool{}
	for _, g := range w.groups {
		known[g.ID] = true
	}
	for _, c := range w.costs {
		d := DayOf(c.Day)
		if d >= from && d <= to && !known[c.GroupID] {
			unassigned += c.AmountFen
		}
	}
	for _, g := range w.groups {
		if q.OnlyMine && g.Owner != q.Owner {
			continue
		}
		var r BossRow
		in := false
		last := int64(-1)
		for d := from; d <= to; d++ {
			day, ok := w.days[g.ID][d]
			if !ok {
				continue
			}
			in = true
			last = d
			r.MemberDays += day.Members
			r.Joins += day.Joins
			r.Leaves += day.Leaves()
			r.Active += day.Active
			r.Posts += day.Posts
			r.Orders += day.Orders
			r.IncomeFen += day.IncomeFen
		}
		if last >= 0 {
			r.Members = w.days[g.ID][last].Members
		}
		if day, ok := w.days[g.ID][from-1]; ok && in {
			r.Opening = day.Members
		}
		for _, c := range w.costs {
			if d := DayOf(c.Day); c.GroupID == g.ID && d >= from && d <= to {
				r.CostFen += c.AmountFen
				in = true
			}
		}
		if !in {
			continue
		}
		keys := []string{g.Owner}
		switch q.By {
		case ByGroup:
			keys = []string{fmt.Sprint(g.ID)}
		case ByTag:
			keys = g.Tags
			if len(keys) == 0 {
				keys = []string{""}
			}
		}
		for _, k := range append(keys, "\x00total") {
			o, ok := out[k]
			if !ok {
				o.Health = map[health.State]int64{}
			}
			o.Groups++
			o.Members += r.Members
			o.Opening += r.Opening
			o.MemberDays += r.MemberDays
			o.Joins += r.Joins
			o.Leaves += r.Leaves
			o.Active += r.Active
			o.Posts += r.Posts
			o.Orders += r.Orders
			o.IncomeFen += r.IncomeFen
			o.CostFen += r.CostFen
			if st, ok := w.states[g.ID]; ok {
				o.Health[st]++
			}
			out[k] = o
		}
	}
	_ = total
	if !q.OnlyMine {
		t := out["\x00total"]
		if t.Health == nil {
			t.Health = map[health.State]int64{}
		}
		t.CostFen += unassigned
		out["\x00total"] = t
	}
	for k, o := range out {
		o.NetGrowth = o.Members - o.Opening
		if o.CostFen > 0 && o.Joins > 0 {
			o.HasCAC = true
			o.CACFen = int64(math.Floor(float64(o.CostFen)/float64(o.Joins) + 0.5))
			if o.MemberDays > 0 {
				r := float64(o.IncomeFen) / float64(o.MemberDays)
				q := 1 - min(1, float64(o.Leaves)/float64(o.MemberDays))
				sum, s := 0.0, 1.0
				for a := range PaybackHorizon {
					sum += r * s
					s *= q
					if sum >= float64(o.CACFen)-1e-9 {
						o.PaybackDays, o.HasPayback = a+1, true
						break
					}
				}
			}
		}
		out[k] = o
	}
	return out, unassigned
}

// TestBossAgainstBruteForce checks every column of the table, for every
// period and grouping, against the brute-force reference on randomised
// data, on both engines.
func TestBossAgainstBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		first := DayOf(time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC))
		w := seedBoss(t, db, 42, 14, first, 80)
		b := NewBossSources(community.NewStore(db), health.NewStore(db), NewStore(db))
		days := []int64{first, first + 11, first + 40, first + 79, first + 200}
		for _, p := range []Period{PeriodDay, PeriodWeek, PeriodMonth} {
			for _, by := range []Grouping{ByOperator, ByGroup, ByTag} {
				for _, d := range days {
					for _, mine := range []string{"", "-", "小李"} {
						q := BossQuery{Period: p, By: by, Day: d, Owner: mine, OnlyMine: mine != "-"}
						if mine == "-" {
							q.Owner = ""
						}
						if mine == "" {
							q.OnlyMine = false
						}
						name := fmt.Sprintf("%s/%s/%d/%q", p, by, d, mine)
						got, err := b.Boss(ctx, q)
						if err != nil {
							t.Fatal(name, err)
						}
						want, unassigned := w.reference(q)
						if !q.OnlyMine && got.UnassignedCostFen != unassigned {
							t.Errorf("%s: unassigned %d, want %d", name, got.UnassignedCostFen, unassigned)
						}
						if len(got.Rows)+1 != len(want) && !(len(got.Rows) == 0 && len(want) == 0) {
							t.Errorf("%s: %d rows, want %d", name, len(got.Rows), len(want)-1)
						}
						check := func(key string, g BossRow) {
							r, ok := want[key]
							if !ok {
								t.Errorf("%s: row %q not expected", name, key)
								return
							}
							if g.Groups != r.Groups || g.Members != r.Members || g.Opening != r.Opening ||
								g.NetGrowth != r.NetGrowth || g.MemberDays != r.MemberDays || g.Joins != r.Joins ||
								g.Leaves != r.Leaves || g.Active != r.Active || g.Posts != r.Posts || g.Orders != r.Orders ||
								g.IncomeFen != r.IncomeFen || g.CostFen != r.CostFen || g.HasCAC != r.HasCAC ||
								g.CACFen != r.CACFen || g.HasPayback != r.HasPayback || g.PaybackDays != r.PaybackDays {
								t.Errorf("%s row %q:\n got %+v\nwant %+v", name, key, g, r)
							}
							for _, st := range []health.State{health.OK, health.Watch, health.Warning, health.Dead} {
								if g.Health[st] != r.Health[st] {
									t.Errorf("%s row %q: %d %s, want %d", name, key, g.Health[st], st, r.Health[st])
								}
							}
						}
						for _, g := range got.Rows {
							check(g.Key, g)
						}
						if len(want) > 0 {
							check("\x00total", got.Total)
						}
					}
				}
			}
		}
	})
}

// TestBossSort sorts by every column both ways, rows without a figure last.
func TestBossSort(t *testing.T) {
	rows := []BossRow{
		{Key: "a", Label: "甲", IncomeFen: 300, MemberDays: 100, CostFen: 100, Joins: 10, CACFen: 10, HasCAC: true},
		{Key: "b", Label: "乙", IncomeFen: 100, MemberDays: 0},
		{Key: "c", Label: "丙", IncomeFen: 200, MemberDays: 10, CostFen: 900, Joins: 10, CACFen: 90, HasCAC: true},
	}
	order := func() string {
		s := ""
		for _, r := range rows {
			s += r.Key
		}
		return s
	}
	for _, c := range []struct {
		col  string
		asc  bool
		want string
	}{{"income", false, "acb"}, {"income", true, "bca"}, {"cac", false, "cab"}, {"cac", true, "acb"},
		{"per_member_day", false, "cab"}, {"per_member_day", true, "acb"}} {
		SortBoss(rows, c.col, c.asc)
		if got := order(); got != c.want {
			t.Errorf("%s asc=%v: %s, want %s", c.col, c.asc, got, c.want)
		}
	}
}

// TestBossPeriods: a week starts on Monday, a month on the 1st.
func TestBossPeriods(t *testing.T) {
	d := DayOf(time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)) // a Wednesday
	from, to := PeriodWeek.Bounds(d)
	if DayTime(from).Format("2006-01-02 Mon") != "2026-11-16 Mon" || to-from != 6 {
		t.Errorf("week %s – %s", DayTime(from), DayTime(to))
	}
	from, to = PeriodMonth.Bounds(d)
	if DayTime(from).Format("2006-01-02") != "2026-11-01" || DayTime(to).Format("2006-01-02") != "2026-11-30" {
		t.Errorf("month %s – %s", DayTime(from), DayTime(to))
	}
	if _, err := ParsePeriod("year"); err == nil {
		t.Error("year accepted")
	}
	if _, err := ParseGrouping("city"); err == nil {
		t.Error("city accepted")
	}
}

// TestBossPaybackWorkedExample: 10 yuan at 2 fen a member-day and no one
// leaving pays back in 500 days; at a leave rate that caps the lifetime
// income below the cost, never.
func TestBossPaybackWorkedExample(t *testing.T) {
	if d, ok := BossPayback(1000, 2, 0); !ok || d != 500 {
		t.Errorf("got %d %v, want 500", d, ok)
	}
	if _, ok := BossPayback(1000, 2, 0.01); ok { // lifetime income 2/0.01 = 200 fen < 1000
		t.Error("paid back")
	}
	if d, ok := BossPayback(1000, 17, 0); !ok || d != 59 {
		t.Errorf("got %d %v, want 59", d, ok)
	}
}
