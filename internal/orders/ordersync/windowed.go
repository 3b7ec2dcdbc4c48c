package ordersync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// windowed is what every platform's sync shares: its cursor in
// sync_cursors, the walk over the windows, and the page commit (a window's
// last page with its cursor, in one transaction).
type windowed struct {
	db       *store.DB
	orders   *orders.Store
	progress func(done, total int)
	// Now stamps sync_cursors.updated_at (tests).
	Now func() time.Time
}

func newWindowed(db *store.DB) windowed {
	return windowed{db: db, orders: orders.NewStore(db), Now: time.Now}
}

// SetProgress has fn told, after each complete window, how many of the
// sync's windows are done.
func (s *windowed) SetProgress(fn func(done, total int)) { s.progress = fn }

// walk syncs the windows ws in order with window. After each complete
// window the cursor name has advanced to its end, provided it stays
// contiguous (no cursor yet, or the cursor is within the window): a
// backfill of an older range never moves it back, and a sync that starts
// after the cursor never skips the gap. On an error walk returns it with
// the result so far; the failing window's cursor is not advanced.
func (s *windowed) walk(ctx context.Context, name string, ws []Window, window func(context.Context, Window, *Result) error) (Result, error) {
	var res Result
	var err error
	for _, w := range ws {
		if err = ctx.Err(); err != nil {
			break
		}
		if err = window(ctx, w, &res); err != nil {
			err = fmt.Errorf("ordersync: window %s – %s: %w",
				w.Start.In(shanghai.Zone).Format(TimeLayout), w.End.In(shanghai.Zone).Format(TimeLayout), err)
			break
		}
		res.Windows++
		if s.progress != nil {
			s.progress(res.Windows, len(ws))
		}
	}
	// Read the cursor even when ctx is done, so the result reports it.
	if c, ok, cerr := s.cursor(context.WithoutCancel(ctx), name); cerr == nil && ok {
		res.Cursor = c
	}
	return res, err
}

// resumeFrom is where a sync up to until starts: the cursor, or first
// before until when there is none.
func (s *windowed) resumeFrom(ctx context.Context, name string, until time.Time, first time.Duration) (time.Time, error) {
	from, ok, err := s.cursor(ctx, name)
	if err != nil || ok {
		return from, err
	}
	return until.Add(-first), nil
}

// cursor returns the stored cursor name and whether there is one.
func (s *windowed) cursor(ctx context.Context, name string) (time.Time, bool, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT value FROM sync_cursors WHERE name = $1`, name).Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, fmt.Errorf("ordersync: read cursor: %w", err)
	}
	return time.Unix(v, 0), true, nil
}

// advanceTx moves the cursor name to w.End, in tx, if that keeps it
// contiguous.
func (s *windowed) advanceTx(ctx context.Context, tx *sql.Tx, name string, w Window) error {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_cursors (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
		WHERE sync_cursors.value >= $4 AND sync_cursors.value < excluded.value`,
		name, w.End.Unix(), now().Unix(), w.Start.Unix())
	if err != nil {
		return fmt.Errorf("ordersync: store cursor: %w", err)
	}
	return nil
}

// put imports one page of window w. The window's last page and the cursor
// commit together, so the cursor never runs ahead of the stored orders;
// the other pages are imported at once (Import is an idempotent upsert, so
// a window fetched again changes nothing).
func (s *windowed) put(ctx context.Context, name string, w Window, list []orders.Order, last bool, res *Result) error {
	if !last {
		if len(list) == 0 {
			return nil
		}
		st, err := s.orders.Import(ctx, list)
		res.Stats.Add(st)
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if len(list) > 0 {
			st, err := s.orders.ImportTx(ctx, tx, list)
			if err != nil {
				return err
			}
			res.Stats.Add(st)
		}
		return s.advanceTx(ctx, tx, name, w)
	})
}
