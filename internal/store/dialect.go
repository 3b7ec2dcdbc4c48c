package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"strings"
)

// The dialect helpers: the few places where SQLite and PostgreSQL need
// different SQL (advisory locks, statistics, many placeholders) live here,
// so the owners of the tables write plain SQL.

// LockTx serialises the transactions that call it with the same name until
// they end: PostgreSQL takes a transaction-scoped advisory lock whose key is
// the name's hash; SQLite needs nothing, as its write transactions (InTx)
// already run one at a time. Use it where a check and the write it allows
// must not interleave across servers (count-then-insert, one post at a time
// per group, one compaction, one migrator). Name a lock after its package
// ("catalog.compact"); lock several names in one order everywhere, or two
// transactions may deadlock.
func (db *DB) LockTx(ctx context.Context, tx *sql.Tx, name string) error {
	if db.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, LockKey(name)); err != nil {
		return fmt.Errorf("store: lock %s: %w", name, err)
	}
	return nil
}

// LockSharedTx takes the named lock shared until the transaction ends:
// any number of transactions hold it together, and LockTx of the same name
// waits until all of them have ended (and keeps new ones waiting while it
// holds it). Writers take it shared so that a reader can wait, with LockTx,
// for every write in flight to end (see community.Store.EventHorizon).
// SQLite needs nothing.
func (db *DB) LockSharedTx(ctx context.Context, tx *sql.Tx, name string) error {
	if db.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, LockKey(name)); err != nil {
		return fmt.Errorf("store: shared lock %s: %w", name, err)
	}
	return nil
}

// LockKey is the PostgreSQL advisory lock key of a named lock.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Placeholders returns rows groups of cols placeholders numbered from
// first: "($1, $2), ($3, $4)"; a single column without the parentheses.
func Placeholders(cols, rows, first int) string {
	var b strings.Builder
	n := first
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		if cols > 1 {
			b.WriteByte('(')
		}
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", n)
			n++
		}
		if cols > 1 {
			b.WriteByte(')')
		}
	}
	return b.String()
}

// BulkPlaceholders is Placeholders for statements with hundreds of values.
// SQLite gets anonymous "?" placeholders there: the driver looks each
// parameter's name up in a list of every name, so numbered ones ($1, ?1)
// cost time quadratic in their number (a 3,100-value INSERT spent 95% of
// an import looking names up). A statement uses either kind, never both,
// so on SQLite the bulk part must hold all of the statement's parameters.
func (d Dialect) BulkPlaceholders(cols, rows, first int) string {
	if d != SQLite {
		return Placeholders(cols, rows, first)
	}
	one := "?"
	if cols > 1 {
		one = "(" + strings.Repeat("?, ", cols-1) + "?)"
	}
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// Growth refreshes PostgreSQL's statistics of a table that one long
// transaction grows (an import): without them the planner takes a table it
// saw empty for tiny and reads all of it for each lookup (130 ms a lookup
// at a million rows of orders, against 1 ms). It analyzes once the
// transaction has grown the table by half (and at least 10,000 rows):
// ANALYZE sees the transaction's own rows and samples, so it costs about
// 70 ms at a million rows and happens a handful of times as a table grows.
// A failure (a role that may not analyze) is rolled back to a savepoint
// and ignored. It also has the transaction plan each statement's run anew:
// a prepared statement's plan is cached after a few runs, and one planned
// while the table was small would stay a scan as the table fills (15 s a
// lookup of trade ids at a million orders). On SQLite it does nothing.
type Growth struct {
	tx           *sql.Tx
	table        string
	columns      string // "" or " (a, b)": the columns ANALYZE computes
	known, added float64
}

// Growth starts tracking table in tx; nil (which does nothing) on SQLite.
// Given columns (those the transaction's lookups filter on), ANALYZE
// computes only their statistics (and the table's size): it still samples
// the rows, but the statistics of every column were most of its cost
// (2.6 s of the server's 5.9 s of CPU in a 200,000-order import).
func (db *DB) Growth(ctx context.Context, tx *sql.Tx, table string, columns ...string) (*Growth, error) {
	if db.Dialect != Postgres {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
		return nil, fmt.Errorf("store: plan %s: %w", table, err)
	}
	g := &Growth{tx: tx, table: table}
	if len(columns) > 0 {
		quoted := make([]string, len(columns))
		for i, c := range columns {
			quoted[i] = pgIdent(c)
		}
		g.columns = " (" + strings.Join(quoted, ", ") + ")"
	}
	err := tx.QueryRowContext(ctx, `SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = $1::regclass`, table).Scan(&g.known)
	if err != nil {
		return nil, fmt.Errorf("store: size of %s: %w", table, err)
	}
	return g, nil
}

// Added records n new rows and analyzes the table if it has grown enough.
func (g *Growth) Added(ctx context.Context, n int) error {
	if g == nil {
		return nil
	}
	g.added += float64(n)
	if g.added < max(10000, g.known/2) {
		return nil
	}
	if _, err := g.tx.ExecContext(ctx, `SAVEPOINT qunke_analyze`); err != nil {
		return err
	}
	if _, err := g.tx.ExecContext(ctx, `ANALYZE `+pgIdent(g.table)+g.columns); err != nil {
		if _, err := g.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT qunke_analyze`); err != nil {
			return err
		}
	}
	if _, err := g.tx.ExecContext(ctx, `RELEASE SAVEPOINT qunke_analyze`); err != nil {
		return err
	}
	g.known, g.added = g.known+g.added, 0
	return nil
}

// VacuumAnalyze does on PostgreSQL what autovacuum does soon after a bulk
// load (the statistics the planner needs, the visibility map index-only
// scans need); on SQLite it does nothing (SQLite's ANALYZE would change
// its query plans).
func (db *DB) VacuumAnalyze(ctx context.Context, tables ...string) error {
	if db.Dialect != Postgres {
		return nil
	}
	for _, t := range tables {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+pgIdent(t)); err != nil {
			return fmt.Errorf("store: analyze %s: %w", t, err)
		}
	}
	return nil
}

// pgIdent quotes a table name for SQL built from it.
func pgIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
