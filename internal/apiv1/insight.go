package apiv1

import (
	"math"
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/insight"
)

// Cost is one acquisition spend (GET /api/v1/costs, qunke costs list --json).
// day is the Shanghai day; group_id null for a campaign's spend.
type Cost struct {
	ID        int64     `json:"id"`
	GroupID   *int64    `json:"group_id"`
	Campaign  string    `json:"campaign"`
	Day       time.Time `json:"day"`
	Kind      string    `json:"kind"`
	KindLabel string    `json:"kind_label"`
	Members   int64     `json:"members"`
	UnitFen   int64     `json:"unit_fen"`
	AmountFen int64     `json:"amount_fen"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// Costs is a list of costs with their total.
type Costs struct {
	Costs    []Cost `json:"costs"`
	TotalFen int64  `json:"total_fen"`
	Members  int64  `json:"members"`
}

// CostInput is the body of POST /api/v1/costs: one cost, or several in
// "costs" (added together or not at all). Money in fen.
type CostInput struct {
	GroupID   int64       `json:"group_id"`
	Campaign  string      `json:"campaign"`
	Day       string      `json:"day"` // 2026-01-05, Shanghai
	Kind      string      `json:"kind"`
	Members   int64       `json:"members"`
	UnitFen   int64       `json:"unit_fen"`
	AmountFen int64       `json:"amount_fen"`
	Note      string      `json:"note"`
	Costs     []CostInput `json:"costs"`
}

// NewCosts turns costs into their JSON shape; label gives a kind's label in
// the reader's language.
func NewCosts(cs []insight.Cost, label func(insight.CostKind) string) Costs {
	out := Costs{Costs: []Cost{}}
	for _, c := range cs {
		var g *int64
		if c.GroupID != 0 {
			id := c.GroupID
			g = &id
		}
		out.Costs = append(out.Costs, Cost{ID: c.ID, GroupID: g, Campaign: c.Campaign, Day: c.Day, Kind: string(c.Kind),
			KindLabel: label(c.Kind), Members: c.Members, UnitFen: c.UnitFen, AmountFen: c.AmountFen, Note: c.Note,
			CreatedAt: c.Created.UTC()})
		out.TotalFen += c.AmountFen
		out.Members += c.Members
	}
	return out
}

// SimMonth is one month of a simulation; money in whole fen.
type SimMonth struct {
	Month         int     `json:"month"`
	CashOutFen    int64   `json:"cash_out_fen"`
	CashInFen     int64   `json:"cash_in_fen"`
	AccruedFen    int64   `json:"accrued_fen"`
	NetFen        int64   `json:"net_fen"`
	CumulativeFen int64   `json:"cumulative_fen"`
	NewMembers    int64   `json:"new_members"`
	Members       int64   `json:"members"`
	GroupsAlive   float64 `json:"groups_alive"`
	// CumulativeP10Fen and CumulativeP90Fen are the band; null without one.
	CumulativeP10Fen *int64 `json:"cumulative_p10_fen"`
	CumulativeP90Fen *int64 `json:"cumulative_p90_fen"`
}

// Simulation is a run of the reinvestment simulator (qunke simulate --json).
// curves is "measured" (the team's own data) or "defaults"; irr is the
// annualised internal rate of return, null when it has none; payback_month
// null when the cash does not come back within the months.
type Simulation struct {
	Curves               string     `json:"curves"`
	BudgetFen            int64      `json:"budget_fen"`
	ReinvestBP           int64      `json:"reinvest_bp"`
	FanPriceFen          int64      `json:"fan_price_fen"`
	IncomePerMemberDay   float64    `json:"income_per_member_day_fen"`
	LeavePerDayBP        float64    `json:"leave_per_day_bp"`
	Groups               int        `json:"groups"`
	Months               []SimMonth `json:"months"`
	PaybackMonth         *int       `json:"payback_month"`
	BreakEvenFanPriceFen *int64     `json:"break_even_fan_price_fen"`
	IRR                  *float64   `json:"irr"`
	Resamples            int        `json:"resamples"`
	// Band is "ok" (drawn: the months' cumulative_p10/p90_fen and the
	// figures below), "thin" (measured on fewer than MinBandGroups groups:
	// the point estimate only) or "none" (the defaults, or not asked).
	// The band is of cash: the cumulative at the horizon and the payback
	// month (null: not within the horizon), p10 and p90.
	Band                string `json:"band"`
	MinBandGroups       int    `json:"min_band_groups"`
	CumulativeEndP10Fen *int64 `json:"cumulative_end_p10_fen"`
	CumulativeEndP90Fen *int64 `json:"cumulative_end_p90_fen"`
	PaybackMonthP10     *int   `json:"payback_month_p10"`
	PaybackMonthP90     *int   `json:"payback_month_p90"`
	// The growth ceiling (0: none) and a group's capacity.
	MaxGroups     int `json:"max_groups"`
	GroupCapacity int `json:"group_capacity"`
	// CurveSource is whose measured curves ran: "bought" members' or
	// "all" members'; null on the defaults. MeasuredCACFen is what a bought
	// member cost the team (null: no purchase measured).
	CurveSource    *string `json:"curve_source"`
	MeasuredCACFen *int64  `json:"measured_cac_fen"`
}

// NewSimulation is the JSON shape of a run.
func NewSimulation(p insight.Plan, run insight.Run) Simulation {
	r, b := run.Result, run.Band
	s := Simulation{Curves: run.Source, BudgetFen: fen(p.BudgetFen), ReinvestBP: p.ReinvestBP, FanPriceFen: fen(p.FanPriceFen),
		Months: []SimMonth{}, Resamples: b.Resamples, IRR: finite(r.IRR), MaxGroups: p.MaxGroups, GroupCapacity: insight.GroupCapacity}
	if run.Base.GroupSize > 0 {
		s.GroupCapacity = int(run.Base.GroupSize)
	}
	for i, m := range r.Months {
		sm := SimMonth{Month: m.Month, CashOutFen: fen(m.CashOut), CashInFen: fen(m.CashIn), AccruedFen: fen(m.Accrued),
			NetFen: fen(m.Net), CumulativeFen: fen(m.Cumulative), NewMembers: fen(m.NewMembers), Members: fen(m.Members),
			GroupsAlive: bounded(math.Round(m.GroupsAlive*10) / 10)}
		if i < len(b.P10) && !b.Thin {
			lo, hi := fen(b.P10[i]), fen(b.P90[i])
			sm.CumulativeP10Fen, sm.CumulativeP90Fen = &lo, &hi
		}
		s.Months = append(s.Months, sm)
	}
	if r.PaybackMonth >= 0 {
		pm := r.PaybackMonth
		s.PaybackMonth = &pm
	}
	if !math.IsInf(r.BreakEvenFanPriceFen, 0) {
		be := fen(r.BreakEvenFanPriceFen)
		s.BreakEvenFanPriceFen = &be
	}
	s.Band, s.MinBandGroups = "none", insight.MinBandGroups
	switch {
	case b.Thin:
		s.Band = "thin"
	case b.Resamples > 0 && len(b.P10) > 0:
		s.Band = "ok"
		lo, hi := fen(b.P10[len(b.P10)-1]), fen(b.P90[len(b.P90)-1])
		s.CumulativeEndP10Fen, s.CumulativeEndP90Fen = &lo, &hi
		s.PaybackMonthP10, s.PaybackMonthP90 = month(b.PaybackP10), month(b.PaybackP90)
	}
	if run.Source == "measured" {
		m := run.Measured
		s.IncomePerMemberDay, s.LeavePerDayBP, s.Groups = round2(m.IncomePerMemberDay), round2(m.LeavePerDay*10000), m.Groups
		if m.CurveSource != "" {
			src := m.CurveSource
			s.CurveSource = &src
		}
		if m.BoughtCACFen > 0 {
			c := m.BoughtCACFen
			s.MeasuredCACFen = &c
		}
	} else {
		s.IncomePerMemberDay, s.LeavePerDayBP = round2(run.Base.IncomePerMemberDay), round2(run.Base.LeavePerDay*10000)
	}
	return s
}

// BandLines say, through t (a catalog's translate), what the band found:
// the data too thin for one (the point estimate is all there is), or the
// cash at the horizon and the payback month, p10–p90, and what that
// means; nothing without a band. The page and the CLI print them.
func (s Simulation) BandLines(t func(string, ...any) string) []string {
	switch s.Band {
	case "thin":
		return []string{t("simulate.band_thin", s.Groups, s.MinBandGroups)}
	case "ok":
		if s.CumulativeEndP10Fen == nil || s.CumulativeEndP90Fen == nil {
			return nil
		}
		pb := func(m *int) string {
			if m == nil {
				return t("simulate.band_never", len(s.Months))
			}
			return t("simulate.band_month", *m+1)
		}
		return []string{t("simulate.band_end", len(s.Months), s.Resamples, cells.Yuan(*s.CumulativeEndP10Fen), cells.Yuan(*s.CumulativeEndP90Fen)),
			t("simulate.band_payback", pb(s.PaybackMonthP10), pb(s.PaybackMonthP90)), t("simulate.band_meaning")}
	}
	return nil
}

// fen rounds a float amount to whole units; NaN reads as 0 and ±Inf as
// the largest amount, so that no conversion is undefined.
func fen(v float64) int64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v >= math.MaxInt64:
		return math.MaxInt64
	case v <= math.MinInt64:
		return math.MinInt64
	}
	return int64(math.Round(v))
}

// month is a month index, nil when negative (none).
func month(m int) *int {
	if m < 0 {
		return nil
	}
	return &m
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r := math.Round(v*10000) / 10000
	return &r
}

func round2(v float64) float64 { return bounded(math.Round(v*100) / 100) }

// bounded is v as JSON can carry it: NaN reads as 0, ±Inf as the largest
// float (a simulation without a ceiling can outgrow float64).
func bounded(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case math.IsInf(v, 0):
		return math.Copysign(math.MaxFloat64, v)
	}
	return v
}
