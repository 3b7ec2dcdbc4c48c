package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// While another transaction holds the lock a write needs (SQLite: the write
// lock, as a long import does; PostgreSQL: the row), ExecQuick gives up after
// its short wait with an error IsBusy recognises, and the connection goes
// back to the pool with the normal wait.
func TestExecQuickGivesUpOnALockedDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE quick (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO quick (id, n) VALUES (1, 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecQuick(ctx, 100*time.Millisecond, `UPDATE quick SET n = n + 1 WHERE id = 1`); err != nil {
			t.Fatalf("free database: %v", err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quick SET n = n + 10 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = db.ExecQuick(ctx, 200*time.Millisecond, `UPDATE quick SET n = n + 1 WHERE id = 1`)
		if took := time.Since(start); !store.IsBusy(err) || took > 3*time.Second {
			t.Fatalf("locked: ExecQuick = %v after %v, want a busy error after about 200ms", err, took)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if store.IsBusy(nil) {
			t.Fatal("nil is busy")
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT n FROM quick WHERE id = 1`).Scan(&n); err != nil || n != 11 {
			t.Fatalf("n = %d, %v; want 11", n, err)
		}
	})
}
