package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// t0 is the CreateTime of the tests' first event.
const t0 = 1733450000

type fixture struct {
	t      *testing.T
	db     *store.DB
	url    string
	inbox  *Inbox
	reg    *community.Store
	crypto *Crypto
	nonce  int
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	srv, inbox := callbackServer(t, db)
	return &fixture{t: t, db: db, url: srv.URL, inbox: inbox, reg: community.NewStore(db), crypto: vectorCrypto(t)}
}

// send posts an event through the running server, as WeCom would.
func (f *fixture) send(msg string) {
	f.t.Helper()
	f.nonce++
	if code, body := signed(f.t, f.url, f.crypto, msg, fmt.Sprint(f.nonce)); code != 200 {
		f.t.Fatalf("callback answered %d %q", code, body)
	}
}

func (f *fixture) group(name, chat string) int64 {
	f.t.Helper()
	g := &community.Group{Name: name, Channel: community.Manual}
	ctx := context.Background()
	if err := f.reg.Save(ctx, g); err != nil {
		f.t.Fatal(err)
	}
	if err := f.reg.MapChat(ctx, community.SourceWeCom, chat, g.ID); err != nil {
		f.t.Fatal(err)
	}
	return g.ID
}

func (f *fixture) worker(r Reconciler) *Worker {
	return &Worker{Inbox: f.inbox, Registry: f.reg, Reconciler: r, Log: slog.New(slog.DiscardHandler), Holder: "test"}
}

func (f *fixture) apply(w *Worker) int {
	f.t.Helper()
	n, err := w.ApplyPending(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// stays returns a member's memberships.
func (f *fixture) stays(user string) []community.Membership {
	f.t.Helper()
	rows, _, err := f.reg.Members(context.Background(), community.MemberFilter{Query: user, Source: community.SourceWeCom})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rows {
		if r.ExternalID == user {
			_, ms, err := f.reg.Member(context.Background(), r.ID)
			if err != nil {
				f.t.Fatal(err)
			}
			return ms
		}
	}
	return nil
}

func (f *fixture) memberEvents() int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM member_events`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) version(chat string) ChatVersion {
	f.t.Helper()
	vs, err := f.inbox.Versions(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range vs {
		if v.ChatID == chat {
			return v
		}
	}
	return ChatVersion{}
}

func leaveEvent(chat string, created int64, quit int, last, cur string, users ...string) string {
	s := chatChange(chat, "del_member", created, last, cur, users...)
	return strings.Replace(s, "<QuitScene>1</QuitScene>", fmt.Sprintf("<QuitScene>%d</QuitScene>", quit), 1)
}

// recorder is the API sync as the worker sees it: it records the groups it
// was asked to fetch again, and fails while fail is set.
type recorder struct {
	mu    sync.Mutex
	chats []string
	fail  error
}

func (r *recorder) Reconcile(_ context.Context, chat string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chats = append(r.chats, chat)
	return r.fail
}

// TestWorkerAppliesChanges: joins (by QR, invited) and leaves (removed,
// by themselves) reach the registry with their time and how.
func TestWorkerAppliesChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := f.group("福利群1", "wrC1")
		f.send(chatChange("wrC1", "add_member", t0, "v0", "v1", "wmA", "wmB"))
		f.send(strings.Replace(chatChange("wrC1", "add_member", t0+60, "v1", "v2", "wmC"), "<JoinScene>3</JoinScene>", "<JoinScene>0</JoinScene>", 1))
		f.send(leaveEvent("wrC1", t0+120, 1, "v2", "v3", "wmA"))
		f.send(leaveEvent("wrC1", t0+180, 0, "v3", "v4", "wmB"))
		f.send(strings.Replace(chatChange("wrC1", "change_name", t0+200, "", ""), "<MemChangeCnt>0</MemChangeCnt>", "", 1))
		w := f.worker(nil)
		if n := f.apply(w); n != 5 {
			t.Fatalf("applied %d events, want 5", n)
		}
		a := f.stays("wmA")
		if len(a) != 1 || a[0].GroupID != g || a[0].JoinHow != community.JoinQR || a[0].LeaveHow != community.LeaveRemoved ||
			!a[0].JoinedAt.Equal(time.Unix(t0, 0)) || !a[0].LeftAt.Equal(time.Unix(t0+120, 0)) {
			t.Fatalf("wmA: %+v", a)
		}
		if b := f.stays("wmB"); len(b) != 1 || b[0].LeaveHow != community.LeaveSelf {
			t.Fatalf("wmB: %+v", b)
		}
		if c := f.stays("wmC"); len(c) != 1 || !c[0].In() || c[0].JoinHow != community.JoinInvite {
			t.Fatalf("wmC: %+v", c)
		}
		if v := f.version("wrC1"); v.MemberVersion != "v4" || v.Reconcile != "" {
			t.Fatalf("version %+v", v)
		}
		c, err := f.inbox.Counts(context.Background())
		if err != nil || c.Applied != 5 || c.New != 0 || c.Reconcile != 0 {
			t.Fatalf("counts %+v %v", c, err)
		}
		if n := f.apply(w); n != 0 {
			t.Fatalf("applied %d again", n)
		}
		// Pruning keeps what was applied since, and never a waiting event.
		f.send(chatChange("wrC1", "add_member", t0+300, "v4", "v5", "wmD"))
		if n, err := f.inbox.Prune(context.Background(), time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("pruned %d recent events, %v", n, err)
		}
		if n, err := f.inbox.Prune(context.Background(), time.Now().Add(time.Second)); err != nil || n != 5 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		if c, _ := f.inbox.Counts(context.Background()); c.New != 1 || c.Applied != 0 {
			t.Fatalf("after pruning %+v", c)
		}
	})
}

// TestWorkerOutOfOrder: a leave that arrives (and is applied) before its
// join still ends the stay, and the late join raises no reconcile: it is
// older than the version held.
func TestWorkerOutOfOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.group("福利群2", "wrC2")
		rec := &recorder{}
		w := f.worker(rec)
		f.send(leaveEvent("wrC2", t0+300, 0, "v1", "v2", "wmA"))
		f.apply(w)
		f.send(chatChange("wrC2", "add_member", t0, "v0", "v1", "wmA"))
		f.apply(w)
		w.reconcile(context.Background())
		a := f.stays("wmA")
		if len(a) != 1 || !a[0].JoinedAt.Equal(time.Unix(t0, 0)) || !a[0].LeftAt.Equal(time.Unix(t0+300, 0)) {
			t.Fatalf("wmA: %+v", a)
		}
		if v := f.version("wrC2"); v.MemberVersion != "v2" || v.Reconcile != "" || len(rec.chats) != 0 {
			t.Fatalf("version %+v, reconciled %v", v, rec.chats)
		}
		// Stored together, they are applied in WeCom's order.
		f.send(leaveEvent("wrC2", t0+900, 0, "v3", "v4", "wmB"))
		f.send(chatChange("wrC2", "add_member", t0+600, "v2", "v3", "wmB"))
		f.apply(w)
		if v := f.version("wrC2"); v.MemberVersion != "v4" || v.Reconcile != "" {
			t.Fatalf("version %+v", v)
		}
		if b := f.stays("wmB"); len(b) != 1 || b[0].In() {
			t.Fatalf("wmB: %+v", b)
		}
	})
}

// TestWorkerGapReconciles: a LastMemVer that is not the version held, a
// member list shorter than its count, and a new group each ask the API
// sync for the group; a failing reconcile stays recorded and is retried;
// without an API sync the need is kept.
func TestWorkerGapReconciles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.group("福利群3", "wrC3")
		rec := &recorder{fail: errors.New("45009 api freq out of limit")}
		w := f.worker(rec)
		f.send(chatChange("wrC3", "add_member", t0, "v0", "v1", "wmA"))
		f.send(chatChange("wrC3", "add_member", t0+60, "v7", "v8", "wmB")) // v1..v7 missed
		f.apply(w)
		if v := f.version("wrC3"); v.Reconcile != ReconcileGap || v.MemberVersion != "v8" {
			t.Fatalf("after a gap: %+v", v)
		}
		w.reconcile(context.Background())
		w.reconcile(context.Background()) // within reconcileEvery: not tried again
		if len(rec.chats) != 1 || f.version("wrC3").Reconcile != ReconcileGap {
			t.Fatalf("failed reconcile: calls %v, %+v", rec.chats, f.version("wrC3"))
		}
		rec.fail = nil
		w.tried = nil
		w.reconcile(context.Background())
		if len(rec.chats) != 2 || f.version("wrC3").Reconcile != "" {
			t.Fatalf("reconcile: calls %v, %+v", rec.chats, f.version("wrC3"))
		}
		// The next event follows on: no reconcile.
		f.send(chatChange("wrC3", "add_member", t0+120, "v8", "v9", "wmC"))
		f.apply(w)
		if v := f.version("wrC3"); v.Reconcile != "" || v.MemberVersion != "v9" {
			t.Fatalf("%+v", v)
		}
		// A count above the list.
		short := strings.Replace(chatChange("wrC3", "add_member", t0+180, "v9", "v10", "wmD"), "<MemChangeCnt>1<", "<MemChangeCnt>40<", 1)
		f.send(short)
		// A new group, not yet mapped: its events are kept for the mapping.
		created := strings.Replace(chatChange("wrNew", "", t0, "", ""), "<ChangeType><![CDATA[update]]>", "<ChangeType><![CDATA[create]]>", 1)
		f.send(created)
		f.send(chatChange("wrNew", "add_member", t0+5, "n0", "n1", "wmE"))
		none := f.worker(nil)
		f.apply(none)
		none.reconcile(context.Background())
		if v := f.version("wrC3"); v.Reconcile != ReconcileShortList {
			t.Fatalf("short list: %+v", v)
		}
		if v := f.version("wrNew"); v.Reconcile != ReconcileCreated {
			t.Fatalf("created: %+v", v)
		}
		c, _ := f.inbox.Counts(context.Background())
		if c.Reconcile != 2 {
			t.Fatalf("counts %+v", c)
		}
		un, err := f.reg.UnmappedChats(context.Background(), community.SourceWeCom)
		if err != nil || len(un) != 1 || un[0].ChatID != "wrNew" || un[0].Pending != 1 {
			t.Fatalf("unmapped %+v %v", un, err)
		}
	})
}

// TestWorkerDismiss: a dismissed group's members all leave.
func TestWorkerDismiss(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.group("福利群4", "wrC4")
		f.send(chatChange("wrC4", "add_member", t0, "v0", "v1", "wmA", "wmB"))
		dismiss := strings.Replace(chatChange("wrC4", "", t0+3600, "", ""), "<ChangeType><![CDATA[update]]>", "<ChangeType><![CDATA[dismiss]]>", 1)
		f.send(dismiss)
		f.send(chatChange("wrC4", "add_member", t0+10, "v1", "v2", "wmC")) // before the dismiss
		if n := f.apply(f.worker(nil)); n != 3 {
			t.Fatalf("applied %d", n)
		}
		for _, u := range []string{"wmA", "wmB", "wmC"} {
			if s := f.stays(u); len(s) != 1 || s[0].In() || !s[0].LeftAt.Equal(time.Unix(t0+3600, 0)) {
				t.Fatalf("%s after the dismiss: %+v", u, s)
			}
		}
	})
}

// failing is the registry with a fault: it applies the events, then fails,
// as a process killed before its commit would.
type failing struct {
	*community.Store
	left int
}

func (r *failing) ApplyEventsTx(ctx context.Context, tx *store.Tx, evs []community.MemberEvent) (int, error) {
	n, err := r.Store.ApplyEventsTx(ctx, tx, evs)
	if err == nil && r.left > 0 {
		r.left--
		return 0, errors.New("killed before commit")
	}
	return n, err
}

// TestWorkerCrashAppliesOnce: events stored and answered, then the server
// dies (before applying, and during an apply): a new server on the same
// database applies each exactly once; two servers' workers racing over
// the same events apply them once between them.
func TestWorkerCrashAppliesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.group("福利群5", "wrC5")
		var users []string
		for i := range 40 {
			u := fmt.Sprintf("wm%03d", i)
			users = append(users, u)
			f.send(chatChange("wrC5", "add_member", t0+int64(i), fmt.Sprint("v", i), fmt.Sprint("v", i+1), u))
		}
		f.inbox.Close() // the first server dies with everything stored, nothing applied

		// A second server: its first attempts die before their commit.
		db2 := storetest.Reopen(t, db)
		in2 := NewInbox(db2)
		defer in2.Close()
		reg2 := community.NewStore(db2)
		w2 := &Worker{Inbox: in2, Registry: &failing{Store: reg2, left: 2}, Log: slog.New(slog.DiscardHandler), Holder: "b"}
		n, err := w2.ApplyPending(context.Background())
		if err != nil || n != 40 {
			t.Fatalf("second server applied %d, %v", n, err)
		}
		if got := f.memberEvents(); got != 40 {
			t.Fatalf("%d member events, want 40", got)
		}
		for _, u := range users {
			if s := f.stays(u); len(s) != 1 || !s[0].In() {
				t.Fatalf("%s: %+v", u, s)
			}
		}
		c, _ := in2.Counts(context.Background())
		if c.Applied != 40 || c.Failed != 0 || c.New != 0 {
			t.Fatalf("counts %+v", c)
		}

		// Two servers racing over a burst.
		for i := range 60 {
			msg := chatChange("wrC5", "del_member", t0+1000+int64(i), fmt.Sprint("w", i), fmt.Sprint("w", i+1), users[i%40])
			if _, err := in2.Put(context.Background(), mustParse(t, msg), []byte(msg)); err != nil {
				t.Fatal(err)
			}
		}
		db3 := storetest.Reopen(t, db)
		w3 := &Worker{Inbox: NewInboxView(db3), Registry: community.NewStore(db3), Log: slog.New(slog.DiscardHandler), Holder: "c"}
		w2.Registry = reg2
		var wg sync.WaitGroup
		var n2, n3 int
		var e2, e3 error
		wg.Go(func() { n2, e2 = w2.ApplyPending(context.Background()) })
		wg.Go(func() { n3, e3 = w3.ApplyPending(context.Background()) })
		wg.Wait()
		if e2 != nil || e3 != nil || n2+n3 != 60 {
			t.Fatalf("racing workers applied %d+%d, %v %v", n2, n3, e2, e3)
		}
		if got := f.memberEvents(); got != 100 {
			t.Fatalf("%d member events, want 100", got)
		}
	})
}

func mustParse(t *testing.T, s string) *Message {
	t.Helper()
	m, err := parseMessage([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWorkerPoisonEvent: an event the registry refuses is retried, then
// set aside as failed with its error; the others are applied.
func TestWorkerPoisonEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.group("福利群6", "wrC6")
		f.send(chatChange("wrC6", "add_member", t0, "v0", "v1", "wmA"))
		// The second one's stored body is broken (as by a bad disk or a
		// hand edit): it cannot be read, so it is set aside at once.
		f.send(chatChange("wrC6", "add_member", t0+1, "v1", "v2", "wmB"))
		if _, err := db.Exec(`UPDATE wecom_inbox SET body = '<xml><broken' WHERE created_at = $1`, t0+1); err != nil {
			t.Fatal(err)
		}
		if n := f.apply(f.worker(nil)); n != 1 {
			t.Fatalf("applied %d", n)
		}
		c, _ := f.inbox.Counts(context.Background())
		if c.Applied != 1 || c.Failed != 1 {
			t.Fatalf("counts %+v", c)
		}
		failed, err := f.inbox.Failed(context.Background(), 10)
		if err != nil || len(failed) != 1 || failed[0].ChatID != "wrC6" || failed[0].Error == "" || !failed[0].CreatedAt.Equal(time.Unix(t0+1, 0)) {
			t.Fatalf("failed %+v %v", failed, err)
		}
		// Once the cause is fixed, the event is put back and applied.
		if _, err := db.Exec(`UPDATE wecom_inbox SET body = $1 WHERE created_at = $2`,
			chatChange("wrC6", "add_member", t0+1, "v1", "v2", "wmB"), t0+1); err != nil {
			t.Fatal(err)
		}
		if n, err := f.inbox.RetryFailed(context.Background()); err != nil || n != 1 {
			t.Fatalf("retried %d, %v", n, err)
		}
		if n := f.apply(f.worker(nil)); n != 1 {
			t.Fatalf("applied %d after the retry", n)
		}
		if s := f.stays("wmB"); len(s) != 1 || !s[0].In() {
			t.Fatalf("wmB: %+v", s)
		}
	})
}
