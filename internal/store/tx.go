package store

import (
	"context"
	"database/sql"
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
