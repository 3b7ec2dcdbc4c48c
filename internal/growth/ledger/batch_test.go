package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestChunk(t *testing.T) {
	for _, c := range []struct{ n, max, want int }{
		{1, 1000, 1}, {2, 1000, 2}, {3, 1000, 2}, {999, 1000, 512}, {1000, 1000, 1000}, {5000, 1000, 1000}, {700, 500, 500},
	} {
		if got := chunk(c.n, c.max); got != c.want {
			t.Errorf("chunk(%d, %d) = %d, want %d", c.n, c.max, got, c.want)
		}
	}
}

// Batches of every size from 1 to 300 postings: lines land sorted or not,
// balances and month totals equal the sum of the lines, and the statements
// the store keeps prepared stay a few dozen (not one per page size).
func TestBatchSizesKeepSumsAndFewStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		known := NewAccounts()
		at := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC) // December in Beijing
		var seq int64
		for size := 1; size <= 300; size += 7 {
			var b *Batch
			if err := db.AtomicBulk(ctx, func(tx *store.Tx) error {
				b = s.NewBatchWith(tx, known)
				for i := range size {
					seq++
					m := int64(i%37 + 1)
					want := map[Account]int64{
						{Kind: CommissionIncome}:           100 + m,
						{Kind: AgentHeld, Member: m}:       -60,
						{Kind: AgentHeld, Member: m + 100}: -40 - m,
					}
					if _, err := b.MoveFrom(ctx, fmt.Sprintf("order/t/%d", seq), nil, 0, want, FromOrder, Hold, at.Add(time.Duration(i)*time.Hour)); err != nil {
						return err
					}
				}
				return b.Flush(ctx)
			}); err != nil {
				t.Fatalf("batch of %d: %v", size, err)
			}
			b.Committed()
		}
		var bad int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM ledger_lines l WHERE l.account_id = a.id)
			OR a.balance <> (SELECT coalesce(sum(amount), 0) FROM ledger_account_months m WHERE m.account_id = a.id)`).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Errorf("%d accounts whose balance is not the sum of their lines or months", bad)
		}
		var postings, unbalanced int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_postings`).Scan(&postings); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT posting_id FROM ledger_lines GROUP BY posting_id HAVING sum(amount) <> 0) x`).Scan(&unbalanced); err != nil {
			t.Fatal(err)
		}
		if postings != int(seq) || unbalanced != 0 {
			t.Errorf("postings %d (want %d), unbalanced %d", postings, seq, unbalanced)
		}
		if n := len(s.stmts); n == 0 || n > 40 {
			t.Errorf("%d statements kept prepared, want a few dozen at most", n)
		}
	})
}
