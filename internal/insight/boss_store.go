package insight

import (
	"context"
	"fmt"
)

// costsByGroup sums the spend of Shanghai days [from, to] (both included)
// per group (0: no group), for the boss's tables.
func (s *Store) costsByGroup(ctx context.Context, from, to int64) (map[int64]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, SUM(amount_fen) FROM acquisition_costs
		WHERE day >= $1 AND day <= $2 GROUP BY group_id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("boss: costs: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var g, fen int64
		if err := rows.Scan(&g, &fen); err != nil {
			return nil, err
		}
		out[g] = fen
	}
	return out, rows.Err()
}
