package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// MemberDayIncome is what the orders credited to one member through one
// group brought on one Asia/Shanghai day of payment.
type MemberDayIncome struct {
	MemberID, GroupID int64
	Day               int64 // shanghai.Day of the payment
	Orders            int64 // every order, failed ones included
	EstIncome         int64 // 付款预估收入 of the orders neither invalid nor refunded, fen
}

// EachMemberDayIncome calls fn with the orders credited to a member (a
// person-level id bound to them, see Attribute) and paid in [from, to)
// (whole Shanghai days), added up per member, group and day of payment:
// the member-level figures of the economics read only these. It streams;
// an error from fn stops it.
func (s *Store) EachMemberDayIncome(ctx context.Context, from, to time.Time, fn func(MemberDayIncome) error) error {
	f, t := dayStart(dayOf(from.Unix())), dayStart(dayOf(to.Unix()-1)+1)
	rows, err := s.db.QueryContext(ctx, `SELECT member_id, group_id, `+shanghai.DaySQL("paid_at")+` AS d, count(*),
		coalesce(sum(CASE WHEN status IN ('invalid', 'refunded') THEN 0 ELSE est_income END), 0)
		FROM orders WHERE member_id <> 0 AND paid_at >= $1 AND paid_at < $2
		GROUP BY member_id, group_id, d`, f, t)
	if err != nil {
		return fmt.Errorf("member income: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r MemberDayIncome
		if err := rows.Scan(&r.MemberID, &r.GroupID, &r.Day, &r.Orders, &r.EstIncome); err != nil {
			return fmt.Errorf("member income: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
