// Package insight answers what a member costs and earns and when a group
// pays back: acquisition costs (its own table, acquisition_costs), the unit
// economics as pure functions over curves (this file), Kaplan–Meier for
// lifetimes (km.go) and the reinvestment simulator (simulate.go). It reads
// the other owners only through their methods (curves.go); docs/economics.md
// states every formula with its worked example.
//
// Curves are indexed by age in days from a member's join (day 0 is the day
// of joining) and hold fen as float64: a member-day earns a couple of fen,
// too little for whole fen. Money that is stored or entered (costs) stays
// int64 fen.
package insight

import (
	"math"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// CAC is the cost of acquiring one member: cost / members in fen, rounded
// half up; 0 when no member was acquired.
func CAC(costFen int64, members int64) int64 {
	if members <= 0 {
		return 0
	}
	return (costFen + members/2) / members
}

// Cumulative is the income an acquired member has brought by the end of each
// age: C(a) = Σ_{k≤a} S(k)·r(k), where r is income per member-day at age k
// (of the members still present) and S the share still present at age k
// (member survival). A missing survival curve means no one leaves; ages past
// the end of r or S take their last value.
func Cumulative(income, survival []float64, days int) []float64 {
	out := make([]float64, days)
	sum := 0.0
	for a := range days {
		sum += at(income, a) * atOr(survival, a, 1)
		out[a] = sum
	}
	return out
}

// LTV is the lifetime value of an acquired member over horizon days: the
// last value of Cumulative.
func LTV(income, survival []float64, horizon int) float64 {
	c := Cumulative(income, survival, horizon)
	if len(c) == 0 {
		return 0
	}
	return c[len(c)-1]
}

// PaybackDay is the accrual payback: the first age a (in days) at which the
// cumulative estimated income of an acquired member covers its cost,
// counted as days elapsed, a+1 (income of 2 fen a day pays 10 yuan back
// after 500 days). ok is false when it never does within horizon days.
func PaybackDay(cacFen float64, income, survival []float64, horizon int) (days int, ok bool) {
	sum := 0.0
	for a := range horizon {
		sum += at(income, a) * atOr(survival, a, 1)
		if sum >= cacFen-1e-9 {
			return a + 1, true
		}
	}
	return 0, false
}

// Settlement is the day the platforms pay the income earned on Shanghai day
// earned: the 20th of the following month (orders settled in a month are
// paid out on the 20th of the next), as a Shanghai day number.
func Settlement(earned int64) int64 {
	t := time.Unix(earned*86400, 0).In(time.UTC) // day number → that calendar date
	y, m, _ := t.Date()
	paid := time.Date(y, m+1, 20, 0, 0, 0, 0, time.UTC)
	return paid.Unix() / 86400
}

// CashPaybackDay is the cash payback of a member who joined on Shanghai day
// joined: the number of days from joining to the payout (Settlement) that
// brings the money received up to the cost. ok is false when the income
// earned within horizon days never covers it.
func CashPaybackDay(cacFen float64, income, survival []float64, horizon int, joined int64) (days int, ok bool) {
	acc, ok := PaybackDay(cacFen, income, survival, horizon)
	if !ok {
		return 0, false
	}
	// The income of the age that completes the cost is paid with the whole
	// month it falls in; earlier months are paid earlier and count too.
	last := joined + int64(acc) - 1
	return int(Settlement(last) - joined), true
}

// JoinDay is the Shanghai day number of t, for CashPaybackDay.
func JoinDay(t time.Time) int64 { return shanghai.Day(t.Unix()) }

// BreakEvenIncome is the income per member-day a member must bring, with no
// one leaving, to pay cacFen back in days: cac / days.
func BreakEvenIncome(cacFen float64, days int) float64 {
	if days <= 0 {
		return math.Inf(1)
	}
	return cacFen / float64(days)
}

// Stay is one member's time in a group, in days: Joined and Left are
// Shanghai day numbers; Left < 0 means still in (censored at the day the
// survival is measured).
type Stay struct {
	Joined, Left int64
}

// MemberSurvival is the share of members still present at each age in days
// (age 0 = the day of joining), by Kaplan–Meier over the stays seen up to
// day now: a stay still open is censored at its age on now, so recent joiners
// do not count as having stayed forever. A member who leaves on day Joined+k
// is present at ages < k.
func MemberSurvival(stays []Stay, now int64, days int) []float64 {
	lt := make([]Lifetime, 0, len(stays))
	for _, s := range stays {
		if s.Left >= 0 && s.Left <= now {
			lt = append(lt, Lifetime{Days: float64(s.Left - s.Joined), Ended: true})
		} else {
			lt = append(lt, Lifetime{Days: float64(now - s.Joined + 1)})
		}
	}
	curve := KaplanMeier(lt)
	out := make([]float64, days)
	for a := range days {
		out[a] = curve.At(float64(a) + 0.5)
	}
	return out
}

// IncomeByAge spreads each group-day's income over the members present that
// day (per member-day) and sums it by the members' ages: r(a) = income of
// members aged a / member-days at age a. income maps a Shanghai day to that
// group's income in fen; stays are the group's members. Ages no member
// reached are NaN.
func IncomeByAge(stays []Stay, income map[int64]float64, now int64, days int) []float64 {
	present := map[int64]int{}
	for _, s := range stays {
		for d := s.Joined; d <= end(s, now); d++ {
			present[d]++
		}
	}
	sum := make([]float64, days)
	n := make([]float64, days)
	for _, s := range stays {
		for d := s.Joined; d <= end(s, now); d++ {
			a := d - s.Joined
			if a >= int64(days) {
				break
			}
			sum[a] += income[d] / float64(present[d])
			n[a]++
		}
	}
	out := make([]float64, days)
	for a := range out {
		out[a] = math.NaN()
		if n[a] > 0 {
			out[a] = sum[a] / n[a]
		}
	}
	return out
}

// end is the last day a stay is present: the day before it left, or now.
func end(s Stay, now int64) int64 {
	if s.Left >= 0 && s.Left <= now {
		return s.Left - 1
	}
	return now
}

// at is c[i], the last value past the end, 0 for an empty curve; NaN reads
// as 0.
func at(c []float64, i int) float64 { return atOr(c, i, 0) }

func atOr(c []float64, i int, def float64) float64 {
	if len(c) == 0 {
		return def
	}
	v := c[min(i, len(c)-1)]
	if math.IsNaN(v) {
		return 0
	}
	return v
}
