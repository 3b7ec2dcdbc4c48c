package insight

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// StaySource streams the members' stays (community.Store).
type StaySource interface {
	EachStays(ctx context.Context, fn func(memberID int64, stays []community.Stay) error) error
}

// MemberOrderSource streams the members' counted orders and tells all
// counted income (orders.Store).
type MemberOrderSource interface {
	EachMemberOrders(ctx context.Context, fn func(memberID int64, os []orders.MemberOrder) error) error
	CountedIncome(ctx context.Context) (int64, error)
}

// NameSource names members (community.Store).
type NameSource interface {
	MemberNames(ctx context.Context, ids []int64) (map[int64]string, error)
}

// Cohorts keeps the cohorts' and RFM's rollups (insight_cohort_cells,
// insight_member_rfm, insight_cohort_runs) and reads them for the pages,
// the API and the command line. Refresh rebuilds them from the owners'
// streams; Run does it periodically under a lease (one server of several).
type Cohorts struct {
	DB     *store.DB
	Stays  StaySource
	Orders MemberOrderSource
	Names  NameSource
	Log    *slog.Logger
	Now    func() time.Time // nil: time.Now
}

// NewCohorts returns the cohorts over db, reading the registry and the
// orders through their stores.
func NewCohorts(db *store.DB, members *community.Store, os *orders.Store) *Cohorts {
	return &Cohorts{DB: db, Stays: members, Orders: os, Names: members}
}

// CohortsLease is the lease under which one server rebuilds the rollups.
const CohortsLease = "insight_cohorts"

// Kinds of rollup rows.
const (
	KindRetention  = "retention"
	KindRepurchase = "repurchase"
	kindSegment    = "rfm_segment"
	kindGrid       = "rfm_grid"
	kindRFM        = "rfm"
)

func (c *Cohorts) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// RefreshStats is what a rebuild found.
type RefreshStats struct {
	Joined, Buyers             int // members with a known join; with a counted order
	RetentionCells, RepCells   int
	MemberIncomeFen, IncomeFen int64
	Elapsed                    time.Duration
}

// Refresh rebuilds every rollup as of now from the registry's stays and
// the members' orders, and replaces the stored ones in one transaction
// (readers see the old rollups or the new, never a mix).
func (c *Cohorts) Refresh(ctx context.Context) (RefreshStats, error) {
	t0 := time.Now()
	now := c.now()
	nowDay := shanghai.Day(now.Unix())
	var st RefreshStats
	ret := map[int64][]int64{}
	var buf []bool
	err := c.Stays.EachStays(ctx, func(_ int64, stays []community.Stay) error {
		cohort, in, ok := RetentionWeeks(stays, nowDay, buf)
		buf = in
		if !ok {
			return nil
		}
		st.Joined++
		row := ret[cohort]
		if row == nil {
			row = make([]int64, len(in))
			ret[cohort] = row
		}
		for k, v := range in {
			if v {
				row[k]++
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("cohorts: %w", err)
	}
	nowMonth := MonthOf(now.Unix())
	rep := map[int64][]RepurchaseCell{}
	row := func(cohort int64) []RepurchaseCell {
		r := rep[cohort]
		if r == nil {
			r = make([]RepurchaseCell, nowMonth-cohort+1)
			rep[cohort] = r
		}
		return r
	}
	var rfm []MemberRFM
	err = c.Orders.EachMemberOrders(ctx, func(id int64, os []orders.MemberOrder) error {
		_, r, ok := memberRepurchase(os, now.Unix(), row)
		if ok {
			r.MemberID = id
			rfm = append(rfm, r)
			st.MemberIncomeFen += r.MoneyFen
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("cohorts: %w", err)
	}
	if st.IncomeFen, err = c.Orders.CountedIncome(ctx); err != nil {
		return st, fmt.Errorf("cohorts: %w", err)
	}
	st.Buyers = len(rfm)
	ScoreRFM(rfm)
	err = c.DB.Atomic(ctx, func(tx *store.Tx) error {
		if err := c.DB.LockTx(ctx, tx.Tx, CohortsLease); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM insight_cohort_cells`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM insight_member_rfm`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM insight_cohort_runs`); err != nil {
			return err
		}
		cells := newBulk(tx, `INSERT INTO insight_cohort_cells (kind, cohort, k, members, orders, income_fen) VALUES `, 6, 500)
		for cohort, r := range ret {
			for k, n := range r {
				if err := cells.add(ctx, KindRetention, cohort, k, n, 0, 0); err != nil {
					return err
				}
				st.RetentionCells++
			}
		}
		for cohort, r := range rep {
			for k, v := range r {
				if err := cells.add(ctx, KindRepurchase, cohort, k, v.Members, v.Orders, v.IncomeFen); err != nil {
					return err
				}
				st.RepCells++
			}
		}
		seg := make([]RepurchaseCell, len(Segments))
		var grid [5][5]int64
		for _, m := range rfm {
			s := &seg[m.Segment.Index()]
			s.Members++
			s.Orders += m.Orders
			s.IncomeFen += m.MoneyFen
			grid[m.R-1][m.F-1]++
		}
		for i, s := range seg {
			if err := cells.add(ctx, kindSegment, i, 0, s.Members, s.Orders, s.IncomeFen); err != nil {
				return err
			}
		}
		for r := range grid {
			for f, n := range grid[r] {
				if err := cells.add(ctx, kindGrid, r+1, f+1, n, 0, 0); err != nil {
					return err
				}
			}
		}
		if err := cells.flush(ctx); err != nil {
			return err
		}
		ms := newBulk(tx, `INSERT INTO insight_member_rfm (member_id, first_day, last_day, orders, money_fen, r, f, m, segment) VALUES `, 9, 500)
		for _, m := range rfm {
			if err := ms.add(ctx, m.MemberID, m.FirstDay, m.LastDay, m.Orders, m.MoneyFen, m.R, m.F, m.M, string(m.Segment)); err != nil {
				return err
			}
		}
		if err := ms.flush(ctx); err != nil {
			return err
		}
		built := time.Now().Unix()
		for _, r := range []struct {
			kind    string
			members int
			mi, inc int64
		}{{KindRetention, st.Joined, 0, 0}, {KindRepurchase, st.Buyers, st.MemberIncomeFen, st.IncomeFen},
			{kindRFM, st.Buyers, st.MemberIncomeFen, st.IncomeFen}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO insight_cohort_runs (kind, built_at, as_of, members, member_income_fen, income_fen)
				VALUES ($1, $2, $3, $4, $5, $6)`, r.kind, built, now.Unix(), r.members, r.mi, r.inc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("cohorts: store: %w", err)
	}
	st.Elapsed = time.Since(t0)
	return st, nil
}

// bulk inserts rows of cols values, up to per rows a statement.
type bulk struct {
	tx        *store.Tx
	head      string
	cols, per int
	args      []any
}

func newBulk(tx *store.Tx, head string, cols, per int) *bulk {
	return &bulk{tx: tx, head: head, cols: cols, per: per}
}

func (b *bulk) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) >= b.cols*b.per {
		return b.flush(ctx)
	}
	return nil
}

func (b *bulk) flush(ctx context.Context) error {
	if len(b.args) == 0 {
		return nil
	}
	n := len(b.args) / b.cols
	if _, err := b.tx.ExecContext(ctx, b.head+b.tx.Dialect.BulkPlaceholders(b.cols, n, 1), b.args...); err != nil {
		return err
	}
	b.args = b.args[:0]
	return nil
}

// Run rebuilds the rollups at start and every every, under the lease,
// until ctx ends: of several servers on one database one does it.
func (c *Cohorts) Run(ctx context.Context, holder string, every time.Duration) {
	c.DB.RunLeased(ctx, CohortsLease, holder, max(5*time.Minute, every/4), func(jc context.Context) {
		for {
			st, err := c.Refresh(jc)
			if err != nil && jc.Err() == nil && c.Log != nil {
				c.Log.Error("cohorts", "err", err)
			} else if err == nil && c.Log != nil {
				c.Log.Info("cohorts", "joined", st.Joined, "buyers", st.Buyers, "elapsed", st.Elapsed.Round(time.Millisecond))
			}
			select {
			case <-jc.Done():
				return
			case <-time.After(every):
			}
		}
	})
}

// Rollup is when a rollup was last rebuilt and as of when.
type Rollup struct {
	BuiltAt, AsOf              time.Time // zero: never
	Members                    int64
	MemberIncomeFen, IncomeFen int64
}

func (c *Cohorts) run(ctx context.Context, kind string) (Rollup, error) {
	var r Rollup
	var built, asOf int64
	err := c.DB.QueryRowContext(ctx, `SELECT built_at, as_of, members, member_income_fen, income_fen FROM insight_cohort_runs
		WHERE kind = $1`, kind).Scan(&built, &asOf, &r.Members, &r.MemberIncomeFen, &r.IncomeFen)
	if err == sql.ErrNoRows {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("cohorts: %w", err)
	}
	r.BuiltAt, r.AsOf = time.Unix(built, 0).UTC(), time.Unix(asOf, 0).UTC()
	return r, nil
}

// Triangle is a cohort triangle as of its rollup's time.
type Triangle struct {
	Kind    string // KindRetention (weeks) or KindRepurchase (months)
	Run     Rollup
	Periods int // columns: the longest row
	Rows    []CohortRow
	// Months (repurchase): per month, the first-time buyers (their first
	// counted order that month) and the recurring ones (ordering again).
	Months []MonthBuyers
}

// CohortRow is one cohort: its start (the join week's Monday, the first
// order's month), its size and a cell per period since, up to now.
type CohortRow struct {
	Start time.Time
	Size  int64
	Cells []CohortCell
}

// CohortCell is one period of a cohort: the members counted there and
// their share of the cohort (basis points); orders and income (repurchase).
type CohortCell struct {
	Members, Orders, IncomeFen int64
	ShareBP                    int64
}

// MonthBuyers is one month's buyers: first-time and recurring.
type MonthBuyers struct {
	Month                time.Time
	FirstTime, Recurring int64
}

// Share is part of whole in basis points, rounded half up.
func Share(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return (part*10000 + whole/2) / whole
}

// MaxPeriods bounds a triangle's cohorts.
const MaxPeriods = 156

// Retention is the retention triangle of the last weeks join weeks (to
// the rollup's week).
func (c *Cohorts) Retention(ctx context.Context, weeks int) (*Triangle, error) {
	return c.triangle(ctx, KindRetention, weeks)
}

// Repurchase is the repurchase triangle of the last months first-order
// months, with every month's first-time and recurring buyers.
func (c *Cohorts) Repurchase(ctx context.Context, months int) (*Triangle, error) {
	return c.triangle(ctx, KindRepurchase, months)
}

func (c *Cohorts) triangle(ctx context.Context, kind string, periods int) (*Triangle, error) {
	periods = min(max(periods, 1), MaxPeriods)
	t := &Triangle{Kind: kind}
	var err error
	if t.Run, err = c.run(ctx, kind); err != nil || t.Run.AsOf.IsZero() {
		return t, err
	}
	var from int64
	if kind == KindRetention {
		from = WeekStart(shanghai.Day(t.Run.AsOf.Unix())) - 7*int64(periods-1)
	} else {
		from = 0 // every month: the recurring buyers need the older cohorts
	}
	rows, err := c.DB.QueryContext(ctx, `SELECT cohort, k, members, orders, income_fen FROM insight_cohort_cells
		WHERE kind = $1 AND cohort >= $2 ORDER BY cohort, k`, kind, from)
	if err != nil {
		return nil, fmt.Errorf("cohorts: %w", err)
	}
	defer rows.Close()
	var cohorts []int64
	for rows.Next() {
		var cohort, k int64
		var cell CohortCell
		if err := rows.Scan(&cohort, &k, &cell.Members, &cell.Orders, &cell.IncomeFen); err != nil {
			return nil, err
		}
		if len(cohorts) == 0 || cohorts[len(cohorts)-1] != cohort {
			cohorts = append(cohorts, cohort)
			start := MonthTime(cohort)
			if kind == KindRetention {
				start = DayTime(cohort)
			}
			t.Rows = append(t.Rows, CohortRow{Start: start})
		}
		r := &t.Rows[len(t.Rows)-1]
		if k == 0 {
			r.Size = cell.Members
		}
		cell.ShareBP = Share(cell.Members, r.Size)
		r.Cells = append(r.Cells, cell)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if kind == KindRepurchase && len(cohorts) > 0 {
		first, last := cohorts[0], MonthOf(t.Run.AsOf.Unix())
		for m := first; m <= last; m++ {
			mb := MonthBuyers{Month: MonthTime(m)}
			for i, c := range cohorts {
				if k := m - c; k == 0 {
					mb.FirstTime = t.Rows[i].Size
				} else if k > 0 && int(k) < len(t.Rows[i].Cells) {
					mb.Recurring += t.Rows[i].Cells[k].Members
				}
			}
			t.Months = append(t.Months, mb)
		}
		lo := max(last-int64(periods)+1, first)
		if i, _ := slices.BinarySearch(cohorts, lo); i > 0 {
			t.Rows = t.Rows[i:]
		}
		if len(t.Months) > periods {
			t.Months = t.Months[len(t.Months)-periods:]
		}
	}
	for _, r := range t.Rows {
		t.Periods = max(t.Periods, len(r.Cells))
	}
	return t, nil
}

// RFMReport is the RFM rollup: the segments, the R×F grid of members.
type RFMReport struct {
	Run      Rollup
	Segments []SegmentRow
	Grid     [5][5]int64 // [R-1][F-1] members
}

// SegmentRow is one segment's members, orders and income, and its share
// of the buying members.
type SegmentRow struct {
	Segment                    Segment
	Members, Orders, IncomeFen int64
	ShareBP                    int64
}

// RFM reads the segments and the grid.
func (c *Cohorts) RFM(ctx context.Context) (*RFMReport, error) {
	rep := &RFMReport{}
	var err error
	if rep.Run, err = c.run(ctx, kindRFM); err != nil {
		return nil, err
	}
	for _, s := range Segments {
		rep.Segments = append(rep.Segments, SegmentRow{Segment: s})
	}
	rows, err := c.DB.QueryContext(ctx, `SELECT kind, cohort, k, members, orders, income_fen FROM insight_cohort_cells
		WHERE kind IN ($1, $2)`, kindSegment, kindGrid)
	if err != nil {
		return nil, fmt.Errorf("rfm: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var a, b, n, o, inc int64
		if err := rows.Scan(&kind, &a, &b, &n, &o, &inc); err != nil {
			return nil, err
		}
		switch {
		case kind == kindSegment && a >= 0 && int(a) < len(Segments):
			s := &rep.Segments[a]
			s.Members, s.Orders, s.IncomeFen = n, o, inc
		case kind == kindGrid && a >= 1 && a <= 5 && b >= 1 && b <= 5:
			rep.Grid[a-1][b-1] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range rep.Segments {
		rep.Segments[i].ShareBP = Share(rep.Segments[i].Members, rep.Run.Members)
	}
	return rep, nil
}

const rfmCols = `member_id, first_day, last_day, orders, money_fen, r, f, m, segment`

func scanRFM(rows *sql.Rows) (MemberRFM, error) {
	var m MemberRFM
	var seg string
	err := rows.Scan(&m.MemberID, &m.FirstDay, &m.LastDay, &m.Orders, &m.MoneyFen, &m.R, &m.F, &m.M, &seg)
	m.Segment = Segment(seg)
	return m, err
}

// SegmentMembers lists a segment's members, most money first, limit from
// offset, named.
func (c *Cohorts) SegmentMembers(ctx context.Context, seg Segment, offset, limit int) ([]MemberRFM, error) {
	limit = min(max(limit, 1), 1000)
	rows, err := c.DB.QueryContext(ctx, `SELECT `+rfmCols+` FROM insight_member_rfm WHERE segment = $1
		ORDER BY money_fen DESC, member_id LIMIT $2 OFFSET $3`, string(seg), limit, max(offset, 0))
	if err != nil {
		return nil, fmt.Errorf("rfm members: %w", err)
	}
	out := []MemberRFM{}
	for rows.Next() {
		m, err := scanRFM(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, c.name(ctx, out)
}

func (c *Cohorts) name(ctx context.Context, ms []MemberRFM) error {
	if c.Names == nil || len(ms) == 0 {
		return nil
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.MemberID
	}
	names, err := c.Names.MemberNames(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ms {
		ms[i].Name = names[ms[i].MemberID]
	}
	return nil
}

// EachRFM calls fn with every buying member of seg ("": all), by member
// id, named, a chunk at a time (memory stays bounded at any size): the
// export.
func (c *Cohorts) EachRFM(ctx context.Context, seg Segment, fn func(MemberRFM) error) error {
	const chunk = 5000
	after := int64(0)
	where, args := "member_id > $1", []any{after}
	if seg != "" {
		where += " AND segment = $2"
		args = append(args, string(seg))
	}
	for {
		args[0] = after
		rows, err := c.DB.QueryContext(ctx, `SELECT `+rfmCols+` FROM insight_member_rfm WHERE `+where+
			` ORDER BY member_id LIMIT `+fmt.Sprint(chunk), args...)
		if err != nil {
			return fmt.Errorf("rfm export: %w", err)
		}
		var ms []MemberRFM
		for rows.Next() {
			m, err := scanRFM(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ms = append(ms, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := c.name(ctx, ms); err != nil {
			return err
		}
		for _, m := range ms {
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(ms) < chunk {
			return nil
		}
		after = ms[len(ms)-1].MemberID
	}
}
