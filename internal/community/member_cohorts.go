package community

import (
	"context"
	"fmt"
	"strings"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Stay is one membership as the cohorts read it: unix seconds, LeftAt 0
// while the member is still in.
type Stay struct {
	MemberID, GroupID, JoinedAt, LeftAt int64
}

// stayChunk is how many member ids EachStays reads per query: a chunk's
// stays are read into memory and the query closed before fn sees them, so
// no read stays open while the caller works.
const stayChunk = 50_000

// EachStays calls fn with each member's stays that have a known join
// (joined_at <> 0), member by member in ascending member id, each
// member's stays ordered by join: what insight's retention cohorts are
// built from (docs/cohorts.md).
func (s *Store) EachStays(ctx context.Context, fn func(memberID int64, stays []Stay) error) error {
	var maxID int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(member_id), 0) FROM memberships`).Scan(&maxID); err != nil {
		return fmt.Errorf("stays: %w", err)
	}
	var buf []Stay
	for lo := int64(0); lo < maxID; lo += stayChunk {
		buf = buf[:0]
		rows, err := s.db.QueryContext(ctx, `SELECT member_id, group_id, joined_at, left_at FROM memberships
			WHERE member_id > $1 AND member_id <= $2 AND joined_at <> 0 ORDER BY member_id, joined_at, group_id`, lo, lo+stayChunk)
		if err != nil {
			return fmt.Errorf("stays: %w", err)
		}
		for rows.Next() {
			var st Stay
			if err := rows.Scan(&st.MemberID, &st.GroupID, &st.JoinedAt, &st.LeftAt); err != nil {
				rows.Close()
				return fmt.Errorf("stays: %w", err)
			}
			buf = append(buf, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("stays: %w", err)
		}
		for i := 0; i < len(buf); {
			j := i + 1
			for j < len(buf) && buf[j].MemberID == buf[i].MemberID {
				j++
			}
			if err := fn(buf[i].MemberID, buf[i:j]); err != nil {
				return err
			}
			i = j
		}
	}
	return nil
}

// RetentionCell is one cell of the retention triangle: of the members
// whose first known join fell in the week starting on Shanghai day Cohort
// (a Monday), Members were in some group during week Cohort+7*Week.
type RetentionCell struct {
	Cohort  int64 // Shanghai day number of the join week's Monday
	Week    int64
	Members int64
}

// RetentionSQL computes the retention triangle the plain way, with one SQL
// statement over the memberships at request time, for the join weeks
// starting on or after fromDay up to the week of nowDay: the reference
// insight's rollup is checked against and what `qunke bench insight` times
// beside it. Pages read the rollup.
func (s *Store) RetentionSQL(ctx context.Context, fromDay, nowDay int64) ([]RetentionCell, error) {
	// Weeks start on Monday: day 0 (1970-01-01) was a Thursday, so the
	// week of day d is (d + 3) / 7 and starts on day 7*w - 3.
	day := func(col string) string { return "((" + col + " + CAST($1 AS BIGINT)) / 86400)" }
	week := func(col string) string { return "((" + day(col) + " + 3) / 7)" }
	nowWeek, fromWeek := (nowDay+3)/7, (fromDay+3+6)/7
	q := `WITH RECURSIVE w(k) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT k + 1 FROM w WHERE k < CAST($2 AS BIGINT) - CAST($3 AS BIGINT)),
		s AS (SELECT member_id, joined_at, left_at FROM memberships WHERE joined_at <> 0 AND ` + day("joined_at") + ` <= CAST($4 AS BIGINT)),
		f AS (SELECT member_id, ` + week("min(joined_at)") + ` AS c FROM s GROUP BY member_id),
		p AS (SELECT DISTINCT f.member_id, f.c, w.k FROM f
			JOIN s m ON m.member_id = f.member_id
			JOIN w ON f.c + w.k >= ` + week("m.joined_at") + `
				AND (m.left_at = 0 OR f.c + w.k <= ` + week("CASE WHEN m.left_at < m.joined_at THEN m.joined_at ELSE m.left_at END") + `)
				AND f.c + w.k <= CAST($2 AS BIGINT)
			WHERE f.c >= CAST($3 AS BIGINT))
		SELECT c, k, count(*) FROM p GROUP BY c, k ORDER BY c, k`
	rows, err := s.db.QueryContext(ctx, q, shanghai.Offset, nowWeek, fromWeek, nowDay)
	if err != nil {
		return nil, fmt.Errorf("retention (plain): %w", err)
	}
	defer rows.Close()
	var out []RetentionCell
	for rows.Next() {
		var c RetentionCell
		if err := rows.Scan(&c.Cohort, &c.Week, &c.Members); err != nil {
			return nil, err
		}
		c.Cohort = 7*c.Cohort - 3
		out = append(out, c)
	}
	return out, rows.Err()
}

// MemberNames returns the names of the members with these ids (a member
// without a name: its external id); ids not found are left out.
func (s *Store) MemberNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, name, external_id FROM members WHERE id IN (`+
			store.Placeholders(1, n, 1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("member names: %w", err)
		}
		for rows.Next() {
			var id int64
			var name, ext string
			if err := rows.Scan(&id, &name, &ext); err != nil {
				rows.Close()
				return nil, err
			}
			if strings.TrimSpace(name) == "" {
				name = ext
			}
			out[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}
