package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestPlaceholders(t *testing.T) {
	for _, c := range []struct {
		cols, rows, first int
		d                 store.Dialect
		want              string
	}{
		{1, 3, 2, store.Postgres, "$2, $3, $4"},
		{2, 2, 1, store.Postgres, "($1, $2), ($3, $4)"},
		{2, 2, 1, store.SQLite, "(?, ?), (?, ?)"},
		{1, 2, 5, store.SQLite, "?, ?"},
	} {
		if got := c.d.BulkPlaceholders(c.cols, c.rows, c.first); got != c.want {
			t.Errorf("%s BulkPlaceholders(%d, %d, %d) = %q, want %q", c.d, c.cols, c.rows, c.first, got, c.want)
		}
	}
	if got := store.Placeholders(3, 1, 4); got != "($4, $5, $6)" {
		t.Errorf("Placeholders(3, 1, 4) = %q", got)
	}
}

// TestLockKey: named locks get distinct, stable keys.
func TestLockKey(t *testing.T) {
	if store.LockKey("catalog.compact") == store.LockKey("store.migrate") {
		t.Fatal("two lock names share a key")
	}
	if store.LockKey("store.migrate") != store.LockKey("store.migrate") {
		t.Fatal("a lock's key changed")
	}
}

// TestGrowth: PostgreSQL's statistics follow a table a transaction grows,
// once it has grown enough; SQLite is left alone.
func TestGrowth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE grown (id INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		var known float64
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			g, err := db.Growth(ctx, tx, "grown")
			if err != nil || db.Dialect == store.SQLite {
				if g != nil {
					t.Error("a Growth on SQLite")
				}
				return err
			}
			add := func(n int) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO grown (id) SELECT s FROM generate_series((SELECT count(*) FROM grown) + 1, (SELECT count(*) FROM grown) + $1) AS s`, n); err != nil {
					return err
				}
				return g.Added(ctx, n)
			}
			stats := func() float64 {
				var n float64
				if err := tx.QueryRowContext(ctx, `SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'grown'::regclass`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if err := add(5000); err != nil {
				return err
			}
			if n := stats(); n != 0 {
				t.Errorf("analyzed after 5,000 rows: %v", n)
			}
			if err := add(5000); err != nil {
				return err
			}
			known = stats()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect == store.Postgres && known != 10000 {
			t.Errorf("statistics after 10,000 rows: %v rows", known)
		}
	})
}
