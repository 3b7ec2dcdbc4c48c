package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/store"
)

// TestServeReleasesLeasesOnShutdown: a server stopped cleanly (SIGTERM: its
// context ends) gives up the leases of its periodic jobs before it closes
// the database, so another server takes them over at once instead of after
// their time to live (up to 15 minutes).
func TestServeReleasesLeasesOnShutdown(t *testing.T) {
	t.Setenv("QUNKE_LANG", "zh")
	dbPath := filepath.Join(t.TempDir(), "q.db")
	if _, _, err := runCLI(t, "--db", dbPath, "migrate"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs([]string{"--db", dbPath, "serve", "--addr", "127.0.0.1:0", "--health-every", "1h",
		"--cohorts-every", "1h", "--join-warn-every", "1h", "--sync-every", "0", "--wecom-sync-every", "0"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	leases := []string{health.LeaseName, insight.CohortsLease, joincode.WarnLease}
	deadline := time.Now().Add(60 * time.Second)
	for held := 0; held < len(leases); {
		held = 0
		for _, name := range leases {
			if h, _, err := db.LeaseHolder(context.Background(), name); err == nil && h != "" {
				held++
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the jobs never took their leases (%d of %d); log:\n%s", held, len(leases), errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, name := range leases {
		if h, until, err := db.LeaseHolder(context.Background(), name); err != nil || h != "" {
			t.Errorf("lease %s still held by %q until %s after a clean stop (%v)", name, h, until, err)
		}
	}
}
