package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ImportLog is the record kept of one imported file.
type ImportLog struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"` // "items"
	FileName     string    `json:"file_name"`
	Format       string    `json:"format"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	RowsRead     int       `json:"rows_read"`
	RowsRejected int       `json:"rows_rejected"`
	ItemsNew     int       `json:"items_new"`
	ItemsUpdated int       `json:"items_updated"`
	Observations int       `json:"observations"`
	Status       string    `json:"status"` // "imported", "partial" (--skip-bad), "rejected", "failed"
	Error        string    `json:"error"`
}

const insertImport = `INSERT INTO imports (kind, file_name, format, started_at, finished_at, rows_read,
	rows_rejected, items_new, items_updated, observations, status, error)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

func importArgs(l *ImportLog) []any {
	return []any{l.Kind, l.FileName, l.Format, l.StartedAt.Unix(), l.FinishedAt.Unix(), l.RowsRead,
		l.RowsRejected, l.ItemsNew, l.ItemsUpdated, l.Observations, l.Status, l.Error}
}

// LogImport records an import in the writer's transaction, so the log and
// the data it describes commit together.
func (w *Writer) LogImport(l ImportLog) error {
	if _, err := w.tx.ExecContext(w.ctx, insertImport, importArgs(&l)...); err != nil {
		return fmt.Errorf("catalog: log import: %w", err)
	}
	return nil
}

// Stats returns what the writer has done so far.
func (w *Writer) Stats() IngestStats { return w.stats }

// LogImport records an import that wrote nothing (rejected or failed).
func (s *Store) LogImport(ctx context.Context, l ImportLog) error {
	if _, err := s.db.ExecContext(ctx, insertImport, importArgs(&l)...); err != nil {
		return fmt.Errorf("catalog: log import: %w", err)
	}
	return nil
}

// RecentImports returns the latest n imports, newest first.
func (s *Store) RecentImports(ctx context.Context, n int) ([]ImportLog, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, file_name, format, started_at, finished_at, rows_read,
		rows_rejected, items_new, items_updated, observations, status, error FROM imports ORDER BY id DESC LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ImportLog
	for rows.Next() {
		var l ImportLog
		var started, finished int64
		if err := rows.Scan(&l.ID, &l.Kind, &l.FileName, &l.Format, &started, &finished, &l.RowsRead,
			&l.RowsRejected, &l.ItemsNew, &l.ItemsUpdated, &l.Observations, &l.Status, &l.Error); err != nil {
			return nil, err
		}
		l.StartedAt, l.FinishedAt = time.Unix(started, 0).UTC(), time.Unix(finished, 0).UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

// Counts returns how many items the catalog has and how many observations
// its history holds.
func (s *Store) Counts(ctx context.Context) (items, observations int64, err error) {
	var obs, pending sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM items), (SELECT sum(n) FROM item_history),
		(SELECT sum(n) FROM pending_observations)`).Scan(&items, &obs, &pending)
	return items, obs.Int64 + pending.Int64, err
}
