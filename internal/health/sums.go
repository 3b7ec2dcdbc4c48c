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
// the members on the day before from and on the last day stored.
func (s *Store) SumDays(ctx context.Context, from, to int64) (map[int64]PeriodSums, error) {
	rows, err := s.db.QueryContext(ctx, `WITH s AS (SELECT group_id,
			SUM(CASE WHEN day >= $1 THEN 1 ELSE 0 END) AS days,
			SUM(CASE WHEN day < $1 THEN members ELSE 0 END) AS opening,
			MAX(CASE WHEN day >= $1 THEN day ELSE NULL END) AS last,
			SUM(CASE WHEN day >= $1 THEN members ELSE 0 END) AS member_days,
			SUM(CASE WHEN day >= $1 THEN joins ELSE 0 END) AS joins,
			SUM(CASE WHEN day >= $1 THEN leaves_self + leaves_removed + leaves_other ELSE 0 END) AS leaves,
			SUM(CASE WHEN day >= $1 THEN active ELSE 0 END) AS active,
			SUM(CASE WHEN day >= $1 THEN posts ELSE 0 END) AS posts,
			SUM(CASE WHEN day >= $1 THEN orders ELSE 0 END) AS orders,
			SUM(CASE WHEN day >= $1 THEN income_fen ELSE 0 END) AS income
		FROM group_days WHERE day >= $2 AND day <= $3 GROUP BY group_id)
		SELECT s.group_id, s.days, s.opening, COALESCE(c.members, 0), s.member_days, s.joins, s.leaves, s.active,
			s.posts, s.orders, s.income
		FROM s LEFT JOIN group_days c ON c.group_id = s.group_id AND c.day = s.last`, from, from-1, to)
	if err != nil {
		return nil, fmt.Errorf("health: sum days: %w", err)
	}
	defer rows.Close()
	out := map[int64]PeriodSums{}
	for rows.Next() {
		var p PeriodSums
		if err := rows.Scan(&p.GroupID, &p.Days, &p.Opening, &p.Closing, &p.MemberDays, &p.Joins, &p.Leaves, &p.Active,
			&p.Posts, &p.Orders, &p.IncomeFen); err != nil {
			return nil, fmt.Errorf("health: sum days: %w", err)
		}
		if p.Days == 0 {
			continue // only the day before: not in the period
		}
		out[p.GroupID] = p
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
