package ordersync

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/orders/ordersync/topfake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The crash test runs a sync job in a child process (this test binary,
// re-executed) and kills it with SIGKILL in the middle of a window.
const (
	envCrashDB    = "QUNKE_SYNC_CRASH_DB" // the database's DSN
	envCrashTOP   = "QUNKE_SYNC_CRASH_TOP"
	envCrashUntil = "QUNKE_SYNC_CRASH_UNTIL" // unix seconds
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(envCrashDB); dsn != "" {
		os.Exit(crashChild(dsn))
	}
	os.Exit(m.Run())
}

func crashChild(dsn string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	until, _ := strconv.ParseInt(os.Getenv(envCrashUntil), 10, 64)
	f := &topfake.Server{URL: os.Getenv(envCrashTOP)}
	j := syncJob(db, f, "child", time.Unix(until, 0), slog.New(slog.NewTextHandler(os.Stderr, nil)))
	j.Run(ctx) // until killed
	return 0
}

// syncJob is a job syncing the fake TOP's orders up to until, with pages
// of 10 orders, a 1 s lease and a run every 20 ms.
func syncJob(db *store.DB, f *topfake.Server, holder string, until time.Time, log *slog.Logger) *Job {
	s := New(f.Client(), db)
	s.PageSize = 10
	return &Job{Platform: "taobao", Source: s, DB: db, Holder: holder, Every: 20 * time.Millisecond, TTL: time.Second,
		Log: log, Now: func() time.Time { return until }}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// seeded starts a fake TOP with n orders over 10 hours and the cursor at
// their start, to be synced until their end.
func seeded(t *testing.T, db *store.DB) (f *topfake.Server, n int, until time.Time) {
	f = topfake.New()
	t.Cleanup(f.Close)
	n = f.Seed(base, 10*time.Hour)
	startAt(t, db, f, base)
	return f, n, base.Add(10 * time.Hour)
}

// startAt stores the cursor at t (a sync of an empty hour before it).
func startAt(t *testing.T, db *store.DB, f *topfake.Server, at time.Time) {
	t.Helper()
	if _, err := New(f.Client(), db).Sync(context.Background(), at.Add(-time.Hour), at); err != nil {
		t.Fatal(err)
	}
}

func cursor(t *testing.T, db *store.DB) time.Time {
	t.Helper()
	c, ok, err := New(nil, db).Cursor(context.Background())
	if err != nil || !ok {
		t.Fatalf("cursor: %v %v", ok, err)
	}
	return c
}

// waitCursor waits until the cursor reaches at.
func waitCursor(t *testing.T, db *store.DB, at time.Time) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cursor(t, db).Equal(at); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("cursor %v, want %v", cursor(t, db), at)
		}
	}
}

// checkStored asserts that n orders are stored, each counted once.
func checkStored(t *testing.T, db *store.DB, n int) {
	t.Helper()
	if got := countOrders(t, db); got != n {
		t.Errorf("%d orders stored, want %d", got, n)
	}
	var counted int
	if err := db.QueryRow(`SELECT COALESCE(SUM(orders), 0) FROM order_days`).Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if counted != n {
		t.Errorf("the daily rollup counts %d orders, want %d", counted, n)
	}
}

// checkOnce asserts that every order is stored and counted once, and that
// the fake served each order and each window once.
func checkOnce(t *testing.T, db *store.DB, f *topfake.Server, n int, windows int) {
	t.Helper()
	checkFake(t, f)
	checkStored(t, db, n)
	f.Mu.Lock()
	defer f.Mu.Unlock()
	seen := map[time.Time]int{}
	for _, w := range f.Windows {
		seen[w.Start]++
	}
	if len(seen) != windows {
		t.Errorf("%d distinct windows asked for, want %d: %v", len(seen), windows, f.Windows)
	}
	for s, k := range seen {
		if k != 1 {
			t.Errorf("window at %v asked for %d times", s, k)
		}
	}
}

// Two servers on one database each run the job: the lease lets one of them
// sync each window, once.
func TestJobTwoServersSyncOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, n, until := seeded(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{}, 2)
		for i, d := range []*store.DB{db, storetest.Reopen(t, db)} {
			j := syncJob(d, f, fmt.Sprint("server", i), until, quiet)
			go func() { j.Run(ctx); done <- struct{}{} }()
		}
		waitCursor(t, db, until)
		time.Sleep(200 * time.Millisecond) // time for a second sync, if the lease let one run
		cancel()
		<-done
		<-done
		checkOnce(t, db, f, n, 1+4)
	})
}

// A sync killed (SIGKILL) in the middle of a window loses and duplicates
// nothing: the cursor stays at the last complete window, and the next
// server takes the lease once it runs out and syncs the rest.
func TestJobKilledMidWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, n, until := seeded(t, db)
		f.Mu.Lock()
		f.StallStart, f.StallPage = base.Add(3*time.Hour), 2
		f.Mu.Unlock()
		dsn := db.Path()
		if dsn == "" {
			dsn = db.Source // the test server needs no password
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashDB+"="+dsn, envCrashTOP+"="+f.URL,
			envCrashUntil+"="+strconv.FormatInt(until.Unix(), 10))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-f.Stalled:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("the child never reached the second page of the second window")
		}
		cmd.Process.Kill() // SIGKILL: no deferred function, no cleanup
		cmd.Wait()
		// The first window (3 h, 26 orders) is complete, the second's first
		// page stored, its cursor not advanced.
		if c := cursor(t, db); !c.Equal(base.Add(3 * time.Hour)) {
			t.Errorf("cursor after the kill %v, want %v", c, base.Add(3*time.Hour))
		}
		if got := countOrders(t, db); got != 26+10 {
			t.Errorf("%d orders after the kill, want 36", got)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		j := syncJob(db, f, "parent", until, quiet)
		go j.Run(ctx)
		waitCursor(t, db, until)
		cancel()
		checkFake(t, f)
		checkStored(t, db, n)
	})
}
