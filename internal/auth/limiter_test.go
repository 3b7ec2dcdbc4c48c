package auth

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 6, 18, 20, 0, 0, 0, time.UTC)} }

func TestLimiterLockoutAndWindow(t *testing.T) {
	c := newClock()
	l := NewLoginLimiter()
	l.Now = c.now
	const ip, user = "ip:203.0.113.9", "user:alice"
	for i := range 5 {
		if !l.Allow(ip) {
			t.Fatalf("locked after %d failures", i)
		}
		l.Fail(ip)
		c.add(time.Minute)
	}
	// Failures at 0..4 min; now 5 min.
	if l.Allow(ip) {
		t.Fatal("allowed after 5 failures")
	}
	if got := l.RetryAfter(ip); got != 10*time.Minute {
		t.Fatalf("RetryAfter = %v, want 10m", got)
	}
	if !l.Allow(user) {
		t.Fatal("another key is locked")
	}
	c.add(10*time.Minute - time.Second)
	if l.Allow(ip) {
		t.Fatal("allowed before the window passed")
	}
	c.add(time.Second) // 15 min: the first failure left the window
	if !l.Allow(ip) {
		t.Fatal("still locked after the window")
	}
	l.Fail(ip) // four recent plus this one: locked again, backing off to 30 min
	if l.Allow(ip) {
		t.Fatal("one more failure should lock again")
	}
	if got := l.RetryAfter(ip); got != 30*time.Minute {
		t.Fatalf("second lock: RetryAfter = %v, want 30m (backoff)", got)
	}
	c.add(30 * time.Minute)
	if !l.Allow(ip) {
		t.Fatal("still locked after the second lock")
	}
	for range 5 {
		l.Fail(ip)
	}
	if got := l.RetryAfter(ip); got != time.Hour {
		t.Fatalf("third lock: RetryAfter = %v, want 1h", got)
	}
	c.add(time.Hour + 15*time.Minute) // a quiet window after the lock: forgotten
	if !l.Allow(ip) || l.RetryAfter(ip) != 0 {
		t.Fatal("locked long after")
	}
	l.mu.Lock()
	n := len(l.keys)
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d keys kept after they expired", n)
	}
}

func TestLimiterSucceedResets(t *testing.T) {
	c := newClock()
	l := NewLimiter(3, time.Minute)
	l.Now = c.now
	for range 2 {
		l.Fail("k")
	}
	l.Succeed("k")
	for range 2 {
		l.Fail("k")
	}
	if !l.Allow("k") {
		t.Fatal("Succeed did not reset")
	}
	l.Fail("k")
	if l.Allow("k") {
		t.Fatal("3 failures allowed")
	}
}

func TestLimiterFull(t *testing.T) {
	c := newClock()
	l := NewLimiter(2, time.Minute)
	l.Now, l.MaxKeys = c.now, 3
	for i := range 3 {
		l.Fail(fmt.Sprint("junk", i))
	}
	if l.Allow("victim") {
		t.Fatal("full table should refuse keys it does not track")
	}
	if !l.Allow("junk0") {
		t.Fatal("tracked key with one failure refused")
	}
	c.add(time.Minute)
	if !l.Allow("victim") {
		t.Fatal("still refused after the junk expired")
	}
}

func TestLimiterBackoffIsCapped(t *testing.T) {
	c := newClock()
	l := NewLoginLimiter()
	l.Now = c.now
	var last time.Duration
	for range 12 {
		for range 5 {
			l.Fail("k")
		}
		last = l.RetryAfter("k")
		c.add(last)
	}
	if last != l.MaxLock {
		t.Fatalf("lock after many rounds %v, want the cap %v", last, l.MaxLock)
	}
}

// Try reserves attempts: parallel ones cannot outrun the limit, a released
// one (the password could not be checked) is not counted, and a key locked
// refuses the whole set.
func TestLimiterTryReleaseFail(t *testing.T) {
	c := newClock()
	l := NewLimiter(3, time.Minute)
	l.Now = c.now
	for i := range 3 {
		if _, ok := l.Try("a", "b"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if wait, ok := l.Try("a"); ok || wait <= 0 {
		t.Fatal("a fourth attempt in flight was allowed")
	}
	l.Release("a", "b")
	l.Release("a", "b")
	l.Fail("a", "b")
	for range 2 {
		if _, ok := l.Try("a"); !ok {
			t.Fatal("released attempts still counted")
		}
		l.Fail("a")
	}
	if wait, ok := l.Try("a", "b"); ok || wait < 59*time.Second {
		t.Fatalf("three failures: Try = %v, %v; want locked", wait, ok)
	}
	if _, ok := l.Try("b"); !ok {
		t.Fatal("a refused set reserved b")
	}
	l.Succeed("b")
	if _, ok := l.Try("b", "b", "b"); !ok {
		t.Fatal("Succeed did not forget b")
	}
}
