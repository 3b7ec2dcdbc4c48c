package demo

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The demo's agent tree has three levels, orders in every state, a paid
// payout batch and a reversal after it: the ledger balances, the refunded
// agent owes, and a second run adds nothing.
func TestDemoAgents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := range 8 {
			communitytest.Member(t, db, "demo-agent-"+strconv.Itoa(i))
		}
		now := time.Date(2026, 11, 20, 18, 0, 0, 0, shanghai.Zone)
		tree, err := Agents(ctx, db, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(tree.Agents) != 7 || tree.Payout == 0 || tree.Orders != 7*4+6+1 {
			t.Fatalf("tree %+v", tree)
		}
		c := growth.NewConsole(db, orders.NewStore(db))
		pg, err := c.Page(ctx, growth.Scope{All: true})
		if err != nil {
			t.Fatal(err)
		}
		depth := 0
		for _, r := range pg.Rows {
			depth = max(depth, r.Depth)
		}
		if depth != 2 || len(pg.Rows) != 7 {
			t.Errorf("%d rows, deepest %d; want 7 rows over 3 levels", len(pg.Rows), depth)
		}
		ls := ledger.NewStore(db)
		bs, err := ls.Balances(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, b := range bs {
			sum += b.Balance
		}
		if sum != 0 {
			t.Errorf("balances sum to %d", sum)
		}
		d, err := c.Person(ctx, growth.Scope{All: true}, tree.Agents[3], now.AddDate(0, -4, 0), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		reversed := false
		for _, l := range d.Statement.Lines {
			reversed = reversed || l.Reason == ledger.Reverse && l.Kind == ledger.AgentPayable
		}
		if d.Owed.Payable >= 0 || !reversed {
			t.Errorf("agent D after the refund: payable %d, reversed %v; want a negative payable from a reversal", d.Owed.Payable, reversed)
		}
		ps, err := ls.Payouts(ctx)
		if err != nil || len(ps) != 1 || ps[0].Status != ledger.PayoutPaid {
			t.Errorf("payouts %+v %v", ps, err)
		}
		if again, err := Agents(ctx, db, now); err != nil || again != nil {
			t.Errorf("second run: %+v %v", again, err)
		}
	})
}
