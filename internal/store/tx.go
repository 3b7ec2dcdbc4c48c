package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Tx is one transaction that a change spanning owners shares: the caller
// begins it (DB.Atomic) and passes it to each owner's method, so the owners
// keep their SQL and the change is all or nothing.
type Tx struct {
	*sql.Tx
	Dialect Dialect
	db      *DB // the database Atomic began it on (nil when made by hand)
}

// Of reports whether Atomic began tx on db (statements prepared on db
// may then run in tx).
func (t *Tx) Of(db *DB) bool { return t.db != nil && t.db == db }

// Atomic runs fn in one transaction, committing if it returns nil.
func (db *DB) Atomic(ctx context.Context, fn func(*Tx) error) error {
	return db.InTx(ctx, func(tx *sql.Tx) error { return fn(&Tx{Tx: tx, Dialect: db.Dialect, db: db}) })
}

// BulkCheckpointPages is how many WAL pages (4 KiB each) a bulk writer's
// SQLite connection lets the WAL hold before it checkpoints (the default,
// 1000, is 4 MiB).
const BulkCheckpointPages = 16384

// AtomicBulk is Atomic for a writer of large transactions (the ledger's
// poster: a page of 2,000 orders dirties thousands of pages). On SQLite
// its connection checkpoints the WAL into the database only once the WAL
// holds BulkCheckpointPages pages (64 MiB), not after every transaction:
// a page of the database dirtied by several transactions is copied (and
// the file synced) once. Durability is as with synchronous=NORMAL: a
// commit survives a crash of the process; a power cut may lose the
// transactions since the last checkpoint, now up to 64 MiB of them
// instead of 4 MiB (the poster's are re-posted by its next run: its queue
// rows come back with them). Other connections keep the default and
// checkpoint the whole WAL at their next commit.
func (db *DB) AtomicBulk(ctx context.Context, fn func(*Tx) error) error {
	if db.Dialect != SQLite {
		return db.Atomic(ctx, fn)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", BulkCheckpointPages)); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_autocheckpoint = 1000")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&Tx{Tx: tx, Dialect: db.Dialect, db: db}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
