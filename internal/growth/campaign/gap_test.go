package campaign

import (
	"fmt"
	"testing"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// A long transaction storing many events (a member sync of a big group)
// takes its ids first and commits last; an event of another group stored
// meanwhile commits first with a higher id. A counting pass between the two
// commits must not move its cursor past the long transaction's ids: once it
// commits, all its joins are counted. (PostgreSQL only: SQLite writes one
// transaction at a time.)
func TestCountSeesEventsOfALongTransaction(t *testing.T) {
	db := storetest.Postgres(t)
	f := newFixture(t, db, DefaultRules)
	const big = 600 // more than a counting batch and the old 256-id overlap
	evs := make([]community.MemberEvent, big)
	for i := range evs {
		who := fmt.Sprintf("sync%03d", i)
		evs[i] = community.MemberEvent{Key: "long-" + who, Source: community.SourceWeCom, GroupID: f.g1,
			Kind: community.Join, At: t0.Add(h(1)), ExternalID: who, Name: who, InviteLink: f.bob.Ref}
	}
	sqlTx, err := db.BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlTx.Rollback()
	tx := &store.Tx{Tx: sqlTx, Dialect: db.Dialect}
	if _, err := f.cs.ApplyEventsTx(f.ctx, tx, evs); err != nil {
		t.Fatal(err)
	}
	// Meanwhile, on another connection: one join in another group, counted.
	f.event("quick", community.Join, "quick", f.g2, t0.Add(h(1)), f.bob.Ref, "")
	f.count()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	f.count()
	_, total, err := f.s.Invites(f.ctx, InviteFilter{CampaignID: f.c.ID, ParticipantID: f.bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	if total != big {
		t.Fatalf("%d invites of bob counted, want %d (the long transaction's joins)", total, big)
	}
}
