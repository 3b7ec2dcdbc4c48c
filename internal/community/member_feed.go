package community

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// The member events as a feed for readers downstream (the fission
// campaigns' counting, internal/growth/campaign): which members' events
// arrived after a cursor, and what a person's identity is across sources.

// EventMark is one stored member event as the feed tells it: its id
// (increasing in the order events were stored, not the order they
// happened), its member and whether its chat maps to no group yet.
type EventMark struct {
	ID       int64
	MemberID int64
	Pending  bool
}

// EventsAfter returns up to limit events stored after the event id after,
// in id order.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]EventMark, error) {
	return s.EventsBetween(ctx, after, math.MaxInt64, limit)
}

// EventsBetween returns up to limit events with after < id <= upTo, in id
// order (upTo: an EventHorizon).
func (s *Store) EventsBetween(ctx context.Context, after, upTo int64, limit int) ([]EventMark, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, member_id, group_id IS NULL FROM member_events
		WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`, after, upTo, limit)
	if err != nil {
		return nil, fmt.Errorf("member events after %d: %w", after, err)
	}
	defer rows.Close()
	var out []EventMark
	for rows.Next() {
		var m EventMark
		if err := rows.Scan(&m.ID, &m.MemberID, &m.Pending); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// eventsLock is held shared by every transaction storing member events
// (ApplyEventsTx) and taken alone by EventHorizon.
const eventsLock = "community.events"

// EventHorizon is an event id up to which the feed is complete: every
// event with a lower id that will ever be stored is stored and visible. On
// PostgreSQL ids are taken in one order and committed in another (a sync
// storing a big group's joins takes its ids first and commits last, while
// a callback's event commits in between), so a reader keeping a cursor
// must not pass an id whose lower neighbours may still come: the horizon
// waits (at most wait) for the writers in flight to end, then reads the
// highest id; writers after it take higher ids. ok is false when the
// writers did not end in time (try again on the next pass). On SQLite,
// whose writes run one at a time, it is the last stored id.
func (s *Store) EventHorizon(ctx context.Context, wait time.Duration) (id int64, ok bool, err error) {
	if s.db.Dialect != store.Postgres {
		id, err = s.LastEventID(ctx)
		return id, err == nil, err
	}
	err = s.db.Atomic(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", max(1, wait.Milliseconds()))); err != nil {
			return err
		}
		if err := s.db.LockTx(ctx, tx.Tx, eventsLock); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM member_events`).Scan(&id)
	})
	if store.IsBusy(err) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// LastEventID is the id of the latest stored member event (0: none).
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM member_events`).Scan(&id)
	return id, err
}

// Identity is a person as the registry knows them: the member and every
// other member with the same WeCom unionid (one person on several
// sources or corp apps), with the earliest time any of them was seen.
type Identity struct {
	Member    Member
	Peers     []int64 // other members of the same person
	FirstSeen time.Time
}

// IdentityOf returns the identity of member id.
func (s *Store) IdentityOf(ctx context.Context, id int64) (*Identity, error) {
	m, err := scanMember(s.db.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members m WHERE m.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrMemberNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("member %d: %w", id, err)
	}
	out := &Identity{Member: m, FirstSeen: m.FirstSeen}
	if strings.TrimSpace(m.UnionID) == "" {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, first_seen FROM members WHERE union_id = $1 AND id <> $2 ORDER BY id`, m.UnionID, id)
	if err != nil {
		return nil, fmt.Errorf("peers of member %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, first int64
		if err := rows.Scan(&p, &first); err != nil {
			return nil, err
		}
		out.Peers = append(out.Peers, p)
		if t := time.Unix(first, 0).UTC(); t.Before(out.FirstSeen) {
			out.FirstSeen = t
		}
	}
	return out, rows.Err()
}

// Retention tells of the members ids (nil: every member) first seen at
// least days before now how many there are and how many were still in one
// of the team's groups days after they were first seen.
func (s *Store) Retention(ctx context.Context, ids []int64, days int, now time.Time) (cohort, retained int64, err error) {
	span := int64(days) * 86400
	q := `SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM memberships s WHERE s.member_id = m.id
		AND s.joined_at <= m.first_seen + $1 AND (s.left_at = 0 OR s.left_at > m.first_seen + $1)) THEN 1 ELSE 0 END), 0)
		FROM members m WHERE m.first_seen <= $2`
	if ids == nil {
		err = s.db.QueryRowContext(ctx, q, span, now.Unix()-span).Scan(&cohort, &retained)
		return cohort, retained, err
	}
	for part := range slices.Chunk(ids, 500) {
		args := []any{span, now.Unix() - span}
		for _, id := range part {
			args = append(args, id)
		}
		var c, r int64
		if err := s.db.QueryRowContext(ctx, q+` AND m.id IN (`+store.Placeholders(1, len(part), 3)+`)`, args...).Scan(&c, &r); err != nil {
			return 0, 0, fmt.Errorf("retention: %w", err)
		}
		cohort, retained = cohort+c, retained+r
	}
	return cohort, retained, nil
}
