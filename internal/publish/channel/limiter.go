package channel

import (
	"fmt"
	"sync"
	"time"
)

// Rate is N events per Per. The zero Rate (or N <= 0 or Per <= 0) means no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Unlimited reports whether r imposes no limit.
func (r Rate) Unlimited() bool { return r.N <= 0 || r.Per <= 0 }

func (r Rate) String() string {
	if r.Unlimited() {
		return "unlimited"
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// Limits are a platform's documented send rates, counted in platform messages (a poster plus its copy is
// two messages on WeCom, one or more on Telegram: see PartsLeft), not in posts.
type Limits struct {
	// PerTarget is the limit per chat / robot that the platform counts and enforces with 429 or 45009
	// (Telegram: 20 per minute per group; WeCom robot: 20 per minute per robot key).
	PerTarget Rate
	// PerTargetShort is an optional shorter-window limit per target (Telegram: about 1 per second per
	// chat, short bursts tolerated). Zero means none.
	PerTargetShort Rate
	// Global is the limit across all targets of one bot / account (Telegram: 30 per second per bot).
	// Zero means none.
	Global Rate
}

// Limiter is a per-key sliding-window rate limiter: for every key, no window of length Rate.Per ever holds
// more than Rate.N admitted events, and a saturated key is admitted exactly N events per window (a token
// bucket with a burst of N would allow up to 2N-1 in some window of length Per, which a platform counting
// "20 per minute" answers with 429).
//
// It remembers the last N admission times per key in a ring buffer, so memory is O(N) per key; Prune
// forgets idle keys. Time is passed in by the caller (the worker's clock), which keeps it deterministic in
// tests. A Limiter is safe for concurrent use.
//
// To honour several limits at once (per target and global), Check all of them, then TryTake all of them.
type Limiter struct {
	rate Rate
	mu   sync.Mutex
	keys map[string]*window
}

type window struct {
	ring    []time.Time // the last N admission times; ring[head] is the oldest; zero = never
	head    int
	newest  time.Time
	penalty time.Time // Penalize: nothing admitted before this
}

// NewLimiter returns a limiter admitting r.N events per r.Per per key; an unlimited r admits everything.
func NewLimiter(r Rate) *Limiter {
	return &Limiter{rate: r, keys: make(map[string]*window)}
}

// Rate returns the limiter's rate.
func (l *Limiter) Rate() Rate { return l.rate }

// TryTake admits n events for key at now if they fit, and records them. If not, it records nothing and
// returns the earliest time at which the same TryTake can succeed (assuming no other takes and no new
// penalty). n < 1 is admitted without recording.
//
// n > N can never fit "N per window"; such a take is admitted only when the key's window is empty and
// then fills it (the next take waits a full Per), which is the closest honest approximation for a post of
// more parts than a short window allows (e.g. 2 parts against "1 per second").
//
// A clock that goes backwards is treated as standing still at the newest time seen for the key.
func (l *Limiter) TryTake(key string, n int, now time.Time) (ok bool, retryAt time.Time) {
	return l.take(key, n, now, true)
}

// Check reports whether TryTake(key, n, now) would succeed, without recording anything.
func (l *Limiter) Check(key string, n int, now time.Time) (ok bool, retryAt time.Time) {
	return l.take(key, n, now, false)
}

func (l *Limiter) take(key string, n int, now time.Time, record bool) (bool, time.Time) {
	if n < 1 {
		return true, time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.keys[key]
	if l.rate.Unlimited() {
		if w != nil && now.Before(w.penalty) {
			return false, w.penalty
		}
		return true, time.Time{}
	}
	if w == nil {
		if !record {
			return true, time.Time{}
		}
		w = &window{ring: make([]time.Time, l.rate.N)}
		l.keys[key] = w
	}
	if now.Before(w.newest) {
		now = w.newest
	}
	if now.Before(w.penalty) {
		return false, w.penalty
	}
	m := min(n, l.rate.N)
	// The m-th oldest of the last N events must have left the window [now-Per, now]: then at most N-m
	// events remain within it and m more fit.
	t := w.ring[(w.head+m-1)%l.rate.N]
	if !t.IsZero() {
		if free := t.Add(l.rate.Per); now.Before(free) {
			return false, free
		}
	}
	if record {
		for range m {
			w.ring[w.head] = now
			w.head = (w.head + 1) % l.rate.N
		}
		w.newest = now
	}
	return true, time.Time{}
}

// Penalize blocks key until until, e.g. when the platform answered 429 with retry_after: TryTake fails
// with retryAt = until before then. A later penalty extends an earlier one; an earlier one is ignored.
func (l *Limiter) Penalize(key string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.keys[key]
	if w == nil {
		w = &window{}
		if !l.rate.Unlimited() {
			w.ring = make([]time.Time, l.rate.N)
		}
		l.keys[key] = w
	}
	if until.After(w.penalty) {
		w.penalty = until
	}
}

// Prune forgets keys with no event in the window ending at now and no penalty after now. Call it now and
// then (e.g. once a minute) when keys come and go.
func (l *Limiter) Prune(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, w := range l.keys {
		if now.Before(w.penalty) {
			continue
		}
		if !w.newest.IsZero() && now.Before(w.newest.Add(l.rate.Per)) {
			continue
		}
		delete(l.keys, k)
	}
}

// Len returns the number of keys the limiter currently remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
