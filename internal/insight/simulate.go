package insight

import (
	"cmp"
	"github.com/qunke/qunke/internal/msg"
	"math"
	"math/rand/v2"
	"slices"
)

// MonthDays is the length of the simulator's month: curves by day are
// summed 30 days at a time.
const MonthDays = 30

// Curves are what the simulator knows of the team: month k is a member's or
// a group's k-th month (k = 0 the month it joined or opened).
type Curves struct {
	// MemberIncome[k] is the income in fen an acquired member brings in its
	// k-th month while its group lives, member churn included (MonthlyIncome
	// builds it from daily curves); past the end, the last value.
	MemberIncome []float64
	// GroupSurvival[k] is the share of groups still alive at the start of
	// their k-th month (GroupSurvival[0] = 1); past the end, the last value.
	// Empty: groups never die.
	GroupSurvival []float64
	// LagMonths is the settlement lag: income earned in month m is paid in
	// month m+LagMonths (1: settled orders are paid on the 20th of the next
	// month).
	LagMonths int
	// FissionPerMember is how many new members each member alive brings by
	// fission a month, at FissionCostFen each (the reward paid).
	FissionPerMember float64
	FissionCostFen   float64
	// MemberSurvival[k] is the share of a cohort still present at the end
	// of its k-th month (in a living group); past the end, the last value.
	// Empty: no one leaves. It counts members; the income is MemberIncome's.
	MemberSurvival []float64
	// GroupSize is a group's capacity: the members a new group is opened
	// for (500, a WeCom customer group's limit; 0 reads as 500).
	GroupSize float64
}

// GroupCapacity is a WeCom customer group's member limit, the simulator's
// default group size.
const GroupCapacity = 500

// Plan is what the person sets.
type Plan struct {
	BudgetFen   float64 // spent on bought members every month
	ReinvestBP  int64   // share of each month's cash in spent on members the next month, basis points
	FanPriceFen float64 // price of a bought member
	Months      int
	// MaxGroups is the growth ceiling the person sets (the groups the team
	// can run, or the market it can reach): at most MaxGroups groups alive
	// and MaxGroups × group size members; 0: no ceiling.
	MaxGroups int
}

// MaxGroupsLimit bounds a plan's ceiling.
const MaxGroupsLimit = 100_000

// MaxNewMembers bounds the members a month adds without a ceiling (10^12,
// more people than there are): a plan reinvesting everything at a fan
// price far below what a member earns grows by orders of magnitude a
// month and would outrun float64 into Inf and NaN.
const MaxNewMembers = 1e12

// MaxMonths bounds a plan's horizon.
const MaxMonths = 120

// Check refuses a plan the simulator cannot run: months outside 1–120, a
// negative budget, a fan price of 0 or less, a reinvest share outside
// 0–100%, amounts past 10^12 fen.
func (p Plan) Check() error {
	if p.Months < 1 || p.Months > MaxMonths {
		return msg.New("insight.plan_bad_months", p.Months)
	}
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v <= 1e12 }
	if !ok(p.BudgetFen) || !ok(p.FanPriceFen) || p.BudgetFen < 0 || p.FanPriceFen <= 0 || p.ReinvestBP < 0 || p.ReinvestBP > 10000 ||
		p.MaxGroups < 0 || p.MaxGroups > MaxGroupsLimit {
		return msg.New("insight.plan_bad")
	}
	return nil
}

// Month is one month of a simulation. Money in fen.
type Month struct {
	Month       int     `json:"month"` // 0 = the first
	CashOut     float64 `json:"cash_out_fen"`
	CashIn      float64 `json:"cash_in_fen"`
	Accrued     float64 `json:"accrued_fen"` // income earned (estimated) this month
	Net         float64 `json:"net_fen"`
	Cumulative  float64 `json:"cumulative_fen"`
	NewMembers  float64 `json:"new_members"`
	Members     float64 `json:"members"` // alive at the month's end (groups alive, churn applied)
	GroupsAlive float64 `json:"groups_alive"`
}

// Result is a simulation: month by month, the first month whose cumulative
// cash turns non-negative (PaybackMonth, -1 never), the fan price at which
// the horizon's cash in equals its cash out (BreakEvenFanPriceFen), and the
// internal rate of return of the monthly cash flows, annualised (IRR, NaN
// when the flows have no root: all in or all out).
type Result struct {
	Months               []Month `json:"months"`
	PaybackMonth         int     `json:"payback_month"`
	BreakEvenFanPriceFen float64 `json:"break_even_fan_price_fen"`
	IRR                  float64 `json:"irr"`
}

// Simulate runs plan over curves month by month:
//
//	spend(m)   = budget + reinvest × cash_in(m−1)
//	bought(m)  = spend(m) / fan price, at most the room under the ceiling
//	             (max groups × group size, less the members already there)
//	fission(m) = fission per member × members(m−1), costing fission cost each
//	income(m)  = Σ_{c≤m} new(c) × G(m−c) × I(m−c)   (accrued)
//	cash_in(m) = income(m − lag)
//	cash_out(m)= spend(m) + fission(m) × fission cost
//
// where new(c) are the members acquired in month c, I the member income
// curve and G the group survival. Members alive at the end of month m are
// Σ_{c≤m} new(c) × G(m−c+1) × M(m−c), with M the member survival by month;
// groups alive are Σ new(c)/group size × G(m−c+1).
func Simulate(c Curves, p Plan) Result {
	r := Result{Months: simulate(c, p)}
	r.PaybackMonth = paybackMonth(r.Months)
	r.IRR = irr(r.Months)
	r.BreakEvenFanPriceFen = breakEven(c, p)
	return r
}

func simulate(c Curves, p Plan) []Month {
	n := p.Months
	out := make([]Month, n)
	newM := make([]float64, n)
	accrued := make([]float64, n)
	groupSize := c.GroupSize
	if groupSize <= 0 {
		groupSize = GroupCapacity
	}
	capacity := math.Inf(1)
	if p.MaxGroups > 0 {
		capacity = float64(p.MaxGroups) * groupSize
	}
	reinvest := float64(p.ReinvestBP) / 10000
	// kept is the share of a month's new members still there at its end.
	kept := atOr(c.GroupSurvival, 1, 1) * atOr(c.MemberSurvival, 0, 1)
	cum := 0.0
	prevMembers, prevCash := 0.0, 0.0
	for m := range n {
		// The members of earlier months still there at this month's end,
		// and the room the ceiling leaves for new ones.
		existing := 0.0
		for k := 0; k < m; k++ {
			existing += newM[k] * atOr(c.GroupSurvival, m-k+1, 1) * atOr(c.MemberSurvival, m-k, 1)
		}
		room := MaxNewMembers
		if !math.IsInf(capacity, 1) {
			room = 0
			if kept > 0 {
				room = math.Max(capacity-existing, 0) / kept
			}
		}
		spend := p.BudgetFen + reinvest*prevCash
		fission := math.Min(c.FissionPerMember*prevMembers, room)
		bought := 0.0
		if p.FanPriceFen > 0 {
			bought = spend / p.FanPriceFen
		}
		if bought > room-fission {
			// Full: buy only what fits; the rest of the money stays.
			bought = math.Max(room-fission, 0)
			spend = bought * p.FanPriceFen
		}
		newM[m] = bought + fission
		income, members, groups := 0.0, 0.0, 0.0
		for k := 0; k <= m; k++ {
			g := atOr(c.GroupSurvival, m-k, 1)
			income += newM[k] * g * at(c.MemberIncome, m-k)
			members += newM[k] * atOr(c.GroupSurvival, m-k+1, 1) * atOr(c.MemberSurvival, m-k, 1)
			groups += newM[k] / groupSize * atOr(c.GroupSurvival, m-k+1, 1)
		}
		if p.MaxGroups > 0 {
			groups = math.Min(groups, float64(p.MaxGroups))
		}
		accrued[m] = income
		cashIn := 0.0
		if m-c.LagMonths >= 0 {
			cashIn = accrued[m-c.LagMonths]
		}
		cashOut := spend + fission*c.FissionCostFen
		cum += cashIn - cashOut
		out[m] = Month{Month: m, CashOut: cashOut, CashIn: cashIn, Accrued: income, Net: cashIn - cashOut,
			Cumulative: cum, NewMembers: newM[m], Members: members, GroupsAlive: groups}
		prevMembers, prevCash = members, cashIn
	}
	return out
}

// breakEven is the fan price at which the plan's cumulative cash at the
// horizon is zero, by bisection (the cumulative falls as the price rises);
// 0 when even a free member does not pay back, +Inf when no price is too
// high (no cost).
func breakEven(c Curves, p Plan) float64 {
	end := func(price float64) float64 {
		q := p
		q.FanPriceFen = price
		ms := simulate(c, q)
		if len(ms) == 0 {
			return 0
		}
		return ms[len(ms)-1].Cumulative
	}
	lo, hi := 0.01, 1.0
	if end(lo) < 0 {
		return 0
	}
	for end(hi) > 0 {
		hi *= 2
		if hi > 1e9 {
			return math.Inf(1)
		}
	}
	for range 50 {
		mid := (lo + hi) / 2
		if end(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 0.01 {
			break
		}
	}
	return (lo + hi) / 2
}

// irr is the annualised internal rate of return of the monthly net cash
// flows: the monthly rate r with Σ net(m)/(1+r)^m = 0 (bisection over
// (−99%, +1000%) a month), then (1+r)^12 − 1. NaN without a sign change.
func irr(ms []Month) float64 {
	npv := func(r float64) float64 {
		v, f := 0.0, 1.0
		for _, m := range ms {
			v += m.Net / f
			f *= 1 + r
		}
		return v
	}
	lo, hi := -0.99, 10.0
	vlo, vhi := npv(lo), npv(hi)
	if math.IsNaN(vlo) || math.IsNaN(vhi) || vlo*vhi > 0 {
		return math.NaN()
	}
	for range 200 {
		mid := (lo + hi) / 2
		v := npv(mid)
		if (v > 0) == (vlo > 0) {
			lo, vlo = mid, v
		} else {
			hi = mid
		}
		if hi-lo < 1e-10 {
			break
		}
	}
	return math.Pow(1+(lo+hi)/2, 12) - 1
}

// MonthlyIncome turns daily curves (income per member-day of the members
// present, by age; survival by age) into the simulator's member income by
// month: I(k) = Σ_{a=30k}^{30k+29} S(a)·r(a).
func MonthlyIncome(income, survival []float64, months int) []float64 {
	out := make([]float64, months)
	for k := range months {
		for a := k * MonthDays; a < (k+1)*MonthDays; a++ {
			out[k] += at(income, a) * atOr(survival, a, 1)
		}
	}
	return out
}

// MemberMonths turns a member survival curve by day into the share present
// at the end of each month: M(k) = S(30k+29).
func MemberMonths(survival []float64, months int) []float64 {
	out := make([]float64, months)
	for k := range out {
		out[k] = atOr(survival, (k+1)*MonthDays-1, 1)
	}
	return out
}

// GroupMonths turns a Kaplan–Meier curve of group lifetimes (days) into the
// simulator's group survival by month: G(k) = S(30k).
func GroupMonths(c Curve, months int) []float64 {
	out := make([]float64, months+1)
	for k := range out {
		out[k] = c.At(float64(k*MonthDays) - 0.5)
	}
	return out
}

// GroupSample is one group's own curves, for the uncertainty band: its
// member income by month (as Curves.MemberIncome), its member survival by
// month (as Curves.MemberSurvival; empty: the pooled one), its lifetime,
// and its weight (the members it acquired; 0 counts as 1), so that a
// resample holding every group once gives about the pooled curves.
type GroupSample struct {
	MemberIncome   []float64
	MemberSurvival []float64
	Life           Lifetime
	Weight         float64
}

// MinBandGroups is how many groups the band needs: with fewer, a
// bootstrap over groups has a handful of distinct resamples and its
// percentiles are one group's curves, not a range the team can act on;
// the simulator then gives the point estimate only and says the data are
// too thin (Band.Thin).
const MinBandGroups = 10

// ShrinkMembers is the shrinkage's prior weight, in members: before the
// band resamples them, a group's curves are pulled toward the pooled ones,
// its own counting w/(w+ShrinkMembers) for w members acquired (a group of
// 10 halfway, one of 100 for 91%), so that a group of a few members who
// happened to stay (or leave) does not make a resample of its own.
const ShrinkMembers = 10

// Band is the uncertainty of a run, by bootstrap over the groups: the
// 10th and 90th percentiles of the cumulative cash month by month (the
// last is the cash at the horizon), and of the payback month (−1: not
// within the horizon). Percentiles are of cash, never of a ratio: a ratio
// (the IRR, a return on a near-zero outlay) explodes in the resamples
// whose flows barely change sign. Thin: fewer than MinBandGroups groups,
// no band drawn (Groups says how many there were).
type Band struct {
	Resamples  int       `json:"resamples"`
	Groups     int       `json:"groups"`
	Thin       bool      `json:"thin"`
	P10        []float64 `json:"cumulative_p10_fen"`
	P90        []float64 `json:"cumulative_p90_fen"`
	PaybackP10 int       `json:"payback_month_p10"`
	PaybackP90 int       `json:"payback_month_p90"`
}

// Bootstrap resamples groups with replacement resamples times (seeded: the
// same input gives the same band). Each group's curves are first shrunk
// toward the pooled ones (base's; ShrinkMembers). Each resample's member
// income and member survival are the means of its groups', weighted by
// their Weight, its group survival the Kaplan–Meier over their lifetimes;
// it is simulated, and the band is the 10th–90th percentiles of the
// cumulative cash and of the payback month. base gives the pooled curves
// and the rest (lag, fission, group size). With fewer than MinBandGroups
// groups the band is Thin and empty.
func Bootstrap(base Curves, p Plan, groups []GroupSample, resamples int, seed uint64) Band {
	b := Band{Resamples: resamples, Groups: len(groups), PaybackP10: -1, PaybackP90: -1}
	if len(groups) < MinBandGroups {
		b.Thin, b.Resamples = len(groups) > 0, 0
		return b
	}
	if resamples <= 0 || p.Months <= 0 {
		b.Resamples = 0
		return b
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sorted := slices.Clone(groups)
	slices.SortStableFunc(sorted, func(a, b GroupSample) int { return cmp.Compare(a.Life.Days, b.Life.Days) })
	pooledI := base.MemberIncome
	if len(pooledI) == 0 {
		pooledI = MeanIncome(groups, p.Months)
	}
	lives := make([]Lifetime, len(sorted))
	incs := make([][]float64, len(sorted))
	survs := make([][]float64, len(sorted))
	gw := make([]float64, len(sorted))
	for i, g := range sorted {
		lives[i] = g.Life
		gw[i] = g.Weight
		if !(gw[i] > 0) || math.IsInf(gw[i], 0) {
			gw[i] = 1
		}
		incs[i] = shrink(g.MemberIncome, pooledI, gw[i], p.Months, 0)
		if len(g.MemberSurvival) > 0 {
			survs[i] = shrink(g.MemberSurvival, base.MemberSurvival, gw[i], p.Months, 1)
		}
	}
	cums := make([][]float64, p.Months)
	var paybacks []float64
	weights := make([]int, len(sorted))
	income := make([]float64, p.Months)
	survival := make([]float64, p.Months)
	for range resamples {
		clear(weights)
		for range sorted {
			weights[rng.IntN(len(sorted))]++
		}
		clear(income)
		clear(survival)
		total := 0.0
		for i, w := range weights {
			if w == 0 {
				continue
			}
			f := float64(w) * gw[i]
			total += f
			for k := range income {
				income[k] += f * incs[i][k]
				if survs[i] != nil {
					survival[k] += f * survs[i][k]
				} else {
					survival[k] += f * atOr(base.MemberSurvival, k, 1)
				}
			}
		}
		for k := range income {
			income[k] /= total
			survival[k] /= total
		}
		c := base
		c.MemberIncome = income
		c.MemberSurvival = survival
		c.GroupSurvival = GroupMonths(kmSorted(lives, weights), p.Months)
		ms := simulate(c, p)
		for m := range ms {
			cums[m] = append(cums[m], ms[m].Cumulative)
		}
		// A payback not within the horizon counts as one month past it.
		pb := p.Months
		if m := paybackMonth(ms); m >= 0 {
			pb = m
		}
		paybacks = append(paybacks, float64(pb))
	}
	b.P10, b.P90 = make([]float64, p.Months), make([]float64, p.Months)
	for m := range cums {
		b.P10[m], b.P90[m] = percentile(cums[m], 0.1), percentile(cums[m], 0.9)
	}
	b.PaybackP10, b.PaybackP90 = int(percentile(paybacks, 0.1)), int(percentile(paybacks, 0.9))
	for _, v := range []*int{&b.PaybackP10, &b.PaybackP90} {
		if *v >= p.Months {
			*v = -1
		}
	}
	return b
}

// shrink is a group's curve pulled toward the pooled one over months:
// (w·own(k) + ShrinkMembers·pooled(k)) / (w + ShrinkMembers), each past
// its end its last value (or def when empty).
func shrink(own, pooled []float64, w float64, months int, def float64) []float64 {
	out := make([]float64, months)
	for k := range out {
		o, q := atOr(own, k, def), atOr(pooled, k, def)
		if len(pooled) == 0 {
			q = o
		}
		out[k] = (w*o + ShrinkMembers*q) / (w + ShrinkMembers)
	}
	return out
}

// paybackMonth is the first month whose cumulative cash is not negative
// with cash already coming in; −1 none.
func paybackMonth(ms []Month) int {
	for _, m := range ms {
		if m.Cumulative >= -1e-6 && m.CashIn > 0 {
			return m.Month
		}
	}
	return -1
}

// percentile is the q-quantile of xs by linear interpolation between the
// closest ranks (NaN for none); xs is sorted in place.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}
