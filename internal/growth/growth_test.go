package growth

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestCheckRules(t *testing.T) {
	cases := []struct {
		r    Rules
		want error
	}{
		{Rules{AgentRules, []int64{5000, 1000}}, nil},
		{Rules{AgentRules, []int64{5000, 1000, 500}}, nil},
		{Rules{AgentRules, []int64{}}, nil},
		{Rules{AgentRules, []int64{5000, 1000, 500, 100}}, ErrTooManyLevels}, // the pyramid cap
		{Rules{AgentRules, []int64{9000, 1001}}, ErrBpsOver},
		{Rules{AgentRules, []int64{-1}}, ErrBadBps},
		{Rules{AgentRules, []int64{10001}}, ErrBadBps},
		{Rules{MemberRules, []int64{2000}}, nil},
		{Rules{MemberRules, []int64{2000, 100}}, ErrMemberLevels},
		{Rules{"boss", []int64{1}}, ErrBadRuleKind},
	}
	for _, c := range cases {
		if err := CheckRules(c.r); !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
			t.Errorf("CheckRules(%v) = %v, want %v", c.r, err, c.want)
		}
	}
}

func TestParsePayDay(t *testing.T) {
	for in, want := range map[string]PayDay{"jd=15": {1, 15}, "pdd=2:1": {2, 1}, "tmall=20": {1, 20}, " taobao=0:28": {0, 28}} {
		_, d, err := ParsePayDay(in)
		if err != nil || d != want {
			t.Errorf("ParsePayDay(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	if p, _, _ := ParsePayDay("tmall=20"); p != orders.PlatformTaobao {
		t.Errorf("tmall is Alimama's: %q", p)
	}
	for _, in := range []string{"jd", "jd=", "jd=29", "jd=0", "=5", "jd=x:1", "jd=13:1"} {
		if _, _, err := ParsePayDay(in); !errors.Is(err, ErrBadPayDay) {
			t.Errorf("ParsePayDay(%q) = %v, want ErrBadPayDay", in, err)
		}
	}
}

// Agents form a tree whose parents exist, each member once.
func TestAgentsTree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := newMembers(t, db, 4)
		gs := NewStore(db)
		if _, err := gs.AddAgent(ctx, ids[0], 0); err != nil {
			t.Fatal(err)
		}
		if _, err := gs.AddAgent(ctx, ids[2], ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := gs.AddAgent(ctx, ids[1], ids[0]); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			member, parent int64
			want           error
		}{
			{ids[0], 0, ErrAgentExists},
			{ids[3], ids[3], ErrParentIsSelf},
			{ids[3], 999999, ErrNoParent},
			{999999, 0, ErrNoMember},
		} {
			if _, err := gs.AddAgent(ctx, c.member, c.parent); !errors.Is(err, c.want) {
				t.Errorf("AddAgent(%d, %d) = %v, want %v", c.member, c.parent, err, c.want)
			}
		}
		roots, err := gs.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(roots) != 1 || roots[0].MemberID != ids[0] || roots[0].Name != "成员0" || len(roots[0].Children) != 2 ||
			roots[0].Children[0].MemberID != min(ids[1], ids[2]) {
			t.Fatalf("tree %+v", roots)
		}
		r, err := gs.Rules(ctx, AgentRules)
		if err != nil || len(r.Bps) != 2 || r.Bps[0] != 5000 || r.Bps[1] != 1000 {
			t.Fatalf("default rules %v %v", r, err)
		}
	})
}

// A share is held until the platform's pay day (Alimama: the 20th of the
// month after settlement, Beijing time), then payable; a team sets JD's.
func TestHoldUntilPayDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := newMembers(t, db, 2)
		gs := NewStore(db)
		if _, err := gs.AddAgent(ctx, ids[0], 0); err != nil {
			t.Fatal(err)
		}
		cs := communityStore(db)
		if err := cs.Bind(ctx, ids[0], "jd", "sub_union_id", "a0"); err != nil {
			t.Fatal(err)
		}
		settled := time.Date(2026, 3, 5, 12, 0, 0, 0, shanghai.Zone).Unix()
		os := orders.NewStore(db)
		if _, err := os.Import(ctx, []orders.Order{
			{Platform: orders.PlatformTaobao, TradeID: "T1", SpecialID: specialID(0), Status: orders.Settled, EstIncome: 1000,
				SettledIncome: 999, PaidAt: settled - 86400, SettledAt: settled},
			{Platform: orders.PlatformJD, TradeID: "J1", SubID: "a0", Status: orders.Settled, EstIncome: 500, SettledIncome: 500,
				PaidAt: settled - 86400, SettledAt: settled},
		}); err != nil {
			t.Fatal(err)
		}
		var now time.Time
		p := NewPoster(db, os, ledger.NewStore(db))
		p.PayDays = map[string]PayDay{orders.PlatformJD: {0, 25}}
		p.Now = func() time.Time { return now }
		owed := func(when string, kind ledger.Kind, want int64) {
			t.Helper()
			bs, err := ledger.NewStore(db).Balances(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			for _, b := range bs {
				if b.Account.Kind == kind {
					got = b.Owed()
				}
			}
			if got != want {
				t.Fatalf("%s: %s owed %d, want %d (%+v)", when, kind, got, want, bs)
			}
		}
		for _, step := range []struct {
			at            time.Time
			held, payable int64
		}{
			{time.Date(2026, 3, 24, 23, 59, 59, 0, shanghai.Zone), 500 + 250, 0}, // 50% of 999 rounds to 500 (remainder .5 to the earlier part)
			{time.Date(2026, 3, 25, 0, 0, 0, 0, shanghai.Zone), 500, 250},        // JD's pay day set to the 25th of the same month
			{time.Date(2026, 4, 19, 23, 59, 59, 0, shanghai.Zone), 500, 250},
			{time.Date(2026, 4, 20, 0, 0, 0, 0, shanghai.Zone), 0, 750}, // Alimama's: the 20th of the next month
		} {
			now = step.at
			if _, err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
			owed(step.at.String(), ledger.AgentHeld, step.held)
			owed(step.at.String(), ledger.AgentPayable, step.payable)
		}
		// Again: nothing changed, nothing is due, so nothing is read; a
		// run over all orders reads both and posts nothing.
		st, err := p.Run(ctx)
		if err != nil || st.Postings != 0 || st.Orders != 0 {
			t.Fatalf("a second run: %+v %v", st, err)
		}
		st, err = p.RunAll(ctx)
		if err != nil || st.Postings != 0 || st.Orders != 2 {
			t.Fatalf("a run over all orders: %+v %v", st, err)
		}
	})
}

// A share reversed after it was paid leaves a negative balance that the
// next payout deducts; each month's statement closes where the next opens
// and the last closes at the ledger's balance.
func TestReversalAfterPayoutAndStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := newMembers(t, db, 1)
		if _, err := NewStore(db).AddAgent(ctx, ids[0], 0); err != nil {
			t.Fatal(err)
		}
		os := orders.NewStore(db)
		ls := ledger.NewStore(db)
		var now time.Time
		p := NewPoster(db, os, ls)
		p.Now = func() time.Time { return now }
		at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, shanghai.Zone) }
		order := func(id string, status orders.Status, income int64, settled time.Time) orders.Order {
			return orders.Order{Platform: orders.PlatformTaobao, TradeID: id, SpecialID: specialID(0), Status: status,
				EstIncome: income, SettledIncome: income, PaidAt: settled.Add(-48 * time.Hour).Unix(), SettledAt: settled.Unix()}
		}
		run := func(when time.Time, os_ ...orders.Order) {
			t.Helper()
			now = when
			if len(os_) > 0 {
				if _, err := os.Import(ctx, os_); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		run(at(1, 10), order("A", orders.Settled, 2000, at(1, 10))) // 1000 to the agent, payable on 2-20
		run(at(2, 21))                                              // released
		pay, err := ls.CreatePayout(ctx, 500, at(2, 22))            // 10.00 owed, at least 5.00
		if err != nil || pay.Total != 1000 || len(pay.Lines) != 1 {
			t.Fatalf("payout %+v %v", pay, err)
		}
		if _, err := ls.CreatePayout(ctx, 500, at(2, 22)); !errors.Is(err, ledger.ErrPayoutOpen) {
			t.Fatalf("a second open batch: %v", err)
		}
		if _, err := ls.MarkPaid(ctx, pay.ID, " ", at(2, 23)); !errors.Is(err, ledger.ErrPayoutNoBy) {
			t.Fatalf("paid by nobody: %v", err)
		}
		if _, err := ls.MarkPaid(ctx, pay.ID, "财务", at(2, 23)); err != nil {
			t.Fatal(err)
		}
		run(at(3, 2), order("A", orders.Refunded, 2000, at(1, 10)), order("B", orders.Settled, 3000, at(2, 1))) // A reversed after paid; B held
		bs, _ := ls.Balances(ctx, ids[0])
		if got := owedOf(bs, ledger.AgentPayable); got != -1000 {
			t.Fatalf("after the refund the agent owes %d, want -1000", got)
		}
		if _, err := ls.CreatePayout(ctx, 1, at(3, 3)); !errors.Is(err, ledger.ErrPayoutEmpty) {
			t.Fatalf("a negative balance paid out: %v", err)
		}
		run(at(3, 21)) // B released: 1500 - 1000
		pay, err = ls.CreatePayout(ctx, 100, at(3, 22))
		if err != nil || pay.Total != 500 {
			t.Fatalf("the next payout %+v %v: want 500, the refund deducted", pay, err)
		}
		// Statements: January to March reconcile month to month and to the ledger.
		var prevHeld, prevPayable int64
		var last *ledger.Statement
		for m := time.January; m <= time.March; m++ {
			from := time.Date(2026, m, 1, 0, 0, 0, 0, shanghai.Zone)
			st, err := ls.Statement(ctx, ids[0], from, from.AddDate(0, 1, 0))
			if err != nil {
				t.Fatal(err)
			}
			if st.OpeningHeld != prevHeld || st.OpeningPayable != prevPayable {
				t.Fatalf("%s opens at %d/%d, the month before closed at %d/%d", m, st.OpeningHeld, st.OpeningPayable, prevHeld, prevPayable)
			}
			var sum int64
			for _, l := range st.Lines {
				sum += l.Amount
			}
			if st.ClosingHeld+st.ClosingPayable != st.OpeningHeld+st.OpeningPayable+sum {
				t.Fatalf("%s: closing is not opening plus lines: %+v", m, st)
			}
			prevHeld, prevPayable, last = st.ClosingHeld, st.ClosingPayable, st
		}
		bs, _ = ls.Balances(ctx, ids[0])
		if last.ClosingHeld != owedOf(bs, ledger.AgentHeld) || last.ClosingPayable != owedOf(bs, ledger.AgentPayable) || last.ClosingPayable != 500 {
			t.Fatalf("March closes at %d/%d, the ledger says %+v", last.ClosingHeld, last.ClosingPayable, bs)
		}
		if len(last.Lines) != 4 { // A's reversal, B's hold, B's release (held out, payable in)
			t.Fatalf("March lines %+v", last.Lines)
		}
	})
}

func owedOf(bs []ledger.Balance, kind ledger.Kind) int64 {
	for _, b := range bs {
		if b.Account.Kind == kind {
			return b.Owed()
		}
	}
	return 0
}

// The serve job posts new orders within its period, one server at a time.
func TestJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ids := newMembers(t, db, 1)
		if _, err := NewStore(db).AddAgent(ctx, ids[0], 0); err != nil {
			t.Fatal(err)
		}
		os := orders.NewStore(db)
		ls := ledger.NewStore(db)
		other := storetest.Reopen(t, db)
		done := make(chan struct{}, 2)
		for i, d := range []*store.DB{db, other} {
			j := &Job{Poster: NewPoster(d, orders.NewStore(d), ledger.NewStore(d)), DB: d, Holder: "server-" + string(rune('a'+i)),
				Every: 20 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
			go func() { j.Run(ctx); done <- struct{}{} }()
		}
		if _, err := os.Import(ctx, []orders.Order{{Platform: orders.PlatformTaobao, TradeID: "J", SpecialID: specialID(0),
			Status: orders.Paid, EstIncome: 800, PaidAt: time.Now().Unix()}}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			bs, err := ls.Balances(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if owedOf(bs, ledger.AgentHeld) == 400 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the job did not post: %+v", bs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		<-done
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM ledger_postings`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d postings (%v), want 1", n, err)
		}
	})
}
