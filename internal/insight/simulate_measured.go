package insight

import (
	"context"
	"math"
	"time"
)

// MinCurveMembers is how many bought members the simulator needs to take
// its curves from theirs; with fewer it takes every member's.
const MinCurveMembers = 30

// MeasureEconomics reads the simulator's curves from the unit economics of
// the window days before now (docs/economics.md, "Measured curves"):
//
//   - the income of an acquired member by age, r(a), and its survival S(a)
//     (Kaplan–Meier over the stays), of the bought members when there are
//     MinCurveMembers of them, else of every member: I(k) and M(k) by month;
//   - group survival G(k) from Kaplan–Meier over the groups' lifetimes with
//     group health's death definition (the base's when no group has one);
//   - fission: members acquired by fission per member-month, at the cost per
//     fission member (the ledger's rewards and the fission costs entered);
//   - one sample per group with members acquired (its own I and M, its
//     lifetime, weighted by the members it acquired) for the band.
//
// ok is false when no member joined in the window with income to spread.
func MeasureEconomics(ctx context.Context, e *Economics, now time.Time, window, months int, base DefaultAssumptions) (m Measured, ok bool, err error) {
	today := JoinDay(now)
	in, err := e.Input(ctx, EconQuery{From: DayTime(today + 1 - int64(window)), To: DayTime(today + 1), Now: now})
	if err != nil {
		return m, false, err
	}
	// The window starts at the first day with income: days before the
	// team's first imported order would read as members earning nothing.
	first := int64(-1)
	for k := range in.GroupIncome {
		if k.Day >= in.From && (first < 0 || k.Day < first) {
			first = k.Day
		}
	}
	if first > in.From {
		in.From = first
	}
	src := UnitEconomics(in, EconOptions{By: BySource})
	tot := src.Total
	if tot.Acquired == 0 || tot.IncomeFen <= 0 {
		return m, false, nil
	}
	curve, by := tot, "all"
	var fission EconRow
	for _, r := range src.Rows {
		switch r.Source {
		case Bought:
			if r.Acquired >= MinCurveMembers && r.IncomeFen > 0 {
				curve, by = r, string(Bought)
			}
			m.BoughtCACFen = r.CACFen
		case Fission:
			fission = r
		}
	}
	m.CurveSource = by
	m.MemberDays, m.IncomeFen = tot.MemberDays, int64(math.Round(tot.IncomeFen))
	m.IncomePerMemberDay = curve.IncomePerMemberDay
	// The daily leave rate that gives the 30-day retention measured.
	if s := curve.Survival30; !math.IsNaN(s) && s > 0 {
		m.LeavePerDay = 1 - math.Pow(s, 1.0/30)
	}
	c := base.Curves(months)
	c.MemberIncome = MonthlyIncome(curve.incomeLong, curve.survivalLong, months)
	c.MemberSurvival = MemberMonths(curve.survivalLong, months)
	if len(src.GroupSurvival) > 0 {
		c.GroupSurvival = GroupMonths(src.GroupSurvival, months)
	}
	if tot.MemberDays > 0 && fission.Acquired > 0 {
		c.FissionPerMember = float64(fission.Acquired) / (float64(tot.MemberDays) / MonthDays)
		c.FissionCostFen = float64(fission.CostFen) / float64(fission.Acquired)
	}
	for _, l := range in.GroupLives {
		if l.Ended {
			m.GroupsEnded++
		}
	}
	// The band's samples: each group's own curves (of the same members as
	// the point estimate's) and lifetime.
	only := Source("")
	if by == string(Bought) {
		only = Bought
	}
	byGroup := UnitEconomics(in, EconOptions{By: ByGroup, Only: only})
	for _, r := range byGroup.Rows {
		if r.Acquired == 0 || r.MemberDays == 0 {
			continue
		}
		m.Groups++
		life, ok := in.GroupLives[r.GroupID]
		if !ok {
			life = Lifetime{Days: float64(window)}
		}
		m.Samples = append(m.Samples, GroupSample{MemberIncome: MonthlyIncome(r.incomeLong, r.survivalLong, months),
			MemberSurvival: MemberMonths(r.survivalLong, months), Life: life, Weight: float64(r.Acquired)})
	}
	if len(m.Samples) > 0 {
		// The point estimate is the groups' mean weighted by the members
		// they acquired (income per acquired member, as the pooled curve),
		// so that the band's resamples are centred on it.
		c.MemberIncome = MeanIncome(m.Samples, months)
	}
	m.Curves = c
	return m, true, nil
}
