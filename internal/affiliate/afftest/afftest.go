// Package afftest holds what the platforms' fakes share: a per-second call
// limit, sets of items marked for an error answer, and serving a fake for
// one test. Only fakes and tests import it.
package afftest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Limiter counts calls in one-second windows, as the platforms limit them.
// The zero value allows everything; set PerSecond before the first call.
type Limiter struct {
	PerSecond int // 0: no limit

	mu     sync.Mutex
	window time.Time
	n      int
}

// Over counts a call made at now and reports whether it is over the limit.
func (l *Limiter) Over(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.PerSecond <= 0 {
		return false
	}
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	l.n++
	return l.n > l.PerSecond
}

// Items is a set of item ids, safe for concurrent use.
type Items struct {
	mu sync.Mutex
	m  map[string]bool
}

// Add puts ids in the set.
func (s *Items) Add(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	for _, id := range ids {
		s.m[id] = true
	}
}

// Has reports whether id is in the set.
func (s *Items) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

// Serve serves h on a local port until the test ends and returns its URL.
func Serve(t interface{ Cleanup(func()) }, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
