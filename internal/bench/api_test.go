package bench

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/web"
)

// TestAPISmall runs the API benchmark on a small market: a closed-loop and
// an open-loop phase of checks and one of searches, every request answered
// 200 (load fails on any other status), on SQLite and on PostgreSQL.
func TestAPISmall(t *testing.T) { eachEngine(t, apiSmall) }

func apiSmall(t *testing.T, pg string) {
	res, err := API(context.Background(), APIConfig{Dir: t.TempDir(), Postgres: pg, Items: 2000, Snapshots: 5, Seed: 3, Clients: 4,
		Checks: 300, Searches: 60, CheckRates: []float64{0, 1000}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Phases) != 3 {
		t.Fatalf("%d phases, want 3", len(res.Phases))
	}
	for i, want := range []struct {
		name    string
		offered float64
		n       int
	}{{"check", 0, 300}, {"check", 1000, 300}, {"search", 0, 60}} {
		p := res.Phases[i]
		if p.Name != want.name || p.Offered != want.offered || p.Latency.N != want.n || p.Rate <= 0 || p.Latency.P99 <= 0 {
			t.Fatalf("phase %d: %+v", i, p)
		}
	}
	// 300 requests at 1,000 a second take about 0.3 s: the open loop keeps
	// to its schedule rather than going as fast as it can.
	if open := res.Phases[1]; open.Rate > 2000 || time.Duration(float64(open.Latency.N)/open.Rate*float64(time.Second)) < 150*time.Millisecond {
		t.Fatalf("open loop ran at %.0f/s", open.Rate)
	}
}

// TestProbeRefusesEmptyAnswers: the benchmark reads a check's answer as the
// API documents it and stops when it holds no card (an empty catalog), or
// when the answer is not 200.
func TestProbeRefusesEmptyAnswers(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	srv := httptest.NewServer(web.New(db, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	a := auth.New(db)
	u, err := a.CreateUser(ctx, auth.NewUser{Name: "bench", Role: auth.Selector, Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.IssueToken(ctx, u.ID, "bench")
	if err != nil {
		t.Fatal(err)
	}
	cfg := APIConfig{Items: 10, Snapshots: 2, Seed: 1, Checks: 1, Searches: 1}
	checks, searches := apiRequests(ctx, cfg, strings.TrimPrefix(srv.URL, "http://"), tok)
	if err := probe(checks, nil); err == nil || !strings.Contains(err.Error(), "found no card") {
		t.Fatalf("a check of an empty catalog: %v", err)
	}
	if err := probe(nil, searches); err == nil || !strings.Contains(err.Error(), "found nothing") {
		t.Fatalf("a search of an empty catalog: %v", err)
	}
	bad, _ := apiRequests(ctx, cfg, strings.TrimPrefix(srv.URL, "http://"), "qk_wrong")
	if err := probe(bad, nil); err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Fatalf("a check with a wrong token: %v", err)
	}
}
