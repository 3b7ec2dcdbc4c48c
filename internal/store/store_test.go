package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		again, err := db.Migrate(ctx) // storetest already migrated
		if err != nil || len(again) != 0 {
			t.Fatalf("second Migrate applied %d (%v), want none", len(again), err)
		}
		ms, err := db.Status(ctx)
		if err != nil || len(ms) == 0 {
			t.Fatalf("status: %v %v", ms, err)
		}
		for _, m := range ms {
			if m.AppliedAt.IsZero() {
				t.Errorf("migration %d not applied", m.Version)
			}
		}
		// The tables the catalog needs exist and take the same SQL on both engines.
		if _, err := db.ExecContext(ctx, `INSERT INTO items (platform, item_id, created_at, updated_at) VALUES ($1, $2, $3, $3)`, "taobao", "1", 1); err != nil {
			t.Fatal(err)
		}
		// A database written by a newer Qunke is refused, not silently used.
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("unknown migration: got %v", err)
		}
	})
}

func TestPostgresSourceHidesPassword(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://qunke:s3cret-pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("error reveals the password: %v", err)
	}
}

func TestOpenSQLiteIsWAL(t *testing.T) {
	db := storetest.SQLite(t)
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q (%v), want wal", mode, err)
	}
}

// TestOpenSQLiteMapsTheFile: reads come from a memory mapping of the file,
// on every connection of the pool (SQLite caps the size it was asked for at
// its compile-time maximum; 0 would mean no mapping at all).
func TestOpenSQLiteMapsTheFile(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	var conns []*sql.Conn
	for range 3 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		var n int64
		if err := c.QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&n); err != nil || n != store.MmapSize {
			t.Fatalf("connection %d: mmap_size %d (%v), want %d", i, n, err, store.MmapSize)
		}
	}
}

// TestMigrateConcurrently: servers started at the same moment on an empty
// database all migrate it (on PostgreSQL the second one failed creating
// schema_migrations: "duplicate key value violates unique constraint
// pg_type_typname_nsp_index").
func TestMigrateConcurrently(t *testing.T) {
	storetest.EachAt(t, 0, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `DROP TABLE schema_migrations`); err != nil {
			t.Fatal(err)
		}
		const servers = 6
		dbs := make([]*store.DB, servers)
		for i := range dbs {
			dbs[i] = storetest.Reopen(t, db)
		}
		errs := make(chan error, servers)
		start := make(chan struct{})
		for _, d := range dbs {
			go func() {
				<-start
				_, err := d.Migrate(ctx)
				errs <- err
			}()
		}
		close(start)
		for range servers {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		ms, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.AppliedAt.IsZero() {
				t.Errorf("migration %d not applied", m.Version)
			}
		}
	})
}

// AtomicBulk commits or rolls back like Atomic, and gives its connection
// back with SQLite's default checkpoint size.
func TestAtomicBulk(t *testing.T) {
	ctx := context.Background()
	for _, db := range []*store.DB{storetest.SQLite(t)} {
		db.SetMaxOpenConns(1) // one connection: the one AtomicBulk used answers the last PRAGMA
		if _, err := db.ExecContext(ctx, `CREATE TABLE bulk_probe (v INTEGER)`); err != nil {
			t.Fatal(err)
		}
		if err := db.AtomicBulk(ctx, func(tx *store.Tx) error {
			if !tx.Of(db) {
				t.Error("AtomicBulk's tx is not of its database")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO bulk_probe VALUES (1)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := db.AtomicBulk(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO bulk_probe VALUES (2)`); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var n, sum int
		if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(v), 0) FROM bulk_probe`).Scan(&n, &sum); err != nil || n != 1 || sum != 1 {
			t.Fatalf("rows %d sum %d (%v): want the first commit only", n, sum, err)
		}
		var pages int
		if err := db.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != 1000 {
			t.Errorf("wal_autocheckpoint after AtomicBulk = %d (%v), want 1000", pages, err)
		}
	}
}
