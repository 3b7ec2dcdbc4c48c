package insight

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSimulateClosedForm: no churn, no group death, constant income r fen a
// member-day, budget B a month at fan price P, nothing reinvested, lag L.
// Every month buys B/P members, so month m earns (m+1)·(B/P)·30r, paid L
// months later, and the cumulative cash at month M is
//
//	(B/P)·30r·(M−L+1)(M−L+2)/2 − B·(M+1)
//
// the payback month is the first M where that is ≥ 0, and the break-even
// fan price over a horizon of H months is 30r·(H−L)(H−L+1)/(2H).
func TestSimulateClosedForm(t *testing.T) {
	for _, tc := range []struct {
		r, budget, price float64
		lag, months      int
	}{
		{2, 1_000_000, 1000, 0, 36},
		{2, 1_000_000, 1000, 1, 36},
		{17, 500_000, 1000, 1, 12},
		{5, 300_000, 800, 2, 24},
	} {
		c := Curves{MemberIncome: MonthlyIncome([]float64{tc.r}, nil, 1), LagMonths: tc.lag, GroupSize: 200}
		p := Plan{BudgetFen: tc.budget, FanPriceFen: tc.price, Months: tc.months}
		res := Simulate(c, p)
		n := tc.budget / tc.price
		L := float64(tc.lag)
		wantPayback := -1
		for m, got := range res.Months {
			M := float64(m)
			j := math.Max(M-L+1, 0)
			cum := n*30*tc.r*j*(j+1)/2 - tc.budget*(M+1)
			if !near(got.Cumulative, cum) || !near(got.Members, n*(M+1)) || !near(got.GroupsAlive, n*(M+1)/200) ||
				!near(got.Accrued, (M+1)*n*30*tc.r) || !near(got.CashOut, tc.budget) {
				t.Fatalf("%+v month %d = %+v, want cumulative %.2f members %.2f", tc, m, got, cum, n*(M+1))
			}
			if wantPayback < 0 && cum >= 0 && j > 0 {
				wantPayback = m
			}
		}
		if res.PaybackMonth != wantPayback {
			t.Errorf("%+v payback month %d, want %d", tc, res.PaybackMonth, wantPayback)
		}
		H := float64(tc.months)
		be := 30 * tc.r * (H - L) * (H - L + 1) / (2 * H)
		if math.Abs(res.BreakEvenFanPriceFen-be) > 0.05 {
			t.Errorf("%+v break-even price %.3f, want %.3f", tc, res.BreakEvenFanPriceFen, be)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestIRR(t *testing.T) {
	// −100 now, +110 a month later: 10% a month, 1.1^12 − 1 a year.
	got := irr([]Month{{Net: -100}, {Net: 110}})
	if want := math.Pow(1.1, 12) - 1; math.Abs(got-want) > 1e-6 {
		t.Fatalf("irr = %v, want %v", got, want)
	}
	// −100, then +60, +60: (1+r)^2·100 = 60(1+r) + 60 → r = 13.07%.
	r := (60 + math.Sqrt(60*60+4*100*60)) / 200 // 100x² − 60x − 60 = 0, x = 1+r
	if got, want := irr([]Month{{Net: -100}, {Net: 60}, {Net: 60}}), math.Pow(r, 12)-1; math.Abs(got-want) > 1e-6 {
		t.Fatalf("irr = %v, want %v", got, want)
	}
	if got := irr([]Month{{Net: 10}, {Net: 10}}); !math.IsNaN(got) {
		t.Fatalf("irr of inflows only = %v, want NaN", got)
	}
}

// TestSimulateChurnAndDeath: churn and group death only lower the cash,
// the members and the groups, and delay (or lose) the payback.
func TestSimulateChurnAndDeath(t *testing.T) {
	p := Plan{BudgetFen: 1_000_000, FanPriceFen: 1000, Months: 36, ReinvestBP: 5000}
	flat := Curves{MemberIncome: MonthlyIncome([]float64{3}, nil, 36), LagMonths: 1}
	surv := make([]float64, 36*30)
	for a := range surv {
		surv[a] = math.Pow(0.997, float64(a))
	}
	lives := []Lifetime{{200, true}, {400, true}, {900, false}, {90, true}}
	churn := Curves{MemberIncome: MonthlyIncome([]float64{3}, surv, 36), MemberSurvival: MemberMonths(surv, 36),
		GroupSurvival: GroupMonths(KaplanMeier(lives), 36), LagMonths: 1}
	a, b := Simulate(flat, p), Simulate(churn, p)
	last := len(a.Months) - 1
	if !(b.Months[last].Cumulative < a.Months[last].Cumulative && b.Months[last].Members < a.Months[last].Members &&
		b.Months[last].GroupsAlive < a.Months[last].GroupsAlive) {
		t.Fatalf("churn did not lower the result: %+v vs %+v", b.Months[last], a.Months[last])
	}
	if a.PaybackMonth < 0 || (b.PaybackMonth >= 0 && b.PaybackMonth < a.PaybackMonth) {
		t.Fatalf("payback flat %d, with churn %d", a.PaybackMonth, b.PaybackMonth)
	}
	if !(b.BreakEvenFanPriceFen < a.BreakEvenFanPriceFen) {
		t.Fatalf("break-even price flat %.1f, with churn %.1f", a.BreakEvenFanPriceFen, b.BreakEvenFanPriceFen)
	}
}

// TestBootstrap: identical groups give a band of no width at the point
// estimate; spread groups give a band around it.
func TestBootstrap(t *testing.T) {
	p := Plan{BudgetFen: 1_000_000, FanPriceFen: 1000, Months: 24}
	base := Curves{LagMonths: 1, GroupSize: 200}
	inc := MonthlyIncome([]float64{3}, nil, 24)
	same := make([]GroupSample, 20)
	for i := range same {
		same[i] = GroupSample{MemberIncome: inc, Life: Lifetime{Days: 1000}}
	}
	c := base
	c.MemberIncome = inc
	point := Simulate(c, p)
	band := Bootstrap(base, p, same, 200, 1)
	for m := range p.Months {
		if !near(band.P10[m], point.Months[m].Cumulative) || !near(band.P90[m], point.Months[m].Cumulative) {
			t.Fatalf("month %d band %v..%v, want %v", m, band.P10[m], band.P90[m], point.Months[m].Cumulative)
		}
	}
	r := rand.New(rand.NewPCG(3, 3))
	spread := make([]GroupSample, 50)
	for i := range spread {
		spread[i] = GroupSample{MemberIncome: MonthlyIncome([]float64{1 + 4*r.Float64()}, nil, 24),
			Life: Lifetime{Days: 1000}, Weight: float64(100 + r.IntN(5000))}
	}
	band = Bootstrap(base, p, spread, 200, 1)
	last := p.Months - 1
	if !(band.P10[last] < band.P90[last]) || band.Resamples != 200 {
		t.Fatalf("band %v..%v has no width", band.P10[last], band.P90[last])
	}
	// The point estimate over the weighted mean lies inside the band.
	c.MemberIncome = MeanIncome(spread, 24)
	mid := Simulate(c, p).Months[last].Cumulative
	if !(band.P10[last] < mid && mid < band.P90[last]) {
		t.Fatalf("point %v outside its band %v..%v", mid, band.P10[last], band.P90[last])
	}
	again := Bootstrap(base, p, spread, 200, 1)
	if again.P10[last] != band.P10[last] {
		t.Fatalf("the band is not reproducible: %v vs %v", again.P10[last], band.P10[last])
	}
}

func benchInputs() (Curves, Plan, []GroupSample) {
	r := rand.New(rand.NewPCG(1, 2))
	surv := make([]float64, 36*30)
	for a := range surv {
		surv[a] = math.Pow(0.997, float64(a))
	}
	groups := make([]GroupSample, 1000)
	var lives []Lifetime
	for i := range groups {
		groups[i] = GroupSample{MemberIncome: MonthlyIncome([]float64{1 + 4*r.Float64()}, surv, 36),
			Life: Lifetime{Days: float64(30 + r.IntN(1000)), Ended: r.IntN(3) == 0}}
		lives = append(lives, groups[i].Life)
	}
	c := Curves{MemberIncome: MonthlyIncome([]float64{3}, surv, 36), MemberSurvival: MemberMonths(surv, 36),
		GroupSurvival: GroupMonths(KaplanMeier(lives), 36), LagMonths: 1, FissionPerMember: 0.02, FissionCostFen: 200, GroupSize: 300}
	return c, Plan{BudgetFen: 1_000_000, ReinvestBP: 5000, FanPriceFen: 1000, Months: 36}, groups
}

// BenchmarkSimulate is the 36-month point estimate (docs/BENCHMARKS.md).
func BenchmarkSimulate(b *testing.B) {
	c, p, _ := benchInputs()
	for b.Loop() {
		Simulate(c, p)
	}
}

// BenchmarkSimulateBand is the point estimate with its band over 1,000
// groups, 200 resamples.
func BenchmarkSimulateBand(b *testing.B) {
	c, p, groups := benchInputs()
	for b.Loop() {
		Simulate(c, p)
		Bootstrap(c, p, groups, 200, 1)
	}
}

// TestSimulateCeiling: with at most 2 groups of 100, buying 30 members a
// month fills them in the 7th month (200 = 6×30 + 20), then stops: the
// money is kept, members stay at 200, groups at 2; with a member churn, a
// full community buys only what refills the leavers.
func TestSimulateCeiling(t *testing.T) {
	c := Curves{MemberIncome: MonthlyIncome([]float64{2}, nil, 1), LagMonths: 1, GroupSize: 100}
	p := Plan{BudgetFen: 30_000, FanPriceFen: 1000, Months: 12, MaxGroups: 2}
	res := Simulate(c, p)
	for m, got := range res.Months {
		wantNew := 30.0
		switch {
		case m == 6:
			wantNew = 20
		case m > 6:
			wantNew = 0
		}
		if !near(got.NewMembers, wantNew) || !near(got.CashOut, wantNew*1000) || got.Members > 200+1e-9 || got.GroupsAlive > 2+1e-9 {
			t.Fatalf("month %d: %+v, want %v new", m, got, wantNew)
		}
	}
	if last := res.Months[11]; !near(last.Members, 200) || !near(last.Accrued, 200*60) {
		t.Errorf("full: %+v", last)
	}
	// Churn: 10% of a cohort's members leave every month.
	c.MemberSurvival = make([]float64, 12)
	for k := range c.MemberSurvival {
		c.MemberSurvival[k] = math.Pow(0.9, float64(k+1))
	}
	p.BudgetFen = 100_000
	res = Simulate(c, p)
	for m := 8; m < 12; m++ {
		got := res.Months[m]
		if !near(got.Members, 200) {
			t.Fatalf("month %d with churn: members %.3f, want 200 (leavers refilled)", m, got.Members)
		}
		if got.CashOut <= 0 || got.CashOut >= 100_000 {
			t.Errorf("month %d with churn: spent %.0f, want some, under the budget", m, got.CashOut)
		}
	}
	// No ceiling: the same as before it existed.
	p.MaxGroups = 0
	if got := Simulate(c, p).Months[11].NewMembers; !near(got, 100) {
		t.Errorf("no ceiling: %v new members in month 12", got)
	}
}

// coverageWorld is a known model the band is tested against: groups whose
// members earn r·f fen a member-day, f a group's own factor (lognormal,
// spread sd), members leaving at 0.5% a day, groups dying at a constant
// hazard (mean life 900 days) and censored when the window ends (each
// group opened 60–600 days before it). truth are the curves of the
// population: E[f]·r and the groups' survival.
type coverageWorld struct {
	r, sd   float64
	months  int
	surv    []float64
	monthly []float64
}

func newCoverageWorld(months int) coverageWorld {
	surv := dailySurvival(0.005, months)
	return coverageWorld{r: 3, sd: 0.5, months: months, surv: surv, monthly: MemberMonths(surv, months)}
}

func (w coverageWorld) truth() Curves {
	ef := math.Exp(w.sd * w.sd / 2)
	g := make([]float64, w.months+1)
	for k := range g {
		g[k] = math.Exp(-float64(k*MonthDays) / 900)
	}
	return Curves{MemberIncome: MonthlyIncome([]float64{w.r * ef}, w.surv, w.months), MemberSurvival: w.monthly,
		GroupSurvival: g, LagMonths: 1, GroupSize: 500}
}

// sample draws n groups and the point estimate's curves from them, as
// MeasureEconomics builds them (income: the groups' mean weighted by
// members acquired; groups: Kaplan–Meier).
func (w coverageWorld) sample(rng *rand.Rand, n int) (Curves, []GroupSample) {
	gs := make([]GroupSample, n)
	lives := make([]Lifetime, n)
	for i := range gs {
		f := math.Exp(w.sd * rng.NormFloat64())
		life := rng.ExpFloat64() * 900
		open := 60 + 540*rng.Float64()
		l := Lifetime{Days: math.Min(life, open), Ended: life < open}
		gs[i] = GroupSample{MemberIncome: MonthlyIncome([]float64{w.r * f}, w.surv, w.months), MemberSurvival: w.monthly,
			Life: l, Weight: float64(20 + rng.IntN(400))}
		lives[i] = l
	}
	c := Curves{MemberIncome: MeanIncome(gs, w.months), MemberSurvival: w.monthly,
		GroupSurvival: GroupMonths(KaplanMeier(lives), w.months), LagMonths: 1, GroupSize: 500}
	return c, gs
}

// TestBandCoverage: on groups drawn from a known model, the p10–p90 band
// of the cash at the horizon and of every month holds the true value
// (the simulation over the population's curves) about 80% of the time:
// 200 draws (fixed seed) of 12 and of 40 groups, a plan that reinvests
// half its cash under a ceiling of 20 groups. The band would fail this
// if it were the resamples' spread of a ratio, or shrunk to nothing.
func TestBandCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("200 bands")
	}
	w := newCoverageWorld(24)
	plan := Plan{BudgetFen: 500_000, ReinvestBP: 5000, FanPriceFen: 300, Months: 24, MaxGroups: 20}
	truth := Simulate(w.truth(), plan).Months
	end := len(truth) - 1
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range []int{12, 40} {
		const draws = 200
		inEnd, inMid, below, above := 0, 0, 0, 0
		for d := range draws {
			c, gs := w.sample(rng, n)
			b := Bootstrap(c, plan, gs, 200, uint64(d+1))
			if b.Thin || len(b.P10) != plan.Months {
				t.Fatalf("%d groups: no band %+v", n, b)
			}
			switch v := truth[end].Cumulative; {
			case v < b.P10[end]:
				below++
			case v > b.P90[end]:
				above++
			default:
				inEnd++
			}
			if v := truth[11].Cumulative; b.P10[11] <= v && v <= b.P90[11] {
				inMid++
			}
		}
		cov, covMid := float64(inEnd)/draws, float64(inMid)/draws
		t.Logf("%d groups: horizon covered %.0f%% (truth below the band %d, above %d), month 12 %.0f%%", n, cov*100, below, above, covMid*100)
		if cov < 0.68 || cov > 0.92 || covMid < 0.68 || covMid > 0.92 {
			t.Errorf("%d groups: the p10–p90 band covers the truth %.0f%% (horizon) and %.0f%% (month 12) of the time, want about 80%%",
				n, cov*100, covMid*100)
		}
	}
}
