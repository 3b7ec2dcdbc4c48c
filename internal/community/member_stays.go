package community

import (
	"context"
	"fmt"
	"time"
)

// EachStay calls fn with every stay whose join is known and that overlaps
// [from, to): joined before to, and still in or left at or after from, in
// no particular order. It streams the rows (the economics reads every stay
// of a window without holding the registry's rows twice); an error from fn
// stops it and is returned.
func (s *Store) EachStay(ctx context.Context, from, to time.Time, fn func(Membership) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, member_id, joined_at, left_at, join_how, inviter,
		invite_link, invite_name, leave_how FROM memberships
		WHERE joined_at <> 0 AND joined_at < $1 AND (left_at = 0 OR left_at >= $2)`, to.Unix(), from.Unix())
	if err != nil {
		return fmt.Errorf("stays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Membership
		var joined, left int64
		var how, leave string
		if err := rows.Scan(&m.GroupID, &m.MemberID, &joined, &left, &how, &m.Inviter, &m.InviteLink, &m.InviteName,
			&leave); err != nil {
			return fmt.Errorf("stays: %w", err)
		}
		m.JoinedAt, m.LeftAt, m.JoinHow, m.LeaveHow = unixOrZero(joined), unixOrZero(left), JoinHow(how), LeaveHow(leave)
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}
