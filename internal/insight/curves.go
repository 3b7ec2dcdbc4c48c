package insight

import (
	"context"
	"math"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
)

// MemberDays is what the curves need of the members registry
// (community.Store).
type MemberDays interface {
	AllMemberDays(ctx context.Context, from, to time.Time) (map[int64][]community.MemberDay, error)
}

// Income is what the curves need of the orders (orders.Store).
type Income interface {
	Income(ctx context.Context, q orders.IncomeQuery) (*orders.IncomeReport, error)
}

// Defaults are the curves the simulator uses when the database has no
// measured ones (docs/economics.md): 3 fen a member-day, 0.3% of members
// leaving a day, 3% of groups dying a month, income paid a month later,
// no fission, groups of 500 (a WeCom customer group's limit).
var Defaults = DefaultAssumptions{IncomePerMemberDay: 3, LeavePerDay: 0.003, GroupDeathPerMonth: 0.03,
	LagMonths: 1, GroupSize: GroupCapacity}

// DefaultAssumptions are constant-rate curves.
type DefaultAssumptions struct {
	IncomePerMemberDay float64 // fen
	LeavePerDay        float64 // share of members leaving a day
	GroupDeathPerMonth float64 // share of groups dying a month
	LagMonths          int
	GroupSize          float64
	FissionPerMember   float64
	FissionCostFen     float64
}

// Curves builds the simulator's curves for months from constant rates.
func (d DefaultAssumptions) Curves(months int) Curves {
	surv := dailySurvival(d.LeavePerDay, months)
	g := make([]float64, months+1)
	for k := range g {
		g[k] = math.Pow(1-d.GroupDeathPerMonth, float64(k))
	}
	return Curves{MemberIncome: MonthlyIncome([]float64{d.IncomePerMemberDay}, surv, months),
		MemberSurvival: MemberMonths(surv, months), GroupSurvival: g, LagMonths: d.LagMonths,
		FissionPerMember: d.FissionPerMember, FissionCostFen: d.FissionCostFen, GroupSize: d.GroupSize}
}

func dailySurvival(leave float64, months int) []float64 {
	s := make([]float64, months*MonthDays)
	for a := range s {
		s[a] = math.Pow(1-leave, float64(a))
	}
	return s
}

// Measured is what the team's own data say, over a window of days.
type Measured struct {
	Groups             int     // groups with members and income in the window
	MemberDays         int64   // member-days of those groups
	IncomeFen          int64   // their estimated income
	IncomePerMemberDay float64 // fen
	LeavePerDay        float64 // leaves / member-days
	GroupsEnded        int     // groups whose members fell to none (dead by health's definition, from the economics)
	Samples            []GroupSample
	Curves             Curves
	// From the economics (MeasureEconomics): whose curves the simulator
	// runs on ("bought" or "all") and the bought members' measured CAC.
	CurveSource  string
	BoughtCACFen int64
}

// Measure reads the team's curves over the window days before now:
// per group, income per member-day (the orders' estimated income over the
// registry's member-days), its members' leave rate (leaves per member-day,
// taken as constant with age) and its lifetime (first to last day with
// members; ended when it has none left). The pooled curves go to the
// simulator, the groups to its band. ok is false when no group has both
// members and income: the caller uses Defaults.
func Measure(ctx context.Context, md MemberDays, inc Income, now time.Time, window, months int, base DefaultAssumptions) (m Measured, ok bool, err error) {
	from := now.AddDate(0, 0, -window)
	days, err := md.AllMemberDays(ctx, from, now)
	if err != nil {
		return m, false, err
	}
	rep, err := inc.Income(ctx, orders.IncomeQuery{By: orders.Month, From: from, To: now, Now: now})
	if err != nil {
		return m, false, err
	}
	income := map[int64]int64{}
	for _, r := range rep.Summary {
		income[r.GroupID] += r.EstIncome
	}
	var leaves int64
	var lives []Lifetime
	for g, ds := range days {
		var mdays, left int64
		first, last := -1, -1
		for i, d := range ds {
			mdays += int64(d.Members)
			left += int64(d.LeavesSelf + d.LeavesRemoved + d.LeavesOther)
			if d.Members > 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if mdays == 0 || income[g] <= 0 {
			continue
		}
		m.Groups++
		m.MemberDays += mdays
		m.IncomeFen += income[g]
		leaves += left
		life := Lifetime{Days: float64(last - first + 1)}
		if len(ds) > 0 && ds[len(ds)-1].Members == 0 {
			life.Ended = true
			m.GroupsEnded++
		}
		lives = append(lives, life)
		r := float64(income[g]) / float64(mdays)
		surv := dailySurvival(float64(left)/float64(mdays), months)
		m.Samples = append(m.Samples, GroupSample{MemberIncome: MonthlyIncome([]float64{r}, surv, months),
			MemberSurvival: MemberMonths(surv, months), Life: life, Weight: float64(mdays)})
	}
	if m.Groups == 0 {
		return m, false, nil
	}
	m.IncomePerMemberDay = float64(m.IncomeFen) / float64(m.MemberDays)
	m.LeavePerDay = float64(leaves) / float64(m.MemberDays)
	surv := dailySurvival(m.LeavePerDay, months)
	c := base.Curves(months)
	// The point estimate's member income is the groups' mean weighted by
	// member-days: the band's resamples are centred on it.
	c.MemberIncome = MeanIncome(m.Samples, months)
	c.MemberSurvival = MemberMonths(surv, months)
	c.GroupSurvival = GroupMonths(KaplanMeier(lives), months)
	m.Curves = c
	return m, true, nil
}

// Simulator runs plans over the team's measured curves, or the defaults
// when there are none: built once (serve, the CLI) and passed in.
type Simulator struct {
	Members MemberDays
	Income  Income
	Base    DefaultAssumptions // zero: Defaults
	// Economics, when set, gives the measured curves by member age (income
	// per member-day, member survival, cost per member by source, group
	// lifetimes by health's death definition): see MeasureEconomics.
	Economics *Economics
}

// RunOptions tune a run: the days the curves are measured over (0: 180),
// the band's resamples (0: 200; negative: no band), Defaults to skip the
// database, Now (zero: time.Now()).
type RunOptions struct {
	WindowDays int
	Resamples  int
	Defaults   bool
	Now        time.Time
}

// Run is a simulation with what it ran on: Source "measured" or
// "defaults".
type Run struct {
	Source   string
	Base     DefaultAssumptions
	Measured Measured
	Result   Result
	Band     Band
}

// Run simulates plan (Months 1–120) over the measured curves when the
// database has them, else the defaults; with measured curves of
// MinBandGroups groups or more, the band too (fewer: Band.Thin).
func (s *Simulator) Run(ctx context.Context, plan Plan, o RunOptions) (Run, error) {
	base := s.Base
	if base == (DefaultAssumptions{}) {
		base = Defaults
	}
	if o.WindowDays <= 0 {
		o.WindowDays = 180
	}
	if o.Resamples == 0 {
		o.Resamples = 200
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	run := Run{Source: "defaults", Base: base}
	curves := base.Curves(plan.Months)
	if !o.Defaults && s.Economics != nil {
		m, ok, err := MeasureEconomics(ctx, s.Economics, o.Now, o.WindowDays, plan.Months, base)
		if err != nil {
			return run, err
		}
		if ok {
			run.Source, run.Measured, curves = "measured", m, m.Curves
		}
	} else if !o.Defaults && s.Members != nil && s.Income != nil {
		m, ok, err := Measure(ctx, s.Members, s.Income, o.Now, o.WindowDays, plan.Months, base)
		if err != nil {
			return run, err
		}
		if ok {
			run.Source, run.Measured, curves = "measured", m, m.Curves
		}
	}
	run.Result = Simulate(curves, plan)
	if run.Source == "measured" && o.Resamples > 0 {
		// Below MinBandGroups groups the band is Thin: no band, a warning.
		run.Band = Bootstrap(curves, plan, run.Measured.Samples, o.Resamples, 1)
	}
	return run, nil
}

// MeanIncome is the groups' member income by month, their mean weighted by
// Weight (0 counts as 1).
func MeanIncome(groups []GroupSample, months int) []float64 {
	out := make([]float64, months)
	total := 0.0
	for _, g := range groups {
		w := g.Weight
		if w <= 0 {
			w = 1
		}
		total += w
		for k := range out {
			out[k] += w * at(g.MemberIncome, k)
		}
	}
	if total > 0 {
		for k := range out {
			out[k] /= total
		}
	}
	return out
}
