// Package store opens Qunke's database — an embedded SQLite file by default,
// PostgreSQL when given a postgres:// URL — and applies the versioned,
// embedded migrations. It keeps the few dialect differences in one place.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite" (pure Go, no cgo)
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database with its dialect. SQL written with $1 placeholders
// runs on both engines.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Source is the database location with any password removed, safe to log.
	Source string
	path   string   // SQLite file path, "" for PostgreSQL
	stmts  sync.Map // query → *sql.Stmt, see Prepared
}

// Prepared returns query prepared for the pool, preparing it the first time.
// A hot query saves SQLite parsing it on every call (pgx caches prepared
// statements per connection by itself). Use it in a transaction through
// tx.StmtContext, and call it before beginning the transaction: preparing
// takes a connection of its own. The statements live as long as db.
func (db *DB) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Open opens the database at dsn: a file path (SQLite, created if missing) or
// a postgres:// / postgresql:// URL. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("store: empty database location (use --db FILE or --db postgres://...)")
	}
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

// IsPostgres reports whether dsn names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// MmapSize is how much of a SQLite file each connection maps for reading
// (1 GiB). Each connection has its own mapping and RSS counts a page once
// for each mapping that touched it, so connections reading at once can show
// a multiple of it as file pages in RSS; in memory the pages are the page
// cache, once. An I/O error on a mapped page stops the process (SIGBUS)
// instead of failing the read.
const MmapSize = 1 << 30

func openSQLite(ctx context.Context, path string) (*DB, error) {
	path = strings.TrimPrefix(path, "file:")
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
		}
	}
	// WAL lets readers run beside the single writer; synchronous=NORMAL is
	// durable across process crashes in WAL mode (a power cut may lose the
	// last transactions, never corrupt the file).
	//
	// mmap_size lets reads use pages in place from the file's mapping
	// instead of a read(2) into SQLite's page cache for each page the cache
	// misses (a card's history read in a large store; docs/BENCHMARKS.md,
	// w-card). A larger file is mapped up to MmapSize and read as before
	// beyond it. Mapped pages count in RSS as file pages.
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)", "synchronous(NORMAL)", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()),
		"foreign_keys(ON)", "cache_size(-65536)", "temp_store(MEMORY)", fmt.Sprintf("mmap_size(%d)", MmapSize),
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Keep connections open between requests: a new SQLite connection
	// re-reads the schema and starts with an empty page cache, which cost a
	// third of the API's CPU under 50 concurrent clients when only the
	// default two idle connections were kept.
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{DB: db, Dialect: SQLite, Source: path, path: path}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	safe := redact(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", safe, err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", safe, scrub(err, dsn))
	}
	return &DB{DB: db, Dialect: Postgres, Source: safe}, nil
}

// redact removes the password from a database URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// scrub makes sure an error message does not repeat the password.
func scrub(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}

// Path returns the SQLite file path, or "" for PostgreSQL.
func (db *DB) Path() string { return db.path }

// Size returns the bytes the database occupies on disk (SQLite: the file and
// its WAL; PostgreSQL: pg_database_size).
func (db *DB) Size(ctx context.Context) (int64, error) {
	if db.Dialect == Postgres {
		var n int64
		err := db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
		return n, err
	}
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(db.path + suffix)
		if err == nil {
			total += fi.Size()
		} else if !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	return total, nil
}

// Checkpoint folds the SQLite WAL into the main file (no-op on PostgreSQL).
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.Dialect != SQLite {
		return nil
	}
	_, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// BusyTimeout is how long a write on SQLite waits for the write lock before
// it fails with "database is locked" (IsBusy). An import holds the lock for
// its whole file (one transaction: all or nothing), about 90 s for a
// million rows on 2 cores (docs/BENCHMARKS.md, bench lockwait), so a short
// write (a post marked sent, a callback) waits the import out rather than
// fail; a request that must not wait that long uses WithWait.
const BusyTimeout = 3 * time.Minute

// WithWait runs fn on a connection of its own whose writes wait at most
// wait for a lock (SQLite: the write lock; PostgreSQL: lock_timeout)
// instead of BusyTimeout; a write that gave up is reported by IsBusy. Use it
// for writes that must not hold up a request for long while an import
// holds the lock. A transaction begun on the connection waits as long.
func (db *DB) WithWait(ctx context.Context, wait time.Duration, fn func(*sql.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	set := fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())
	reset := fmt.Sprintf("PRAGMA busy_timeout = %d", BusyTimeout.Milliseconds())
	if db.Dialect == Postgres {
		set, reset = fmt.Sprintf("SET lock_timeout = %d", max(1, wait.Milliseconds())), "RESET lock_timeout"
	}
	if _, err := conn.ExecContext(ctx, set); err != nil {
		return err
	}
	err = fn(conn)
	// A connection whose wait cannot be restored is not returned to the pool.
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), reset); rerr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// ExecQuick runs one write that is worth doing only if it can be done at
// once (see WithWait): bookkeeping such as a login time or a session's
// sliding expiry, which must not hold up a request while an import holds
// the lock.
func (db *DB) ExecQuick(ctx context.Context, wait time.Duration, query string, args ...any) (res sql.Result, err error) {
	err = db.WithWait(ctx, wait, func(c *sql.Conn) error {
		res, err = c.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// InTx runs fn in one transaction, committing if it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ReadTx runs fn in a read-only transaction: every query in it sees the same
// snapshot of the database.
func (db *DB) ReadTx(ctx context.Context, fn func(*sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		// PostgreSQL's default gives each statement its own snapshot.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}
