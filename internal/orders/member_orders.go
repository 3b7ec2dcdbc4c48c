package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/qunke/qunke/internal/store"
)

// OrdersOfMembers counts the orders (not invalid) attributed to the members
// ids and how many of them ordered; ids nil counts every member's orders.
// Readers downstream (the fission campaigns' figures) compare members
// brought by a campaign with the others.
func (s *Store) OrdersOfMembers(ctx context.Context, ids []int64) (orders, buyers int64, err error) {
	if ids == nil {
		err = s.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT member_id) FROM orders
			WHERE member_id <> 0 AND status <> $1`, string(Invalid)).Scan(&orders, &buyers)
		return orders, buyers, err
	}
	for part := range slices.Chunk(ids, 500) {
		args := []any{string(Invalid)}
		for _, id := range part {
			args = append(args, id)
		}
		var o, b int64
		if err := s.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT member_id) FROM orders
			WHERE status <> $1 AND member_id IN (`+store.Placeholders(1, len(part), 2)+`)`,
			args...).Scan(&o, &b); err != nil {
			return 0, 0, fmt.Errorf("members' orders: %w", err)
		}
		orders, buyers = orders+o, buyers+b
	}
	return orders, buyers, nil
}
