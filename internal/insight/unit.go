package insight

// Unit economics per group, tag, operator and cohort on the team's own data
// (issue 16 item 2). UnitEconomics is a pure function over what the owners'
// methods return (unit_source.go gathers it); docs/economics.md states each
// figure's formula.

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// Source is how a member came: bought (through a purchase's own join link,
// the campaign of a 买粉 cost), fission (invited by a member) or organic.
type Source string

const (
	Bought  Source = "bought"
	Fission Source = "fission"
	Organic Source = "organic"
)

// Sources in the order they are shown.
var Sources = []Source{Bought, Fission, Organic}

// LabelKey is the message key of the source's label.
func (s Source) LabelKey() string { return "econ.source." + string(s) }

// SourceOfKind is the members a kind of cost acquires, for the cohorts' CAC:
// 买粉 buys members, fission rewards pay for fission; red envelopes, ads and
// other spend bring organic joins.
func SourceOfKind(k CostKind) Source {
	switch k {
	case BoughtMembers:
		return Bought
	case FissionRewards:
		return Fission
	}
	return Organic
}

// By is how the economics is cut.
type By string

const (
	ByGroup    By = "group"
	ByTag      By = "tag"
	ByOperator By = "operator"
	ByCohort   By = "cohort"
	BySource   By = "source" // the cohorts of the whole window: bought, fission, organic
)

// Bys are the cuts in the order they are offered.
var Bys = []By{ByGroup, ByTag, ByOperator, ByCohort, BySource}

// ParseBy reads a cut ("" is group).
func ParseBy(s string) (By, bool) {
	switch By(strings.TrimSpace(s)) {
	case "", ByGroup:
		return ByGroup, true
	case ByTag:
		return ByTag, true
	case ByOperator:
		return ByOperator, true
	case ByCohort:
		return ByCohort, true
	case BySource:
		return BySource, true
	}
	return "", false
}

// EconGroup is what the economics needs of a group.
type EconGroup struct {
	ID    int64
	Name  string
	Owner string
	Tags  []string
}

// EconStay is one stay of a member in a group, in Shanghai day numbers:
// present from Joined through Left−1 (Left < 0: still in).
type EconStay struct {
	Group, Member int64
	Joined, Left  int64
	Source        Source
}

// GroupDay names one group's Shanghai day.
type GroupDay struct{ Group, Day int64 }

// MemberIncome is the member-attributed orders' income of one member through
// one group on one day.
type MemberIncome struct {
	Member, Group, Day int64
	Fen                int64
}

// EconInput is everything the economics reads: the window [From, To) and
// today Now (Shanghai day numbers), the groups, the stays overlapping the
// window, each group-day's estimated income, the member-attributed income,
// the costs (the ledger's fission rewards among them) and the groups'
// lifetimes (health's death definition).
type EconInput struct {
	From, To, Now int64
	Groups        []EconGroup
	Stays         []EconStay
	GroupIncome   map[GroupDay]int64
	MemberIncome  []MemberIncome
	Costs         []Cost
	GroupLives    map[int64]Lifetime
}

// Horizons of the figures: the implied LTV is a year's income; payback is
// looked for over three years.
const (
	LTVDays     = 365
	PaybackDays = 3 * 365
	// TailDays: ages past those the window saw take the mean income per
	// member-day of the last TailDays ages seen.
	TailDays = 30
)

// EconRow is one segment's economics. Money in fen; income per member-day
// and the curves are fen as float64.
type EconRow struct {
	Key      string // group id, tag, operator, or "2026-03-02/bought"
	Label    string // group name, tag, operator, cohort period
	GroupID  int64  // ByGroup
	Period   string // ByCohort: the week's Monday (2026-03-02) or the month (2026-03)
	Source   Source // ByCohort
	Groups   int    // groups with members acquired or costs in the segment
	Acquired int64  // stays that began in the window
	CostFen  int64
	CACFen   int64 // CostFen / Acquired; 0 without cost or members
	// MemberDays the acquired members spent in their groups up to today (or
	// the window's end); IncomeFen the group-level income spread over them.
	MemberDays         int64
	IncomeFen          float64
	IncomePerMemberDay float64
	// AttributedFen is the member-attributed orders' income of the acquired
	// members during their stays; MappedBP its share of IncomeFen.
	AttributedFen int64
	MappedBP      int64
	// Member survival at 7, 30 and 90 days (Kaplan–Meier over the stays).
	Survival7, Survival30, Survival90 float64
	LTVFen                            float64 // cumulative income per acquired member at LTVDays
	// PaybackDays (accrual) and CashPaybackDays; -1: not within PaybackDays.
	PaybackDays, CashPaybackDays int
	// Group survival at 90 days (Kaplan–Meier over the segment's groups'
	// lifetimes), NaN without groups; GroupsDead of them died.
	GroupSurvival90 float64
	GroupsDead      int
	// incomeLong and survivalLong are r(a), extended past the ages seen,
	// and S(a) over PaybackDays: the simulator's measured curves.
	incomeLong, survivalLong []float64
	// The daily curves by age (0..Ages-1): income per member-day r(a),
	// member survival S(a); the cumulative income per acquired member C(a)
	// over max(Ages, LTVDays).
	Income, Survival, Cumulative []float64
}

// EconReport is the economics of a window cut one way, with the total.
type EconReport struct {
	By       By
	Period   string // ByCohort: week or month
	From, To int64  // Shanghai days, [From, To)
	Now      int64
	Rows     []EconRow
	Total    EconRow
	// The window's group-day income, the part spread over members present
	// (groups whose members the registry knows), and the member-attributed
	// income: the page's share of income that maps to members.
	IncomeFen, SpreadFen, AttributedFen int64
	MappedBP                            int64
	// GroupSurvival is Kaplan–Meier over every group's lifetime.
	GroupSurvival Curve
	Ages          int
}

// EconOptions choose the cut: By, the cohorts' Period (week, month) and
// the curves' length in days (0: the window's).
type EconOptions struct {
	By     By
	Period string
	Ages   int
	// Only, when set, counts only the members acquired from that source
	// (the simulator's per-group samples of bought members); every member
	// still shares the income of the days they are present.
	Only Source
}

// UnitEconomics computes the report (docs/economics.md, "Unit economics"):
//
//   - present(g, d): stays of g with Joined ≤ d ≤ Left−1; a group-day's
//     income I(g, d) is spread evenly over them, p(g, d) = I / present;
//   - a segment's acquired members are its stays that joined in [From, To);
//     their member-days run from the join to the day before the leave, at
//     most to min(Now, To−1);
//   - r(a) = Σ p(g, d) over their member-days at age a / those member-days;
//     S(a) = Kaplan–Meier over their stays (MemberSurvival); C(a) =
//     Σ_{k≤a} S(k)·r(k), with r past the ages seen the mean of the last
//     TailDays ages seen;
//   - CAC = cost / acquired; LTV = C(LTVDays−1); payback = PaybackDay and
//     CashPaybackDay (joined = the median join day of the segment);
//   - attributed = member-attributed income of the acquired stays on their
//     present days, in their group; mapped = attributed / income.
func UnitEconomics(in EconInput, o EconOptions) EconReport {
	if o.Period != "month" {
		o.Period = "week"
	}
	last := min(in.Now, in.To-1)
	ages := o.Ages
	if ages <= 0 {
		ages = int(max(in.To-in.From, 1))
	}
	rep := EconReport{By: o.By, From: in.From, To: in.To, Now: in.Now, Ages: ages}
	if o.By == ByCohort {
		rep.Period = o.Period
	}

	// Members present per group-day, over the window.
	present := map[GroupDay]int64{}
	for _, s := range in.Stays {
		for d := max(s.Joined, in.From); d <= stayEnd(s, last); d++ {
			present[GroupDay{s.Group, d}]++
		}
	}
	share := map[GroupDay]float64{}
	for k, fen := range in.GroupIncome {
		if k.Day < in.From || k.Day >= in.To {
			continue
		}
		rep.IncomeFen += fen
		if n := present[k]; n > 0 {
			share[k] = float64(fen) / float64(n)
			rep.SpreadFen += fen
		}
	}
	// Member-attributed income per stay: an order counts for the stay of
	// its member in its group that was present on its day.
	type mk struct{ member, group int64 }
	memberIncome := map[mk][]MemberIncome{}
	for _, mi := range in.MemberIncome {
		if mi.Day < in.From || mi.Day >= in.To {
			continue
		}
		rep.AttributedFen += mi.Fen
		k := mk{mi.Member, mi.Group}
		memberIncome[k] = append(memberIncome[k], mi)
	}
	rep.MappedBP = ratioBP(float64(rep.AttributedFen), float64(rep.IncomeFen))

	groups := map[int64]*EconGroup{}
	for i := range in.Groups {
		groups[in.Groups[i].ID] = &in.Groups[i]
	}
	keys := func(group int64, s *EconStay, day int64) []segKey {
		if o.By == BySource {
			if s == nil {
				return nil
			}
			return []segKey{{key: string(s.Source), label: string(s.Source), source: s.Source}}
		}
		if o.By == ByCohort {
			if s == nil {
				return nil
			}
			p := periodOf(s.Joined, o.Period)
			return []segKey{{key: p + "/" + string(s.Source), label: p, period: p, source: s.Source}}
		}
		g := groups[group]
		switch o.By {
		case ByTag:
			if g == nil || len(g.Tags) == 0 {
				return []segKey{{key: "", label: ""}}
			}
			out := make([]segKey, 0, len(g.Tags))
			for _, t := range g.Tags {
				out = append(out, segKey{key: t, label: t})
			}
			return out
		case ByOperator:
			owner := ""
			if g != nil {
				owner = strings.TrimSpace(g.Owner)
			}
			return []segKey{{key: owner, label: owner}}
		}
		name := ""
		if g != nil {
			name = g.Name
		}
		return []segKey{{key: itoa64(group), label: name, group: group}}
	}

	segs := map[string]*segAcc{}
	total := &segAcc{row: EconRow{Key: "", Label: ""}, groups: map[int64]bool{}}
	get := func(k segKey) *segAcc {
		a := segs[k.key]
		if a == nil {
			a = &segAcc{row: EconRow{Key: k.key, Label: k.label, GroupID: k.group, Period: k.period, Source: k.source},
				groups: map[int64]bool{}}
			segs[k.key] = a
		}
		return a
	}
	for i := range in.Stays {
		s := &in.Stays[i]
		if s.Joined < in.From || s.Joined >= in.To || o.Only != "" && s.Source != o.Only {
			continue
		}
		ks := keys(s.Group, s, s.Joined)
		accs := make([]*segAcc, 0, len(ks)+1)
		for _, k := range ks {
			accs = append(accs, get(k))
		}
		accs = append(accs, total)
		var attributed int64
		for _, mi := range memberIncome[mk{s.Member, s.Group}] {
			if mi.Day >= s.Joined && mi.Day <= stayEnd(*s, last) {
				attributed += mi.Fen
			}
		}
		for _, a := range accs {
			a.add(s, share, last, ages, attributed)
		}
	}
	// Costs: a group's to its group, tags and operator; every cost to the
	// cohort of its day and source and to the total.
	for _, c := range in.Costs {
		d := dayOf(c)
		if d < in.From || d >= in.To {
			continue
		}
		total.row.CostFen += c.AmountFen
		if o.By == ByCohort {
			p := periodOf(d, o.Period)
			src := SourceOfKind(c.Kind)
			get(segKey{key: p + "/" + string(src), label: p, period: p, source: src}).row.CostFen += c.AmountFen
			continue
		}
		if o.By == BySource {
			src := SourceOfKind(c.Kind)
			get(segKey{key: string(src), label: string(src), source: src}).row.CostFen += c.AmountFen
			continue
		}
		if c.GroupID == 0 {
			continue
		}
		for _, k := range keys(c.GroupID, nil, d) {
			a := get(k)
			a.row.CostFen += c.AmountFen
			a.groups[c.GroupID] = true
		}
	}
	// Group lifetimes per segment (not for cohorts: their groups are
	// everyone's).
	var allLives []Lifetime
	gids := make([]int64, 0, len(in.GroupLives))
	for id := range in.GroupLives {
		gids = append(gids, id)
	}
	slices.Sort(gids)
	for _, id := range gids {
		life := in.GroupLives[id]
		allLives = append(allLives, life)
		total.groups[id] = true
		if o.By == ByCohort || o.By == BySource {
			continue
		}
		for _, k := range keys(id, nil, 0) {
			get(k).lives = append(get(k).lives, life)
		}
	}
	rep.GroupSurvival = KaplanMeier(allLives)
	total.lives = allLives

	for _, a := range segs {
		rep.Rows = append(rep.Rows, a.finish(in.Now, ages, o.By != ByCohort && o.By != BySource))
	}
	rep.Total = total.finish(in.Now, ages, true)
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if o.By == ByCohort || o.By == BySource {
			if a.Period != b.Period {
				return a.Period < b.Period
			}
			return slices.Index(Sources, a.Source) < slices.Index(Sources, b.Source)
		}
		if a.Acquired != b.Acquired {
			return a.Acquired > b.Acquired
		}
		return a.Key < b.Key
	})
	return rep
}

// segKey names a segment.
type segKey struct {
	key, label, period string
	group              int64
	source             Source
}

// segAcc accumulates one segment.
type segAcc struct {
	row    EconRow
	groups map[int64]bool
	stays  []Stay
	joins  []int64
	sum    []float64 // income by age
	n      []float64 // member-days by age
	lives  []Lifetime
}

func (a *segAcc) add(s *EconStay, share map[GroupDay]float64, last int64, ages int, attributed int64) {
	if a.sum == nil {
		a.sum, a.n = make([]float64, ages), make([]float64, ages)
	}
	a.groups[s.Group] = true
	a.row.Acquired++
	a.row.AttributedFen += attributed
	a.stays = append(a.stays, Stay{Joined: s.Joined, Left: s.Left})
	a.joins = append(a.joins, s.Joined)
	for d := s.Joined; d <= stayEnd(*s, last); d++ {
		p := share[GroupDay{s.Group, d}]
		a.row.MemberDays++
		a.row.IncomeFen += p
		if age := d - s.Joined; age < int64(ages) {
			a.sum[age] += p
			a.n[age]++
		}
	}
}

func (a *segAcc) finish(now int64, ages int, groupLives bool) EconRow {
	r := a.row
	r.Groups = len(a.groups)
	r.CACFen = CAC(r.CostFen, r.Acquired)
	if r.MemberDays > 0 {
		r.IncomePerMemberDay = r.IncomeFen / float64(r.MemberDays)
	}
	r.MappedBP = ratioBP(float64(r.AttributedFen), r.IncomeFen)
	r.Income = make([]float64, ages)
	for i := range r.Income {
		r.Income[i] = math.NaN()
		if i < len(a.n) && a.n[i] > 0 {
			r.Income[i] = a.sum[i] / a.n[i]
		}
	}
	r.Survival = MemberSurvival(a.stays, now, ages)
	if len(a.stays) == 0 {
		for i := range r.Survival {
			r.Survival[i] = math.NaN()
		}
	}
	long := extend(r.Income, a.n, PaybackDays)
	longS := extendSurvival(MemberSurvival(a.stays, now, PaybackDays), seenAges(a.stays, now))
	r.incomeLong, r.survivalLong = long, longS
	r.Cumulative = Cumulative(long, longS, max(ages, LTVDays))
	r.LTVFen = LTV(long, longS, LTVDays)
	r.Survival7, r.Survival30, r.Survival90 = atOr(longS, 7, math.NaN()), atOr(longS, 30, math.NaN()), atOr(longS, 90, math.NaN())
	if len(a.stays) == 0 {
		r.Survival7, r.Survival30, r.Survival90 = math.NaN(), math.NaN(), math.NaN()
	}
	r.PaybackDays, r.CashPaybackDays = -1, -1
	if r.CACFen > 0 && r.Acquired > 0 {
		if d, ok := PaybackDay(float64(r.CACFen), long, longS, PaybackDays); ok {
			r.PaybackDays = d
		}
		joins := slices.Clone(a.joins)
		slices.Sort(joins)
		if d, ok := CashPaybackDay(float64(r.CACFen), long, longS, PaybackDays, joins[(len(joins)-1)/2]); ok {
			r.CashPaybackDays = d
		}
	}
	r.GroupSurvival90 = math.NaN()
	if groupLives && len(a.lives) > 0 {
		r.GroupSurvival90 = KaplanMeier(a.lives).At(90)
		for _, l := range a.lives {
			if l.Ended {
				r.GroupsDead++
			}
		}
	}
	return r
}

// extend is income by age over n days: the ages seen, then the mean of the
// last TailDays ages seen (weighted by their member-days); NaN (no member
// that age) reads as that mean too.
func extend(income, n []float64, days int) []float64 {
	lastSeen := -1
	for i := range income {
		if !math.IsNaN(income[i]) {
			lastSeen = i
		}
	}
	out := make([]float64, days)
	if lastSeen < 0 {
		return out
	}
	var sum, w float64
	for i := max(0, lastSeen-TailDays+1); i <= lastSeen; i++ {
		if !math.IsNaN(income[i]) {
			sum += income[i] * n[i]
			w += n[i]
		}
	}
	tail := sum / w
	for i := range out {
		if i <= lastSeen && !math.IsNaN(income[i]) {
			out[i] = income[i]
		} else {
			out[i] = tail
		}
	}
	return out
}

// seenAges is the longest lifetime the survival was measured over: ages
// from it on were seen by no one.
func seenAges(stays []Stay, now int64) int {
	seen := int64(0)
	for _, s := range stays {
		l := now - s.Joined + 1
		if s.Left >= 0 && s.Left <= now {
			l = s.Left - s.Joined
		}
		seen = max(seen, l)
	}
	return int(seen)
}

// extendSurvival continues a survival curve past the ages seen (from seen
// on, where Kaplan–Meier stays flat for want of anyone that old) at the
// daily rate of the last TailDays ages seen: S(a) = S(seen−1) · h^(a−seen+1),
// h = (S(seen−1) / S(seen−1−k))^(1/k), k = min(TailDays, seen−1). A flat
// line would have the members who stayed a month stay forever.
func extendSurvival(s []float64, seen int) []float64 {
	if seen < 2 || seen >= len(s) {
		return s
	}
	k := min(TailDays, seen-1)
	last, before := s[seen-1], s[seen-1-k]
	h := 1.0
	if before > 0 {
		h = math.Pow(last/before, 1/float64(k))
	}
	for a := seen; a < len(s); a++ {
		s[a] = last * math.Pow(h, float64(a-seen+1))
	}
	return s
}

// stayEnd is the last day a stay is present, no later than last.
func stayEnd(s EconStay, last int64) int64 {
	if s.Left >= 0 && s.Left-1 < last {
		return s.Left - 1
	}
	return last
}

// periodOf is the cohort period of a Shanghai day: the week's Monday
// (2026-03-02) or the month (2026-03).
func periodOf(day int64, period string) string {
	t := time.Unix(day*86400, 0).UTC()
	if period == "month" {
		return t.Format("2006-01")
	}
	wd := (int64(t.Weekday()) + 6) % 7 // Monday 0
	return time.Unix((day-wd)*86400, 0).UTC().Format("2006-01-02")
}

func dayOf(c Cost) int64 { return shanghai.Day(c.Day.Unix()) }

func ratioBP(num, den float64) int64 {
	if den <= 0 {
		return 0
	}
	return int64(math.Round(num * 10000 / den))
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
