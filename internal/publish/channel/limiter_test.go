package channel

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// maxInWindow returns the most events found in any half-open window [t, t+per).
func maxInWindow(events []time.Time, per time.Duration) int {
	best := 0
	j := 0
	for i := range events {
		for events[i].Sub(events[j]) >= per {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func TestLimiterNeverExceedsN(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate Rate
		step time.Duration // max random step of the fake clock
		maxN int           // max events per take
	}{
		{"20 per minute, second steps", Rate{N: 20, Per: time.Minute}, 3 * time.Second, 1},
		{"20 per minute, multi-part takes", Rate{N: 20, Per: time.Minute}, 2 * time.Second, 3},
		{"30 per second, millisecond steps", Rate{N: 30, Per: time.Second}, 40 * time.Millisecond, 2},
		{"1 per second", Rate{N: 1, Per: time.Second}, 300 * time.Millisecond, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			l := NewLimiter(tc.rate)
			now := t0
			var events []time.Time
			for range 5000 {
				now = now.Add(time.Duration(rng.Int64N(int64(tc.step))))
				n := 1 + rng.IntN(tc.maxN)
				ok, retryAt := l.TryTake("chat", n, now)
				if ok {
					for range n {
						events = append(events, now)
					}
				} else if !retryAt.After(now) {
					t.Fatalf("refused at %v with retryAt %v not in the future", now, retryAt)
				}
			}
			if got := maxInWindow(events, tc.rate.Per); got > tc.rate.N {
				t.Fatalf("%d events in one window of %s, limit %d", got, tc.rate.Per, tc.rate.N)
			}
			if len(events) == 0 {
				t.Fatal("nothing admitted")
			}
		})
	}
}

func TestLimiterSaturatedAdmitsExactlyN(t *testing.T) {
	r := Rate{N: 20, Per: time.Minute}
	l := NewLimiter(r)
	perWindow := map[int]int{}
	for ms := 0; ms < 10*60*1000; ms += 100 { // try every 100 ms for 10 minutes
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		if ok, _ := l.TryTake("g", 1, now); ok {
			perWindow[ms/60000]++
		}
	}
	for w := range 10 {
		if perWindow[w] != 20 {
			t.Errorf("minute %d: %d admitted, want exactly 20", w, perWindow[w])
		}
	}
}

func TestLimiterRetryAtIsExact(t *testing.T) {
	l := NewLimiter(Rate{N: 3, Per: time.Minute})
	for i := range 3 {
		if ok, _ := l.TryTake("k", 1, t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("take %d refused", i)
		}
	}
	ok, retryAt := l.TryTake("k", 1, t0.Add(10*time.Second))
	if ok || !retryAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("got %v %v, want refused until t0+1m", ok, retryAt)
	}
	// Two at once must wait for the second-oldest to leave.
	if ok, retryAt := l.Check("k", 2, t0.Add(time.Minute)); ok || !retryAt.Equal(t0.Add(time.Minute+time.Second)) {
		t.Fatalf("check 2: got %v %v, want refused until t0+1m1s", ok, retryAt)
	}
	if ok, _ := l.TryTake("k", 1, retryAt); !ok {
		t.Fatal("refused at retryAt")
	}
	// Keys are independent.
	if ok, _ := l.TryTake("other", 3, t0.Add(10*time.Second)); !ok {
		t.Fatal("other key refused")
	}
}

func TestLimiterTakeLargerThanN(t *testing.T) {
	l := NewLimiter(Rate{N: 1, Per: time.Second})
	if ok, _ := l.TryTake("k", 2, t0); !ok {
		t.Fatal("2 into an empty 1/s window refused")
	}
	if ok, at := l.TryTake("k", 1, t0.Add(500*time.Millisecond)); ok || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("got %v %v", ok, at)
	}
	if ok, _ := l.TryTake("k", 2, t0.Add(time.Second)); !ok {
		t.Fatal("refused after a full window")
	}
}

func TestLimiterPenalize(t *testing.T) {
	l := NewLimiter(Rate{N: 20, Per: time.Minute})
	l.Penalize("k", t0.Add(5*time.Second))
	l.Penalize("k", t0.Add(2*time.Second)) // earlier: ignored
	if ok, at := l.TryTake("k", 1, t0); ok || !at.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("got %v %v, want refused until t0+5s", ok, at)
	}
	if ok, _ := l.TryTake("k", 1, t0.Add(5*time.Second)); !ok {
		t.Fatal("refused after the penalty")
	}
	u := NewLimiter(Rate{})
	u.Penalize("k", t0.Add(time.Second))
	if ok, _ := u.TryTake("k", 1, t0); ok {
		t.Fatal("unlimited limiter ignored a penalty")
	}
	if ok, _ := u.TryTake("k", 1000, t0.Add(time.Second)); !ok {
		t.Fatal("unlimited limiter refused")
	}
}

func TestLimiterClockBackwards(t *testing.T) {
	l := NewLimiter(Rate{N: 2, Per: time.Minute})
	l.TryTake("k", 2, t0.Add(time.Minute))
	// The clock jumps back an hour: still counts as t0+1m, so refused.
	if ok, _ := l.TryTake("k", 1, t0.Add(-time.Hour)); ok {
		t.Fatal("admitted after the clock went backwards")
	}
}

func TestLimiterPrune(t *testing.T) {
	l := NewLimiter(Rate{N: 2, Per: time.Minute})
	l.TryTake("a", 1, t0)
	l.TryTake("b", 1, t0.Add(50*time.Second))
	l.Penalize("c", t0.Add(2*time.Minute))
	l.Prune(t0.Add(time.Minute))
	if l.Len() != 2 {
		t.Fatalf("%d keys left, want 2 (b still in its window, c penalized)", l.Len())
	}
	l.Prune(t0.Add(3 * time.Minute))
	if l.Len() != 0 {
		t.Fatalf("%d keys left, want 0", l.Len())
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := NewLimiter(Rate{N: 20, Per: time.Minute})
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				if ok, _ := l.TryTake("k", 1, t0.Add(time.Duration(i%5)*time.Millisecond)); ok {
					admitted.Add(1)
				}
				l.Check("k", 1, t0)
				l.TryTake("g"+string(rune('0'+g)), 1, t0)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 20 {
		t.Fatalf("%d admitted, want exactly 20", admitted.Load())
	}
}
