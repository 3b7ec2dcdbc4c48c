package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

// Named leases: a job that must run on one server at a time, when several
// servers share one PostgreSQL database (the planner, order syncs,
// Telegram's getUpdates, which answers a second poller with 409), holds the
// lease of its name. A lease is a row (name, holder, expiry) taken and
// renewed by compare-and-set: it is taken when nobody holds it or its
// holder let it run out, and only its holder renews or releases it. A
// holder that dies loses it when its time runs out, and another server
// takes over.
//
// Times come from each server's clock: keep the servers' clocks in sync
// (NTP), as slot times need anyway, and make ttl far longer than any skew.

// Holder returns a name for this process as a lease holder: host, process
// id and a random part (a restarted process is a new holder).
func Holder() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Lease takes the lease name for holder until ttl from now, or renews it
// when holder holds it already. It reports whether holder holds it now; a
// false means another holder's lease has not run out.
func (db *DB) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, errors.New("store: a lease needs a name, a holder and a positive ttl")
	}
	now := time.Now()
	res, err := db.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
		name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Renew extends holder's lease to ttl from now. It reports false when
// holder no longer holds it (another took it after it ran out).
func (db *DB) Renew(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3`,
		time.Now().Add(ttl).UnixMilli(), name, holder)
	if err != nil {
		return false, fmt.Errorf("store: renew lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Release gives the lease up at once if holder holds it, so another server
// need not wait for it to run out.
func (db *DB) Release(ctx context.Context, name, holder string) error {
	_, err := db.ExecContext(ctx, `UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2`, name, holder)
	if err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}

// LeaseHolder returns who holds the lease name and until when; "" when
// nobody does.
func (db *DB) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var holder string
	var until int64
	err := db.QueryRowContext(ctx, `SELECT holder, expires_at FROM leases WHERE name = $1`, name).Scan(&holder, &until)
	if errors.Is(err, sql.ErrNoRows) || err == nil && until <= time.Now().UnixMilli() {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, err
	}
	return holder, time.UnixMilli(until), nil
}

// RunEvery runs fn at once and then every every until ctx ends, each time
// only if holder can take the lease name (for ttl; released when fn
// returns): of several servers one runs fn at a time. A failure to take the
// lease is passed to warn (nil: ignored) and that round is skipped.
func (db *DB) RunEvery(ctx context.Context, name, holder string, every, ttl time.Duration, warn func(error), fn func(context.Context)) {
	for ctx.Err() == nil {
		ok, err := db.Lease(ctx, name, holder, ttl)
		switch {
		case err != nil && ctx.Err() == nil && warn != nil:
			warn(err)
		case err == nil && ok:
			fn(ctx)
			db.Release(context.WithoutCancel(ctx), name, holder)
		}
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
}

// RunLeased runs fn whenever holder holds the lease name, until ctx ends:
// it tries to take the lease every ttl/3, runs fn with a context that ends
// when the lease is lost (not renewed in time) or ctx ends, renews it every
// ttl/3 meanwhile, and releases it when fn returns. A long-running job
// (a poller) passes a fn that runs until its context ends; fn's error is
// logged by the caller's fn itself. RunLeased returns when ctx ends.
func (db *DB) RunLeased(ctx context.Context, name, holder string, ttl time.Duration, fn func(context.Context)) {
	every := max(ttl/3, time.Millisecond)
	for ctx.Err() == nil {
		if ok, err := db.Lease(ctx, name, holder, ttl); err == nil && ok {
			db.holdWhile(ctx, name, holder, ttl, every, fn)
		}
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
}

// holdWhile runs fn under a held lease, renewing it, and releases it.
func (db *DB) holdWhile(ctx context.Context, name, holder string, ttl, every time.Duration, fn func(context.Context)) {
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(jctx)
	}()
	deadline := time.Now().Add(ttl)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			cancel()
			db.Release(context.WithoutCancel(ctx), name, holder)
			return
		case <-t.C:
			renewAt := time.Now()
			ok, err := db.Renew(jctx, name, holder, ttl)
			switch {
			case err == nil && ok:
				deadline = renewAt.Add(ttl)
			case err == nil:
				cancel() // another holder took it
			case time.Now().After(deadline.Add(-every)):
				cancel() // it cannot be renewed and is about to run out
			}
		}
	}
}
