package orders

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qunke/qunke/internal/store"
)

// The change queue (order_changes) lists the orders that changed in a way
// the growth ledger cares about: new orders credited to a member, every
// update of an order's fields (one credited to nobody now may have been
// shared while it was), a member credited or uncredited. The
// growth ledger claims its rows (ClaimChangedTx) in the transaction that
// posts the orders, so it reads only what changed, not every member order.
//
// It is a queue, not a cursor: on PostgreSQL an import that took a lower id
// may commit after one with a higher id, and a cursor ("ids after the last
// one read") would skip it for good. A claim deletes exactly the rows it
// saw; a row committed late is still there for the next claim.

// queueRows is how many keys one INSERT into the queue carries.
const queueRows = 500

// queueChanges queues keys in tx.
func queueChanges(ctx context.Context, tx *sql.Tx, d store.Dialect, keys []orderKey) error {
	if d == store.Postgres {
		return queueChangesPG(ctx, tx, keys)
	}
	args := make([]any, 0, 2*min(len(keys), queueRows))
	for len(keys) > 0 {
		n := min(len(keys), queueRows)
		args = args[:0]
		for _, k := range keys[:n] {
			args = append(args, k.platform, k.tradeID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_changes (platform, trade_id) VALUES `+d.BulkPlaceholders(2, n, 1), args...); err != nil {
			return fmt.Errorf("queue order changes: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}

// ClaimChangedTx takes up to limit of the oldest queued changes off the
// queue, in the caller's transaction, and returns the orders they name as
// stored now (each once, with the member it is credited to now: 0 for an
// order no longer credited to anyone; of the order's fields only those the
// ledger reads: platform, trade id, status, the incomes, paid and settled
// times) and how many queue rows it took
// (fewer than limit: the queue is empty, as far as tx can see). If tx rolls
// back, the changes stay queued.
func (s *Store) ClaimChangedTx(ctx context.Context, tx *store.Tx, limit int) ([]Credited, int, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM order_changes WHERE id IN
		(SELECT id FROM order_changes ORDER BY id LIMIT $1) RETURNING platform, trade_id`, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("claim order changes: %w", err)
	}
	ids := map[string][]string{}
	var platforms []string
	seen := map[orderKey]bool{}
	n := 0
	for rows.Next() {
		var k orderKey
		if err := rows.Scan(&k.platform, &k.tradeID); err != nil {
			rows.Close()
			return nil, 0, err
		}
		n++
		if seen[k] {
			continue
		}
		seen[k] = true
		if ids[k.platform] == nil {
			platforms = append(platforms, k.platform)
		}
		ids[k.platform] = append(ids[k.platform], k.tradeID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("claim order changes: %w", err)
	}
	var out []Credited
	for _, pl := range platforms {
		list := ids[pl]
		for len(list) > 0 {
			m := min(len(list), 2000)
			cs, err := ledgerStates(ctx, tx, pl, list[:m])
			if err != nil {
				return nil, 0, err
			}
			out = append(out, cs...)
			list = list[m:]
		}
	}
	return out, n, nil
}

// QueuedChanges is how many changes wait in the queue.
func (s *Store) QueuedChanges(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM order_changes`).Scan(&n)
	return n, err
}

// ledgerStates is CreditedByIDsTx with only the fields the ledger reads.
func ledgerStates(ctx context.Context, tx *store.Tx, platform string, ids []string) ([]Credited, error) {
	args := make([]any, 0, len(ids)+1)
	args = append(args, platform)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT trade_id, status, est_income, settled_income, paid_at, settled_at, member_id FROM orders
		WHERE platform = `+tx.Dialect.BulkPlaceholders(1, 1, 1)+` AND trade_id IN (`+tx.Dialect.BulkPlaceholders(1, len(ids), 2)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("orders of %s by id: %w", platform, err)
	}
	defer rows.Close()
	out := make([]Credited, 0, len(ids))
	for rows.Next() {
		c := Credited{Order: Order{Platform: platform}}
		var status string
		if err := rows.Scan(&c.TradeID, &status, &c.EstIncome, &c.SettledIncome, &c.PaidAt, &c.SettledAt, &c.MemberID); err != nil {
			return nil, err
		}
		c.Status = Status(status)
		out = append(out, c)
	}
	return out, rows.Err()
}
