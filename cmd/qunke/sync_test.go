package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/orders/ordersync"
	"github.com/qunke/qunke/internal/orders/ordersync/topfake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// dsn is what --db takes to open db again.
func dsn(db *store.DB) string {
	if p := db.Path(); p != "" {
		return p
	}
	return db.Source // the test server needs no password
}

func fakeTOPEnv(t *testing.T) *topfake.Server {
	f := topfake.New()
	t.Cleanup(f.Close)
	t.Setenv("QUNKE_ALIMAMA_APP_KEY", topfake.Key)
	t.Setenv("QUNKE_ALIMAMA_APP_SECRET", topfake.Secret)
	t.Setenv("QUNKE_ALIMAMA_API", f.URL)
	return f
}

func countRows(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncOrdersCommand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := fakeTOPEnv(t)
		from := time.Now().Add(-10 * time.Hour).Truncate(time.Second)
		n := f.Seed(from, 9*time.Hour)
		out, errOut, err := runCLI(t, "sync", "orders", "--db", dsn(db), "--since", from.Format(time.RFC3339))
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		for _, v := range f.Violations() {
			t.Error("fake TOP:", v)
		}
		if !strings.Contains(out, fmt.Sprintf("%d 单：新增 %d", n, n)) || !strings.Contains(out, "4 个时间窗") {
			t.Errorf("output %q, want 4 windows and %d new orders", out, n)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM orders`); got != n {
			t.Errorf("%d orders stored, want %d", got, n)
		}
		if !strings.Contains(errOut, "100%") {
			t.Errorf("no progress shown: %q", errOut)
		}
		// Without --since it resumes from the cursor: nothing new.
		time.Sleep(time.Second) // the API's resolution: a window at least a second long
		out2, errOut2, err := runCLI(t, "sync", "orders", "--db", dsn(db), "--platform", "taobao")
		if err != nil || !strings.Contains(out2, "新增 0，") || !strings.Contains(out2, "1 个时间窗") {
			t.Errorf("resume: %q %v", out2, err)
		}
		if f.Calls != 4+1 { // pages of 100: one per window
			t.Errorf("%d calls, want 5", f.Calls)
		}
		for _, s := range []string{out, errOut, out2, errOut2} {
			if strings.Contains(s, topfake.Secret) {
				t.Errorf("the secret is printed: %q", s)
			}
		}
		// Another holder of the lease (a server syncing): refused, nothing fetched.
		if ok, err := db.Lease(context.Background(), ordersync.LeaseName("taobao"), "server", time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
		_, _, err = runCLI(t, "sync", "orders", "--db", dsn(db))
		if err == nil || !strings.Contains(err.Error(), "another server or command is syncing") || f.Calls != 5 {
			t.Errorf("under another's lease: %v, %d calls", err, f.Calls)
		}
	})
}

func TestSyncOrdersNeedsCredentials(t *testing.T) {
	t.Setenv("QUNKE_ALIMAMA_APP_KEY", "")
	t.Setenv("QUNKE_ALIMAMA_APP_SECRET", "")
	path := t.TempDir() + "/q.db"
	_, _, err := runCLI(t, "sync", "orders", "--db", path, "--platform", "taobao")
	if err == nil || !strings.Contains(err.Error(), "QUNKE_ALIMAMA_APP_KEY") {
		t.Errorf("no credentials: %v", err)
	}
	_, _, err = runCLI(t, "sync", "orders", "--db", path)
	if err == nil || !strings.Contains(err.Error(), "no affiliate platform has credentials") {
		t.Errorf("no credentials at all: %v", err)
	}
	_, _, err = runCLI(t, "sync", "orders", "--db", path, "--platform", "amazon")
	if err == nil || !strings.Contains(err.Error(), `--platform "amazon"`) {
		t.Errorf("unknown platform: %v", err)
	}
	_, _, err = runCLI(t, "sync", "orders", "--db", path, "--since", "yesterday")
	if err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("bad --since: %v", err)
	}
}

// lockedBuffer is a log destination for goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Two servers on one database start the order sync: one syncs at a time,
// so every window is fetched once, and each run logs a line without the
// secret.
func TestServeOrderSyncOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := fakeTOPEnv(t)
		n := f.Seed(time.Now().Add(-2*time.Hour), time.Hour)
		var logs lockedBuffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		sf := &platformFlags{alimamaAPI: f.URL}
		stop1 := startOrderSync(context.Background(), db, sf, 20*time.Millisecond, log)
		stop2 := startOrderSync(context.Background(), storetest.Reopen(t, db), sf, 20*time.Millisecond, log)
		time.Sleep(2500 * time.Millisecond) // windows are whole seconds: two syncs or more
		stop1()
		stop2()
		for _, v := range f.Violations() {
			t.Error("fake TOP:", v)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM orders`); got != n {
			t.Errorf("%d orders stored, want %d", got, n)
		}
		f.Mu.Lock()
		seen := map[time.Time]int{}
		for _, w := range f.Windows {
			seen[w.Start]++
		}
		f.Mu.Unlock()
		if len(seen) < 2 {
			t.Errorf("only %d syncs ran", len(seen))
		}
		for s, k := range seen {
			if k != 1 {
				t.Errorf("window at %v fetched %d times", s, k)
			}
		}
		l := logs.String()
		if !strings.Contains(l, "msg=\"order sync\" platform=taobao") || strings.Contains(l, topfake.Secret) {
			t.Errorf("logs:\n%s", l)
		}
	})
}
