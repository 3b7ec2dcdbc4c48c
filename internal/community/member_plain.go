package community

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// DaysFromStays computes what MemberDays reads from the rollup, the plain
// way: from the memberships themselves, with SQL at request time (one
// group, or every group when groupID is 0). It is the reference the
// rollup is checked against and the "plain approach" `qunke bench members`
// times against it; pages use MemberDays. Only days of [from, to) on which
// a group had a stay are returned (members 0 otherwise). Active and
// Messages are not computed (they come from the activity counts).
func (s *Store) DaysFromStays(ctx context.Context, groupID int64, from, to time.Time) (map[int64][]MemberDay, error) {
	if err := checkDayRange(from, to); err != nil {
		return nil, err
	}
	lo, hi := dayRange(from, to)
	args := []any{lo, hi - 1, shanghai.Offset}
	cond := ""
	if groupID != 0 {
		args = append(args, groupID)
		cond = " WHERE m.group_id = $4"
	}
	// A stay counts as in at the end of day d when it has a known join on or
	// before d and no leave on or before d (as member_days' deltas sum up).
	rows, err := s.db.QueryContext(ctx, `WITH RECURSIVE d(day) AS (
			SELECT CAST($1 AS BIGINT) UNION ALL SELECT day + 1 FROM d WHERE day < $2)
		SELECT m.group_id, d.day,
			SUM(CASE WHEN m.joined_at <> 0 AND (m.left_at = 0 OR (m.left_at + $3) / 86400 > d.day) THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.joined_at <> 0 AND (m.joined_at + $3) / 86400 = d.day THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.left_at <> 0 AND (m.left_at + $3) / 86400 = d.day AND m.leave_how = 'self' THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.left_at <> 0 AND (m.left_at + $3) / 86400 = d.day AND m.leave_how = 'removed' THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.left_at <> 0 AND (m.left_at + $3) / 86400 = d.day AND m.leave_how NOT IN ('self', 'removed') THEN 1 ELSE 0 END)
		FROM d JOIN memberships m ON (m.joined_at = 0 OR (m.joined_at + $3) / 86400 <= d.day)
			AND (m.left_at = 0 OR (m.left_at + $3) / 86400 >= d.day)`+cond+`
		GROUP BY m.group_id, d.day ORDER BY m.group_id, d.day`, args...)
	if err != nil {
		return nil, fmt.Errorf("member days from stays: %w", err)
	}
	defer rows.Close()
	out := map[int64][]MemberDay{}
	for rows.Next() {
		var g, day int64
		var md MemberDay
		if err := rows.Scan(&g, &day, &md.Members, &md.Joins, &md.LeavesSelf, &md.LeavesRemoved, &md.LeavesOther); err != nil {
			return nil, err
		}
		md.GroupID, md.Day = g, dayTime(day)
		out[g] = append(out[g], md)
	}
	return out, rows.Err()
}
