package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

var groupSeq atomic.Int64

// t0 is the campaign's start.
var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

type fixture struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	cs     *community.Store
	ls     *ledger.Store
	s      *Store
	now    time.Time
	g1, g2 int64
	c      *Campaign
	alice  *Participant // a WeCom member (external id "alice")
	bob    *Participant // known by name only
}

func newFixture(t *testing.T, db *store.DB, rules Rules) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: db, cs: community.NewStore(db), ls: ledger.NewStore(db), now: t0}
	f.s = NewStore(db, f.cs, f.ls, JoinPageLinker{BaseURL: "https://q.example"})
	f.s.Now = func() time.Time { return f.now }
	for _, g := range []*int64{&f.g1, &f.g2} {
		grp := &community.Group{Name: fmt.Sprintf("群%d", groupSeq.Add(1)), Channel: community.Manual}
		if err := f.cs.Save(f.ctx, grp); err != nil {
			t.Fatal(err)
		}
		*g = grp.ID
	}
	// Alice has been a member of g2 for a month.
	f.event("alice-join", community.Join, "alice", f.g2, t0.Add(-30*24*time.Hour), "", "")
	f.c = &Campaign{Name: "双十一拉新", Status: Running, Starts: t0, Groups: []int64{f.g1}, Rules: rules,
		Tiers: []Tier{{Invites: 2, Kind: RedEnvelope, CostFen: 500}, {Invites: 10, Kind: FreeOrder, CostFen: 3000}}}
	if err := f.s.Save(f.ctx, f.c); err != nil {
		t.Fatal(err)
	}
	members, _, err := f.cs.Members(f.ctx, community.MemberFilter{Query: "alice"})
	if err != nil || len(members) != 1 {
		t.Fatalf("alice: %v %v", members, err)
	}
	if f.alice, err = f.s.AddParticipant(f.ctx, f.c.ID, members[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = f.s.AddParticipant(f.ctx, f.c.ID, 0, "老王"); err != nil {
		t.Fatal(err)
	}
	f.count()
	return f
}

// event applies one member event; link carries a participant's reference
// (WeCom state), inviter the platform's invitor.
func (f *fixture) event(key string, kind community.EventKind, who string, group int64, at time.Time, link, inviter string) {
	f.t.Helper()
	if _, err := f.cs.ApplyEvents(f.ctx, []community.MemberEvent{{Key: key, Source: community.SourceWeCom, GroupID: group,
		Kind: kind, At: at, ExternalID: who, Name: who, InviteLink: link, Inviter: inviter}}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) count() CountStats {
	f.t.Helper()
	st, err := f.s.Count(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

// decision returns the invite of event key.
func (f *fixture) decision(key string) *InviteRow {
	f.t.Helper()
	rows, _, err := f.s.Invites(f.ctx, InviteFilter{CampaignID: f.c.ID, EventKey: key})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(rows) == 0 {
		return nil
	}
	return &rows[0]
}

func (f *fixture) want(key string, d Decision) {
	f.t.Helper()
	r := f.decision(key)
	if r == nil {
		f.t.Fatalf("%s: no invite, want %s", key, d)
	}
	if r.Status != d || r.Reason != "campaign.reason."+string(d) && !(d == Valid && r.Reason == "campaign.reason.valid_approved") {
		f.t.Fatalf("%s: %s (%s %v), want %s", key, r.Status, r.Reason, r.ReasonArgs, d)
	}
}

func (f *fixture) valid(p *Participant) int {
	f.t.Helper()
	got, err := f.s.Participant(f.ctx, p.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return got.Valid
}

func h(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }

func TestCountingRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("stay", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			f.event("n1", community.Join, "new1", f.g1, t0.Add(h(1)), f.bob.Ref, "")
			f.now = t0.Add(h(10))
			f.count()
			f.want("n1", Waiting)
			if f.valid(f.bob) != 0 {
				t.Fatal("counted before the stay")
			}
			f.now = t0.Add(h(25))
			f.count()
			f.want("n1", Valid)
			if f.valid(f.bob) != 1 {
				t.Fatal("not counted after the stay")
			}
			// Leaving after the stay keeps it.
			f.event("n1-out", community.Leave, "new1", f.g1, t0.Add(h(30)), "", "")
			f.now = t0.Add(h(31))
			f.count()
			f.want("n1", Valid)
		})
		t.Run("leave-before-stay", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			f.event("n2", community.Join, "new2", f.g1, t0.Add(h(1)), f.bob.Ref, "")
			f.event("n2-out", community.Leave, "new2", f.g1, t0.Add(h(5)), "", "")
			f.now = t0.Add(h(48))
			f.count()
			f.want("n2", Revoked)
		})
		t.Run("out-of-order-leave", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			// The leave arrives first, then the join: the same result.
			f.event("n3-out", community.Leave, "new3", f.g1, t0.Add(h(6)), "", "")
			f.count()
			f.event("n3", community.Join, "new3", f.g1, t0.Add(h(1)), f.bob.Ref, "")
			f.now = t0.Add(h(48))
			f.count()
			f.want("n3", Revoked)
			// A leave within the stay arriving after the invite was valid
			// takes it back.
			f.event("n4", community.Join, "new4", f.g1, t0.Add(h(1)), f.bob.Ref, "")
			f.count()
			f.want("n4", Valid)
			f.event("n4-out", community.Leave, "new4", f.g1, t0.Add(h(2)), "", "")
			f.count()
			f.want("n4", Revoked)
		})
		t.Run("seen-before", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			f.event("old-in", community.Join, "old", f.g2, t0.Add(-h(100)), "", "")
			f.event("old-out", community.Leave, "old", f.g2, t0.Add(-h(90)), "", "")
			f.event("o1", community.Join, "old", f.g1, t0.Add(h(1)), f.bob.Ref, "")
			f.now = t0.Add(h(48))
			f.count()
			f.want("o1", SeenBefore)
			// Out of order: the earlier sighting arrives after the invite
			// was counted.
			f.event("r1", community.Join, "ret", f.g1, t0.Add(h(2)), f.bob.Ref, "")
			f.count()
			f.want("r1", Valid)
			f.event("r0", community.Join, "ret", f.g2, t0.Add(-h(5)), "", "")
			f.count()
			f.want("r1", SeenBefore)
			if f.valid(f.bob) != 0 {
				t.Fatalf("valid %d", f.valid(f.bob))
			}
		})
		t.Run("self", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			f.event("s1", community.Join, "alice", f.g1, t0.Add(h(1)), f.alice.Ref, "")
			f.now = t0.Add(h(48))
			f.count()
			f.want("s1", Self)
		})
		t.Run("same-identity-twice", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			f.event("d1", community.Join, "dup", f.g1, t0.Add(h(1)), f.bob.Ref, "")
			f.event("d1-out", community.Leave, "dup", f.g1, t0.Add(h(30)), "", "")
			f.event("d2", community.Join, "dup", f.g1, t0.Add(h(40)), f.alice.Ref, "")
			f.now = t0.Add(h(100))
			f.count()
			f.want("d1", Valid)
			f.want("d2", Duplicate)
		})
		t.Run("inviter-named-only", func(t *testing.T) {
			f := newFixture(t, db, DefaultRules)
			f.event("x1", community.Join, "anon", f.g1, t0.Add(h(1)), "", "")          // nobody named
			f.event("x2", community.Join, "viaw", f.g1, t0.Add(h(1)), "", "alice")     // WeCom names the invitor
			f.event("x3", community.Join, "else", f.g2, t0.Add(h(1)), "", "alice")     // not a campaign group
			f.event("x4", community.Join, "early", f.g1, t0.Add(-h(1)), f.bob.Ref, "") // before the campaign
			f.now = t0.Add(h(48))
			f.count()
			for _, k := range []string{"x1", "x3", "x4"} {
				if r := f.decision(k); r != nil {
					t.Fatalf("%s credited: %+v", k, r)
				}
			}
			f.want("x2", Valid)
			if r := f.decision("x2"); r.ParticipantID != f.alice.ID {
				t.Fatalf("credited to %d", r.ParticipantID)
			}
		})
		t.Run("burst-review", func(t *testing.T) {
			f := newFixture(t, db, Rules{BurstJoins: 3, BurstSeconds: 60})
			for i, k := range []string{"b1", "b2", "b3", "b4"} {
				f.event(k, community.Join, "burst"+k, f.g1, t0.Add(h(1)+time.Duration(i*10)*time.Second), f.bob.Ref, "")
			}
			f.event("b5", community.Join, "calm", f.g1, t0.Add(h(3)), f.bob.Ref, "")
			f.now = t0.Add(h(48))
			f.count()
			for _, k := range []string{"b1", "b2", "b3", "b4"} {
				f.want(k, Held)
			}
			f.want("b5", Valid)
			if r, err := f.s.Review(f.ctx, f.c.ID, "b1", true, "op"); err != nil {
				t.Fatal(err)
			} else if r.EventKey != "b1" || r.Status != Valid || r.ParticipantName == "" || r.InviteeName == "" {
				t.Fatalf("approved invite as returned: %+v", r)
			}
			if r, err := f.s.Review(f.ctx, f.c.ID, "b2", false, "op"); err != nil {
				t.Fatal(err)
			} else if r.Status != Rejected {
				t.Fatalf("rejected invite as returned: %+v", r)
			}
			if _, err := f.s.Review(f.ctx, f.c.ID, "nope", true, "op"); !errors.Is(err, ErrNoInvite) {
				t.Fatalf("review of no invite: %v", err)
			}
			if _, err := f.s.Review(f.ctx, f.c.ID, "b5", true, "op"); !errors.Is(err, ErrNotHeld) {
				t.Fatalf("review of a valid invite: %v", err)
			}
			f.count() // the words survive a recount
			f.want("b1", Valid)
			f.want("b2", Rejected)
			f.want("b3", Held)
			if f.valid(f.bob) != 2 {
				t.Fatalf("valid %d", f.valid(f.bob))
			}
		})
		t.Run("cap", func(t *testing.T) {
			f := newFixture(t, db, Rules{CapPerInviter: 2})
			for i, k := range []string{"c1", "c2", "c3"} {
				f.event(k, community.Join, "cap"+k, f.g1, t0.Add(h(float64(1+i))), f.bob.Ref, "")
			}
			f.now = t0.Add(h(48))
			f.count()
			f.want("c1", Valid)
			f.want("c2", Valid)
			f.want("c3", Capped)
		})
	})
}

// Rewards follow the count, and their costs go to the ledger (and back).
func TestRewardsPostToLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		f.event("a1", community.Join, "p1", f.g1, t0.Add(h(1)), f.alice.Ref, "")
		f.event("a2", community.Join, "p2", f.g1, t0.Add(h(2)), f.alice.Ref, "")
		f.now = t0.Add(h(30))
		f.count()
		owed := func() int64 {
			bs, err := f.ls.Balances(f.ctx, f.alice.MemberID)
			if err != nil {
				t.Fatal(err)
			}
			var v int64
			for _, b := range bs {
				if b.Account.Kind == ledger.MemberPayable {
					v += b.Owed()
				}
			}
			return v
		}
		if owed() != 500 {
			t.Fatalf("owed %d after reaching 2", owed())
		}
		fig, err := f.s.Figures(f.ctx, f.c.ID, nil)
		if err != nil || fig.RewardCostFen != 500 || fig.Valid != 2 || fig.CostPerValidFen != 250 || fig.KFactor != 100 {
			t.Fatalf("figures %+v %v", fig, err)
		}
		// A late leave within the stay takes one invite and the reward back.
		f.event("a2-out", community.Leave, "p2", f.g1, t0.Add(h(3)), "", "")
		f.count()
		if owed() != 0 {
			t.Fatalf("owed %d after the reward was taken back", owed())
		}
		all, err := f.ls.Balances(f.ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, b := range all {
			sum += b.Balance
		}
		if sum != 0 {
			t.Fatalf("ledger does not balance: %d", sum)
		}
	})
}

// Two servers counting at once, and counting again, give one result.
func TestCountIdempotentAcrossServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		other := NewStore(storetest.Reopen(t, db), f.cs, f.ls, nil)
		other.Now = f.s.Now
		for i := range 30 {
			who := string(rune('a'+i%26)) + "x" + string(rune('0'+i/26))
			f.event("e"+who, community.Join, who, f.g1, t0.Add(h(float64(i)/10+1)), f.bob.Ref, "")
		}
		f.now = t0.Add(h(48))
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, s := range []*Store{f.s, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Count(f.ctx)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil && !store.IsBusy(err) {
				t.Fatal(err)
			}
		}
		f.count()
		f.count()
		if v := f.valid(f.bob); v != 30 {
			t.Fatalf("valid %d, want 30", v)
		}
		board, total, err := f.s.Leaderboard(f.ctx, f.c.ID, 10, 0)
		if err != nil || total != 2 || board[0].ID != f.bob.ID || board[0].Rank != 1 || board[1].Rank != 2 {
			t.Fatalf("board %+v %d %v", board, total, err)
		}
	})
}

// A campaign started later counts the joins already stored (a rescan).
func TestRescanOnStatusChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		if err := f.s.SetStatus(f.ctx, f.c.ID, Draft); err != nil {
			t.Fatal(err)
		}
		f.event("late", community.Join, "lateone", f.g1, t0.Add(h(1)), f.bob.Ref, "")
		f.now = t0.Add(h(48))
		f.count()
		if f.decision("late") != nil {
			t.Fatal("a draft counted")
		}
		if err := f.s.SetStatus(f.ctx, f.c.ID, Running); err != nil {
			t.Fatal(err)
		}
		f.count()
		f.want("late", Valid)
	})
}

// Pages of the leaderboard at any place agree with the whole board, ties
// sharing a place.
func TestLeaderboardPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		names, valid := make([]string, 230), make([]int, 230)
		for i := range names {
			names[i], valid[i] = fmt.Sprint("p", i), (i*7)%11
		}
		if err := f.s.BulkParticipants(f.ctx, f.c.ID, names, valid); err != nil {
			t.Fatal(err)
		}
		all, total, err := f.s.Leaderboard(f.ctx, f.c.ID, 1000, 0)
		if err != nil || total != 232 || len(all) != 232 {
			t.Fatalf("board: %d of %d, %v", len(all), total, err)
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			if a.Valid < b.Valid || (a.Valid == b.Valid && (a.ID > b.ID || a.Rank != b.Rank)) || (a.Valid > b.Valid && b.Rank != i+1) {
				t.Fatalf("order at %d: %+v then %+v", i, a, b)
			}
		}
		for _, off := range []int{1, 17, 49, 100, 199, 231, 232} {
			page, _, err := f.s.Leaderboard(f.ctx, f.c.ID, 20, off)
			if err != nil {
				t.Fatal(err)
			}
			want := all[min(off, len(all)):min(off+20, len(all))]
			if len(page) != len(want) {
				t.Fatalf("offset %d: %d rows, want %d", off, len(page), len(want))
			}
			for i := range page {
				if page[i].ID != want[i].ID || page[i].Rank != want[i].Rank {
					t.Fatalf("offset %d row %d: %+v, want %+v", off, i, page[i], want[i])
				}
			}
		}
	})
}
