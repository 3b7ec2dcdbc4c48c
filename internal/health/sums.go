package health

import (
	"context"
	"fmt"
)

// PeriodSums is one group's stored days in a period added up, for the
// boss's tables (internal/insight): one row per group, read in one query.
type PeriodSums struct {
	GroupID    int64
	Days       int64 // stored days in the period
	Opening    int64 // members on the day before the period (0: the group had no day then)
	Closing    int64 // members on the last stored day of the period
	MemberDays int64 // Σ members over the period's days
	Joins      int64
	Leaves     int64 // left by themselves, removed, or otherwise
	Active     int64 // Σ speakers per day
	Posts      int64
	Orders     int64
	IncomeFen  int64
}

// SumDays adds each group's stored days in [from, to] (day numbers) up, with
// the members on the day before from and on the last day stored. One pass
// over the period's rows (the index group_days_period covers them): the
// members of the last day ride in the same aggregate as the low 32 bits of
// MAX(day·2³² + members), a group's members being far below 2³².
func (s *Store) SumDays(ctx context.Context, from, to int64) (map[int64]PeriodSums, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, COUNT(*), MAX(day * 4294967296 + members), SUM(members),
			SUM(joins), SUM(leaves_self + leaves_removed + leaves_other), SUM(active), SUM(posts), SUM(orders),
			SUM(income_fen)
		FROM group_days WHERE day >= $1 AND day <= $2 GROUP BY group_id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("health: sum days: %w", err)
	}
	defer rows.Close()
	out := map[int64]PeriodSums{}
	for rows.Next() {
		var p PeriodSums
		var last int64
		if err := rows.Scan(&p.GroupID, &p.Days, &last, &p.MemberDays, &p.Joins, &p.Leaves, &p.Active, &p.Posts,
			&p.Orders, &p.IncomeFen); err != nil {
			return nil, fmt.Errorf("health: sum days: %w", err)
		}
		p.Closing = last & 0xFFFFFFFF
		out[p.GroupID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("health: sum days: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT group_id, members FROM group_days WHERE day = $1`, from-1)
	if err != nil {
		return nil, fmt.Errorf("health: sum days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g, n int64
		if err := rows.Scan(&g, &n); err != nil {
			return nil, fmt.Errorf("health: sum days: %w", err)
		}
		if p, ok := out[g]; ok {
			p.Opening = n
			out[g] = p
		}
	}
	return out, rows.Err()
}

// Route is where owner's messages go: its own setting, else the
// installation's default (the digest uses the alerts' settings).
func Route(settings []Notify, owner string) (Notify, bool) { return route(settings, owner) }

// States returns every judged group's current state (a read of the cached
// board).
func (s *Store) States(ctx context.Context) (map[int64]State, error) {
	hs, err := s.Board(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]State, len(hs))
	for _, h := range hs {
		out[h.GroupID] = h.Verdict.State
	}
	return out, nil
}
