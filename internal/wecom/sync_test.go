package wecom_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/wecom"
	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

// The kill test runs a sync in a child process (this test binary,
// re-executed) and kills it with SIGKILL while it waits for WeCom.
const (
	envKillDB  = "QUNKE_WECOM_KILL_DB"
	envKillAPI = "QUNKE_WECOM_KILL_API"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(envKillDB); dsn != "" {
		os.Exit(killChild(dsn, os.Getenv(envKillAPI)))
	}
	os.Exit(m.Run())
}

func killChild(dsn, api string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	s := syncer(db, wecom.NewClient(api, corp, secret))
	if _, err := s.Once(ctx); err != nil { // killed before it returns
		fmt.Fprintln(os.Stderr, err)
		return 4
	}
	return 0
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func syncer(db *store.DB, api *wecom.Client) *wecom.Syncer {
	return &wecom.Syncer{API: api, Registry: community.NewStore(db), State: wecom.NewSyncStore(db), DB: db, Log: quiet, PageSize: 2}
}

// world is a fake corp with five customer groups: 群A, 群B and 群C mapped to
// Qunke groups of those names, 群D unmapped with a Qunke group of its name
// (proposed), 群E unmapped with none.
type world struct {
	f      *wecomfake.Server
	clk    *clock
	reg    *community.Store
	s      *wecom.Syncer
	groups map[string]int64 // Qunke group ids by name
}

var joined = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	clk := newClock()
	f, c := newFake(t, clk)
	w := &world{f: f, clk: clk, reg: community.NewStore(db), groups: map[string]int64{}}
	w.s = syncer(db, c)
	w.s.Now = clk.Now
	for _, n := range []string{"A", "B", "C", "D"} {
		g := &community.Group{Name: "群" + n, Channel: community.Manual}
		if err := w.reg.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		w.groups[g.Name] = g.ID
	}
	for i, n := range []string{"A", "B", "C", "D", "E"} {
		id := "wr" + n
		f.AddChat(id, "群"+n, "owner"+n)
		for k := range i + 2 { // 2..6 members
			m := wecomfake.Member{UserID: fmt.Sprintf("wm%s%d", n, k), Type: wecom.MemberExternal, UnionID: fmt.Sprintf("un%s%d", n, k),
				JoinTime: joined.Add(time.Duration(k) * time.Hour), JoinScene: k%3 + 1, Name: fmt.Sprintf("客人%s%d", n, k)}
			if m.JoinScene == wecom.SceneInvite {
				m.Invitor = "owner" + n
			}
			if m.JoinScene == wecom.SceneQR {
				m.State = "qr-" + n
			}
			f.AddMember(id, m)
		}
		f.AddMember(id, wecomfake.Member{UserID: "owner" + n, Type: wecom.MemberCorp, JoinTime: joined, JoinScene: wecom.SceneInvite})
		if n <= "C" {
			if err := w.reg.MapChat(ctx, community.SourceWeCom, id, w.groups["群"+n]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

// members returns who is in a Qunke group now, by external id.
func (w *world) members(t *testing.T, group int64) map[string]community.Membership {
	t.Helper()
	ctx := context.Background()
	rows, _, err := w.reg.Members(ctx, community.MemberFilter{GroupID: group, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]community.Membership{}
	for _, r := range rows {
		_, ms, err := w.reg.Member(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.GroupID == group && m.In() {
				out[r.ExternalID] = m
			}
		}
	}
	return out
}

// events returns the number of join and leave events of a group's members.
func (w *world) events(t *testing.T, group int64) (joins, leaves int) {
	t.Helper()
	ctx := context.Background()
	rows, _, err := w.reg.Members(ctx, community.MemberFilter{GroupID: group, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		evs, err := w.reg.Events(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			switch e.Kind {
			case community.Join:
				joins++
			case community.Leave:
				leaves++
			}
		}
	}
	return joins, leaves
}

func keys[V any](m map[string]V) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestSyncPagesSnapshotsAndProposes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		var pages []int
		w.s.Progress = func(p, _ int) { pages = append(pages, p) }
		res, err := w.s.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Pages != 3 || res.Chats != 5 || res.Synced != 3 || res.Unmapped != 2 || res.Proposed != 1 || len(pages) != 3 {
			t.Fatalf("result %+v, progress %v", res, pages)
		}
		// 群B: three guests and its owner, with how each joined.
		in := w.members(t, w.groups["群B"])
		if got := keys(in); got != "ownerB,wmB0,wmB1,wmB2" {
			t.Fatalf("群B members %s", got)
		}
		if m := in["wmB0"]; m.JoinHow != community.JoinInvite || m.Inviter != "ownerB" || !m.JoinedAt.Equal(joined) {
			t.Errorf("wmB0 (join_scene 1, invitor ownerB): %+v", m)
		}
		if m := in["wmB1"]; m.JoinHow != community.JoinLink || m.Inviter != "" || m.InviteLink != "" {
			t.Errorf("wmB1 (join_scene 2): %+v", m)
		}
		if m := in["wmB2"]; m.JoinHow != community.JoinQR || m.InviteLink != "qr-B" || !m.JoinedAt.Equal(joined.Add(2*time.Hour)) {
			t.Errorf("wmB2 (join_scene 3, state qr-B): %+v", m)
		}
		if res.Joined != 3+4+5 {
			t.Errorf("joined %d, want 12", res.Joined)
		}
		// The unmapped groups are kept with their proposal; no member of
		// theirs is in 群D.
		st, ok, err := w.s.State.Chat(ctx, "wrD")
		if err != nil || !ok || st.ProposedGroup != w.groups["群D"] || st.Members != 6 || st.Name != "群D" {
			t.Fatalf("群D state %+v %v %v", st, ok, err)
		}
		if st, _, _ := w.s.State.Chat(ctx, "wrE"); st.ProposedGroup != 0 {
			t.Fatalf("群E has no Qunke group of its name, yet %+v", st)
		}
		if len(w.members(t, w.groups["群D"])) != 0 {
			t.Fatal("an unmapped chat's members went into the group")
		}
		unmapped, err := w.reg.UnmappedChats(ctx, community.SourceWeCom)
		if err != nil || len(unmapped) != 2 || unmapped[0].Name != "群D" {
			t.Fatalf("the registry's unmapped chats: %+v %v", unmapped, err)
		}
		// A person confirms: the chat is mapped and synced at once.
		if err := w.reg.MapChat(ctx, community.SourceWeCom, "wrD", st.ProposedGroup); err != nil {
			t.Fatal(err)
		}
		c, err := w.s.SyncChat(ctx, "wrD")
		if err != nil || c.Snapshot.Joined != 6 || c.Group != w.groups["群D"] {
			t.Fatalf("after confirming: %+v %v", c, err)
		}
		if st, _, _ := w.s.State.Chat(ctx, "wrD"); st.ProposedGroup != 0 || st.MemberVersion != w.f.Version("wrD") {
			t.Fatalf("群D after mapping: %+v", st)
		}
		last, err := w.s.State.LastRun(ctx)
		if err != nil || last.Finished.IsZero() || last.Synced != 3 || last.Err != "" {
			t.Fatalf("last run %+v %v", last, err)
		}
		// The console's overview: every chat seen, and one only the
		// callback told of (its event waits for the mapping).
		if _, err := w.reg.ApplyEvents(ctx, []community.MemberEvent{{Key: "wecom:wrCB:wmZ:1:join", Source: community.SourceWeCom,
			ChatID: "wrCB", Kind: community.Join, At: joined, ExternalID: "wmZ"}}); err != nil {
			t.Fatal(err)
		}
		o, err := w.s.Overview(ctx)
		if err != nil || len(o.Chats) != 6 || len(o.Groups) != 4 {
			t.Fatalf("overview %+v %v", o, err)
		}
		byID := map[string]wecom.ChatRow{}
		for _, c := range o.Chats {
			byID[c.ChatID] = c
		}
		if byID["wrA"].GroupName != "群A" || byID["wrE"].Group != 0 || byID["wrCB"].ChatID != "wrCB" || byID["wrD"].GroupName != "群D" {
			t.Fatalf("overview rows %+v", byID)
		}
	})
}

// A group whose member_version did not change is not snapshotted again;
// a join and a leave become events; a token revoked meanwhile is renewed.
func TestSyncSkipsUnchangedAndDiffs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		if _, err := w.s.Once(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := w.s.Once(ctx)
		if err != nil || res.Synced != 0 || res.Unchanged != 3 || res.Joined != 0 {
			t.Fatalf("second run %+v %v", res, err)
		}
		w.clk.Add(time.Hour)
		w.f.AddMember("wrA", wecomfake.Member{UserID: "wmNEW", Type: wecom.MemberExternal, JoinTime: w.clk.Now(), JoinScene: wecom.SceneLink, State: "summer"})
		if !w.f.RemoveMember("wrA", "wmA0") {
			t.Fatal("no wmA0")
		}
		w.f.BumpVersion("wrC") // same members, new version: snapshotted, nothing changes
		w.f.RevokeTokens()
		res, err = w.s.Once(ctx)
		if err != nil || res.Synced != 2 || res.Unchanged != 1 || res.Joined != 1 || res.Left != 1 {
			t.Fatalf("third run %+v %v", res, err)
		}
		in := w.members(t, w.groups["群A"])
		if got := keys(in); got != "ownerA,wmA1,wmNEW" {
			t.Fatalf("群A members %s", got)
		}
		if m := in["wmNEW"]; m.JoinHow != community.JoinLink || m.InviteLink != "summer" {
			t.Errorf("wmNEW: %+v", m)
		}
		if j, l := w.events(t, w.groups["群A"]); j != 4 || l != 1 {
			t.Errorf("群A events: %d joins, %d leaves; want 4, 1", j, l)
		}
		if j, l := w.events(t, w.groups["群C"]); j != 5 || l != 0 {
			t.Errorf("群C events after a version bump: %d joins, %d leaves; want 5, 0", j, l)
		}
	})
}

// A mapped group WeCom dismissed (no longer listed, 40050 when asked for)
// has every member leave, once.
func TestSyncDismissedGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		if _, err := w.s.Once(ctx); err != nil {
			t.Fatal(err)
		}
		w.f.RemoveChat("wrB")
		w.f.RemoveChat("wrE") // unmapped: nothing to do
		res, err := w.s.Once(ctx)
		if err != nil || res.Gone != 1 || res.Left != 4 || res.Unchanged != 2 || res.Chats != 4 {
			t.Fatalf("after the dismissal %+v %v", res, err)
		}
		if n := len(w.members(t, w.groups["群B"])); n != 0 {
			t.Fatalf("群B keeps %d members", n)
		}
		gets := w.f.Calls("externalcontact/groupchat/get")
		res, err = w.s.Once(ctx)
		if err != nil || res.Gone != 0 || res.Left != 0 || w.f.Calls("externalcontact/groupchat/get") != gets+3 {
			t.Fatalf("the run after %+v %v", res, err)
		}
		if j, l := w.events(t, w.groups["群B"]); j != 4 || l != 4 {
			t.Errorf("群B events: %d joins, %d leaves; want 4, 4", j, l)
		}
	})
}

// The API's rate limit is waited out in the middle of a run.
func TestSyncRateLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.f.SetLimit(channel.Rate{N: 2, Per: 10 * time.Second})
		w.s.API.Backoff = 4 * time.Second
		res, err := w.s.Once(context.Background())
		if err != nil || res.Synced != 3 || res.Chats != 5 {
			t.Fatalf("%+v %v", res, err)
		}
		if len(w.clk.slept) == 0 {
			t.Fatal("the limit was never hit")
		}
	})
}

// A sync killed (SIGKILL) while it waits for WeCom loses and duplicates
// nothing: the groups synced before stay synced, and the next run (the
// last one never finished, so it is due at once) syncs the rest and skips
// them.
func TestSyncKilledAndRerun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hit := w.f.StallAt("externalcontact/groupchat/get", 3) // 群C: 群A and 群B are done
		dsn := db.Path()
		if dsn == "" {
			dsn = db.Source
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envKillDB+"="+dsn, envKillAPI+"="+w.f.URL)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-hit:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatal("the child never asked for the third group")
		}
		cmd.Process.Kill()
		cmd.Wait()
		ctx := context.Background()
		if n := len(w.members(t, w.groups["群B"])); n != 4 {
			t.Fatalf("群B before the kill: %d members, want 4", n)
		}
		if n := len(w.members(t, w.groups["群C"])); n != 0 {
			t.Fatalf("群C before the kill: %d members, want 0", n)
		}
		last, _ := w.s.State.LastRun(ctx)
		j := &wecom.SyncJob{Syncer: w.s, Every: time.Hour}
		if !last.Finished.IsZero() || !j.Due(last, w.clk.Now()) {
			t.Fatalf("the killed run %+v is not due again", last)
		}
		res, err := w.s.Once(ctx)
		if err != nil || res.Unchanged != 2 || res.Synced != 1 {
			t.Fatalf("rerun %+v %v", res, err)
		}
		for n, want := range map[string]int{"群A": 3, "群B": 4, "群C": 5} {
			if got := len(w.members(t, w.groups[n])); got != want {
				t.Errorf("%s: %d members, want %d", n, got, want)
			}
			if j, l := w.events(t, w.groups[n]); j != want || l != 0 {
				t.Errorf("%s: %d joins, %d leaves; want %d, 0", n, j, l, want)
			}
		}
	})
}

// Two servers on one database run the job: one syncs, once.
func TestSyncTwoServersOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{}, 2)
		for i, d := range []*store.DB{db, storetest.Reopen(t, db)} {
			s := syncer(d, wecom.NewClient(w.f.URL, corp, secret))
			j := &wecom.SyncJob{Syncer: s, DB: d, Holder: fmt.Sprint("server", i), Every: time.Hour, Poll: 20 * time.Millisecond,
				TTL: time.Second, Log: quiet}
			go func() { j.Run(ctx); done <- struct{}{} }()
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			last, err := w.s.State.LastRun(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !last.Finished.IsZero() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no server synced")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // time for a second sync, if the lease and the last run let one run
		cancel()
		<-done
		<-done
		if n := w.f.Calls("externalcontact/groupchat/list"); n != 3 {
			t.Errorf("%d list calls, want 3 (one run of 3 pages)", n)
		}
		if n := w.f.Calls("externalcontact/groupchat/get"); n != 5 {
			t.Errorf("%d get calls, want 5 (one run)", n)
		}
		if n := len(w.members(t, w.groups["群C"])); n != 5 {
			t.Errorf("群C: %d members", n)
		}
	})
}
