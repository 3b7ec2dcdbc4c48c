// Package storetest opens fresh, migrated databases for tests, on SQLite and
// on PostgreSQL.
//
// PostgreSQL comes from QUNKE_TEST_POSTGRES (a postgres:// URL; .ci/run sets
// it). When it is set and the server cannot be reached, tests fail. When it
// is not set, the default local server is tried and its tests are skipped if
// it is not there, so a laptop without PostgreSQL can still run the suite.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/qunke/qunke/internal/store"
)

// EnvPostgres names the variable holding the test PostgreSQL URL.
const EnvPostgres = "QUNKE_TEST_POSTGRES"

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SQLite returns a migrated SQLite database in a temporary folder.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return sqliteAt(t, math.MaxInt)
}

func sqliteAt(t testing.TB, version int) *store.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "qunke.db"), version)
}

// Postgres returns a migrated PostgreSQL database in a schema of its own,
// dropped when the test ends.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return postgresAt(t, math.MaxInt)
}

func postgresAt(t testing.TB, version int) *store.DB {
	t.Helper()
	base, required := os.LookupEnv(EnvPostgres)
	if !required {
		base = defaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if required {
			t.Fatalf("PostgreSQL from %s is unreachable: %v", EnvPostgres, err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set %s to require it): %v", defaultPostgres, EnvPostgres, err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "qt_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return open(t, u.String(), version)
}

func open(t testing.TB, dsn string, version int) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	return db
}

// Each runs fn as a subtest on SQLite and on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachAt is Each with the databases migrated only up to version: a test of
// a later migration builds the data it changes, then calls Migrate.
func EachAt(t *testing.T, version int, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteAt(t, version)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresAt(t, version)) })
}

// Reopen opens a second handle on db's database (the same SQLite file, the
// same PostgreSQL schema), sharing no connection with it: a stand-in for
// another server on the same database.
func Reopen(t testing.TB, db *store.DB) *store.DB {
	t.Helper()
	dsn := db.Path()
	if dsn == "" {
		dsn = db.Source // the test server needs no password, so nothing was redacted
	}
	other, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}
