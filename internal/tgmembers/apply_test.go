package tgmembers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/tgmembers/tgfake"
)

const chatID = "-1001234567890"

// base is a Shanghai noon; updates are dated from it.
var base = time.Date(2026, 3, 2, 12, 0, 0, 0, shanghai.Zone).Unix()

type env struct {
	db    *store.DB
	cs    *community.Store
	tg    *tgfake.Server
	c     *tgmembers.Client
	a     *tgmembers.Applier
	group int64
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	cs := community.NewStore(db)
	g := &community.Group{Name: "宝妈福利1群", Channel: community.Telegram, Target: chatID, Active: true}
	if err := cs.Save(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	tg := tgfake.New()
	t.Cleanup(tg.Close)
	return &env{db: db, cs: cs, tg: tg, c: tgmembers.NewClient(tg.Token, tg.URL), group: g.ID,
		a: &tgmembers.Applier{DB: db, Registry: cs, Groups: cs, BotID: tgmembers.BotID(tg.Token)}}
}

func userJSON(id int64, name string) string {
	return fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":%q}`, id, name)
}

// chatMember is a chat_member update's body: from changes user's status from old to new at base+sec.
func chatMember(from, user int64, old, new string, sec int64, extra string) string {
	u := userJSON(user, fmt.Sprintf("U%d", user))
	return fmt.Sprintf(`{"chat":%s,"from":%s,"date":%d,"old_chat_member":{"status":%q,"user":%s},"new_chat_member":{"status":%q,"user":%s}%s}`,
		chatJSON, userJSON(from, fmt.Sprintf("U%d", from)), base+sec, old, u, new, u, extra)
}

func message(from int64, sec int64, extra string) string {
	return fmt.Sprintf(`{"message_id":%d,"from":%s,"date":%d,"chat":%s,"text":"买了，好用"%s}`,
		sec+1, userJSON(from, fmt.Sprintf("U%d", from)), base+sec, chatJSON, extra)
}

const link = `,"invite_link":{"invite_link":"https://t.me/+AbCdEf123","creator":{"id":99,"is_bot":false,"first_name":"群主"},"creates_join_request":false,"is_primary":false,"is_revoked":false,"name":"抖音引流"}`

// membership returns the member with Telegram id ext and its memberships.
func membership(t *testing.T, e *env, ext string) (*community.Member, []community.Membership) {
	t.Helper()
	rows, _, err := e.cs.Members(context.Background(), community.MemberFilter{Query: ext, Source: community.SourceTelegram})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ExternalID == ext {
			m, ms, err := e.cs.Member(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return m, ms
		}
	}
	t.Fatalf("no member %s", ext)
	return nil, nil
}

// messages is the group's message count on base's Shanghai day.
func messages(t *testing.T, e *env) int {
	t.Helper()
	day := time.Unix(base, 0)
	days, err := e.cs.MemberDays(context.Background(), e.group, day, day)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range days {
		n += d.Messages
	}
	return n
}

// poll runs a poller (under the lease) until done reports true.
func poll(t *testing.T, e *env, db *store.DB, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &tgmembers.Poller{Client: e.c, Applier: &tgmembers.Applier{DB: db, Registry: community.NewStore(db),
		Groups: community.NewStore(db), BotID: e.a.BotID}, Holder: store.Holder(), Timeout: time.Second, MaxWait: 50 * time.Millisecond,
		TTL: 3 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("the poller did not finish in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func offset(t *testing.T, e *env) int64 {
	t.Helper()
	off, err := e.a.Offset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func TestPollJoinsAndLeaves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.tg.Push("chat_member", chatMember(11, 11, "left", "member", 0, link))           // Alice by link
		e.tg.Push("chat_member", chatMember(99, 12, "left", "member", 10, ""))            // Bob added by 99
		e.tg.Push("message", message(11, 20, ""))                                         // Alice speaks twice
		e.tg.Push("message", message(11, 21, ""))                                         //
		e.tg.Push("chat_member", chatMember(11, 11, "member", "left", 100, ""))           // Alice leaves
		last := e.tg.Push("chat_member", chatMember(99, 12, "member", "kicked", 200, "")) // Bob removed
		poll(t, e, db, func() bool { return offset(t, e) == last+1 })
		_, ms := membership(t, e, "11")
		if len(ms) != 1 || ms[0].GroupID != e.group || ms[0].JoinHow != community.JoinLink || ms[0].InviteLink != "https://t.me/+AbCdEf123" ||
			ms[0].InviteName != "抖音引流" || ms[0].Inviter != "99" || ms[0].LeaveHow != community.LeaveSelf ||
			!ms[0].JoinedAt.Equal(time.Unix(base, 0)) || !ms[0].LeftAt.Equal(time.Unix(base+100, 0)) {
			t.Fatalf("alice: %+v", ms)
		}
		_, ms = membership(t, e, "12")
		if len(ms) != 1 || ms[0].JoinHow != community.JoinInvite || ms[0].Inviter != "99" || ms[0].LeaveHow != community.LeaveRemoved {
			t.Fatalf("bob: %+v", ms)
		}
		if n := messages(t, e); n != 2 {
			t.Fatalf("%d messages, want 2", n)
		}
		// The next getUpdates confirmed everything to Telegram.
		for e.tg.Pending() != 0 {
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// Updates applied again (a webhook's redelivery, a restarted poller) change nothing; a leave that arrives
// before its join still ends the membership; a join told by a service message and again by chat_member in
// a later batch is one event.
func TestDuplicatesAndOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		batch1 := []tgmembers.Update{
			update(t, 1, "message", message(11, 0, `,"new_chat_members":[`+userJSON(11, "U11")+`]`)),
			update(t, 2, "chat_member", chatMember(12, 12, "member", "left", 300, "")), // Bob's leave first
			update(t, 3, "message", message(11, 5, "")),
		}
		res, err := e.a.Apply(ctx, batch1)
		if err != nil || res.Applied != 3 || res.New != 2 || res.Messages != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		res, err = e.a.Apply(ctx, batch1)
		if err != nil || res.Applied != 0 || res.Skipped != 3 {
			t.Fatalf("again: %+v %v", res, err)
		}
		batch2 := []tgmembers.Update{
			update(t, 4, "chat_member", chatMember(12, 12, "left", "member", 100, link)), // Bob's join, late
			update(t, 5, "chat_member", chatMember(11, 11, "left", "member", 0, link)),   // Alice's join again, by chat_member
		}
		if res, err = e.a.Apply(ctx, batch2); err != nil || res.Applied != 2 || res.New != 1 {
			t.Fatalf("batch 2: %+v %v", res, err)
		}
		if n := messages(t, e); n != 1 {
			t.Fatalf("%d messages", n)
		}
		_, ms := membership(t, e, "12")
		if len(ms) != 1 || !ms[0].JoinedAt.Equal(time.Unix(base+100, 0)) || !ms[0].LeftAt.Equal(time.Unix(base+300, 0)) ||
			ms[0].LeaveHow != community.LeaveSelf {
			t.Fatalf("bob: %+v", ms)
		}
		m, ms := membership(t, e, "11")
		evs, err := e.cs.Events(ctx, m.ID)
		if err != nil || len(evs) != 1 || len(ms) != 1 || !ms[0].LeftAt.IsZero() {
			t.Fatalf("alice: %+v %+v %v", evs, ms, err)
		}
	})
}

func update(t *testing.T, id int64, kind, body string) tgmembers.Update {
	t.Helper()
	return decode(t, fmt.Sprintf(`{"update_id":%d,%q:%s}`, id, kind, body))
}

func decode(t *testing.T, js string) tgmembers.Update {
	t.Helper()
	var ups []tgmembers.Update
	if err := jsonUnmarshal("["+js+"]", &ups); err != nil {
		t.Fatal(err)
	}
	return ups[0]
}

// failingCounts is the registry with one count failing after the batch's events were written in the same
// transaction: a crash between applying updates and saving the offset.
type failingCounts struct {
	*community.Store
	fail bool
}

func (f *failingCounts) CountMessagesTx(ctx context.Context, tx *store.Tx, s community.Source, chat, ext string, at time.Time, n int) error {
	if f.fail {
		f.fail = false
		return errors.New("crash")
	}
	return f.Store.CountMessagesTx(ctx, tx, s, chat, ext, at, n)
}

func TestCrashBetweenApplyAndOffset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		reg := &failingCounts{Store: e.cs, fail: true}
		a := &tgmembers.Applier{DB: db, Registry: reg, Groups: e.cs, BotID: e.a.BotID}
		e.tg.Push("chat_member", chatMember(11, 11, "left", "member", 0, link))
		last := e.tg.Push("message", message(11, 10, ""))
		ups, err := e.c.GetUpdates(ctx, 0, 100, 0)
		if err != nil || len(ups) != 2 {
			t.Fatalf("%+v %v", ups, err)
		}
		if _, err := a.Apply(ctx, ups); err == nil {
			t.Fatal("the crash went unnoticed")
		}
		// Nothing of the batch landed: no member, no count, no offset.
		if rows, _, _ := e.cs.Members(ctx, community.MemberFilter{Source: community.SourceTelegram}); len(rows) != 0 || offset(t, e) != 0 {
			t.Fatalf("half applied: %+v offset %d", rows, offset(t, e))
		}
		// The restarted poller gets the same updates (never confirmed) and applies them once.
		poll(t, e, db, func() bool { return offset(t, e) == last+1 })
		if n := messages(t, e); n != 1 {
			t.Fatalf("%d messages", n)
		}
		// Applied and saved, but the process died before the next getUpdates confirmed them: Telegram sends
		// them again, and they are skipped.
		e.tg.Push("message", message(11, 30, ""))
		ups, _ = e.c.GetUpdates(ctx, 0, 100, 0) // no offset: everything unconfirmed
		res, err := e.a.Apply(ctx, ups)
		if err != nil || res.Skipped != 0 || res.Applied != 1 {
			t.Fatalf("%+v %v (the earlier two were confirmed by the poller)", res, err)
		}
		res, err = e.a.Apply(ctx, ups)
		if err != nil || res.Skipped != 1 || messages(t, e) != 2 {
			t.Fatalf("%+v %v, %d messages", res, err, messages(t, e))
		}
	})
}

// Two servers on one database: the lease lets one poll at a time, so Telegram never answers 409; without
// it, two pollers make each other fail.
func TestOnePollerAcrossServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		other := storetest.Reopen(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, d := range []*store.DB{db, other} {
			p := &tgmembers.Poller{Client: e.c, Applier: &tgmembers.Applier{DB: d, Registry: community.NewStore(d), Groups: community.NewStore(d),
				BotID: e.a.BotID}, Holder: store.Holder(), Timeout: time.Second, MaxWait: 50 * time.Millisecond, TTL: 3 * time.Second}
			wg.Go(func() { p.Run(ctx) })
		}
		var last int64
		for i := range 20 {
			last = e.tg.Push("message", message(11, int64(i), ""))
			time.Sleep(20 * time.Millisecond)
		}
		deadline := time.Now().Add(15 * time.Second)
		for offset(t, e) != last+1 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		if n := messages(t, e); n != 20 || e.tg.Conflicts() != 0 {
			t.Fatalf("%d messages, %d conflicts", n, e.tg.Conflicts())
		}

		// Without the lease (two Poll loops), Telegram ends one with 409.
		ctx, cancel = context.WithCancel(context.Background())
		for range 2 {
			p := &tgmembers.Poller{Client: e.c, Applier: e.a, Timeout: time.Second, MaxWait: 50 * time.Millisecond}
			wg.Go(func() { p.Poll(ctx) })
		}
		deadline = time.Now().Add(10 * time.Second)
		for e.tg.Conflicts() == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		if e.tg.Conflicts() == 0 {
			t.Fatal("two pollers without the lease never conflicted")
		}
	})
}

// A chat whose id no group has as its target waits in the registry; mapping it applies its events.
func TestUnmappedChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		other := strings.ReplaceAll(chatMember(11, 11, "left", "member", 0, ""), chatJSON,
			`{"id":-1009999,"type":"supergroup","title":"新群"}`)
		if _, err := e.a.Apply(ctx, []tgmembers.Update{update(t, 1, "chat_member", other)}); err != nil {
			t.Fatal(err)
		}
		chats, err := e.cs.UnmappedChats(ctx, community.SourceTelegram)
		if err != nil || len(chats) != 1 || chats[0].ChatID != "-1009999" || chats[0].Name != "新群" || chats[0].Pending != 1 {
			t.Fatalf("%+v %v", chats, err)
		}
		if g, _ := e.cs.GroupForChat(ctx, community.SourceTelegram, chatID); g != 0 {
			t.Fatal("a chat never seen is mapped")
		}
		g := &community.Group{Name: "新群", Channel: community.Telegram, Target: "-1009999", Active: true}
		if err := e.cs.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := e.cs.MapChat(ctx, community.SourceTelegram, "-1009999", g.ID); err != nil {
			t.Fatal(err)
		}
		_, ms := membership(t, e, "11")
		if len(ms) != 1 || ms[0].GroupID != g.ID {
			t.Fatalf("%+v", ms)
		}
	})
}

func TestWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		const secret = "s3cret-Token_1"
		srv := httptest.NewTLSServer(&tgmembers.Webhook{Applier: e.a, Secret: secret, Log: slog.New(slog.DiscardHandler)})
		defer srv.Close()
		e.tg.WebhookClient = srv.Client()

		// The checks, straight at the handler.
		post := func(secret, body string) int {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
			req.Header.Set(tgmembers.SecretHeader, secret)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		join := `{"update_id":42,"chat_member":` + chatMember(11, 11, "left", "member", 0, link) + `}`
		for _, c := range []struct {
			secret, body string
			want         int
		}{
			{"wrong", join, 403},
			{"", join, 403},
			{secret, `{"update_id":`, 400},
			{secret, `{"message":{}}`, 400},
			{secret, `{"update_id":1,"message":{"text":"` + strings.Repeat("x", tgmembers.MaxUpdateBytes) + `"}}`, 413},
		} {
			if got := post(c.secret, c.body); got != c.want {
				t.Errorf("secret %q body %.30s: %d, want %d", c.secret, c.body, got, c.want)
			}
		}
		if rows, _, _ := e.cs.Members(ctx, community.MemberFilter{Source: community.SourceTelegram}); len(rows) != 0 {
			t.Fatalf("a refused delivery changed the registry: %+v", rows)
		}

		// Telegram delivers to the webhook with the secret, in order, until answered 200.
		if err := e.c.SetWebhook(ctx, srv.URL+"/callback/telegram", secret); err != nil {
			t.Fatal(err)
		}
		e.tg.Push("chat_member", chatMember(11, 11, "left", "member", 0, link))
		e.tg.Push("message", message(11, 10, ""))
		e.tg.Push("chat_member", chatMember(11, 11, "member", "left", 100, ""))
		deadline := time.Now().Add(10 * time.Second)
		for e.tg.Delivered() < 3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		_, ms := membership(t, e, "11")
		if len(ms) != 1 || ms[0].JoinHow != community.JoinLink || ms[0].LeaveHow != community.LeaveSelf || messages(t, e) != 1 {
			t.Fatalf("%+v, %d messages", ms, messages(t, e))
		}
		// A repeated delivery (Telegram did not get our 200) is skipped.
		if got := post(secret, `{"update_id":1,"message":`+message(11, 11, "")+`}`); got != 200 || messages(t, e) != 1 {
			t.Fatalf("repeat: %d, %d messages", got, messages(t, e))
		}

		// A webhook set with another secret: every delivery is refused and retried, nothing applied.
		if err := e.c.SetWebhook(ctx, srv.URL+"/callback/telegram", "other"); err != nil {
			t.Fatal(err)
		}
		e.tg.Push("message", message(11, 20, ""))
		time.Sleep(200 * time.Millisecond)
		info, err := e.c.GetWebhookInfo(ctx)
		if err != nil || info.PendingUpdateCount != 1 || !strings.Contains(info.LastErrorMessage, "403") || messages(t, e) != 1 {
			t.Fatalf("%+v %v, %d messages", info, err, messages(t, e))
		}
	})
}

func TestBotStanding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		pub := &community.Group{Name: "公开群", Channel: community.Telegram, Target: "@DealsPub", Active: true}
		if err := e.cs.Save(ctx, pub); err != nil {
			t.Fatal(err)
		}
		e.tg.SetBotStatus(chatID, "", "member")
		e.tg.SetBotStatus("-1", "DealsPub", "administrator")
		n, err := tgmembers.CheckBot(ctx, e.c, db, e.cs, slog.New(slog.DiscardHandler))
		if err != nil || n != 2 {
			t.Fatalf("%d %v", n, err)
		}
		st := tgmembers.Standing{DB: db}
		got, err := st.NotAdmin(ctx, []string{chatID, "@DealsPub", "-1000"})
		if err != nil || len(got) != 1 || !got[chatID] {
			t.Fatalf("%v %v", got, err)
		}
		// Made an admin: my_chat_member says so.
		self := fmt.Sprintf(`{"id":%d,"is_bot":true,"first_name":"Qunke"}`, tgfake.BotID)
		promoted := fmt.Sprintf(`{"chat":%s,"from":%s,"date":%d,"old_chat_member":{"status":"member","user":%s},"new_chat_member":{"status":"administrator","user":%s}}`,
			chatJSON, userJSON(99, "群主"), time.Now().Unix()+5, self, self)
		if _, err := e.a.Apply(ctx, []tgmembers.Update{update(t, 1, "my_chat_member", promoted)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.NotAdmin(ctx, []string{chatID, "@DealsPub"}); len(got) != 0 {
			t.Fatalf("%v", got)
		}
	})
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
