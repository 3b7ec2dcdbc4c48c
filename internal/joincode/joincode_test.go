package joincode

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/tgmembers/tgfake"
	"github.com/qunke/qunke/internal/wecom"
	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func qrPNG(t testing.TB, text string) []byte {
	t.Helper()
	b, err := poster.QRPNG(text, 4)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func group(t testing.TB, gs *community.Store, g community.Group) *community.Group {
	t.Helper()
	g.Active = true
	if g.Channel == "" {
		g.Channel = community.Manual
	}
	if err := gs.Save(context.Background(), &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// TestPick is the rotation rule by rule, without a database.
func TestPick(t *testing.T) {
	now := t0
	qr := func(up time.Time) *QR { return &QR{ID: 1, Uploaded: up, Expires: up.Add(QRLife)} }
	g := func(name string, capacity int64) *community.Group {
		return &community.Group{Name: name, Active: true, Capacity: capacity, Channel: community.Manual}
	}
	cases := []struct {
		name  string
		cands []Candidate
		want  int
		skips []Reason
	}{
		{"first admits", []Candidate{{Group: g("a", 500), Members: 10, QR: qr(now)}, {Group: g("b", 0), QR: qr(now)}}, 0, nil},
		{"full by capacity", []Candidate{{Group: g("a", 100), Members: 100, QR: qr(now)}, {Group: g("b", 0), QR: qr(now)}}, 1, []Reason{SkipFull}},
		{"200 members with a QR", []Candidate{{Group: g("a", 500), Members: 200, QR: qr(now)}, {Group: g("b", 500), Members: 199, QR: qr(now)}}, 1, []Reason{SkipQR200}},
		{"QR expiring within the margin", []Candidate{{Group: g("a", 0), QR: qr(now.Add(-QRLife + time.Hour))}, {Group: g("b", 0), QR: qr(now)}}, 1, []Reason{SkipExpiring}},
		{"QR expired", []Candidate{{Group: g("a", 0), QR: qr(now.Add(-8 * 24 * time.Hour))}, {Group: g("b", 0), QR: qr(now)}}, 1, []Reason{SkipExpiring}},
		{"QR just outside the margin", []Candidate{{Group: g("a", 0), QR: qr(now.Add(-QRLife + 3*time.Hour))}}, 0, nil},
		{"no QR", []Candidate{{Group: g("a", 0)}, {Group: g("b", 0), QR: qr(now)}}, 1, []Reason{SkipNoQR}},
		{"deleted and off", []Candidate{{GroupID: 9}, {Group: &community.Group{Name: "off"}, QR: qr(now)}, {Group: g("c", 0), QR: qr(now)}}, 2, []Reason{SkipMissing, SkipInactive}},
		{"a join way ignores the 200 rule", []Candidate{{Group: g("w", 500), Members: 300, Way: true}}, 0, nil},
		{"a join way's group full", []Candidate{{Group: g("w", 500), Members: 500, Way: true}, {Group: g("t", 0), Telegram: true}}, 1, []Reason{SkipFull}},
		{"none left", []Candidate{{Group: g("a", 100), Members: 100, QR: qr(now)}, {Group: g("b", 0), Members: 250, QR: qr(now)}, {Group: g("c", 0)}}, -1, []Reason{SkipFull, SkipQR200, SkipNoQR}},
		{"empty pool", nil, -1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i, skips := Pick(now, DefaultMargin, c.cands)
			if i != c.want {
				t.Errorf("picked %d, want %d (skips %v)", i, c.want, skips)
			}
			var got []Reason
			for _, s := range skips {
				got = append(got, s.Reason)
			}
			if strings.Join(reasons(got), ",") != strings.Join(reasons(c.skips), ",") {
				t.Errorf("skips %v, want %v", got, c.skips)
			}
		})
	}
}

func reasons(rs []Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return out
}

func TestCheckCodeAndQR(t *testing.T) {
	for _, bad := range []Code{{Code: "ab", Name: "x"}, {Code: "Has Space", Name: "x"}, {Code: "ok-code", Name: ""},
		{Code: "ok-code", Name: "x", Groups: []int64{-1}}} {
		if err := bad.Check(); err == nil {
			t.Errorf("%+v passed", bad)
		}
	}
	var many []int64
	for i := range MaxPool + 1 {
		many = append(many, int64(i+1))
	}
	if err := (&Code{Code: "big", Name: "x", Groups: many}).Check(); err == nil {
		t.Error("a pool over the limit passed")
	}
	if _, err := CheckQR([]byte("GIF89a not an image")); !errors.Is(err, errQRFormat) {
		t.Errorf("a non-image: %v", err)
	}
	if _, err := CheckQR(make([]byte, MaxQRBytes+1)); !errors.Is(err, errQRSize) {
		t.Errorf("too large: %v", err)
	}
	if m, err := CheckQR(qrPNG(t, "https://example.com")); err != nil || m != "image/png" {
		t.Errorf("a PNG: %q %v", m, err)
	}
}

// TestRotation walks a pool of QR groups on both engines: the page shows
// the first, then the next when the first fills up (200 members) or its QR
// is about to expire, and nothing once none admits; the warning job warns
// once per condition.
func TestRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gs := community.NewStore(db)
		st := NewStore(db)
		now := t0
		st.Now = func() time.Time { return now }
		a := group(t, gs, community.Group{Name: "福利1群", Capacity: 500, Members: 120})
		b := group(t, gs, community.Group{Name: "福利2群", Capacity: 500, Members: 30})
		c := &Code{Code: "fuli", Name: "福利群活码", Campaign: "双12", Active: true, Groups: []int64{a.ID, b.ID}}
		if err := st.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
		notes := &notes{}
		svc := &Service{Store: st, Groups: gs, Now: func() time.Time { return now }, Notify: notes}
		choose := func(inviter string) Choice {
			t.Helper()
			svc.Forget()
			ch, err := svc.Visit(ctx, "fuli", inviter)
			if err != nil {
				t.Fatal(err)
			}
			return ch
		}
		if ch := choose(""); ch.Kind != KindNone || len(ch.Skipped) != 2 {
			t.Fatalf("no QR yet: %+v", ch)
		}
		if _, err := st.UploadQR(ctx, a.ID, qrPNG(t, "a"), "op", now); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UploadQR(ctx, b.ID, qrPNG(t, "b"), "op", now.Add(2*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		ch := choose("u1")
		if ch.Kind != KindQR || ch.Group.ID != a.ID || ch.Attributed {
			t.Fatalf("first group: %+v", ch)
		}
		if !strings.HasPrefix(ch.URL, "/join/fuli/qr/") {
			t.Errorf("QR path %q", ch.URL)
		}
		// The first group reaches 200: its QR admits no more.
		a.Members = 200
		if err := gs.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		if ch := choose(""); ch.Group == nil || ch.Group.ID != b.ID || ch.Skipped[0].Reason != SkipQR200 {
			t.Fatalf("after 200: %+v", ch)
		}
		a.Members = 150
		if err := gs.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		// Six days on, a's QR is within a day of expiring: a warning, once.
		now = t0.Add(6*24*time.Hour + time.Hour)
		for range 2 {
			if _, err := svc.Warn(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := notes.count("join-qr:"); n != 1 {
			t.Errorf("%d QR warnings, want 1: %v", n, notes.sent)
		}
		// Within the margin of its expiry: b is shown.
		now = t0.Add(QRLife - time.Hour)
		if ch := choose(""); ch.Group == nil || ch.Group.ID != b.ID || ch.Skipped[0].Reason != SkipExpiring {
			t.Fatalf("QR expiring: %+v", ch)
		}
		// b fills up too: nothing admits, one warning however many runs.
		b.Members = 500
		if err := gs.Save(ctx, b); err != nil {
			t.Fatal(err)
		}
		if ch := choose(""); ch.Kind != KindNone {
			t.Fatalf("none left: %+v", ch)
		}
		for range 3 {
			if _, err := svc.Warn(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := notes.count("join-full:"); n != 1 {
			t.Errorf("%d full warnings, want 1", n)
		}
		// Room again (a new QR), then full again: warned again.
		if _, err := st.UploadQR(ctx, a.ID, qrPNG(t, "a2"), "op", now); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Warn(ctx); err != nil {
			t.Fatal(err)
		}
		a.Members = 200
		if err := gs.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Warn(ctx); err != nil {
			t.Fatal(err)
		}
		if n := notes.count("join-full:"); n != 2 {
			t.Errorf("%d full warnings after room came and went, want 2", n)
		}
		ws, err := st.Warnings(ctx, c.ID, 10)
		if err != nil || len(ws) == 0 || ws[0].Status != "sent" {
			t.Errorf("warnings %+v %v", ws, err)
		}
		// Views: 5 visits made above, counted by day and inviter.
		if n, err := st.TotalViews(ctx, c.ID); err != nil || n != 5 {
			t.Errorf("views %d %v, want 5", n, err)
		}
		by, err := st.ViewsByInviter(ctx, c.ID, 10)
		if err != nil || len(by) != 2 || by[0].Inviter != "" || by[0].Views != 4 || by[1].Inviter != "u1" {
			t.Errorf("by inviter %+v %v", by, err)
		}
	})
}

type notes struct {
	mu   sync.Mutex
	sent []string
}

func (n *notes) Deliver(_ context.Context, owner, key, text string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, key+" "+text)
	return "sent", nil
}

func (n *notes) count(prefix string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := 0
	for _, s := range n.sent {
		if strings.HasPrefix(s, prefix) {
			k++
		}
	}
	return k
}

// TestCountingExact: visits from many goroutines through two counters (two
// servers) on one database are all counted, none twice, including those
// still in memory at Close.
func TestCountingExact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		c := &Code{Code: "count", Name: "计数", Active: true}
		if err := st.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
		other := NewStore(storetest.Reopen(t, db))
		counters := []*Counter{NewCounter(st, 5*time.Millisecond, nil), NewCounter(other, 7*time.Millisecond, nil)}
		const workers, each = 16, 250
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					inv := ""
					if i%3 == 0 {
						inv = "inv" + string(rune('a'+w%4))
					}
					counters[w%2].Add(c.ID, inv, t0)
				}
			}()
		}
		wg.Wait()
		for _, ct := range counters {
			if err := ct.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.TotalViews(ctx, c.ID)
		if err != nil || n != workers*each {
			t.Fatalf("counted %d (%v), want %d", n, err, workers*each)
		}
		by, _ := st.ViewsByInviter(ctx, c.ID, 10)
		var inv int64
		for _, v := range by {
			if v.Inviter != "" {
				inv += v.Views
			}
		}
		if want := int64(workers * 84); inv != want {
			t.Errorf("by inviters %d, want %d", inv, want)
		}
	})
}

// TestWeComJoinWay: a WeCom customer group with API access is shown by
// WeCom's join way, over the pool's WeCom groups that admit (at most 5),
// one per state, made once and then served from the cache; a group that
// fills changes the join way's groups (update_join_way), not a new one.
func TestWeComJoinWay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		wc := wecomfake.New("ww-corp", "secret")
		defer wc.Close()
		gs := community.NewStore(db)
		var pool []int64
		var groups []*community.Group
		for i := range 7 {
			id := "wrChat" + string(rune('A'+i))
			wc.AddChat(id, "客户群", "zhangsan")
			g := group(t, gs, community.Group{Name: "客户群" + string(rune('A'+i)), WeComChatID: id, Capacity: 500, Members: 100})
			groups = append(groups, g)
			pool = append(pool, g.ID)
		}
		st := NewStore(db)
		c := &Code{Code: "wecom-code", Name: "企业微信活码", Active: true, Groups: pool}
		if err := st.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
		svc := &Service{Store: st, Groups: gs, WeCom: wecom.NewClient(wc.URL, "ww-corp", "secret")}
		ch, err := svc.Visit(ctx, "wecom-code", "alice")
		if err != nil || ch.Kind != KindWeCom || !ch.Attributed || !strings.Contains(ch.URL, "/joinqr/") {
			t.Fatalf("join way: %+v %v", ch, err)
		}
		for range 5 {
			if _, err := svc.Visit(ctx, "wecom-code", "alice"); err != nil {
				t.Fatal(err)
			}
		}
		if n := wc.Calls("externalcontact/groupchat/add_join_way"); n != 1 {
			t.Errorf("add_join_way called %d times, want 1", n)
		}
		ways := wc.JoinWays()
		if len(ways) != 1 || len(ways[0].ChatIDs) != 5 || ways[0].State != wayState(c.ID, "alice") || ways[0].AutoCreateRoom != 1 {
			t.Fatalf("join ways %+v", ways)
		}
		// A second server (a new service, the same database) reuses it.
		svc2 := &Service{Store: st, Groups: gs, WeCom: wecom.NewClient(wc.URL, "ww-corp", "secret")}
		if ch2, err := svc2.Visit(ctx, "wecom-code", "alice"); err != nil || ch2.URL != ch.URL {
			t.Fatalf("second server: %+v %v", ch2, err)
		}
		if n := wc.Calls("externalcontact/groupchat/add_join_way"); n != 1 {
			t.Errorf("add_join_way called %d times after a second server, want 1", n)
		}
		// The first group fills: the join way moves on by an update.
		groups[0].Members = 500
		if err := gs.Save(ctx, groups[0]); err != nil {
			t.Fatal(err)
		}
		svc.Forget()
		if ch, err := svc.Visit(ctx, "wecom-code", "alice"); err != nil || ch.Group.ID != groups[1].ID {
			t.Fatalf("after the first filled: %+v %v", ch, err)
		}
		if n := wc.Calls("externalcontact/groupchat/update_join_way"); n != 1 {
			t.Errorf("update_join_way called %d times, want 1", n)
		}
		if ways := wc.JoinWays(); len(ways) != 1 || ways[0].ChatIDs[0] != "wrChatB" {
			t.Errorf("join way after update %+v", ways)
		}
		// Another inviter is another state.
		if _, err := svc.Visit(ctx, "wecom-code", "bob"); err != nil {
			t.Fatal(err)
		}
		if n := len(wc.JoinWays()); n != 2 {
			t.Errorf("%d join ways, want 2", n)
		}
		// WeCom refusing (no privilege): each group is passed over, no error page.
		wc.InjectFault(wecomfake.Fault{Path: "externalcontact/groupchat/add_join_way", ErrCode: 60011, Times: 10})
		ch, err = svc.Visit(ctx, "wecom-code", "carol")
		if err != nil || ch.Kind != KindNone {
			t.Fatalf("WeCom refusing: %+v %v", ch, err)
		}
	})
}

// TestTelegramLinks: a Telegram group gets a link named for the inviter,
// made once and kept, made anew a day before it expires; InviteLinkFor
// checks its arguments before calling Telegram.
func TestTelegramLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tg := tgfake.New()
		defer tg.Close()
		tg.SetBotStatus("-1001234", "", "administrator")
		gs := community.NewStore(db)
		g := group(t, gs, community.Group{Name: "TG福利群", Channel: community.Telegram, Target: "-1001234"})
		manual := group(t, gs, community.Group{Name: "手工群"})
		st := NewStore(db)
		c := &Code{Code: "tg-code", Name: "电报群", Active: true, Groups: []int64{g.ID, manual.ID}}
		if err := st.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		svc := &Service{Store: st, Groups: gs, Telegram: tgmembers.NewClient(tg.Token, tg.URL), Now: func() time.Time { return now }}
		ch, err := svc.Visit(ctx, "tg-code", "bob")
		if err != nil || ch.Kind != KindTelegram || !strings.HasPrefix(ch.URL, "https://t.me/+") || !ch.Attributed || !ch.HandRun {
			t.Fatalf("telegram: %+v %v", ch, err)
		}
		for range 3 {
			if _, err := svc.Visit(ctx, "tg-code", "bob"); err != nil {
				t.Fatal(err)
			}
		}
		links := tg.InviteLinks()
		if len(links) != 1 || links[0].Name != "tg-code bob" {
			t.Fatalf("links %+v", links)
		}
		// Six and a half days later the link is within a day of expiring: a new one.
		now = now.Add(6*24*time.Hour + 12*time.Hour)
		svc.Forget()
		if _, err := svc.Visit(ctx, "tg-code", "bob"); err != nil {
			t.Fatal(err)
		}
		if n := len(tg.InviteLinks()); n != 2 {
			t.Errorf("%d links after renewal time, want 2", n)
		}
		// InviteLinkFor for the campaign engine.
		l1, err := svc.InviteLinkFor(ctx, g.ID, "张三的链接", 50, now.Add(48*time.Hour))
		if err != nil || !strings.HasPrefix(l1, "https://t.me/+") {
			t.Fatalf("InviteLinkFor: %q %v", l1, err)
		}
		if l2, _ := svc.InviteLinkFor(ctx, g.ID, "张三的链接", 50, now.Add(48*time.Hour)); l2 != l1 {
			t.Errorf("a second call made another link")
		}
		for _, bad := range []struct {
			group int64
			name  string
			limit int
			exp   time.Time
		}{
			{g.ID, strings.Repeat("名", 33), 0, time.Time{}},
			{g.ID, "x", 100000, time.Time{}},
			{g.ID, "x", 0, now.Add(-time.Hour)},
			{manual.ID, "x", 0, time.Time{}},
			{99999, "x", 0, time.Time{}},
		} {
			if _, err := svc.InviteLinkFor(ctx, bad.group, bad.name, bad.limit, bad.exp); err == nil {
				t.Errorf("InviteLinkFor(%d, %q, %d, %v) passed", bad.group, bad.name, bad.limit, bad.exp)
			}
		}
		// Not an admin: no link, the manual group's missing QR leaves nothing.
		tg.SetBotStatus("-1001234", "", "member")
		svc.Forget()
		ch, err = svc.Visit(ctx, "tg-code", "dave")
		if err != nil || ch.Kind != KindNone || ch.Skipped[0].Reason != SkipNoLink {
			t.Fatalf("bot not admin: %+v %v", ch, err)
		}
		if l, err := svc.PersonalLink(ctx, c.ID, "dave"); err != nil || l != "/join/tg-code?i=dave" {
			t.Errorf("PersonalLink %q %v", l, err)
		}
		if _, err := svc.PersonalLink(ctx, c.ID, "bad ref!"); err == nil {
			t.Error("a bad inviter ref passed")
		}
	})
}
