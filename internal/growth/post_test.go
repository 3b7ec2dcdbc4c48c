package growth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// newMembers registers n members (WeCom, in one group) through the
// registry and binds each a 会员运营ID "9000"+i; it returns their ids.
func newMembers(t *testing.T, db *store.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	cs := community.NewStore(db)
	g := &community.Group{Name: "代理群", Channel: community.Manual}
	if err := cs.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	var evs []community.MemberEvent
	for i := 0; i < n; i++ {
		evs = append(evs, community.MemberEvent{Key: fmt.Sprintf("test:%d", i), Source: community.SourceWeCom, GroupID: g.ID,
			Kind: community.Join, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExternalID: fmt.Sprintf("m%02d", i), Name: fmt.Sprintf("成员%d", i)})
	}
	if _, err := cs.ApplyEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	rows, _, err := cs.Members(ctx, community.MemberFilter{GroupID: g.ID, Limit: n})
	if err != nil || len(rows) != n {
		t.Fatalf("members: %d %v", len(rows), err)
	}
	ids := make([]int64, n)
	for _, r := range rows {
		i, _ := strconv.Atoi(r.ExternalID[1:])
		ids[i] = r.ID
		if err := cs.Bind(ctx, r.ID, "taobao", "special_id", specialID(i)); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func specialID(i int) string { return strconv.Itoa(9000 + i) }

// The Done-when: orders through their statuses (paid, received,
// settled, invalid, refunded after payout), re-imported and imported while
// two servers post, and after every step all postings sum to zero, every
// balance is the sum of its lines, and every order has moved exactly its
// shares, never twice.
func TestPostingRandomised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		nOrders, steps := 2000, 24
		if db.Dialect == store.Postgres {
			nOrders, steps = 1000, 16
		}
		rng := rand.New(rand.NewPCG(15, uint64(len(db.Dialect))))
		const nMembers = 20
		ids := newMembers(t, db, nMembers)
		gs := NewStore(db)
		// Agents: 0 <- 1 <- 3 <- 4 (four deep: the fourth level is never paid), 0 <- 2, 5 <- 6; 7, 8, 9 alone.
		parent := map[int]int{1: 0, 2: 0, 3: 1, 4: 3, 6: 5}
		for i := 0; i < 10; i++ {
			p := int64(0)
			if pi, ok := parent[i]; ok {
				p = ids[pi]
			}
			if _, err := gs.AddAgent(ctx, ids[i], p); err != nil {
				t.Fatal(err)
			}
		}
		agentBps, rebate := []int64{5000, 1000, 500}, int64(2000)
		if err := gs.SetRules(ctx, Rules{Kind: AgentRules, Bps: agentBps}); err != nil {
			t.Fatal(err)
		}
		if err := gs.SetRules(ctx, Rules{Kind: MemberRules, Bps: []int64{rebate}}); err != nil {
			t.Fatal(err)
		}
		// expected shares of member i's order with base fen, per member id.
		expect := func(i int, base int64) map[int64]int64 {
			out := map[int64]int64{}
			if i >= nMembers {
				return out
			}
			if i >= 10 {
				s, _ := ledger.Split(base, []int64{rebate})
				out[ids[i]] = s[0]
				return out
			}
			var who []int64
			var bps []int64
			for l, m := 0, i; l < 3; l++ {
				who, bps = append(who, ids[m]), append(bps, agentBps[l])
				pm, ok := parent[m]
				if !ok {
					break
				}
				m = pm
			}
			s, _ := ledger.Split(base, bps)
			for k, m := range who {
				out[m] += s[k]
			}
			return out
		}

		os := orders.NewStore(db)
		clock := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai.Zone)
		owner := make([]int, nOrders) // member index, nMembers+ = unbound
		all := make([]orders.Order, nOrders)
		for k := range all {
			owner[k] = rng.IntN(nMembers + 4)
			all[k] = orders.Order{Platform: orders.PlatformTaobao, TradeID: fmt.Sprintf("T%05d", k), ItemID: "I1", AdzoneID: "1",
				SpecialID: specialID(owner[k]), Status: orders.Paid, PaidAmount: 10000, EstIncome: rng.Int64N(5000),
				CreatedAt: clock.Unix(), PaidAt: clock.Unix()}
		}
		if _, err := os.Import(ctx, all); err != nil {
			t.Fatal(err)
		}
		other := storetest.Reopen(t, db)
		posters := []*Poster{NewPoster(db, os, ledger.NewStore(db)), NewPoster(other, orders.NewStore(other), ledger.NewStore(other))}
		for _, p := range posters {
			p.Now = func() time.Time { return clock }
			p.Page = 300
		}
		ls := ledger.NewStore(db)
		negative, reversedAfterPaid := 0, 0
		paidOut := map[string]bool{} // order trade ids whose shares were in a paid batch
		for step := 0; step < steps; step++ {
			// Move a tenth of the orders along their lives.
			var batch []orders.Order
			for k := range all {
				o := &all[k]
				if rng.IntN(10) != 0 {
					if rng.IntN(30) == 0 {
						batch = append(batch, *o) // a re-import of an unchanged order
					}
					continue
				}
				switch o.Status {
				case orders.Paid, orders.Received:
					switch r := rng.IntN(10); {
					case r < 2:
						o.Status = orders.Invalid
					case r < 4:
						o.Status = orders.Received
					default:
						o.Status = orders.Settled
						o.SettledAt = clock.Unix()
						o.SettledIncome = o.EstIncome - rng.Int64N(o.EstIncome/10+1)
					}
				case orders.Settled:
					if rng.IntN(4) == 0 {
						o.Status = orders.Refunded
						o.Dispute = "维权"
						if paidOut[o.TradeID] {
							reversedAfterPaid++
						}
					}
				}
				batch = append(batch, *o)
			}
			clock = clock.Add(time.Duration(rng.IntN(20*24)) * time.Hour)
			if step == steps/2 {
				// An agent's and a member's ids are unbound: their orders are
				// credited to nobody now, and keep the shares they were given.
				for _, i := range []int{4, 11} {
					if err := communityStore(db).Unbind(ctx, "taobao", "special_id", specialID(i)); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := os.Attribute(ctx, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			// Import while both servers post; then post once more, alone.
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for _, p := range posters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := p.Run(ctx)
					errs <- err
				}()
			}
			if _, err := os.Import(ctx, batch); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			}
			if _, err := posters[step%2].Run(ctx); err != nil {
				t.Fatal(err)
			}
			// The change queue missed nothing: reading every order finds
			// nothing more to post.
			if st, err := posters[(step+1)%2].RunAll(ctx); err != nil || st.Postings != 0 {
				t.Fatalf("step %d: a run over all orders posted what the queue missed: %+v %v", step, st, err)
			}
			if step%5 == 4 {
				payout(t, ls, clock)
				for k := range all {
					if all[k].Status == orders.Settled {
						paidOut[all[k].TradeID] = true
					}
				}
			}
			negative += checkLedger(t, db, step, all, owner, ids, expect)
		}
		if negative == 0 || reversedAfterPaid == 0 {
			t.Fatalf("the run never reversed a paid share (%d) into a negative balance (%d)", reversedAfterPaid, negative)
		}
	})
}

// checkLedger checks the ledger's invariants after a step and returns how
// many payable accounts the team is owed on (negative balances).
func checkLedger(t *testing.T, db *store.DB, step int, all []orders.Order, owner []int, ids []int64,
	expect func(int, int64) map[int64]int64) int {
	t.Helper()
	ctx := context.Background()
	var total, unbalanced, wrong int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(amount), 0) FROM ledger_lines`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT posting_id FROM ledger_lines GROUP BY posting_id
		HAVING sum(amount) <> 0) x`).Scan(&unbalanced); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_accounts a WHERE a.balance <>
		(SELECT coalesce(sum(l.amount), 0) FROM ledger_lines l WHERE l.account_id = a.id)`).Scan(&wrong); err != nil {
		t.Fatal(err)
	}
	var months int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_accounts a WHERE a.balance <>
		(SELECT coalesce(sum(m.amount), 0) FROM ledger_account_months m WHERE m.account_id = a.id)`).Scan(&months); err != nil {
		t.Fatal(err)
	}
	if months != 0 {
		t.Fatalf("step %d: %d accounts' month totals do not add up to their balance", step, months)
	}
	if total != 0 || unbalanced != 0 || wrong != 0 {
		t.Fatalf("step %d: lines sum to %d, %d postings unbalanced, %d balances not the sum of their lines", step, total, unbalanced, wrong)
	}
	// What each order moved to each person (held and payable together).
	rows, err := db.QueryContext(ctx, `SELECT p.source_key, a.member_id, sum(l.amount) FROM ledger_postings p
		JOIN ledger_lines l ON l.posting_id = p.id JOIN ledger_accounts a ON a.id = l.account_id
		WHERE a.member_id <> 0 AND p.source <> 'payout' GROUP BY p.source_key, a.member_id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[int64]int64{}
	for rows.Next() {
		var key string
		var m, v int64
		if err := rows.Scan(&key, &m, &v); err != nil {
			t.Fatal(err)
		}
		if v == 0 {
			continue
		}
		if got[key] == nil {
			got[key] = map[int64]int64{}
		}
		got[key][m] = -v
	}
	rows.Close()
	for k, o := range all {
		var base int64
		switch o.Status {
		case orders.Paid, orders.Received:
			base = o.EstIncome
		case orders.Settled:
			base = o.SettledIncome
		}
		want := expect(owner[k], base)
		key := OrderKey(o.Platform, o.TradeID)
		for m, v := range want {
			if v == 0 {
				delete(want, m)
			}
		}
		if fmt.Sprint(want) != fmt.Sprint(got[key]) && !(len(want) == 0 && len(got[key]) == 0) {
			t.Fatalf("step %d: order %s (%s, member #%d, base %d) shared %v, want %v", step, o.TradeID, o.Status, owner[k], base, got[key], want)
		}
		delete(got, key)
	}
	if len(got) != 0 {
		t.Fatalf("step %d: postings for no order: %v", step, got)
	}
	var negative int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_accounts WHERE kind IN ('agent_payable', 'member_payable')
		AND balance > 0`).Scan(&negative); err != nil {
		t.Fatal(err)
	}
	return negative
}

// payout creates a batch of what is owed at least 1 yuan and marks it paid,
// if anything is owed.
func payout(t *testing.T, ls *ledger.Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	pay, err := ls.CreatePayout(ctx, 100, at)
	if errors.Is(err, ledger.ErrPayoutEmpty) {
		return
	}
	if err != nil {
		t.Fatalf("payout: %v", err)
	}
	if _, err := ls.MarkPaid(ctx, pay.ID, "财务小王", at); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.MarkPaid(ctx, pay.ID, "财务小王", at); !errors.Is(err, ledger.ErrPayoutPaid) {
		t.Fatalf("paid twice: %v", err)
	}
}

func communityStore(db *store.DB) *community.Store { return community.NewStore(db) }

// An order changed after it was posted is read again and its postings
// follow; an order that did not change is not read again.
func TestChangedOrderReposted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := newMembers(t, db, 1)
		if _, err := NewStore(db).AddAgent(ctx, ids[0], 0); err != nil {
			t.Fatal(err)
		}
		os := orders.NewStore(db)
		p := NewPoster(db, os, ledger.NewStore(db))
		at := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai.Zone)
		p.Now = func() time.Time { return at }
		a := orders.Order{Platform: orders.PlatformTaobao, TradeID: "A", SpecialID: specialID(0), Status: orders.Paid,
			EstIncome: 1000, PaidAt: at.Unix()}
		b := a
		b.TradeID = "B"
		if _, err := os.Import(ctx, []orders.Order{a, b}); err != nil {
			t.Fatal(err)
		}
		if st, err := p.Run(ctx); err != nil || st.Orders != 2 || st.Held != 2 {
			t.Fatalf("first run: %+v %v", st, err)
		}
		a.EstIncome = 800
		if _, err := os.Import(ctx, []orders.Order{a, b}); err != nil {
			t.Fatal(err)
		}
		if st, err := p.Run(ctx); err != nil || st.Orders != 1 || st.Adjusted != 1 {
			t.Fatalf("after a change: %+v %v", st, err)
		}
		bs, err := ledger.NewStore(db).Balances(ctx, ids[0])
		if err != nil || len(bs) != 1 || bs[0].Owed() != 400+500 {
			t.Fatalf("balances %+v %v, want 900 held", bs, err)
		}
		if st, err := p.Run(ctx); err != nil || st.Orders != 0 {
			t.Fatalf("nothing changed: %+v %v", st, err)
		}
	})
}

// A statement's opening, from the month totals (and the lines of its first
// month before its start), is what the lines before its start add up to,
// for starts on and between month boundaries; and Balance is the sum.
func TestStatementOpeningFromMonths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := newMembers(t, db, 1)
		if _, err := NewStore(db).AddAgent(ctx, ids[0], 0); err != nil {
			t.Fatal(err)
		}
		os := orders.NewStore(db)
		ls := ledger.NewStore(db)
		p := NewPoster(db, os, ls)
		var now time.Time
		p.Now = func() time.Time { return now }
		for k := 0; k < 40; k++ {
			now = time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai.Zone).Add(time.Duration(k) * 97 * time.Hour)
			o := orders.Order{Platform: orders.PlatformTaobao, TradeID: fmt.Sprintf("S%02d", k), SpecialID: specialID(0),
				Status: orders.Paid, EstIncome: int64(100 + 37*k), PaidAt: now.Unix()}
			if k%7 == 3 {
				o.Status = orders.Invalid
			}
			if _, err := os.Import(ctx, []orders.Order{o}); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, from := range []time.Time{
			time.Date(2026, 2, 1, 0, 0, 0, 0, shanghai.Zone), time.Date(2026, 2, 17, 13, 0, 0, 0, shanghai.Zone),
			time.Date(2026, 3, 31, 23, 59, 59, 0, shanghai.Zone), time.Date(2026, 5, 9, 0, 0, 0, 0, shanghai.Zone),
		} {
			before, err := ls.Statement(ctx, ids[0], time.Unix(0, 0), from)
			if err != nil {
				t.Fatal(err)
			}
			st, err := ls.Statement(ctx, ids[0], from, from.AddDate(0, 1, 0))
			if err != nil {
				t.Fatal(err)
			}
			if st.OpeningHeld != before.ClosingHeld || st.OpeningPayable != before.ClosingPayable || st.OpeningHeld == 0 {
				t.Fatalf("from %s: opening %d/%d, the lines before add up to %d/%d", from, st.OpeningHeld, st.OpeningPayable,
					before.ClosingHeld, before.ClosingPayable)
			}
		}
		all, err := ls.Statement(ctx, ids[0], time.Unix(0, 0), time.Date(2030, 1, 1, 0, 0, 0, 0, shanghai.Zone))
		if err != nil {
			t.Fatal(err)
		}
		bal, err := ls.Balance(ctx, ledger.Account{Kind: ledger.AgentHeld, Member: ids[0]})
		if err != nil || -bal != all.ClosingHeld {
			t.Fatalf("balance %d %v, the lines add up to %d", -bal, err, all.ClosingHeld)
		}
	})
}
