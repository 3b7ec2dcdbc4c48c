package orders

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// MemberOrder is one order credited to a member, as the cohorts and RFM
// read it (insight, docs/cohorts.md).
type MemberOrder struct {
	MemberID  int64
	PaidAt    int64 // unix seconds
	EstIncome int64 // fen
}

// memberChunk is how many member ids EachMemberOrders reads per query: the
// chunk is read into memory and the query closed before fn sees it.
const memberChunk = 20_000

// countedStatuses is the SQL condition of the orders a member bought and
// kept: neither invalid nor refunded (as MemberOrders adds up income).
const countedStatuses = `status NOT IN ('invalid', 'refunded')`

// EachMemberOrders calls fn with each member's counted orders (credited to
// the member, paid, neither invalid nor refunded), member by member in
// ascending member id, each member's orders by time of payment.
func (s *Store) EachMemberOrders(ctx context.Context, fn func(memberID int64, os []MemberOrder) error) error {
	var maxID int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(member_id), 0) FROM orders WHERE member_id <> 0`).Scan(&maxID); err != nil {
		return fmt.Errorf("members' orders: %w", err)
	}
	var buf []MemberOrder
	for lo := int64(0); lo < maxID; lo += memberChunk {
		buf = buf[:0]
		rows, err := s.db.QueryContext(ctx, `SELECT member_id, paid_at, est_income FROM orders
			WHERE member_id > $1 AND member_id <= $2 AND member_id <> 0 AND paid_at > 0 AND `+countedStatuses+`
			ORDER BY member_id, paid_at`, lo, lo+memberChunk)
		if err != nil {
			return fmt.Errorf("members' orders: %w", err)
		}
		for rows.Next() {
			var o MemberOrder
			if err := rows.Scan(&o.MemberID, &o.PaidAt, &o.EstIncome); err != nil {
				rows.Close()
				return fmt.Errorf("members' orders: %w", err)
			}
			buf = append(buf, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("members' orders: %w", err)
		}
		for i := 0; i < len(buf); {
			j := i + 1
			for j < len(buf) && buf[j].MemberID == buf[i].MemberID {
				j++
			}
			if err := fn(buf[i].MemberID, buf[i:j]); err != nil {
				return err
			}
			i = j
		}
	}
	return nil
}

// CountedIncome is the estimated income of every counted order (neither
// invalid nor refunded), from the daily rollup: the whole beside which
// insight shows the share credited to members.
func (s *Store) CountedIncome(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(est_income), 0) FROM order_days WHERE `+countedStatuses).Scan(&v); err != nil {
		return 0, fmt.Errorf("counted income: %w", err)
	}
	return v, nil
}

// RepurchaseCell is one cell of the repurchase triangle: of the members
// whose first counted order was paid in month Cohort (year*12 + month-1,
// Shanghai), Members ordered in month Cohort+Month, Orders orders worth
// IncomeFen.
type RepurchaseCell struct {
	Cohort, Month              int64
	Members, Orders, IncomeFen int64
}

// MonthIndex is t's month in Shanghai as year*12 + month-1.
func MonthIndex(t time.Time) int64 {
	t = t.In(shanghai.Zone)
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

// cohortMonthStart is the first instant of month index m in Shanghai.
func cohortMonthStart(m int64) time.Time {
	return time.Date(int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, shanghai.Zone)
}

// RepurchaseSQL computes the repurchase triangle the plain way, with one
// SQL statement over the orders at request time, for the first-order
// months fromMonth to the month of now (orders paid up to now): the reference insight's rollup is
// checked against and what `qunke bench insight` times beside it. A
// month is a CASE over its boundaries in Shanghai (the same SQL on both
// engines). Pages read the rollup.
func (s *Store) RepurchaseSQL(ctx context.Context, fromMonth int64, now time.Time) ([]RepurchaseCell, error) {
	nowMonth := MonthIndex(now)
	if fromMonth > nowMonth {
		return nil, nil
	}
	var b strings.Builder
	month := func(col string) string {
		b.Reset()
		b.WriteString("(CASE")
		for m := fromMonth; m <= nowMonth; m++ {
			b.WriteString(" WHEN " + col + " < " + strconv.FormatInt(cohortMonthStart(m+1).Unix(), 10) + " THEN " + strconv.FormatInt(m, 10))
		}
		b.WriteString(" END)")
		return b.String()
	}
	start, end := cohortMonthStart(fromMonth).Unix(), now.Unix()
	q := `WITH o AS (SELECT member_id, paid_at, est_income FROM orders
			WHERE member_id <> 0 AND paid_at > 0 AND paid_at <= CAST($2 AS BIGINT) AND ` + countedStatuses + `),
		f AS (SELECT member_id, min(paid_at) AS first FROM o GROUP BY member_id HAVING min(paid_at) >= CAST($1 AS BIGINT)),
		x AS (SELECT o.member_id, ` + month("f.first") + ` AS c, ` + month("o.paid_at") + ` AS mm, o.est_income
			FROM o JOIN f ON f.member_id = o.member_id)
		SELECT c, mm - c, count(DISTINCT member_id), count(*), sum(est_income) FROM x GROUP BY c, mm - c ORDER BY c, mm - c`
	rows, err := s.db.QueryContext(ctx, q, start, end)
	if err != nil {
		return nil, fmt.Errorf("repurchase (plain): %w", err)
	}
	defer rows.Close()
	var out []RepurchaseCell
	for rows.Next() {
		var c RepurchaseCell
		if err := rows.Scan(&c.Cohort, &c.Month, &c.Members, &c.Orders, &c.IncomeFen); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
