package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A small run of the ledger's parts: each order posted once, the ledger
// topped up to the size asked, balances and statements timed; --only
// rejects an unknown part.
func TestGrowthSmall(t *testing.T) { eachEngine(t, growthSmall) }

func growthSmall(t *testing.T, pg string) {
	ctx := context.Background()
	var out bytes.Buffer
	res, err := Growth(ctx, GrowthConfig{Dir: t.TempDir(), Postgres: pg, Agents: 120, Orders: 900, Postings: 3000, Months: 3, Page: 200, Calls: 20, Seed: 3,
		Only: []string{"ledger", "balance", "statement"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Orders != 900 || res.Stats.Postings != 900 || res.Stats.Held != 900 || res.Lines < 2*900 {
		t.Fatalf("poster: %+v, %d lines", res.Stats, res.Lines)
	}
	if res.TotalPostings != 3000 || res.TopUpPostings != 2100 || res.Balance.N != 20 || res.Statement.N != 20 || res.StatementLines == 0 {
		t.Fatalf("result %+v", res)
	}
	for _, part := range []string{"ledger:", "balance at 3000 postings", "statement at 3000 postings"} {
		if !strings.Contains(out.String(), part) {
			t.Fatalf("no %q in\n%s", part, out.String())
		}
	}
	if _, err := Growth(ctx, GrowthConfig{Dir: t.TempDir(), Only: []string{"nope"}}, &out); err == nil {
		t.Fatal("an unknown part ran")
	}
}

// The join page's and the leaderboard's parts, folded into bench growth,
// at a tiny size: every visit answered and counted, the leaderboard timed.
func TestGrowthJoinAndLeaderboard(t *testing.T) { eachEngine(t, growthJoinAndLeaderboard) }

func growthJoinAndLeaderboard(t *testing.T, pg string) {
	var out bytes.Buffer
	res, err := Growth(context.Background(), GrowthConfig{Dir: t.TempDir(), Postgres: pg, Calls: 10, Only: []string{"join", "leaderboard"},
		Join:        JoinConfig{Rate: 100, Duration: 300 * time.Millisecond, Clients: 4, Groups: 2, Inviters: 10},
		Leaderboard: LeaderboardConfig{Participants: 300}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Join == nil || res.Join.Sent == 0 || res.Join.Failed != 0 || res.Join.Counted != int64(res.Join.Sent) {
		t.Fatalf("join: %+v", res.Join)
	}
	if res.Leaderboard == nil || res.Leaderboard.Rows != 300 || res.Leaderboard.Top.N != 10 {
		t.Fatalf("leaderboard: %+v", res.Leaderboard)
	}
	if res.Stats.Orders != 0 {
		t.Errorf("the ledger ran: %+v", res.Stats)
	}
	engine := engineName(pg)
	for _, want := range []string{"join page, " + engine, "every visit counted", "leaderboard, " + engine + ": 300 participants"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}
