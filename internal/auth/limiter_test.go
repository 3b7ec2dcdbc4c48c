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
	l.Fail(ip) // four recent plus this one: locked again until 16 min
	if l.Allow(ip) {
		t.Fatal("one more failure should lock again")
	}
	c.add(time.Minute)
	if !l.Allow(ip) {
		t.Fatal("still locked after the second-oldest failure left")
	}
	c.add(time.Hour)
	if !l.Allow(ip) || l.RetryAfter(ip) != 0 {
		t.Fatal("locked long after")
	}
	l.mu.Lock()
	n := len(l.fail)
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
