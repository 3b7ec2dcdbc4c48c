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
// It remembers the last N admission times per key (a Window), so memory is O(N) per key; Prune forgets
// idle keys. Time is passed in by the caller (the worker's clock), which keeps it deterministic in tests.
// A Limiter is safe for concurrent use.
//
// To honour several limits at once (per target and global), Check all of them, then TryTake all of them.
type Limiter struct {
	rate Rate
	mu   sync.Mutex
	keys map[string]*Window
}

// Window is one key's state under sliding-window limits: its last admission times and a penalty. A
// Limiter keeps one per key in memory; the posting worker keeps them in its database, so that several
// servers count against the same windows. One Window can serve several rates counting the same events
// (a per-minute and a per-second limit of one chat): keep the times for the largest N.
type Window struct {
	Times   []time.Time // the last admission times, oldest first
	Penalty time.Time   // Penalize: nothing admitted before this
}

// Allow reports whether n more events fit rate r at now, or else the earliest time at which they will
// (assuming no other events and no new penalty). See Limiter.TryTake for n > r.N and clocks that go
// backwards.
func (w *Window) Allow(r Rate, n int, now time.Time) (bool, time.Time) {
	if n < 1 {
		return true, time.Time{}
	}
	if k := len(w.Times); k > 0 && now.Before(w.Times[k-1]) {
		now = w.Times[k-1]
	}
	if now.Before(w.Penalty) {
		return false, w.Penalty
	}
	if r.Unlimited() {
		return true, time.Time{}
	}
	// The m-th oldest of the last N events must have left the window [now-Per, now]: then at most N-m
	// events remain within it and m more fit. Fewer than N events recorded: the missing ones count as
	// long gone.
	m := min(n, r.N)
	if i := len(w.Times) - r.N + m - 1; i >= 0 {
		if free := w.Times[i].Add(r.Per); now.Before(free) {
			return false, free
		}
	}
	return true, time.Time{}
}

// Record adds n events at now (at the newest time recorded, if now is before it), keeping the last keep.
func (w *Window) Record(n int, now time.Time, keep int) {
	if k := len(w.Times); k > 0 && now.Before(w.Times[k-1]) {
		now = w.Times[k-1]
	}
	for range min(n, keep) {
		w.Times = append(w.Times, now)
	}
	if extra := len(w.Times) - keep; extra > 0 {
		w.Times = append(w.Times[:0], w.Times[extra:]...)
	}
}

// Penalize blocks the window until until; a later penalty extends an earlier one, an earlier one is
// ignored.
func (w *Window) Penalize(until time.Time) {
	if until.After(w.Penalty) {
		w.Penalty = until
	}
}

// NewLimiter returns a limiter admitting r.N events per r.Per per key; an unlimited r admits everything.
func NewLimiter(r Rate) *Limiter {
	return &Limiter{rate: r, keys: make(map[string]*Window)}
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
	if w == nil {
		w = &Window{}
	}
	if ok, at := w.Allow(l.rate, n, now); !ok {
		return false, at
	}
	if record && !l.rate.Unlimited() {
		w.Record(n, now, l.rate.N)
		l.keys[key] = w
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
		w = &Window{}
		l.keys[key] = w
	}
	w.Penalize(until)
}

// Prune forgets keys with no event in the window ending at now and no penalty after now. Call it now and
// then (e.g. once a minute) when keys come and go.
func (l *Limiter) Prune(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, w := range l.keys {
		if now.Before(w.Penalty) {
			continue
		}
		if n := len(w.Times); n > 0 && now.Before(w.Times[n-1].Add(l.rate.Per)) {
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
