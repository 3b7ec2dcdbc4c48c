package joincode

import (
	"context"
	"fmt"
	"time"
)

// Warning is a condition an operator was warned of (once).
type Warning struct {
	Cond    string // "qr:<qr id>" (expires soon), "full:<code id>" (no room)
	CodeID  int64
	Status  string // sending, sent, failed, none (no channel set)
	Detail  string
	Created time.Time
}

// claimWarning records cond as being warned of; false when it was already
// (by this server or another: the primary key is the compare-and-set).
func (s *Store) claimWarning(ctx context.Context, cond string, codeID int64, detail string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO join_warnings (cond, code_id, status, detail, created_at)
		VALUES ($1, $2, 'sending', $3, $4) ON CONFLICT (cond) DO NOTHING`, cond, codeID, detail, s.now().Unix())
	if err != nil {
		return false, fmt.Errorf("joincode: claim warning: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) finishWarning(ctx context.Context, cond, status string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE join_warnings SET status = $2 WHERE cond = $1`, cond, status)
	return err
}

// clearWarning forgets a condition that no longer holds, so that it is
// warned of again when it comes back.
func (s *Store) clearWarning(ctx context.Context, cond string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM join_warnings WHERE cond = $1`, cond)
	return err
}

// Warnings returns the warnings of a code (0: all), newest first, at most limit.
func (s *Store) Warnings(ctx context.Context, codeID int64, limit int) ([]Warning, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT cond, code_id, status, detail, created_at FROM join_warnings
		WHERE ($1 = 0 OR code_id = $1) ORDER BY created_at DESC, cond LIMIT $2`, codeID, limit)
	if err != nil {
		return nil, fmt.Errorf("joincode: warnings: %w", err)
	}
	defer rows.Close()
	var out []Warning
	for rows.Next() {
		var w Warning
		var at int64
		if err := rows.Scan(&w.Cond, &w.CodeID, &w.Status, &w.Detail, &at); err != nil {
			return nil, err
		}
		w.Created = unix(at)
		out = append(out, w)
	}
	return out, rows.Err()
}
