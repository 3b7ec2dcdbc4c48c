package catalog

import (
	"context"
	"database/sql"
	"fmt"
)

// Every commit that writes items or observations bumps the catalog's
// generation (one row, catalog_generation) and lists the categories it
// changed under the new generation (catalog_changes), in its own
// transaction. A process holding the catalog in memory (the advisor of each
// `qunke serve`) polls the generation, a one-row read, and reloads just those
// categories: imports by the CLI or by another server on the same
// PostgreSQL database show without a restart. Bumping the one row also
// orders the commits: two writers take the new generation one after the
// other, so a reader never sees a later generation without the earlier ones.

// KeepGenerations is how many generations of changes are kept; a reader
// further behind reloads everything.
const KeepGenerations = 1000

// logChanges bumps the generation and lists the categories the writer
// changed; it returns the new generation (0 when nothing changed).
func (w *Writer) logChanges() (int64, error) {
	if w.stats.Records == 0 && w.stats.ItemsNew == 0 && w.stats.ItemsUpdated == 0 {
		return 0, nil
	}
	var gen int64
	if err := w.tx.QueryRowContext(w.ctx, `UPDATE catalog_generation SET gen = gen + 1 WHERE id = 1 RETURNING gen`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("catalog: bump generation: %w", err)
	}
	var cats []string
	for cat, ok := range w.touched {
		if ok {
			cats = append(cats, w.s.cats.name(uint32(cat)))
		}
	}
	if gen != w.gen+1 {
		// Another writer committed since this one began (PostgreSQL): the
		// categories this one's cache gave for items it changed may be
		// where they were before, so they do not say all it changed.
		cats = []string{everything}
	}
	for _, cat := range cats {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO catalog_changes (gen, category) VALUES ($1, $2)`, gen, cat); err != nil {
			return 0, fmt.Errorf("catalog: log changes: %w", err)
		}
	}
	if gen%100 == 0 {
		if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM catalog_changes WHERE gen <= $1`, gen-KeepGenerations); err != nil {
			return 0, fmt.Errorf("catalog: prune changes: %w", err)
		}
	}
	return gen, nil
}

// everything, logged as a changed category, says that any may have
// changed (no category is named so: one that were would just cost a full
// reload).
const everything = "\x01*"

// Changes says what changed in the catalog after a generation.
type Changes struct {
	Gen        int64    // the generation now
	All        bool     // too far behind: everything may have changed
	Categories []string // the categories changed, when not All
}

// Generation returns the catalog's generation: a number that grows with
// every commit that changes items or observations.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := s.db.QueryRowContext(ctx, `SELECT gen FROM catalog_generation WHERE id = 1`).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("catalog: generation: %w", err)
	}
	return gen, nil
}

// ChangesSince returns what changed after generation since: cheap when
// nothing did (one indexed read).
func (s *Store) ChangesSince(ctx context.Context, since int64) (Changes, error) {
	// One statement, so the generation and its changes are one snapshot.
	rows, err := s.db.QueryContext(ctx, `SELECT g.gen, c.category FROM catalog_generation g
		LEFT JOIN catalog_changes c ON c.gen > $1 WHERE g.id = 1`, since)
	if err != nil {
		return Changes{}, fmt.Errorf("catalog: changes: %w", err)
	}
	defer rows.Close()
	var ch Changes
	seen := map[string]bool{}
	for rows.Next() {
		var cat sql.NullString
		if err := rows.Scan(&ch.Gen, &cat); err != nil {
			return Changes{}, fmt.Errorf("catalog: changes: %w", err)
		}
		if cat.String == everything {
			ch.All = true
		}
		if cat.Valid && !seen[cat.String] {
			seen[cat.String] = true
			ch.Categories = append(ch.Categories, cat.String)
		}
	}
	if err := rows.Err(); err != nil {
		return Changes{}, fmt.Errorf("catalog: changes: %w", err)
	}
	if ch.All || ch.Gen-since > KeepGenerations-100 || ch.Gen < since {
		ch.All, ch.Categories = true, nil
	}
	return ch, nil
}
