package bench

import (
	"context"
	"testing"
	"time"
)

// TestAPISmall runs the API benchmark on a small market: a closed-loop and
// an open-loop phase of checks and one of searches, every request answered
// 200 (load fails on any other status).
func TestAPISmall(t *testing.T) {
	res, err := API(context.Background(), APIConfig{Dir: t.TempDir(), Items: 2000, Snapshots: 5, Seed: 3, Clients: 4,
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
