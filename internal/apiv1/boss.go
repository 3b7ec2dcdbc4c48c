package apiv1

import (
	"math"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/insight"
)

// BossRow is one row of the boss's tables (GET /api/v1/boss, qunke report
// boss --json); money in fen, the totals row has key "".
type BossRow struct {
	Key     string  `json:"key"`
	Name    string  `json:"name"`
	GroupID *string `json:"group_id"` // by group; null otherwise
	Groups  int64   `json:"groups"`
	Members int64   `json:"members"`
	Opening int64   `json:"opening_members"`
	// NetGrowth is members − opening_members.
	NetGrowth  int64 `json:"net_growth"`
	Joins      int64 `json:"joins"`
	Leaves     int64 `json:"leaves"`
	Active     int64 `json:"speakers"`
	Posts      int64 `json:"posts"`
	Orders     int64 `json:"orders"`
	IncomeFen  int64 `json:"income_fen"`
	MemberDays int64 `json:"member_days"`
	// IncomePerMemberDayFen is income_fen / member_days, two decimals; null
	// without member-days.
	IncomePerMemberDayFen *float64   `json:"income_per_member_day_fen"`
	CostFen               int64      `json:"cost_fen"`
	CACFen                *int64     `json:"cac_fen"`      // null: no cost or no joins
	PaybackDays           *int64     `json:"payback_days"` // null: no CAC, or not within five years
	Health                BossHealth `json:"health"`
	Worst                 *string    `json:"worst_state"` // null: no group judged
}

// BossHealth counts a row's groups per health state.
type BossHealth struct {
	OK      int64 `json:"ok"`
	Watch   int64 `json:"watch"`
	Warning int64 `json:"warning"`
	Dead    int64 `json:"dead"`
}

// BossTable is one boss's table.
type BossTable struct {
	Period string    `json:"period"`
	By     string    `json:"by"`
	From   time.Time `json:"from"` // the first day, Shanghai midnight
	To     time.Time `json:"to"`   // the last day (included)
	Sort   string    `json:"sort"`
	Order  string    `json:"order"` // asc or desc
	Rows   []BossRow `json:"rows"`
	Total  BossRow   `json:"total"`
	// UnassignedCostFen is the spend given to no group: in total only.
	UnassignedCostFen int64 `json:"unassigned_cost_fen"`
}

// NewBossTable turns a table into its JSON shape; tr names the rows that
// have no label (no operator, no tag) and the totals.
func NewBossTable(t *insight.BossTable, tr insight.Text) BossTable {
	out := BossTable{Period: string(t.Period), By: string(t.By), From: t.FromTime(), To: t.ToTime(), Sort: t.Sort,
		Order: "desc", Rows: []BossRow{}, UnassignedCostFen: t.UnassignedCostFen}
	if t.Asc {
		out.Order = "asc"
	}
	for i := range t.Rows {
		out.Rows = append(out.Rows, newBossRow(t, &t.Rows[i], tr))
	}
	out.Total = newBossRow(t, &t.Total, tr)
	return out
}

func newBossRow(t *insight.BossTable, r *insight.BossRow, tr insight.Text) BossRow {
	o := BossRow{Key: r.Key, Name: t.RowLabel(r, tr), Groups: r.Groups, Members: r.Members, Opening: r.Opening,
		NetGrowth: r.NetGrowth, Joins: r.Joins, Leaves: r.Leaves, Active: r.Active, Posts: r.Posts, Orders: r.Orders,
		IncomeFen: r.IncomeFen, MemberDays: r.MemberDays, CostFen: r.CostFen,
		Health: BossHealth{OK: r.Health["ok"], Watch: r.Health["watch"], Warning: r.Health["warning"], Dead: r.Health["dead"]}}
	if r.GroupID != 0 {
		id := strconv.FormatInt(r.GroupID, 10)
		o.GroupID = &id
	}
	if v := r.PerMemberDay(); !math.IsNaN(v) {
		v = math.Round(v*100) / 100
		o.IncomePerMemberDayFen = &v
	}
	if r.HasCAC {
		c := r.CACFen
		o.CACFen = &c
	}
	if r.HasPayback {
		d := int64(r.PaybackDays)
		o.PaybackDays = &d
	}
	if r.Worst != "" {
		w := string(r.Worst)
		o.Worst = &w
	}
	return o
}
