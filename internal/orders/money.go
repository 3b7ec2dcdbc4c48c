package orders

// Money views (收益): per group and per day, week or month, what the orders
// paid in that time brought in. Orders are bucketed by their payment time
// in Asia/Shanghai (UTC+8, no daylight saving since 1991), which lets SQL
// compute the day of an order with integer arithmetic on unix seconds,
// (paid_at + 8*3600) / 86400, the same on SQLite and PostgreSQL. One query
// adds the orders up per group and day (from order_days, which holds them
// already added up per day: see rollup.go), another counts the posts; Go
// folds days into weeks (starting Monday) and months. The work is at most
// groups × days rows whatever the number of orders.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

const daySeconds = 86400

// Period is the size of a money view's buckets.
type Period string

const (
	Day   Period = "day"
	Week  Period = "week" // Monday to Sunday
	Month Period = "month"
)

// ParsePeriod reads day, week or month (also 日/周/月); "" is month.
func ParsePeriod(s string) (Period, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "month", "月", "m":
		return Month, nil
	case "week", "周", "w":
		return Week, nil
	case "day", "日", "天", "d":
		return Day, nil
	}
	return "", msg.New("orders.bad_period", s)
}

// Unattributed is the group id of orders whose adzone belongs to no group.
const Unattributed = 0

// IncomeQuery selects a money view.
type IncomeQuery struct {
	By Period // default Month
	// From and To bound the payment times, [From, To), rounded out to whole
	// days in Asia/Shanghai. Zero From: the first day of Now's month; zero
	// To: the day after Now.
	From, To time.Time
	// Groups restricts the view to these group ids (Unattributed, 0, for the
	// orders of no group); nil means every group and the unattributed.
	Groups []int64
	Now    time.Time // zero: time.Now(); days after it count no member-days
}

// IncomeRow is what one group (or the total) earned in a bucket. Money is
// fen, rates basis points.
type IncomeRow struct {
	GroupID   int64  `json:"group_id"` // 0: unattributed (or the total row)
	GroupName string `json:"group_name"`
	Orders    int64  `json:"orders"`
	// Failed orders became invalid (失效) or refunded (维权): no commission.
	Failed        int64 `json:"failed_orders"`
	PaidAmount    int64 `json:"paid_amount_fen"`    // what the members paid, every order
	EstIncome     int64 `json:"est_income_fen"`     // 付款预估收入 of orders not failed
	SettledIncome int64 `json:"settled_income_fen"` // 结算预估收入 of settled orders
	InvalidRateBP int64 `json:"invalid_rate_bp"`    // failed / orders
	Posts         int64 `json:"posts"`              // posts sent to the group in the bucket
	// IncomePerPost is EstIncome / Posts; nil without posts.
	IncomePerPost *int64 `json:"income_per_post_fen"`
	Members       int64  `json:"members"`     // the group's members now (0: unknown)
	MemberDays    int64  `json:"member_days"` // members × days of the bucket up to today
	// IncomePer100MemberDays is what 100 members earned a day: EstIncome ×
	// 100 / MemberDays, in fen (a member-day earns a few fen, too little
	// for whole fen); nil when the members are unknown.
	IncomePer100MemberDays *int64 `json:"income_per_100_member_days_fen"`

	estAll, open int64 // every order's estimate, orders still paid or received (forecast history)
}

// Bucket is one day, week or month of a money view.
type Bucket struct {
	Label string      `json:"label"` // 2026-01-05 (day, week: its Monday), 2026-01 (month)
	Start time.Time   `json:"start"` // clipped to the query
	End   time.Time   `json:"end"`   // exclusive
	Days  int64       `json:"days"`
	Rows  []IncomeRow `json:"groups"` // groups with orders or posts, by name; unattributed last
	Total IncomeRow   `json:"total"`
}

// IncomeReport is a money view.
type IncomeReport struct {
	By      Period      `json:"by"`
	From    time.Time   `json:"from"`
	To      time.Time   `json:"to"`
	Buckets []Bucket    `json:"buckets"`
	Summary []IncomeRow `json:"summary"` // per group over the whole range
	Total   IncomeRow   `json:"total"`
}

// GroupInfo is what the money views need of a group.
type GroupInfo struct {
	ID      int64
	Name    string
	Members int64
}

// GroupOrders returns how many orders are attributed to group id (from the
// per-day rollup: cheap at any number of orders), in the caller's
// transaction.
func (s *Store) GroupOrders(ctx context.Context, tx *store.Tx, id int64) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(orders), 0) FROM order_days WHERE group_id = $1`, id).Scan(&n)
	return n, err
}

// Groups returns every group by id (name and members), read from the
// group registry (community).
func (s *Store) Groups(ctx context.Context) (map[int64]GroupInfo, error) {
	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	out := make(map[int64]GroupInfo, len(groups))
	for _, g := range groups {
		out[g.ID] = GroupInfo{ID: g.ID, Name: g.Name, Members: g.Members}
	}
	return out, nil
}

// UnattributedName labels the orders of no group, in Chinese then English
// (the report's JSON and CSV carry both; pages render orders.unattributed).
var UnattributedName = msg.New("orders.unattributed").Error()

// totalName labels the total row, like UnattributedName.
var totalName = msg.New("orders.total").Error()

// dayOf is the Asia/Shanghai day number of unix time t.
func dayOf(t int64) int64 { return shanghai.Day(t) }

// dayStart is the unix time of day number d's midnight in Asia/Shanghai.
func dayStart(d int64) int64 { return d*daySeconds - shanghai.Offset }

// monthStart is the first instant of t's month in Asia/Shanghai.
func monthStart(t int64) int64 {
	y, m, _ := time.Unix(t, 0).In(shanghai.Zone).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, shanghai.Zone).Unix()
}

// addMonths moves a month start by n months.
func addMonths(t int64, n int) int64 {
	y, m, _ := time.Unix(t, 0).In(shanghai.Zone).Date()
	return time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, shanghai.Zone).Unix()
}

// bucketStart is the start of the period containing day d.
func bucketStart(by Period, d int64) int64 {
	switch by {
	case Day:
		return dayStart(d)
	case Week:
		// Day 0 (1970-01-01) was a Thursday: (d+3) mod 7 is days since Monday.
		return dayStart(d - (d+3)%7)
	}
	return monthStart(dayStart(d))
}

func nextBucket(by Period, start int64) int64 {
	switch by {
	case Day:
		return start + daySeconds
	case Week:
		return start + 7*daySeconds
	}
	return addMonths(start, 1)
}

// normalize fills q's defaults and rounds its range to whole days.
func (q *IncomeQuery) normalize() error {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	if q.By == "" {
		q.By = Month
	}
	if _, err := ParsePeriod(string(q.By)); err != nil {
		return err
	}
	if q.From.IsZero() {
		q.From = time.Unix(monthStart(q.Now.Unix()), 0)
	}
	if q.To.IsZero() {
		q.To = time.Unix(dayStart(dayOf(q.Now.Unix())+1), 0)
	}
	from, to := dayStart(dayOf(q.From.Unix())), dayStart(dayOf(q.To.Unix()-1)+1)
	if to <= from {
		return msg.New("orders.end_before_start")
	}
	if (to-from)/daySeconds > 3700 {
		return msg.New("orders.range_too_long")
	}
	q.From, q.To = time.Unix(from, 0).In(shanghai.Zone), time.Unix(to, 0).In(shanghai.Zone)
	return nil
}

type dayKey struct{ group, day int64 }

// Income computes a money view.
func (s *Store) Income(ctx context.Context, q IncomeQuery) (*IncomeReport, error) {
	if err := q.normalize(); err != nil {
		return nil, err
	}
	groups, err := s.Groups(ctx)
	if err != nil {
		return nil, err
	}
	from, to := q.From.Unix(), q.To.Unix()
	ids := q.Groups
	if ids == nil {
		ids = allGroups(groups)
	}
	days, err := s.orderDays(ctx, from, to, ids)
	if err != nil {
		return nil, err
	}
	posts, err := s.postDays(ctx, from, to, ids)
	if err != nil {
		return nil, err
	}
	rep := &IncomeReport{By: q.By, From: q.From, To: q.To, Buckets: []Bucket{}}
	today := dayOf(q.Now.Unix())
	index := map[int64]int{} // bucket start → index
	for b := bucketStart(q.By, dayOf(from)); b < to; b = nextBucket(q.By, b) {
		start, end := max(b, from), min(nextBucket(q.By, b), to)
		label := time.Unix(b, 0).In(shanghai.Zone).Format("2006-01-02")
		if q.By == Month {
			label = label[:7]
		}
		// Member-days count the days up to today.
		n := (min(end, dayStart(today+1)) - start) / daySeconds
		index[b] = len(rep.Buckets)
		rep.Buckets = append(rep.Buckets, Bucket{Label: label, Start: time.Unix(start, 0).In(shanghai.Zone),
			End: time.Unix(end, 0).In(shanghai.Zone), Days: max(n, 0), Rows: []IncomeRow{}})
	}
	type cell struct {
		bucket int
		group  int64
	}
	cells := map[cell]*IncomeRow{}
	row := func(d dayKey) *IncomeRow {
		c := cell{index[bucketStart(q.By, d.day)], d.group}
		r := cells[c]
		if r == nil {
			r = &IncomeRow{GroupID: d.group}
			cells[c] = r
		}
		return r
	}
	for k, v := range days {
		r := row(k)
		r.add(v)
	}
	for k, n := range posts {
		row(k).Posts += n
	}
	// Members and member-days: from the member registry for the groups a
	// source tells the members of (as group health counts them), else the
	// group's member count field times the days.
	upTo := min(to, dayStart(today+1))
	reg, err := s.registryMembers(ctx, from, upTo)
	if err != nil {
		return nil, err
	}
	summary := map[int64]*IncomeRow{}
	for c, r := range cells {
		b := &rep.Buckets[c.bucket]
		r.finish(groups, b.Days)
		if md, ok := reg[c.group]; ok {
			r.Members, r.MemberDays = md.span(b.Start.Unix(), min(b.End.Unix(), upTo))
			r.ratios()
		}
		b.Rows = append(b.Rows, *r)
		sr := summary[c.group]
		if sr == nil {
			sr = &IncomeRow{GroupID: c.group}
			summary[c.group] = sr
		}
		sr.add(*r)
		sr.Posts += r.Posts
	}
	var totalDays int64
	for i := range rep.Buckets {
		b := &rep.Buckets[i]
		sortRows(b.Rows)
		b.Total = total(b.Rows, b.Days)
		totalDays += b.Days
	}
	for _, r := range summary {
		r.finish(groups, totalDays)
		if md, ok := reg[r.GroupID]; ok {
			r.Members, r.MemberDays = md.span(from, upTo)
			r.ratios()
		}
		rep.Summary = append(rep.Summary, *r)
	}
	sortRows(rep.Summary)
	rep.Total = total(rep.Summary, totalDays)
	if rep.Summary == nil {
		rep.Summary = []IncomeRow{}
	}
	return rep, nil
}

// memberDays are one group's members at the end of each Shanghai day
// (day number -> members), from the member registry.
type memberDays map[int64]int64

// span is the members on the last day of [from, to) (midnights) and the
// member-days over it.
func (m memberDays) span(from, to int64) (last, sum int64) {
	for d := dayOf(from); d < dayOf(to); d++ {
		last = m[d]
		sum += last
	}
	return last, sum
}

// registryMembers reads the members per day in [from, to) of the groups
// whose members the registry holds (community.AllMemberDays).
func (s *Store) registryMembers(ctx context.Context, from, to int64) (map[int64]memberDays, error) {
	out := map[int64]memberDays{}
	if to <= from {
		return out, nil
	}
	all, err := s.groups.AllMemberDays(ctx, time.Unix(from, 0), time.Unix(to, 0))
	if err != nil {
		return nil, fmt.Errorf("income: members: %w", err)
	}
	for g, days := range all {
		m := make(memberDays, len(days))
		for _, d := range days {
			m[dayOf(d.Day.Unix())] = int64(d.Members)
		}
		out[g] = m
	}
	return out, nil
}

// add adds v's order figures to r.
func (r *IncomeRow) add(v IncomeRow) {
	r.Orders += v.Orders
	r.Failed += v.Failed
	r.PaidAmount += v.PaidAmount
	r.EstIncome += v.EstIncome
	r.SettledIncome += v.SettledIncome
	r.estAll += v.estAll
	r.open += v.open
}

// finish fills the group's name and members and the ratios.
func (r *IncomeRow) finish(groups map[int64]GroupInfo, days int64) {
	if r.GroupID == Unattributed {
		r.GroupName = UnattributedName
	} else if g, ok := groups[r.GroupID]; ok {
		r.GroupName, r.Members = g.Name, g.Members
	} else {
		r.GroupName = fmt.Sprintf("#%d", r.GroupID)
	}
	r.MemberDays = r.Members * days
	r.ratios()
}

func (r *IncomeRow) ratios() {
	r.InvalidRateBP, r.IncomePerPost, r.IncomePer100MemberDays = 0, nil, nil
	if r.Orders > 0 {
		r.InvalidRateBP = r.Failed * 10000 / r.Orders
	}
	if r.Posts > 0 {
		v := r.EstIncome / r.Posts
		r.IncomePerPost = &v
	}
	if r.MemberDays > 0 {
		v := r.EstIncome * 100 / r.MemberDays
		r.IncomePer100MemberDays = &v
	}
}

// total adds rows up. Income per 100 member-days is over the groups whose
// members are known.
func total(rows []IncomeRow, days int64) IncomeRow {
	var t IncomeRow
	t.GroupName = totalName
	var estKnown int64
	for _, r := range rows {
		t.add(r)
		t.Posts += r.Posts
		t.Members += r.Members
		t.MemberDays += r.MemberDays
		if r.Members > 0 {
			estKnown += r.EstIncome
		}
	}
	t.ratios()
	if t.MemberDays > 0 {
		v := estKnown * 100 / t.MemberDays
		t.IncomePer100MemberDays = &v
	}
	return t
}

// sortRows orders rows by group name, the unattributed last.
func sortRows(rows []IncomeRow) {
	slices.SortFunc(rows, func(a, b IncomeRow) int {
		if (a.GroupID == Unattributed) != (b.GroupID == Unattributed) {
			if a.GroupID == Unattributed {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.GroupName, b.GroupName); c != 0 {
			return c
		}
		return cmpInt(a.GroupID, b.GroupID)
	})
}

// allGroups is every group id and Unattributed.
func allGroups(groups map[int64]GroupInfo) []int64 {
	ids := []int64{Unattributed}
	for id := range groups {
		ids = append(ids, id)
	}
	return ids
}

// groupFilter returns the SQL condition restricting group_id to ids and its
// arguments, numbered from $first. The money views always name the groups
// (every group and the unattributed for "all"): that lets the planner seek
// the (group_id, paid_at, ...) index group by group, reading only the index,
// instead of reading the period's rows in time order from the table.
func groupFilter(ids []int64, first int) (string, []any) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "group_id IN (" + store.Placeholders(1, len(ids), first) + ")", args
}

// orderDays adds the orders paid in [from, to) (midnights) up per group
// and day, from order_days.
func (s *Store) orderDays(ctx context.Context, from, to int64, ids []int64) (map[dayKey]IncomeRow, error) {
	cond, gargs := groupFilter(ids, 3)
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, paid_day, sum(orders),
		sum(CASE WHEN status IN ('invalid', 'refunded') THEN orders ELSE 0 END),
		sum(paid_amount),
		sum(CASE WHEN status IN ('invalid', 'refunded') THEN 0 ELSE est_income END),
		sum(CASE WHEN status = 'settled' THEN settled_income ELSE 0 END),
		sum(est_income),
		sum(CASE WHEN status IN ('paid', 'received') THEN orders ELSE 0 END)
		FROM order_days
		WHERE `+cond+` AND paid_day >= $1 AND paid_day < $2
		GROUP BY group_id, paid_day`, append([]any{dayOf(from), dayOf(to)}, gargs...)...)
	if err != nil {
		return nil, fmt.Errorf("income: %w", err)
	}
	defer rows.Close()
	out := map[dayKey]IncomeRow{}
	for rows.Next() {
		var k dayKey
		var r IncomeRow
		if err := rows.Scan(&k.group, &k.day, &r.Orders, &r.Failed, &r.PaidAmount, &r.EstIncome, &r.SettledIncome,
			&r.estAll, &r.open); err != nil {
			return nil, err
		}
		if r.Orders != 0 {
			out[k] = r
		}
	}
	return out, rows.Err()
}

// postDays counts the posts sent in [from, to) per group and day.
func (s *Store) postDays(ctx context.Context, from, to int64, ids []int64) (map[dayKey]int64, error) {
	days, err := s.posts.SentPerDay(ctx, from, to, shanghai.Offset)
	if err != nil {
		return nil, fmt.Errorf("income: %w", err)
	}
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := map[dayKey]int64{}
	for k, n := range days {
		if want[k.GroupID] {
			out[dayKey{group: k.GroupID, day: k.Day}] = n
		}
	}
	return out, nil
}

// GroupDayIncome is what the orders of one group paid on one Asia/Shanghai
// day brought in.
type GroupDayIncome struct {
	Orders    int64 // every order, failed ones included
	Failed    int64 // became invalid or refunded
	EstIncome int64 // 付款预估收入 of the orders not failed, fen
}

// DailyIncome adds the orders paid in [from, to) (rounded out to whole
// Shanghai days) up per group and day number (shanghai.Day), from the
// order_days rollup, as the income views do: group health's rollup reads
// it. The orders of no group are left out.
func (s *Store) DailyIncome(ctx context.Context, from, to time.Time) (map[publish.GroupDay]GroupDayIncome, error) {
	groups, err := s.Groups(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	f, t := dayStart(dayOf(from.Unix())), dayStart(dayOf(to.Unix()-1)+1)
	days, err := s.orderDays(ctx, f, t, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[publish.GroupDay]GroupDayIncome, len(days))
	for k, v := range days {
		out[publish.GroupDay{GroupID: k.group, Day: k.day}] = GroupDayIncome{Orders: v.Orders, Failed: v.Failed, EstIncome: v.EstIncome}
	}
	return out, nil
}
