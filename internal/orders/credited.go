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

// CreditedByIDsTx returns the stored orders of platform among ids, with
// the member each is credited to now (0: none), in the caller's
// transaction: the growth ledger re-reads the orders it has shared that
// are no longer credited to a member (an id unbound later).
func (s *Store) CreditedByIDsTx(ctx context.Context, tx *store.Tx, platform string, ids []string) ([]Credited, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, platform)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT platform, trade_id, `+orderCols+`, member_id FROM orders
		WHERE platform = `+tx.Dialect.BulkPlaceholders(1, 1, 1)+` AND trade_id IN (`+tx.Dialect.BulkPlaceholders(1, len(ids), 2)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("orders of %s by id: %w", platform, err)
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
