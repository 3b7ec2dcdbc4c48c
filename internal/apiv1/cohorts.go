package apiv1

import (
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/insight"
)

// CohortTriangle is a retention or repurchase triangle (GET
// /api/v1/cohorts, qunke report cohorts --json), as of its rollup's
// rebuild (built_at, as_of null: never rebuilt yet). Retention: cohorts by
// join week, period n = the nth week since (members still in some group
// that week). Repurchase: cohorts by the month of the first counted order,
// period n = the nth month since (members ordering again then, their
// orders and income); months: every month's first-time and recurring
// buyers. See docs/cohorts.md.
type CohortTriangle struct {
	Kind    string        `json:"kind"`
	Period  string        `json:"period"` // week, month
	BuiltAt *time.Time    `json:"built_at"`
	AsOf    *time.Time    `json:"as_of"`
	Periods int           `json:"periods"`
	Cohorts []CohortRow   `json:"cohorts"`
	Months  []MonthBuyers `json:"months"`
	Income  *MemberIncome `json:"income"`
}

// MemberIncome is the income credited to members beside all counted
// income: the share member-level figures cover.
type MemberIncome struct {
	MemberIncomeFen int64 `json:"member_income_fen"`
	IncomeFen       int64 `json:"income_fen"`
	ShareBP         int64 `json:"share_bp"`
}

// CohortRow is one cohort: its start (Shanghai midnight), size and cells.
type CohortRow struct {
	Start time.Time    `json:"start"`
	Size  int64        `json:"size"`
	Cells []CohortCell `json:"cells"`
}

// CohortCell is one period of a cohort.
type CohortCell struct {
	Period    int    `json:"period"`
	Members   int64  `json:"members"`
	ShareBP   int64  `json:"share_bp"`
	Orders    *int64 `json:"orders"`
	IncomeFen *int64 `json:"income_fen"`
}

// MonthBuyers is one month's buyers.
type MonthBuyers struct {
	Month     time.Time `json:"month"`
	FirstTime int64     `json:"first_time"`
	Recurring int64     `json:"recurring"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func memberIncome(r insight.Rollup) *MemberIncome {
	return &MemberIncome{MemberIncomeFen: r.MemberIncomeFen, IncomeFen: r.IncomeFen, ShareBP: insight.Share(r.MemberIncomeFen, r.IncomeFen)}
}

// NewCohortTriangle turns a triangle into its JSON shape.
func NewCohortTriangle(t *insight.Triangle) CohortTriangle {
	out := CohortTriangle{Kind: t.Kind, Period: "week", BuiltAt: optTime(t.Run.BuiltAt), AsOf: optTime(t.Run.AsOf),
		Periods: t.Periods, Cohorts: []CohortRow{}}
	rep := t.Kind == insight.KindRepurchase
	if rep {
		out.Period, out.Months, out.Income = "month", []MonthBuyers{}, memberIncome(t.Run)
		for _, m := range t.Months {
			out.Months = append(out.Months, MonthBuyers{Month: m.Month, FirstTime: m.FirstTime, Recurring: m.Recurring})
		}
	}
	for _, r := range t.Rows {
		row := CohortRow{Start: r.Start, Size: r.Size, Cells: []CohortCell{}}
		for k, c := range r.Cells {
			cell := CohortCell{Period: k, Members: c.Members, ShareBP: c.ShareBP}
			if rep {
				o, inc := c.Orders, c.IncomeFen
				cell.Orders, cell.IncomeFen = &o, &inc
			}
			row.Cells = append(row.Cells, cell)
		}
		out.Cohorts = append(out.Cohorts, row)
	}
	return out
}

// RFM is the RFM segments and the R×F grid (GET /api/v1/rfm, qunke report
// rfm --json): grid[r-1][f-1] members with recency score r and frequency
// score f.
type RFM struct {
	BuiltAt  *time.Time   `json:"built_at"`
	AsOf     *time.Time   `json:"as_of"`
	Buyers   int64        `json:"buyers"`
	Income   MemberIncome `json:"income"`
	Segments []RFMSegment `json:"segments"`
	Grid     [][]int64    `json:"grid"`
}

// RFMSegment is one segment's figures.
type RFMSegment struct {
	Segment   string `json:"segment"`
	Label     string `json:"label"`
	Members   int64  `json:"members"`
	ShareBP   int64  `json:"share_bp"`
	Orders    int64  `json:"orders"`
	IncomeFen int64  `json:"income_fen"`
}

// NewRFM turns the RFM report into its JSON shape; label names a segment
// in the reader's language.
func NewRFM(r *insight.RFMReport, label func(insight.Segment) string) RFM {
	out := RFM{BuiltAt: optTime(r.Run.BuiltAt), AsOf: optTime(r.Run.AsOf), Buyers: r.Run.Members, Income: *memberIncome(r.Run),
		Segments: []RFMSegment{}, Grid: [][]int64{}}
	for _, s := range r.Segments {
		out.Segments = append(out.Segments, RFMSegment{Segment: string(s.Segment), Label: label(s.Segment), Members: s.Members,
			ShareBP: s.ShareBP, Orders: s.Orders, IncomeFen: s.IncomeFen})
	}
	for _, row := range r.Grid {
		out.Grid = append(out.Grid, append([]int64{}, row[:]...))
	}
	return out
}

// RFMMember is one buying member's RFM figures (GET
// /api/v1/rfm/members, the export).
type RFMMember struct {
	MemberID     string    `json:"member_id"`
	Name         string    `json:"name"`
	FirstOrder   time.Time `json:"first_order_day"`
	LastOrder    time.Time `json:"last_order_day"`
	RecencyDays  int64     `json:"recency_days"`
	Orders       int64     `json:"orders"`
	MoneyFen     int64     `json:"money_fen"`
	R            int       `json:"r"`
	F            int       `json:"f"`
	M            int       `json:"m"`
	Segment      string    `json:"segment"`
	SegmentLabel string    `json:"segment_label"`
}

// RFMMembers is a page of a segment's members, most money first.
type RFMMembers struct {
	Segment string      `json:"segment"`
	Label   string      `json:"label"`
	Total   int64       `json:"total"`
	Offset  int         `json:"offset"`
	Members []RFMMember `json:"members"`
}

// NewRFMMember turns one member's figures into the JSON shape, recency
// counted in days to asOf (a Shanghai day number).
func NewRFMMember(m insight.MemberRFM, asOfDay int64, label func(insight.Segment) string) RFMMember {
	return RFMMember{MemberID: strconv.FormatInt(m.MemberID, 10), Name: m.Name, FirstOrder: insight.DayTime(m.FirstDay),
		LastOrder: insight.DayTime(m.LastDay), RecencyDays: asOfDay - m.LastDay, Orders: m.Orders, MoneyFen: m.MoneyFen,
		R: m.R, F: m.F, M: m.M, Segment: string(m.Segment), SegmentLabel: label(m.Segment)}
}
