package catalog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// Identity returns the catalog's own id: random, written on first use, and
// shared by no other database (a copy of the file aside), not even one
// re-created at the same place. What is derived from the catalog and kept
// outside it (the advisor's snapshot file) names it, so as never to be
// taken for another catalog's.
func (s *Store) Identity(ctx context.Context) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT ident FROM catalog_identity WHERE id = 1`).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("catalog: identity: %w", err)
	}
	// Two processes may get here at once: the first insert wins, and both
	// read it back.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO catalog_identity (id, ident) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
		rand.Text()); err != nil {
		return "", fmt.Errorf("catalog: identity: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT ident FROM catalog_identity WHERE id = 1`).Scan(&id); err != nil {
		return "", fmt.Errorf("catalog: identity: %w", err)
	}
	return id, nil
}
