package ordersync

import (
	"context"
	"errors"
	"github.com/qunke/qunke/internal/msg"
	"log/slog"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// Source is one platform's order sync: the TOP Syncer and the JD and PDD
// syncers all resume from their cursor or sync a given range.
type Source interface {
	Sync(ctx context.Context, from, to time.Time) (Result, error)
	Resume(ctx context.Context, until time.Time) (Result, error)
}

// LeaseName is the store lease a platform's sync runs under, so that of
// several servers (and commands) on one database one syncs at a time.
func LeaseName(platform string) string { return "orders.sync." + platform }

// LeaseTTL is how long a sync's lease lasts unless renewed: a server that
// dies mid-sync lets another take over this long after.
const LeaseTTL = time.Minute

// ErrBusy is returned by Exclusive when another server or command holds the
// platform's lease.
var ErrBusy = msg.New("ordersync.busy")

// Exclusive runs fn once under the platform's lease, renewed while fn runs
// and released after it. It returns ErrBusy, without running fn, when
// another holder has the lease.
func Exclusive(ctx context.Context, db *store.DB, platform, holder string, fn func(context.Context) error) error {
	return exclusive(ctx, db, platform, holder, LeaseTTL, fn)
}

func exclusive(ctx context.Context, db *store.DB, platform, holder string, ttl time.Duration, fn func(context.Context) error) error {
	name := LeaseName(platform)
	ok, err := db.Lease(ctx, name, holder, ttl)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := false
	err = nil
	db.RunLeased(jctx, name, holder, ttl, func(c context.Context) {
		if !ran {
			ran = true
			err = fn(c)
		}
		cancel()
	})
	if !ran {
		return ctx.Err()
	}
	return err
}

// Job syncs one platform's orders every Every, under the platform's lease.
type Job struct {
	Platform string
	Source   Source
	DB       *store.DB
	Holder   string // store.Holder() of this server
	Every    time.Duration
	// TTL is the lease's time to live; LeaseTTL when 0.
	TTL time.Duration
	Log *slog.Logger
	// Now is the clock syncs run up to (tests).
	Now func() time.Time
}

// Run syncs every Every until ctx ends, each run under the platform's
// lease: of several servers on one database (or a command) only one syncs
// at a time, each from the cursor the last run left, and a run whose lease
// another holds is skipped. The lease is held only while a run lasts, so
// qunke sync orders gets in between runs.
func (j *Job) Run(ctx context.Context) {
	ttl := j.TTL
	if ttl <= 0 {
		ttl = LeaseTTL
	}
	for {
		ran := false
		err := exclusive(ctx, j.DB, j.Platform, j.Holder, ttl, func(ctx context.Context) error {
			ran = true
			_, err := j.Once(ctx) // logs its own line
			return err
		})
		if !ran && err != nil && !errors.Is(err, ErrBusy) && ctx.Err() == nil {
			j.Log.Warn("order sync: cannot take the lease", "platform", j.Platform, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(j.Every):
		}
	}
}

// Once resumes the sync up to now and logs one line about it: counts,
// the cursor and the error, never a credential (the clients keep them out
// of their errors).
func (j *Job) Once(ctx context.Context) (Result, error) {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	start := time.Now()
	res, err := j.Source.Resume(ctx, now())
	args := []any{"platform", j.Platform, "windows", res.Windows, "pages", res.Pages, "orders", res.Orders,
		"new", res.Stats.New, "updated", res.Stats.Updated, "cursor", res.Cursor.UTC().Format(time.RFC3339),
		"took", time.Since(start).Round(time.Millisecond)}
	if err != nil {
		j.Log.Warn("order sync failed", append(args, "err", err)...)
	} else {
		j.Log.Info("order sync", args...)
	}
	return res, err
}
