package publish

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
)

// The platforms' rate limits are kept in the database (send_windows), so
// that every worker on it, in this process or on another server, counts
// against the same windows: N servers send no faster than one.
//
// A limiter key is a target (a chat, a robot) of a channel, holding its
// per-target limits (Telegram: 20 a minute and 1 a second, counted on the
// same events), or a channel's bot, holding its global limit. Its row keeps
// the last admission times (the most the largest N needs) and a penalty
// (a platform's retry_after). A claim locks the rows it reserves in by a
// first update (version + 1), checks and records in them and writes them
// back before its transaction commits: reservations never interleave.

// limitKey is one limiter key and the rates counted on it.
type limitKey struct {
	key   string
	rates []channel.Rate
}

// keep is how many admission times the key's rates need.
func (k limitKey) keep() int {
	n := 0
	for _, r := range k.rates {
		n = max(n, r.N)
	}
	return n
}

// limitKeys are the keys a post to target on ch counts against: the
// target's (always, for its penalty) and the bot's when it has a limit.
func limitKeys(l channel.Limits, ch, target string) []limitKey {
	sum := sha256.Sum256([]byte(target)) // robot keys and webhook URLs are secrets
	t := limitKey{key: "t:" + ch + ":" + hex.EncodeToString(sum[:12])}
	for _, r := range []channel.Rate{l.PerTarget, l.PerTargetShort} {
		if !r.Unlimited() {
			t.rates = append(t.rates, margin(r))
		}
	}
	keys := []limitKey{t}
	if !l.Global.Unlimited() {
		keys = append(keys, limitKey{key: "g:" + ch, rates: []channel.Rate{margin(l.Global)}})
	}
	return keys
}

// allow checks n messages against every key's window at now, without
// recording; wait says how long until they fit.
func allow(wins map[string]*channel.Window, keys []limitKey, n int, now time.Time) (time.Duration, bool) {
	for _, k := range keys {
		win := wins[k.key]
		if win == nil {
			continue
		}
		rates := k.rates
		if len(rates) == 0 {
			rates = []channel.Rate{{}} // no limit: the penalty alone
		}
		for _, r := range rates {
			if ok, at := win.Allow(r, n, now); !ok {
				return max(at.Sub(now), time.Millisecond), false
			}
		}
	}
	return 0, true
}

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

// errNoRoom says a limit has no room for a post before wait.
type errNoRoom struct{ wait time.Duration }

func (e errNoRoom) Error() string { return "rate limit: no room for " + e.wait.String() }

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
