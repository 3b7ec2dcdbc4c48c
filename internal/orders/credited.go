package orders

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qunke/qunke/internal/store"
)

type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// Credited is an order credited to a member (see Attribute).
type Credited struct {
	Order
	MemberID int64
}

// CreditedAfter returns up to limit orders credited to a member, in
// (platform, trade id) order after the given key ("", "" for the first):
// the pages the growth ledger reads the members' orders in.
func (s *Store) CreditedAfter(ctx context.Context, platform, tradeID string, limit int) ([]Credited, error) {
	return s.CreditedAfterTx(ctx, &store.Tx{Tx: nil, Dialect: s.db.Dialect}, platform, tradeID, limit)
}

// CreditedAfterTx is CreditedAfter in the caller's transaction (nil Tx:
// none), so a poster reads the orders as it posts them.
func (s *Store) CreditedAfterTx(ctx context.Context, tx *store.Tx, platform, tradeID string, limit int) ([]Credited, error) {
	q := queryer(s.db)
	if tx.Tx != nil {
		q = tx.Tx
	}
	rows, err := q.QueryContext(ctx, `SELECT platform, trade_id, `+orderCols+`, member_id FROM orders
		WHERE member_id <> 0 AND (platform > $1 OR (platform = $1 AND trade_id > $2))
		ORDER BY platform, trade_id LIMIT $3`, platform, tradeID, limit)
	if err != nil {
		return nil, fmt.Errorf("orders credited to members: %w", err)
	}
	defer rows.Close()
	var out []Credited
	for rows.Next() {
		var c Credited
		var status string
		if err := rows.Scan(append(append([]any{&c.Platform, &c.TradeID}, c.scanTargets(&status)...), &c.MemberID)...); err != nil {
			return nil, err
		}
		c.Status = Status(status)
		out = append(out, c)
	}
	return out, rows.Err()
}
