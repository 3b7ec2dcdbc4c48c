package apiv1

import (
	"math"
	"time"

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
	IRRP10               *float64   `json:"irr_p10"`
	IRRP90               *float64   `json:"irr_p90"`
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
			GroupsAlive: math.Round(m.GroupsAlive*10) / 10}
		if i < len(b.P10) {
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
	if b.Resamples > 0 {
		s.IRRP10, s.IRRP90 = finite(b.IRRP10), finite(b.IRRP90)
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

// fen rounds a float amount to whole units.
func fen(v float64) int64 { return int64(math.Round(v)) }

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r := math.Round(v*10000) / 10000
	return &r
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
