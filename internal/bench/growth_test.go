package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A small run of every part: each order posted once, the ledger topped up
// to the size asked, balances and statements timed; --only rejects an
// unknown part.
func TestGrowthSmall(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	res, err := Growth(ctx, GrowthConfig{Dir: t.TempDir(), Agents: 120, Orders: 900, Postings: 3000, Months: 3, Page: 200, Calls: 20, Seed: 3}, &out)
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
	if _, err := Growth(ctx, GrowthConfig{Dir: t.TempDir(), Only: []string{"leaderboard"}}, &out); err == nil {
		t.Fatal("an unknown part ran")
	}
}
