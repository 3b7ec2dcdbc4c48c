package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		take := func(holder string, ttl time.Duration) bool {
			t.Helper()
			ok, err := db.Lease(ctx, "job", holder, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !take("a", time.Hour) {
			t.Fatal("a free lease was not taken")
		}
		if take("b", time.Hour) {
			t.Fatal("b took a lease a holds")
		}
		if !take("a", time.Hour) {
			t.Fatal("a could not renew its own lease")
		}
		if ok, _ := db.Renew(ctx, "job", "b", time.Hour); ok {
			t.Fatal("b renewed a's lease")
		}
		if h, _, _ := db.LeaseHolder(ctx, "job"); h != "a" {
			t.Fatalf("holder %q", h)
		}
		if err := db.Release(ctx, "job", "b"); err != nil {
			t.Fatal(err)
		}
		if take("b", time.Hour) {
			t.Fatal("b's release freed a's lease")
		}
		db.Release(ctx, "job", "a")
		if !take("b", 50*time.Millisecond) {
			t.Fatal("b could not take a released lease")
		}
		if take("a", time.Hour) {
			t.Fatal("a took b's lease before it ran out")
		}
		time.Sleep(80 * time.Millisecond)
		if !take("a", time.Hour) {
			t.Fatal("a could not take b's lease after it ran out")
		}
		if ok, _ := db.Renew(ctx, "job", "b", time.Hour); ok {
			t.Fatal("b renewed a lease it lost")
		}
		// Another name is another lease.
		if ok, _ := db.Lease(ctx, "other", "b", time.Hour); !ok {
			t.Fatal("b could not take another lease")
		}
	})
}

// TestLeaseOneHolderAtATime: of four contenders running RunLeased on the
// pool's connections, one at a time runs the job, and the others take
// over when it is released.
func TestLeaseOneHolderAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var running, maxRunning, runs atomic.Int32
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db.RunLeased(ctx, "sync", store.Holder(), 600*time.Millisecond, func(jctx context.Context) {
					n := running.Add(1)
					defer running.Add(-1)
					for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
					}
					runs.Add(1)
					select { // a job of 100 ms
					case <-jctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				})
			}()
		}
		wg.Wait()
		if maxRunning.Load() != 1 {
			t.Fatalf("%d holders ran the job at once", maxRunning.Load())
		}
		if runs.Load() < 3 {
			t.Fatalf("the job ran %d times in 3 s", runs.Load())
		}
	})
}

// TestRunEvery: a round runs only while no other holder has the lease, and
// gives the lease back when it ends.
func TestRunEvery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if ok, err := db.Lease(ctx, "job", "other", time.Hour); err != nil || !ok {
			t.Fatal(ok, err)
		}
		runs := 0
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		db.RunEvery(c, "job", "me", 10*time.Millisecond, time.Minute, nil, func(context.Context) { runs++ })
		cancel()
		if runs != 0 {
			t.Fatalf("ran %d times while another server held the lease", runs)
		}
		if err := db.Release(ctx, "job", "other"); err != nil {
			t.Fatal(err)
		}
		c, cancel = context.WithCancel(ctx)
		db.RunEvery(c, "job", "me", time.Millisecond, time.Minute, nil, func(context.Context) {
			if runs++; runs == 3 {
				cancel()
			}
		})
		if runs != 3 {
			t.Fatalf("ran %d times, want 3", runs)
		}
		if h, _, err := db.LeaseHolder(ctx, "job"); err != nil || h != "" {
			t.Fatalf("lease still held by %q after the rounds (%v)", h, err)
		}
	})
}
