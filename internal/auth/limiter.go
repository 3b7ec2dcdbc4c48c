package auth

import (
	"sync"
	"time"
)

// Limiter counts login failures per key (a user at an address, a client
// address, a device) in a sliding window. A key with Max failures inside the
// last Window is locked until the oldest of them leaves the window; each
// lock that follows before the key has been quiet for a whole window lasts
// twice the one before (Window, 2×, 4×, ... up to MaxLock): backoff. It is
// safe for concurrent use and keeps everything in memory (a restart forgets
// it).
//
// Try reserves an attempt before the (slow) password check, so parallel
// requests cannot outrun the limit; the attempt then ends as a Fail (a wrong
// password), a Succeed (which forgets the key) or a Release (the check could
// not be made, say the database was busy: nothing is counted).
type Limiter struct {
	Max    int
	Window time.Duration
	// MaxLock caps the backoff (0: no backoff, each lock lasts until the
	// window slides).
	MaxLock time.Duration
	// MaxKeys bounds memory. When that many keys are tracked, expired ones
	// are swept; if the table is still full, keys it does not hold are
	// refused (fail closed) until failures age out, rather than let a flood
	// of junk keys switch the limit off for a real one.
	MaxKeys int
	Now     func() time.Time

	mu        sync.Mutex
	keys      map[string]*limitKey
	lastSweep time.Time
}

type limitKey struct {
	fail     []time.Time // recent failure times, oldest first, at most Max
	pending  int         // attempts reserved by Try and not yet ended
	locks    int         // locks so far (the backoff's exponent)
	until    time.Time   // locked until
	lastLock time.Duration
}

// NewLimiter allows max failures per window per key, without backoff.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, MaxKeys: 100_000, Now: time.Now, keys: map[string]*limitKey{}}
}

// NewLoginLimiter is the default for a user at one address and for a
// known device: 5 failures per 15 minutes, then locks of 15 min, 30 min,
// 1 h, ... up to a day.
func NewLoginLimiter() *Limiter {
	l := NewLimiter(5, 15*time.Minute)
	l.MaxLock = 24 * time.Hour
	return l
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// get returns key's entry with failures older than the window dropped, nil
// (and forgets it) once it has nothing left to remember; l.mu is held.
func (l *Limiter) get(key string, now time.Time) *limitKey {
	k := l.keys[key]
	if k == nil {
		return nil
	}
	i := 0
	for i < len(k.fail) && now.Sub(k.fail[i]) >= l.Window {
		i++
	}
	k.fail = k.fail[i:]
	// The backoff is remembered for a window after the last lock ended.
	if len(k.fail) == 0 && k.pending == 0 && !now.Before(k.until.Add(l.Window)) {
		delete(l.keys, key)
		return nil
	}
	return k
}

// full reports whether the table is at MaxKeys after sweeping expired keys
// (at most once a second); l.mu is held.
func (l *Limiter) full(now time.Time) bool {
	if l.MaxKeys <= 0 || len(l.keys) < l.MaxKeys {
		return false
	}
	if now.Sub(l.lastSweep) >= time.Second || now.Before(l.lastSweep) {
		l.lastSweep = now
		for k := range l.keys {
			l.get(k, now)
		}
	}
	return len(l.keys) >= l.MaxKeys
}

// wait is how long key must wait before another attempt (0: it may try
// now); l.mu is held.
func (l *Limiter) wait(key string, now time.Time) time.Duration {
	k := l.get(key, now)
	switch {
	case k == nil && l.full(now):
		return l.Window
	case k == nil:
		return 0
	case now.Before(k.until):
		return k.until.Sub(now)
	case len(k.fail)+k.pending >= l.Max:
		return time.Second // attempts in flight: one of them may free a place
	}
	return 0
}

// Allow reports whether key may try again.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(key, l.now()) == 0
}

// RetryAfter is how long key stays locked (0 when it is allowed).
func (l *Limiter) RetryAfter(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(key, l.now())
}

// Try reserves an attempt on every key at once, or on none: ok is false,
// with the longest wait, when any of them is locked.
func (l *Limiter) Try(keys ...string) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, key := range keys {
		wait = max(wait, l.wait(key, now))
	}
	if wait > 0 {
		return wait, false
	}
	for _, key := range keys {
		k := l.entry(key)
		k.pending++
	}
	return 0, true
}

// entry returns key's entry, making it; l.mu is held.
func (l *Limiter) entry(key string) *limitKey {
	if l.keys == nil {
		l.keys = map[string]*limitKey{}
	}
	k := l.keys[key]
	if k == nil {
		k = &limitKey{}
		l.keys[key] = k
	}
	return k
}

// Fail records a failed attempt for each key, ending a reservation by Try.
func (l *Limiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, key := range keys {
		k := l.get(key, now)
		if k == nil {
			if l.full(now) {
				continue
			}
			k = l.entry(key)
		}
		k.pending = max(0, k.pending-1)
		k.fail = append(k.fail, now)
		if len(k.fail) > l.Max {
			k.fail = k.fail[len(k.fail)-l.Max:]
		}
		if len(k.fail) == l.Max && !now.Before(k.until) {
			l.lock(k, now)
		}
	}
}

// lock locks k after its Max-th failure in the window: the first lock lasts
// until the oldest failure leaves the window, later ones back off; l.mu is
// held.
func (l *Limiter) lock(k *limitKey, now time.Time) {
	k.locks++
	k.until = k.fail[0].Add(l.Window)
	if l.MaxLock > 0 && k.locks > 1 {
		d := min(2*max(k.lastLock, l.Window), l.MaxLock)
		k.until, k.lastLock = now.Add(d), d
	} else {
		k.lastLock = k.until.Sub(now)
	}
}

// Succeed forgets each key (after a successful login).
func (l *Limiter) Succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range keys {
		delete(l.keys, key)
	}
}

// Release ends a reservation by Try without counting it: the password could
// not be checked (the database was busy, say).
func (l *Limiter) Release(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, key := range keys {
		if k := l.get(key, now); k != nil {
			k.pending = max(0, k.pending-1)
			l.get(key, now)
		}
	}
}
