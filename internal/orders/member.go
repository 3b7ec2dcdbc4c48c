package orders

import (
	"context"
	"fmt"
)

// MemberTotals adds up the orders credited to one member (see Attribute).
type MemberTotals struct {
	Orders        int64
	PaidAmount    int64 // fen
	EstIncome     int64 // fen, of the orders neither invalid nor refunded
	SettledIncome int64 // fen
}

// MemberOrders returns the totals of the orders credited to a member and
// the latest of them (paid newest first, at most limit): the member page's
// orders and income.
func (s *Store) MemberOrders(ctx context.Context, memberID int64, limit int) (MemberTotals, []Order, error) {
	var t MemberTotals
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(paid_amount), 0),
		coalesce(sum(CASE WHEN status IN ('invalid', 'refunded') THEN 0 ELSE est_income END), 0),
		coalesce(sum(settled_income), 0) FROM orders WHERE member_id = $1`, memberID).Scan(
		&t.Orders, &t.PaidAmount, &t.EstIncome, &t.SettledIncome); err != nil {
		return t, nil, fmt.Errorf("orders of member %d: %w", memberID, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT platform, trade_id, `+orderCols+` FROM orders
		WHERE member_id = $1 ORDER BY paid_at DESC, trade_id LIMIT $2`, memberID, limit)
	if err != nil {
		return t, nil, fmt.Errorf("orders of member %d: %w", memberID, err)
	}
	defer rows.Close()
	out := []Order{}
	for rows.Next() {
		var o Order
		var status string
		if err := rows.Scan(append([]any{&o.Platform, &o.TradeID}, o.scanTargets(&status)...)...); err != nil {
			return t, nil, err
		}
		o.Status = Status(status)
		out = append(out, o)
	}
	return t, out, rows.Err()
}
