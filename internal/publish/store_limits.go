package publish

// The send_windows table: the platforms' rate windows shared by every
// worker (see limits.go).

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
)

// windows reads every limiter window (the table has a row per target and
// bot: small).
func (s *Store) windows(ctx context.Context) (map[string]*channel.Window, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT lkey, times, penalty_until FROM send_windows`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*channel.Window{}
	for rows.Next() {
		var key, times string
		var penalty int64
		if err := rows.Scan(&key, &times, &penalty); err != nil {
			return nil, err
		}
		out[key] = parseWindow(times, penalty)
	}
	return out, rows.Err()
}

// reserve records n messages at now in every key's window, in tx, or
// returns errNoRoom (and records nothing) when one has no room.
func reserve(ctx context.Context, tx *sql.Tx, keys []limitKey, n int, now time.Time) error {
	type locked struct {
		k   limitKey
		win *channel.Window
	}
	var ls []locked
	for _, k := range keys {
		var times string
		var penalty int64
		var err error
		if len(k.rates) == 0 { // nothing to record: only its penalty counts
			err = tx.QueryRowContext(ctx, `SELECT times, penalty_until FROM send_windows WHERE lkey = $1`, k.key).Scan(&times, &penalty)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
		} else {
			times, penalty, err = lockWindow(ctx, tx, k.key)
		}
		if err != nil {
			return err
		}
		win := parseWindow(times, penalty)
		if wait, ok := allow(map[string]*channel.Window{k.key: win}, []limitKey{k}, n, now); !ok {
			return errNoRoom{wait}
		}
		ls = append(ls, locked{k, win})
	}
	for _, l := range ls {
		if len(l.k.rates) == 0 {
			continue
		}
		l.win.Record(n, now, l.k.keep())
		if _, err := tx.ExecContext(ctx, `UPDATE send_windows SET times = $1 WHERE lkey = $2`, formatTimes(l.win.Times), l.k.key); err != nil {
			return err
		}
	}
	return nil
}

// lockWindow reads key's window, locked until tx ends by a first update
// (version + 1); a key seen for the first time gets its row.
func lockWindow(ctx context.Context, tx *sql.Tx, key string) (string, int64, error) {
	var times string
	var penalty int64
	lock := func() error {
		return tx.QueryRowContext(ctx, `UPDATE send_windows SET version = version + 1 WHERE lkey = $1 RETURNING times, penalty_until`,
			key).Scan(&times, &penalty)
	}
	err := lock()
	if errors.Is(err, sql.ErrNoRows) {
		if _, err = tx.ExecContext(ctx, `INSERT INTO send_windows (lkey) VALUES ($1) ON CONFLICT DO NOTHING`, key); err == nil {
			err = lock()
		}
	}
	return times, penalty, err
}

// penalize blocks key until until (a platform's retry_after), for every
// worker.
func penalize(ctx context.Context, tx *sql.Tx, key string, until time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO send_windows (lkey, penalty_until) VALUES ($1, $2)
		ON CONFLICT (lkey) DO UPDATE SET version = send_windows.version + 1, penalty_until =
			CASE WHEN send_windows.penalty_until < excluded.penalty_until THEN excluded.penalty_until ELSE send_windows.penalty_until END`,
		key, until.UnixMilli())
	return err
}

// Times are kept as unix milliseconds rounded up (a window never frees
// early), comma-separated.
func formatTimes(ts []time.Time) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt((t.UnixNano()+999_999)/1_000_000, 10))
	}
	return b.String()
}

func parseWindow(times string, penalty int64) *channel.Window {
	w := &channel.Window{}
	if penalty > 0 {
		w.Penalty = time.UnixMilli(penalty)
	}
	for f := range strings.SplitSeq(times, ",") {
		if ms, err := strconv.ParseInt(f, 10, 64); err == nil {
			w.Times = append(w.Times, time.UnixMilli(ms))
		}
	}
	return w
}
