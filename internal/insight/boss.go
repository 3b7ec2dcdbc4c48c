package insight

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// The boss's tables (老板报表, issue 16 item 5): one period (a day, a week
// from Monday, a calendar month, in Shanghai days as the rollups count
// them) by operator (the group's owner), group or tag, read from group
// health's daily rollup (group_days, one row per group and day, filled
// through the owners' methods) and the acquisition costs. docs/economics.md
// ("The boss's tables") states every column.

// Period is the length of a boss's table.
type Period string

const (
	PeriodDay   Period = "day"
	PeriodWeek  Period = "week"
	PeriodMonth Period = "month"
)

// ParsePeriod reads day, week or month ("" is month; 日/周/月 too).
func ParsePeriod(s string) (Period, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "month", "m", "月":
		return PeriodMonth, nil
	case "week", "w", "周":
		return PeriodWeek, nil
	case "day", "d", "日":
		return PeriodDay, nil
	}
	return "", msg.New("boss.bad_period", s)
}

// Bounds are the period's first and last Shanghai day numbers holding day.
func (p Period) Bounds(day int64) (from, to int64) {
	t := time.Unix(day*86400, 0).UTC() // the calendar date of day
	switch p {
	case PeriodDay:
		return day, day
	case PeriodWeek:
		wd := (int64(t.Weekday()) + 6) % 7 // Monday 0
		return day - wd, day - wd + 6
	}
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	next := first.AddDate(0, 1, 0)
	return first.Unix() / 86400, next.Unix()/86400 - 1
}

// Grouping is what a boss's table has a row for: ByOperator, ByGroup or
// ByTag (the economics' cuts of the same names).
type Grouping = By

// ParseGrouping reads operator, group or tag ("" is operator).
func ParseGrouping(s string) (Grouping, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "operator", "owner", "运营", "群主":
		return ByOperator, nil
	case "group", "群":
		return ByGroup, nil
	case "tag", "标签":
		return ByTag, nil
	}
	return "", msg.New("boss.bad_by", s)
}

// Sort columns of a boss's table.
var BossSorts = []string{"name", "groups", "members", "growth", "posts", "orders", "income", "per_member_day",
	"cost", "cac", "payback", "health"}

// BossQuery asks for one table.
type BossQuery struct {
	Period Period
	Day    int64 // any Shanghai day number in the period
	By     Grouping
	Sort   string // one of BossSorts; "": income
	Asc    bool   // ascending (default: descending, names ascending)
	// Owner keeps only that operator's groups (the digest to an owner).
	Owner    string
	OnlyMine bool // Owner applies (Owner "" then means groups without one)
}

// PaybackHorizon is how far the table looks for a payback, in days: five
// years; later is shown as never.
const PaybackHorizon = 5 * 365

// BossRow is one row (or the totals) of a boss's table.
type BossRow struct {
	Key     string // the operator, the group id or the tag; "" for the totals
	Label   string // the name shown ("" for no operator / no tag: the page names it)
	GroupID int64  // by group
	Groups  int64  // groups counted in the row
	// Members now (at the period's last stored day) and at its start.
	Members, Opening, NetGrowth int64
	Joins, Leaves, Active       int64
	Posts, Orders, IncomeFen    int64
	MemberDays                  int64
	CostFen                     int64
	// CACFen is cost / joins, rounded (HasCAC false: no cost or no joins).
	CACFen int64
	HasCAC bool
	// PaybackDays is the accrual payback of one acquired member at the
	// row's income per member-day and leave rate (PaybackDay with a
	// geometric survival); HasPayback false: no CAC, or not within
	// PaybackHorizon.
	PaybackDays int
	HasPayback  bool
	// Health counts the groups per state (judged groups only); Worst is
	// the riskiest state among them ("" when none was judged).
	Health map[health.State]int64
	Worst  health.State
}

// PerMemberDay is income per member-day in fen (单产): income / member-days,
// NaN when no member-day was counted.
func (r *BossRow) PerMemberDay() float64 {
	if r.MemberDays <= 0 {
		return math.NaN()
	}
	return float64(r.IncomeFen) / float64(r.MemberDays)
}

// LeaveRate is leaves per member-day, the daily hazard of leaving.
func (r *BossRow) LeaveRate() float64 {
	if r.MemberDays <= 0 {
		return 0
	}
	return min(1, float64(r.Leaves)/float64(r.MemberDays))
}

// BossTable is one boss's table.
type BossTable struct {
	Period   Period
	From, To int64 // Shanghai day numbers, both included
	By       Grouping
	Sort     string
	Asc      bool
	Rows     []BossRow
	Total    BossRow
	// Unassigned is the spend of the period given to no group (a
	// campaign's): in the totals, in no row.
	UnassignedCostFen int64
}

// FromTime and ToTime are the period's first and last days as Shanghai
// midnights.
func (t *BossTable) FromTime() time.Time { return DayTime(t.From) }
func (t *BossTable) ToTime() time.Time   { return DayTime(t.To) }

// BossSources are what the tables read, each through its owner's methods.
type BossSources struct {
	Groups interface {
		List(ctx context.Context, f community.Filter) ([]*community.Group, error)
	}
	Days interface {
		SumDays(ctx context.Context, from, to int64) (map[int64]health.PeriodSums, error)
		States(ctx context.Context) (map[int64]health.State, error)
	}
	Costs *Store
}

// NewBossSources reads db's owners: community's groups, health's rollup.
func NewBossSources(groups *community.Store, h *health.Store, costs *Store) *BossSources {
	return &BossSources{Groups: groups, Days: h, Costs: costs}
}

// Boss builds the table q asks for.
func (b *BossSources) Boss(ctx context.Context, q BossQuery) (*BossTable, error) {
	if q.Period == "" {
		q.Period = PeriodMonth
	}
	if q.By == "" {
		q.By = ByOperator
	}
	if q.Sort == "" {
		q.Sort = "income"
	}
	if !slices.Contains(BossSorts, q.Sort) {
		return nil, msg.New("boss.bad_sort", q.Sort)
	}
	from, to := q.Period.Bounds(q.Day)
	groups, err := b.Groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, fmt.Errorf("boss: groups: %w", err)
	}
	sums, err := b.Days.SumDays(ctx, from, to)
	if err != nil {
		return nil, err
	}
	states, err := b.Days.States(ctx)
	if err != nil {
		return nil, err
	}
	costs, err := b.Costs.costsByGroup(ctx, from, to)
	if err != nil {
		return nil, err
	}
	t := &BossTable{Period: q.Period, From: from, To: to, By: q.By, Sort: q.Sort, Asc: q.Asc}
	rows := map[string]*BossRow{}
	row := func(key, label string) *BossRow {
		r := rows[key]
		if r == nil {
			r = &BossRow{Key: key, Label: label, Health: map[health.State]int64{}}
			rows[key] = r
		}
		return r
	}
	t.Total.Health = map[health.State]int64{}
	known := map[int64]bool{}
	for _, g := range groups {
		known[g.ID] = true
		if q.OnlyMine && g.Owner != q.Owner {
			continue
		}
		s, has := sums[g.ID]
		c := costs[g.ID]
		st, judged := states[g.ID]
		if !has && c == 0 {
			continue // no day, no cost in the period: not part of it
		}
		var targets []*BossRow
		switch q.By {
		case ByGroup:
			r := row(fmt.Sprint(g.ID), g.Name)
			r.GroupID = g.ID
			targets = append(targets, r)
		case ByTag:
			if len(g.Tags) == 0 {
				targets = append(targets, row("", ""))
			}
			for _, tag := range g.Tags {
				targets = append(targets, row(tag, tag))
			}
		default:
			targets = append(targets, row(g.Owner, g.Owner))
		}
		targets = append(targets, &t.Total)
		for _, r := range targets {
			r.add(s, c)
			if judged {
				r.Health[st]++
				if r.Worst == "" || st.Rank() > r.Worst.Rank() {
					r.Worst = st
				}
			}
		}
	}
	if !q.OnlyMine {
		for g, c := range costs {
			if !known[g] {
				t.UnassignedCostFen += c // a campaign's, or a deleted group's
			}
		}
		t.Total.CostFen += t.UnassignedCostFen
	}
	for _, r := range rows {
		r.finish()
		t.Rows = append(t.Rows, *r)
	}
	t.Total.finish()
	SortBoss(t.Rows, q.Sort, q.Asc)
	return t, nil
}

func (r *BossRow) add(s health.PeriodSums, cost int64) {
	r.Groups++
	r.Members += s.Closing
	r.Opening += s.Opening
	r.Joins += s.Joins
	r.Leaves += s.Leaves
	r.Active += s.Active
	r.Posts += s.Posts
	r.Orders += s.Orders
	r.IncomeFen += s.IncomeFen
	r.MemberDays += s.MemberDays
	r.CostFen += cost
}

// finish computes the derived columns: net growth, CAC and payback.
func (r *BossRow) finish() {
	r.NetGrowth = r.Members - r.Opening
	r.HasCAC = r.CostFen > 0 && r.Joins > 0
	r.HasPayback = false
	r.PaybackDays = 0
	if !r.HasCAC {
		r.CACFen = 0
		return
	}
	r.CACFen = CAC(r.CostFen, r.Joins)
	r.PaybackDays, r.HasPayback = BossPayback(r.CACFen, r.PerMemberDay(), r.LeaveRate())
}

// BossPayback is the accrual payback (PaybackDay) of a member acquired for
// cacFen at income perDay fen a member-day who leaves with daily hazard
// leave: survival S(a) = (1-leave)^a, within PaybackHorizon.
func BossPayback(cacFen int64, perDay, leave float64) (int, bool) {
	if math.IsNaN(perDay) || perDay <= 0 {
		return 0, false
	}
	// With survival S(a) = q^a the cumulative income is r(1-q^n)/(1-q): it
	// never reaches the cost when r/(1-q) falls short of it.
	q := 1 - leave
	if leave > 0 && perDay/leave < float64(cacFen)-1e-9 {
		return 0, false
	}
	survival := make([]float64, PaybackHorizon)
	s := 1.0
	for a := range survival {
		survival[a] = s
		s *= q
	}
	return PaybackDay(float64(cacFen), []float64{perDay}, survival, PaybackHorizon)
}

// SortBoss orders rows by column (BossSorts), descending unless asc; ties
// and the name go by label. Rows without a figure (no CAC, no payback) go
// last either way.
func SortBoss(rows []BossRow, column string, asc bool) {
	key := func(r *BossRow) (float64, bool) {
		switch column {
		case "groups":
			return float64(r.Groups), true
		case "members":
			return float64(r.Members), true
		case "growth":
			return float64(r.NetGrowth), true
		case "posts":
			return float64(r.Posts), true
		case "orders":
			return float64(r.Orders), true
		case "income":
			return float64(r.IncomeFen), true
		case "per_member_day":
			v := r.PerMemberDay()
			return v, !math.IsNaN(v)
		case "cost":
			return float64(r.CostFen), true
		case "cac":
			return float64(r.CACFen), r.HasCAC
		case "payback":
			return float64(r.PaybackDays), r.HasPayback
		case "health":
			return float64(r.Worst.Rank()), r.Worst != ""
		}
		return 0, false
	}
	slices.SortStableFunc(rows, func(a, b BossRow) int {
		byName := cmp.Compare(a.Label, b.Label)
		if byName == 0 {
			byName = cmp.Compare(a.Key, b.Key)
		}
		if column == "name" {
			if asc {
				return byName
			}
			return -byName
		}
		ka, oka := key(&a)
		kb, okb := key(&b)
		if oka != okb {
			if oka {
				return -1
			}
			return 1
		}
		c := cmp.Compare(ka, kb)
		if !asc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return byName
	})
}

// DayOf is the Shanghai day number of t.
func DayOf(t time.Time) int64 { return shanghai.Day(t.Unix()) }
