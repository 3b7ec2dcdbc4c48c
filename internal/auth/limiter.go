package auth

import (
	"sync"
	"time"
)

// Limiter counts login failures per key (a client IP, a user name) in a
// sliding window. A key with Max failures inside the last Window is locked
// until the oldest of them leaves the window. It is safe for concurrent use
// and keeps everything in memory (a restart forgets it).
type Limiter struct {
	Max    int
	Window time.Duration
	// MaxKeys bounds memory. When that many keys have recent failures,
	// expired ones are swept; if the table is still full, keys it does not
	// hold are refused (fail closed) until failures age out, rather than let
	// a flood of junk keys switch the limit off for a real one.
	MaxKeys int
	Now     func() time.Time

	mu        sync.Mutex
	fail      map[string][]time.Time // recent failure times, oldest first, at most Max
	lastSweep time.Time
}

// NewLimiter allows max failures per window per key.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, MaxKeys: 100_000, Now: time.Now, fail: map[string][]time.Time{}}
}

// NewLoginLimiter is the login default: 5 failures per 15 minutes.
func NewLoginLimiter() *Limiter { return NewLimiter(5, 15*time.Minute) }

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// recent drops failures older than the window; l.mu is held.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fail[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fail, key)
		return nil
	}
	l.fail[key] = ts
	return ts
}

// full reports whether the table is at MaxKeys after sweeping expired keys
// (at most once a second); l.mu is held.
func (l *Limiter) full(now time.Time) bool {
	if l.MaxKeys <= 0 || len(l.fail) < l.MaxKeys {
		return false
	}
	if now.Sub(l.lastSweep) >= time.Second || now.Before(l.lastSweep) {
		l.lastSweep = now
		for k := range l.fail {
			l.recent(k, now)
		}
	}
	return len(l.fail) >= l.MaxKeys
}

// Allow reports whether key may try again.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.recent(key, now)
	if ts == nil && l.full(now) {
		return false
	}
	return len(ts) < l.Max
}

// RetryAfter is how long key stays locked (0 when it is allowed).
func (l *Limiter) RetryAfter(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.recent(key, now)
	if ts == nil && l.full(now) {
		return l.Window
	}
	if len(ts) < l.Max {
		return 0
	}
	return ts[len(ts)-l.Max].Add(l.Window).Sub(now)
}

// Fail records a failed attempt for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail == nil {
		l.fail = map[string][]time.Time{}
	}
	now := l.now()
	ts := l.recent(key, now)
	if ts == nil && l.full(now) {
		return
	}
	ts = append(ts, now)
	if len(ts) > l.Max {
		ts = ts[len(ts)-l.Max:]
	}
	l.fail[key] = ts
}

// Succeed forgets key's failures (after a successful login).
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fail, key)
}
