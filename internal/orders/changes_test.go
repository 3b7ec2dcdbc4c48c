package orders

import (
	"context"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// claimAll claims the whole queue in one transaction and returns the
// claimed trade ids.
func claimAll(t *testing.T, db *store.DB, s *Store) []string {
	t.Helper()
	var ids []string
	err := db.Atomic(context.Background(), func(tx *store.Tx) error {
		cs, _, err := s.ClaimChangedTx(context.Background(), tx, 100)
		for _, c := range cs {
			ids = append(ids, c.TradeID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// An update queues the order; a new order credited to nobody does not; a
// claim takes each order once however often it was queued, and a claim
// rolled back leaves the queue as it was.
func TestChangeQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		a := Order{Platform: PlatformTaobao, TradeID: "A", Status: Paid, EstIncome: 100, PaidAt: 1}
		b := Order{Platform: PlatformTaobao, TradeID: "B", Status: Paid, EstIncome: 100, PaidAt: 1}
		if _, err := s.Import(ctx, []Order{a, b}); err != nil {
			t.Fatal(err)
		}
		if got := claimAll(t, db, s); len(got) != 0 {
			t.Fatalf("new orders credited to nobody queued: %v", got)
		}
		a.EstIncome = 90
		if _, err := s.Import(ctx, []Order{a}); err != nil {
			t.Fatal(err)
		}
		a.Status = Settled
		if _, err := s.Import(ctx, []Order{a, b}); err != nil { // b unchanged: not queued
			t.Fatal(err)
		}
		if n, err := s.QueuedChanges(ctx); err != nil || n != 2 {
			t.Fatalf("queued %d %v, want 2", n, err)
		}
		// Rolled back: still queued.
		_ = db.Atomic(ctx, func(tx *store.Tx) error {
			if _, _, err := s.ClaimChangedTx(ctx, tx, 100); err != nil {
				t.Fatal(err)
			}
			return errRollback
		})
		got := claimAll(t, db, s)
		if len(got) != 1 || got[0] != "A" {
			t.Fatalf("claimed %v, want A once", got)
		}
		if got := claimAll(t, db, s); len(got) != 0 {
			t.Fatalf("claimed twice: %v", got)
		}
	})
}

var errRollback = errString("rollback")

type errString string

func (e errString) Error() string { return string(e) }

// On PostgreSQL an import that queued first (the lower id) may commit
// last. A claim between the two commits takes only what it sees; the late
// change is claimed next, not skipped as a cursor past the higher id would.
func TestChangeQueueLateCommit(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	s := NewStore(db)
	// Apart in the money views' rows too (adzone, day), so that the
	// second import does not wait for the first's row locks.
	early := Order{Platform: PlatformTaobao, TradeID: "EARLY", Status: Paid, EstIncome: 100, AdzoneID: "1", PaidAt: 1e9}
	late := Order{Platform: PlatformTaobao, TradeID: "LATE", Status: Paid, EstIncome: 100, AdzoneID: "2", PaidAt: 1.1e9}
	if _, err := s.Import(ctx, []Order{early, late}); err != nil {
		t.Fatal(err)
	}
	slow, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback()
	late.Status = Settled // queued first, by the slow transaction: the lower id
	if _, err := s.ImportTx(ctx, slow, []Order{late}); err != nil {
		t.Fatal(err)
	}
	early.Status = Settled // queued second, committed at once
	quick, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := s.Import(quick, []Order{early}); err != nil {
		t.Fatal(err)
	}
	if got := claimAll(t, db, s); len(got) != 1 || got[0] != "EARLY" {
		t.Fatalf("claimed %v before the slow commit, want EARLY", got)
	}
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	got := claimAll(t, db, s)
	if len(got) != 1 || got[0] != "LATE" {
		t.Fatalf("claimed %v after the slow commit, want LATE", got)
	}
	var c []Credited
	if err := db.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.CreditedByIDsTx(ctx, tx, PlatformTaobao, []string{"LATE"})
		return err
	}); err != nil || len(c) != 1 || c[0].Status != Settled {
		t.Fatalf("late order %+v %v", c, err)
	}
}
