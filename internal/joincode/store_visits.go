package joincode

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// VisitCount is n views of a code on a Shanghai day by an inviter's link
// ("" none).
type VisitCount struct {
	CodeID  int64
	Day     int64
	Inviter string
	N       int64
}

// AddVisits adds counts in one transaction, in one order of keys (two
// servers adding at once do not deadlock).
func (s *Store) AddVisits(ctx context.Context, counts []VisitCount) error {
	if len(counts) == 0 {
		return nil
	}
	counts = slices.Clone(counts)
	slices.SortFunc(counts, func(a, b VisitCount) int {
		if a.CodeID != b.CodeID {
			return int(a.CodeID - b.CodeID)
		}
		if a.Day != b.Day {
			return int(a.Day - b.Day)
		}
		return strings.Compare(a.Inviter, b.Inviter)
	})
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO join_visits (code_id, day, inviter, views) VALUES ($1, $2, $3, $4)
			ON CONFLICT (code_id, day, inviter) DO UPDATE SET views = join_visits.views + excluded.views`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, c := range counts {
			if _, err := st.ExecContext(ctx, c.CodeID, c.Day, c.Inviter, c.N); err != nil {
				return fmt.Errorf("joincode: count visits: %w", err)
			}
		}
		return nil
	})
}

// DayViews is a code's views on one day.
type DayViews struct {
	Day        int64 // Shanghai day number
	Views      int64
	ByInviters int64 // of them, through an inviter's link
}

// ViewsByDay returns a code's views per day in [from, to] (day numbers),
// newest first.
func (s *Store) ViewsByDay(ctx context.Context, codeID, from, to int64) ([]DayViews, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT day, SUM(views), SUM(CASE WHEN inviter <> '' THEN views ELSE 0 END)
		FROM join_visits WHERE code_id = $1 AND day BETWEEN $2 AND $3 GROUP BY day ORDER BY day DESC`, codeID, from, to)
	if err != nil {
		return nil, fmt.Errorf("joincode: views: %w", err)
	}
	defer rows.Close()
	var out []DayViews
	for rows.Next() {
		var d DayViews
		if err := rows.Scan(&d.Day, &d.Views, &d.ByInviters); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// InviterViews is the views an inviter's link brought.
type InviterViews struct {
	Inviter string
	Views   int64
}

// ViewsByInviter returns a code's views per inviter, most first, at most
// limit ("" is the views without an inviter).
func (s *Store) ViewsByInviter(ctx context.Context, codeID int64, limit int) ([]InviterViews, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT inviter, SUM(views) AS v FROM join_visits WHERE code_id = $1
		GROUP BY inviter ORDER BY v DESC, inviter LIMIT $2`, codeID, limit)
	if err != nil {
		return nil, fmt.Errorf("joincode: views by inviter: %w", err)
	}
	defer rows.Close()
	var out []InviterViews
	for rows.Next() {
		var v InviterViews
		if err := rows.Scan(&v.Inviter, &v.Views); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// TotalViews is every view of a code.
func (s *Store) TotalViews(ctx context.Context, codeID int64) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT SUM(views) FROM join_visits WHERE code_id = $1`, codeID).Scan(&n)
	return n.Int64, err
}

// DayDate is a Shanghai day number as its date, 2026-12-01.
func DayDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format("2006-01-02") }
