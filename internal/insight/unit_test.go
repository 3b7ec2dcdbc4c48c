package insight

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// refStay is one stay as the test made it (day numbers; left -1: in).
type refStay struct {
	group, person int
	joined, left  int64
	source        Source
}

type unitOrder struct {
	group  int   // index, -1: no group
	person int   // -1: no bound id
	day    int64 // Shanghai day of payment
	fen    int64 // est income
	failed bool
}

// TestEconomicsAgainstReference writes random groups, members (joins,
// leaves, re-joins; bought, invited and organic), orders (some bound to
// members, some failed, some of no group), costs, fission rewards in the
// ledger and health days through the owners' methods, and checks every
// figure of every cut against a reference recomputed here from the raw
// events and orders, on both engines.
func TestEconomicsAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) { econReference(t, db, seed) })
		})
	}
}

func econReference(t *testing.T, db *store.DB, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 77))
	gs := community.NewStore(db)
	day0 := shanghai.Day(time.Date(2026, 3, 1, 0, 0, 0, 0, shanghai.Zone).Unix())
	from, to, now := day0, day0+90, day0+95 // the window ends before today
	if seed == 2 {
		to = day0 + 120 // today inside the window
		now = day0 + 100
	}
	at := func(d int64) time.Time { return time.Unix(d*86400-shanghai.Offset+int64(rng.IntN(80000)), 0) }

	// Groups: 4, two owners, tags.
	nG := 4
	groups := make([]*community.Group, nG)
	owners := []string{"老王", "小李", ""}
	tagSets := [][]string{{"母婴"}, {"数码", "母婴"}, nil, {"数码"}}
	for i := range groups {
		g := &community.Group{Name: fmt.Sprintf("群%d-%d", seed, i), Channel: community.Manual, Active: true,
			PIDTaobao: fmt.Sprintf("mm_1_2_%d%d", seed, i), Owner: owners[i%3], Tags: tagSets[i]}
		if err := gs.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		groups[i] = g
	}
	gid := func(i int) int64 { return groups[i].ID }

	// Members: persons with one to three stays in a group (a re-join is a
	// new stay); some joined before the window.
	var stays []refStay
	var evs []community.MemberEvent
	persons := 50
	for p := range persons {
		g := rng.IntN(nG)
		if p%7 == 0 && g > 0 {
			g = 0
		}
		d := from - 20 + int64(rng.IntN(int(now-from+20)))
		src := Organic
		ev := community.MemberEvent{Source: community.SourceSheet, GroupID: gid(g), Kind: community.Join,
			ExternalID: fmt.Sprintf("s%d-p%d", seed, p), Name: fmt.Sprintf("p%d", p)}
		switch rng.IntN(3) {
		case 0:
			src, ev.InviteLink = Bought, "tf-1"
		case 1:
			src, ev.JoinHow, ev.Inviter = Fission, community.JoinInvite, "inv"
		}
		for k := 0; d <= now; k++ {
			e := ev
			e.At = at(d)
			e.Key = fmt.Sprintf("t%d:%d:%d:join", seed, p, k)
			evs = append(evs, e)
			st := refStay{group: g, person: p, joined: d, left: -1, source: src}
			if rng.IntN(2) == 0 {
				l := d + int64(rng.IntN(60))
				if l <= now {
					st.left = l
					le := community.MemberEvent{Source: community.SourceSheet, GroupID: gid(g), Kind: community.Leave,
						ExternalID: ev.ExternalID, Key: fmt.Sprintf("t%d:%d:%d:leave", seed, p, k)}
					le.At = time.Unix(l*86400-shanghai.Offset+80000+int64(rng.IntN(6000)), 0)
					evs = append(evs, le)
					stays = append(stays, st)
					d = l + 1 + int64(rng.IntN(40))
					// A re-join is organic: the purchase or the invitation
					// was the first join's.
					ev.InviteLink, ev.Inviter, ev.JoinHow, src = "", "", "", Organic
					continue
				}
			}
			stays = append(stays, st)
			break
		}
	}
	if _, err := gs.ApplyEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	// Member ids, and special ids bound to the even persons.
	memberOf := map[int]int64{}
	for p := range persons {
		rows, _, err := gs.Members(ctx, community.MemberFilter{Query: fmt.Sprintf("s%d-p%d", seed, p)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.ExternalID == fmt.Sprintf("s%d-p%d", seed, p) {
				memberOf[p] = r.ID
			}
		}
		if memberOf[p] == 0 {
			t.Fatalf("person %d not registered", p)
		}
		if p%2 == 0 {
			if err := gs.Bind(ctx, memberOf[p], "taobao", "special_id", fmt.Sprintf("%d%03d", seed, p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Orders.
	var ros []unitOrder
	var os []orders.Order
	for i := range 400 {
		o := unitOrder{group: rng.IntN(nG+1) - 1, person: -1, day: from - 5 + int64(rng.IntN(int(now-from+5))),
			fen: int64(rng.IntN(400))}
		oo := orders.Order{Platform: "taobao", TradeID: fmt.Sprintf("e%d-%d", seed, i), AdzoneID: "0", EstIncome: o.fen,
			PaidAmount: 1000, Status: orders.Paid, ParentID: fmt.Sprintf("e%d-%d", seed, i)}
		if o.group >= 0 {
			oo.AdzoneID = fmt.Sprintf("%d%d", seed, o.group)
		}
		oo.PaidAt = o.day*86400 - shanghai.Offset + int64(rng.IntN(86400))
		oo.CreatedAt = oo.PaidAt
		switch rng.IntN(6) {
		case 0:
			oo.Status, o.failed = orders.Invalid, true
		case 1:
			oo.Status, o.failed = orders.Refunded, true
		case 2:
			oo.Status, oo.SettledIncome, oo.SettledAt = orders.Settled, o.fen, oo.PaidAt+86400*3
		}
		if rng.IntN(2) == 0 {
			p := rng.IntN(persons)
			oo.SpecialID = fmt.Sprintf("%d%03d", seed, p)
			if p%2 == 0 {
				o.person = p
			}
		}
		ros, os = append(ros, o), append(os, oo)
	}
	if _, err := orders.NewStore(db).Import(ctx, os); err != nil {
		t.Fatal(err)
	}
	// Costs: purchases per group, ads and fission rewards; one before the
	// window (not counted).
	cs := NewStore(db)
	var costs []Cost
	for i := range nG {
		costs = append(costs, Cost{GroupID: gid(i), Campaign: "tf-1", Day: DayTime(from + int64(rng.IntN(80))),
			Kind: BoughtMembers, Members: int64(5 + rng.IntN(10)), UnitFen: int64(500 + rng.IntN(1500))})
		costs = append(costs, Cost{GroupID: gid(i), Day: DayTime(from + int64(rng.IntN(80))), Kind: FissionRewards,
			AmountFen: int64(100 + rng.IntN(900))})
	}
	costs = append(costs, Cost{Campaign: "广告A", Day: DayTime(from + int64(rng.IntN(80))), Kind: Ads, AmountFen: 4321},
		Cost{GroupID: gid(1), Day: DayTime(from - 3), Kind: Ads, AmountFen: 999})
	if err := cs.AddCosts(ctx, costs); err != nil {
		t.Fatal(err)
	}
	// Fission rewards posted in the ledger, the team's reward expense.
	ls := ledger.NewStore(db)
	rewardDay := from + 10
	if err := db.Atomic(ctx, func(tx *store.Tx) error {
		_, err := ls.Move(ctx, tx, fmt.Sprintf("reward/test/%d", seed), map[ledger.Account]int64{
			{Kind: ledger.RewardExpense}: 700, {Kind: ledger.MemberPayable, Member: memberOf[0]}: -700},
			ledger.FromReward, ledger.Hold, DayTime(rewardDay).Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Health days: each group's members rise, and groups 1 and 3 fall
	// under 30% of their peak after a while (dead by the definition).
	hs := health.NewStore(db)
	deathRef := map[int]int64{}
	lifeStart := map[int]int64{}
	var hd []health.GroupDays
	for i := range nG {
		var ds []health.Day
		start := now - 200 + int64(i*7)
		lifeStart[i] = start
		peak := int64(0)
		alive := 0
		for d := start; d <= now; d++ {
			m := int64(30 + (d-start)/2)
			if (i == 1 || i == 3) && d-start > int64(60+i*10) {
				m = 5
			}
			ds = append(ds, health.Day{Day: d, Members: m, Tracked: true, Orders: 1, IncomeFen: 10})
			peak = max(peak, m)
			if m*10000 < peak*3000 {
				if _, ok := deathRef[i]; !ok && alive >= 14 {
					deathRef[i] = d
				}
			} else {
				alive++
			}
		}
		hd = append(hd, health.GroupDays{GroupID: gid(i), Days: ds})
	}
	if err := hs.SaveDays(ctx, hd); err != nil {
		t.Fatal(err)
	}

	e := &Economics{Groups: gs, Stays: gs, Orders: orders.NewStore(db), Costs: cs, Ledger: ls, Health: hs}
	q := EconQuery{From: DayTime(from), To: DayTime(to), Now: DayTime(now).Add(13 * time.Hour)}

	// The reference.
	last := min(now, to-1)
	end := func(s refStay) int64 {
		if s.left >= 0 && s.left-1 < last {
			return s.left - 1
		}
		return last
	}
	groupIncome := map[[2]int64]int64{}
	var totalIncome, attributedAll int64
	for _, o := range ros {
		if o.failed || o.day < from || o.day >= to {
			continue
		}
		if o.person >= 0 {
			attributedAll += o.fen
		}
		if o.group < 0 {
			continue
		}
		groupIncome[[2]int64{int64(o.group), o.day}] += o.fen
		totalIncome += o.fen
	}
	presentOn := func(g int, d int64) int {
		n := 0
		for _, s := range stays {
			if s.group == g && s.joined <= d && d <= end(s) {
				n++
			}
		}
		return n
	}
	type ref struct {
		acquired, cost, memberDays, attributed int64
		income                                 float64
		sum, n                                 []float64
		lt                                     []Lifetime // as refKM reads them
		joins                                  []int64
		groups                                 map[int]bool
		lives                                  []Lifetime
	}
	for _, by := range Bys {
		for _, period := range []string{"week", "month"} {
			if by != ByCohort && period == "month" {
				continue
			}
			q.By, q.Period = by, period
			rep, err := e.Report(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			ages := int(to - from)
			segsOf := func(g int, st *refStay) []string {
				switch by {
				case ByTag:
					if len(groups[g].Tags) == 0 {
						return []string{""}
					}
					return groups[g].Tags
				case ByOperator:
					return []string{groups[g].Owner}
				case ByCohort:
					return []string{periodRef(st.joined, period) + "/" + string(st.source)}
				case BySource:
					return []string{string(st.source)}
				}
				return []string{strconv.FormatInt(gid(g), 10)}
			}
			refs := map[string]*ref{}
			getRef := func(k string) *ref {
				if refs[k] == nil {
					refs[k] = &ref{sum: make([]float64, ages), n: make([]float64, ages), groups: map[int]bool{}}
				}
				return refs[k]
			}
			for _, s := range stays {
				if s.joined < from || s.joined >= to {
					continue
				}
				for _, k := range append(segsOf(s.group, &s), "TOTAL") {
					r := getRef(k)
					r.acquired++
					r.groups[s.group] = true
					r.joins = append(r.joins, s.joined)
					if s.left >= 0 && s.left <= now {
						r.lt = append(r.lt, Lifetime{Days: float64(s.left - s.joined), Ended: true})
					} else {
						r.lt = append(r.lt, Lifetime{Days: float64(now - s.joined + 1)})
					}
					for d := s.joined; d <= end(s); d++ {
						p := 0.0
						if inc := groupIncome[[2]int64{int64(s.group), d}]; inc != 0 {
							p = float64(inc) / float64(presentOn(s.group, d))
						}
						r.memberDays++
						r.income += p
						if a := d - s.joined; a < int64(ages) {
							r.sum[a] += p
							r.n[a]++
						}
					}
					for _, o := range ros {
						if !o.failed && o.person == s.person && o.group == s.group && o.day >= s.joined && o.day <= end(s) &&
							o.day >= from && o.day < to {
							r.attributed += o.fen
						}
					}
				}
			}
			for _, c := range costs {
				d := shanghai.Day(c.Day.Unix())
				if d < from || d >= to {
					continue
				}
				amount := c.AmountFen
				if c.Kind == BoughtMembers {
					amount = c.Members * c.UnitFen
				}
				getRef("TOTAL").cost += amount
				if by == ByCohort {
					getRef(periodRef(d, period) + "/" + string(SourceOfKind(c.Kind))).cost += amount
					continue
				}
				if by == BySource {
					getRef(string(SourceOfKind(c.Kind))).cost += amount
					continue
				}
				for g := range groups {
					if c.GroupID == gid(g) {
						for _, k := range segsOf(g, nil) {
							getRef(k).cost += amount
							getRef(k).groups[g] = true
						}
					}
				}
			}
			// The ledger's reward: a fission cost of its day.
			getRef("TOTAL").cost += 700
			if by == ByCohort {
				getRef(periodRef(rewardDay, period) + "/fission").cost += 700
			}
			if by == BySource {
				getRef("fission").cost += 700
			}
			for g := range groups {
				life := Lifetime{Days: float64(now - lifeStart[g] + 1)}
				if d, ok := deathRef[g]; ok {
					life = Lifetime{Days: float64(d - lifeStart[g]), Ended: true}
				}
				getRef("TOTAL").lives = append(getRef("TOTAL").lives, life)
				getRef("TOTAL").groups[g] = true
				if by != ByCohort && by != BySource {
					for _, k := range segsOf(g, nil) {
						getRef(k).lives = append(getRef(k).lives, life)
					}
				}
			}

			name := fmt.Sprintf("%s/%s", by, period)
			if rep.IncomeFen != totalIncome || rep.AttributedFen != attributedAll {
				t.Errorf("%s: income %d attributed %d, want %d %d", name, rep.IncomeFen, rep.AttributedFen, totalIncome, attributedAll)
			}
			if len(rep.Rows) != len(refs)-1 {
				var got []string
				for _, r := range rep.Rows {
					got = append(got, r.Key)
				}
				t.Errorf("%s: %d rows %v, want %d", name, len(rep.Rows), got, len(refs)-1)
			}
			check := func(row EconRow, r *ref) {
				label := name + " " + row.Key
				if r == nil {
					t.Errorf("%s: not in the reference", label)
					return
				}
				cac := int64(0)
				if r.acquired > 0 {
					cac = (r.cost + r.acquired/2) / r.acquired
				}
				if row.Acquired != r.acquired || row.CostFen != r.cost || row.CACFen != cac || row.MemberDays != r.memberDays ||
					row.AttributedFen != r.attributed || row.Groups != len(r.groups) {
					t.Errorf("%s: acquired %d cost %d cac %d member-days %d attributed %d groups %d; want %d %d %d %d %d %d", label,
						row.Acquired, row.CostFen, row.CACFen, row.MemberDays, row.AttributedFen, row.Groups,
						r.acquired, r.cost, cac, r.memberDays, r.attributed, len(r.groups))
				}
				if !nearEq(row.IncomeFen, r.income) {
					t.Errorf("%s: income %.4f, want %.4f", label, row.IncomeFen, r.income)
				}
				if r.income > 0 && row.MappedBP != int64(math.Round(float64(r.attributed)*10000/r.income)) {
					t.Errorf("%s: mapped %d bp", label, row.MappedBP)
				}
				surv := refKM(r.lt, PaybackDays)
				// Past the longest lifetime, the last 30 ages' daily rate.
				seen := 0
				for _, l := range r.lt {
					seen = max(seen, int(l.Days))
				}
				if seen >= 2 {
					k := min(30, seen-1)
					h := 1.0
					if surv[seen-1-k] > 0 {
						h = math.Pow(surv[seen-1]/surv[seen-1-k], 1/float64(k))
					}
					for a := seen; a < PaybackDays; a++ {
						surv[a] = surv[seen-1] * math.Pow(h, float64(a-seen+1))
					}
				}
				for _, c := range []struct {
					got float64
					age int
				}{{row.Survival7, 7}, {row.Survival30, 30}, {row.Survival90, 90}} {
					if r.acquired > 0 && !nearEq(c.got, surv[c.age]) {
						t.Errorf("%s: survival at %d %.4f, want %.4f", label, c.age, c.got, surv[c.age])
					}
				}
				// Income by age, extended by the mean of the last 30 ages seen.
				inc := make([]float64, PaybackDays)
				lastSeen := -1
				for a := range ages {
					if r.n[a] > 0 {
						inc[a] = r.sum[a] / r.n[a]
						lastSeen = a
						if !nearEq(row.Income[a], inc[a]) {
							t.Errorf("%s: income at age %d %.4f, want %.4f", label, a, row.Income[a], inc[a])
						}
					} else if !math.IsNaN(row.Income[a]) {
						t.Errorf("%s: income at age %d %.4f, want none", label, a, row.Income[a])
					}
				}
				if lastSeen >= 0 {
					var s, w float64
					for a := max(0, lastSeen-29); a <= lastSeen; a++ {
						s += r.sum[a]
						w += r.n[a]
					}
					for a := lastSeen + 1; a < PaybackDays; a++ {
						inc[a] = s / w
					}
					for a := range lastSeen {
						if r.n[a] == 0 {
							inc[a] = s / w
						}
					}
				}
				ltv, cum, payback, paid := 0.0, 0.0, -1, int64(-1)
				for a := range PaybackDays {
					cum += inc[a] * surv[a]
					if a == LTVDays-1 {
						ltv = cum
					}
					if payback < 0 && cac > 0 && cum >= float64(cac)-1e-9 {
						payback = a + 1
						joins := slices.Clone(r.joins)
						slices.Sort(joins)
						j := joins[(len(joins)-1)/2]
						y, m, _ := time.Unix((j+int64(a))*86400, 0).UTC().Date()
						paid = time.Date(y, m+1, 20, 0, 0, 0, 0, time.UTC).Unix()/86400 - j
					}
				}
				if !nearEq(row.LTVFen, ltv) {
					t.Errorf("%s: LTV %.4f, want %.4f", label, row.LTVFen, ltv)
				}
				if row.PaybackDays != payback || int64(row.CashPaybackDays) != paid {
					t.Errorf("%s: payback %d cash %d, want %d %d", label, row.PaybackDays, row.CashPaybackDays, payback, paid)
				}
				if by != ByCohort && by != BySource || row.Key == "" {
					want := math.NaN()
					dead := 0
					if len(r.lives) > 0 {
						want = refKM(r.lives, 91)[90]
						for _, l := range r.lives {
							if l.Ended {
								dead++
							}
						}
					}
					if !(math.IsNaN(want) && math.IsNaN(row.GroupSurvival90)) && !nearEq(row.GroupSurvival90, want) || row.GroupsDead != dead {
						t.Errorf("%s: group survival %.4f dead %d, want %.4f %d", label, row.GroupSurvival90, row.GroupsDead, want, dead)
					}
				}
			}
			for _, row := range rep.Rows {
				check(row, refs[row.Key])
			}
			check(rep.Total, refs["TOTAL"])
		}
	}
}

// refKM is the product-limit estimate at whole ages, the plain way: S(a) =
// Π_{t≤a} (1 − ended at t / lasting at least t).
func refKM(ls []Lifetime, days int) []float64 {
	out := make([]float64, days)
	s := 1.0
	for a := range days {
		var atRisk, ended int
		for _, l := range ls {
			if l.Days >= float64(a) {
				atRisk++
				if l.Ended && l.Days == float64(a) {
					ended++
				}
			}
		}
		if atRisk > 0 {
			s *= 1 - float64(ended)/float64(atRisk)
		}
		out[a] = s
	}
	return out
}

func periodRef(day int64, period string) string {
	t := time.Unix(day*86400, 0).UTC()
	if period == "month" {
		return fmt.Sprintf("%04d-%02d", t.Year(), int(t.Month()))
	}
	for t.Weekday() != time.Monday {
		t = t.AddDate(0, 0, -1)
	}
	return t.Format("2006-01-02")
}

func nearEq(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b))
}
