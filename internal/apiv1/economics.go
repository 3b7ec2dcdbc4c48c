package apiv1

import (
	"math"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/insight"
)

// EconRow is one segment's unit economics (GET /api/v1/economics, qunke
// report economics --json). Money in fen; income per member-day in fen
// with two decimals (a member-day earns a couple of fen); shares between 0
// and 1; a figure that cannot be had (no members, no cost, never paid back)
// is null.
type EconRow struct {
	Key                   string   `json:"key"`
	Label                 string   `json:"label"`
	GroupID               *string  `json:"group_id"`
	Period                *string  `json:"period"`
	Source                *string  `json:"source"`
	SourceLabel           *string  `json:"source_label"`
	Groups                int      `json:"groups"`
	Acquired              int64    `json:"members_acquired"`
	CostFen               int64    `json:"cost_fen"`
	CACFen                *int64   `json:"cac_fen"`
	MemberDays            int64    `json:"member_days"`
	IncomeFen             int64    `json:"income_fen"`
	IncomePerMemberDayFen float64  `json:"income_per_member_day_fen"`
	AttributedFen         int64    `json:"attributed_income_fen"`
	MappedBP              int64    `json:"mapped_bp"`
	Survival7             *float64 `json:"member_survival_7"`
	Survival30            *float64 `json:"member_survival_30"`
	Survival90            *float64 `json:"member_survival_90"`
	LTVFen                int64    `json:"ltv_fen"`
	PaybackDays           *int     `json:"payback_days"`
	CashPaybackDays       *int     `json:"cash_payback_days"`
	GroupSurvival90       *float64 `json:"group_survival_90"`
	GroupsDead            int      `json:"groups_dead"`
	// The daily curves ([] unless asked for, ?curves=1): income per member-day by age (fen,
	// null for an age no member reached), member survival by age, and the
	// cumulative income per acquired member by age (fen).
	IncomeByAge     []*float64 `json:"income_by_age"`
	SurvivalByAge   []*float64 `json:"survival_by_age"`
	CumulativeByAge []*float64 `json:"cumulative_by_age"`
}

// Economics is the unit economics of a window cut one way.
type Economics struct {
	By     string    `json:"by"`
	Period *string   `json:"period"` // cohorts: week or month
	From   time.Time `json:"from"`   // the window's first day (Shanghai midnight)
	To     time.Time `json:"to"`     // the day after its last
	// The window's group-day income, the part spread over members present,
	// the member-attributed income and its share of the income.
	IncomeFen     int64     `json:"income_fen"`
	SpreadFen     int64     `json:"spread_income_fen"`
	AttributedFen int64     `json:"attributed_income_fen"`
	MappedBP      int64     `json:"mapped_bp"`
	Rows          []EconRow `json:"rows"`
	Total         EconRow   `json:"total"`
}

// NewEconomics is the JSON shape of a report; label gives a source's label
// in the reader's language; curves adds the daily curves.
func NewEconomics(r insight.EconReport, label func(insight.Source) string, curves bool) Economics {
	out := Economics{By: string(r.By), Period: strOrNil(r.Period), From: insight.DayTime(r.From).UTC(), To: insight.DayTime(r.To).UTC(),
		IncomeFen: r.IncomeFen, SpreadFen: r.SpreadFen, AttributedFen: r.AttributedFen, MappedBP: r.MappedBP, Rows: []EconRow{}}
	for _, row := range r.Rows {
		out.Rows = append(out.Rows, NewEconRow(row, label, curves))
	}
	out.Total = NewEconRow(r.Total, label, curves)
	return out
}

// NewEconRow is one row's JSON shape.
func NewEconRow(r insight.EconRow, label func(insight.Source) string, curves bool) EconRow {
	out := EconRow{Key: r.Key, Label: r.Label, Period: strOrNil(r.Period), Source: strOrNil(string(r.Source)), Groups: r.Groups,
		Acquired: r.Acquired, CostFen: r.CostFen, MemberDays: r.MemberDays, IncomeFen: fen(r.IncomeFen),
		IncomePerMemberDayFen: round2(r.IncomePerMemberDay), AttributedFen: r.AttributedFen, MappedBP: r.MappedBP,
		Survival7: share(r.Survival7), Survival30: share(r.Survival30), Survival90: share(r.Survival90),
		LTVFen: fen(r.LTVFen), GroupSurvival90: share(r.GroupSurvival90), GroupsDead: r.GroupsDead}
	if r.GroupID != 0 {
		id := strconv.FormatInt(r.GroupID, 10)
		out.GroupID = &id
	}
	if r.Source != "" && label != nil {
		out.SourceLabel = strOrNil(label(r.Source))
	}
	out.IncomeByAge, out.SurvivalByAge, out.CumulativeByAge = []*float64{}, []*float64{}, []*float64{}
	if r.CACFen > 0 {
		c := r.CACFen
		out.CACFen = &c
	}
	if r.PaybackDays >= 0 {
		d := r.PaybackDays
		out.PaybackDays = &d
	}
	if r.CashPaybackDays >= 0 {
		d := r.CashPaybackDays
		out.CashPaybackDays = &d
	}
	if curves {
		out.IncomeByAge, out.SurvivalByAge, out.CumulativeByAge = floats(r.Income, 100), floats(r.Survival, 10000),
			floats(r.Cumulative, 100)
	}
	return out
}

// share is a share rounded to four decimals, null for NaN.
func share(v float64) *float64 { return finite(v) }

// floats rounds a curve (scale 100: two decimals), NaN as null.
func floats(c []float64, scale float64) []*float64 {
	out := make([]*float64, len(c))
	for i, v := range c {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			r := math.Round(v*scale) / scale
			out[i] = &r
		}
	}
	return out
}

// SurvivalStep is one step of a Kaplan–Meier curve.
type SurvivalStep struct {
	Days     float64 `json:"days"`
	AtRisk   int     `json:"at_risk"`
	Ended    int     `json:"ended"`
	Censored int     `json:"censored"`
	Survival float64 `json:"survival"`
}

// MemberSurvival is one source's member survival by age in days.
type MemberSurvival struct {
	Source      *string    `json:"source"` // null for every member
	SourceLabel string     `json:"source_label"`
	Members     int64      `json:"members_acquired"`
	ByAge       []*float64 `json:"survival_by_age"`
}

// Survival is GET /api/v1/survival: the members' survival by age (all,
// and per source) of those who joined in the window, and the groups'
// Kaplan–Meier curve over their lifetimes (death as group health defines
// it).
type Survival struct {
	From    time.Time        `json:"from"`
	To      time.Time        `json:"to"`
	Members []MemberSurvival `json:"members"`
	Groups  []SurvivalStep   `json:"groups"`
}

// NewSurvival builds it from a report cut by source.
func NewSurvival(r insight.EconReport, label func(insight.Source) string, allLabel string) Survival {
	out := Survival{From: insight.DayTime(r.From).UTC(), To: insight.DayTime(r.To).UTC(), Members: []MemberSurvival{},
		Groups: []SurvivalStep{}}
	out.Members = append(out.Members, MemberSurvival{SourceLabel: allLabel, Members: r.Total.Acquired,
		ByAge: floats(r.Total.Survival, 10000)})
	for _, row := range r.Rows {
		out.Members = append(out.Members, MemberSurvival{Source: strOrNil(string(row.Source)), SourceLabel: label(row.Source),
			Members: row.Acquired, ByAge: floats(row.Survival, 10000)})
	}
	for _, s := range r.GroupSurvival {
		out.Groups = append(out.Groups, SurvivalStep{Days: s.T, AtRisk: s.AtRisk, Ended: s.Ended, Censored: s.Censored,
			Survival: math.Round(s.Survival*10000) / 10000})
	}
	return out
}

// strOrNil is s, null when empty.
func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
