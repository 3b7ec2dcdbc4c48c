package publish

import (
	"crypto/sha256"
	"encoding/hex"
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

// errNoRoom says a limit has no room for a post before wait.
type errNoRoom struct{ wait time.Duration }

func (e errNoRoom) Error() string { return "rate limit: no room for " + e.wait.String() }
