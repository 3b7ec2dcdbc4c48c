package publish

import (
	"bytes"
	"context"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// limited gives a sender other limits (tests shrink the platforms' minutes
// to seconds); everything else is the sender's own.
type limited struct {
	channel.Sender
	l channel.Limits
}

func (s limited) Limits() channel.Limits { return s.l }
func (s limited) Idempotent() bool       { return channel.IsIdempotent(s.Sender) }
func (s limited) Parts(m channel.Message) int {
	return channel.PartsLeft(s.Sender, channel.Message{Text: m.Text, Poster: m.Poster})
}

// addGroups adds n active groups of one channel with tag, targets from target(i).
func (f *fixture) addGroups(t *testing.T, n int, ch community.Channel, tag string, target func(i int) string, secret string) []*community.Group {
	t.Helper()
	var out []*community.Group
	for i := range n {
		g := &community.Group{Name: tag + "-" + string(rune('A'+i)), Channel: ch, Target: target(i), Secret: secret, PIDTaobao: "mm_1_2_" + strconv.Itoa(100+i), PIDJD: "1_2_3", PIDPDD: "1_2", Tags: []string{tag}, Active: true}
		if err := f.groups.Save(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

func TestWorkerTelegram(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := tgfake.New()
		defer tg.Close()
		chats := []string{"-1001", "-1002", "-1003", "-1004"}
		for _, c := range chats {
			tg.AddChat(c)
		}
		tg.Kick("-1003")
		groups := f.addGroups(t, 4, community.Telegram, "tg", func(i int) string { return chats[i] }, "")
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "tg", Tag: "tg", Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 8000})
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 8 {
			t.Fatalf("plan %+v %v", st, err)
		}
		// Hold one post of group D.
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
		board, _ := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		for _, d := range board {
			if d.GroupID == groups[3].ID && d.Item == f.c {
				if err := f.store.Hold(ctx, d.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Chat -1001 is told to slow down once; -1002's first post arrives
		// but its answer is lost (unknown outcome: resent once).
		tg.InjectFault(tgfake.Fault{Chat: "-1001", ErrorCode: 429, Description: "Too Many Requests: retry after 3", RetryAfter: 3})
		tg.InjectFault(tgfake.Fault{Chat: "-1002", AfterAccept: true, Drop: true})

		s := telegram.New(tg.Token)
		s.BaseURL = tg.URL
		r, err := poster.NewRenderer(poster.Options{CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		w := &Worker{Store: f.store, Groups: f.groups, Posters: &PosterCache{R: r}, Now: func() time.Time { return f.now },
			Senders: map[community.Channel]channel.Sender{community.Telegram: limited{s, channel.Limits{PerTarget: channel.Rate{N: 100, Per: time.Second}}}}}
		if err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		// Before 08:00 nothing is due.
		if n := len(tg.Requests()); n != 0 {
			t.Fatalf("%d requests before the slot", n)
		}
		f.now = time.Date(2026, 11, 25, 8, 0, 5, 0, cst)
		for range 3 { // the 429 asks for 3 s; the resend waits its backoff
			if err := w.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			f.now = f.now.Add(5 * time.Second)
		}
		if err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		board, _ = f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		status := map[int64][]Status{}
		for _, d := range board {
			status[d.GroupID] = append(status[d.GroupID], d.Status)
			switch {
			case d.GroupID == groups[2].ID:
				if d.Status != Failed || !strings.Contains(d.LastError, "kicked") {
					t.Errorf("kicked chat: %+v", d)
				}
			case d.GroupID == groups[3].ID && d.Item == f.c:
				if d.Status != Held {
					t.Errorf("held post: %s", d.Status)
				}
			default:
				if d.Status != Sent || d.MessageIDs == "" {
					t.Errorf("group %d item %s: %s %q", d.GroupID, d.Item, d.Status, d.LastError)
				}
				if d.GroupID == groups[1].ID && d.Item == f.a && !d.Resent {
					t.Errorf("the post with a lost answer should be marked resent")
				}
			}
		}
		// What the members saw: every post once, in queue order, with a
		// poster; the lost answer's post twice, as recorded.
		for i, c := range chats[:2] {
			msgs := tg.Messages(c)
			want := 2
			if i == 1 {
				want = 3
			}
			if len(msgs) != want {
				t.Fatalf("chat %s got %d messages, want %d", c, len(msgs), want)
			}
			if !strings.Contains(msgs[0].Text, "云南白药") || !strings.Contains(msgs[len(msgs)-1].Text, "保温杯") || msgs[0].Method != "sendPhoto" {
				t.Errorf("chat %s: %q ... %q", c, msgs[0].Text, msgs[len(msgs)-1].Text)
			}
		}
		if n := len(tg.Messages("-1004")); n != 1 {
			t.Errorf("chat with a held post got %d", n)
		}
		// The poster carries the group's own link: posters differ per group.
		p1, p2 := tg.Messages("-1001")[0].PhotoMD5, tg.Messages("-1004")[0].PhotoMD5
		if p1 == "" || p1 == p2 {
			t.Errorf("posters %q %q", p1, p2)
		}
		log, _ := f.store.Attempts(ctx, 0, 100)
		outcomes := map[string]int{}
		for _, a := range log {
			outcomes[a.Outcome]++
		}
		if outcomes["retry"] != 1 || outcomes["unknown"] != 1 || outcomes["failed"] != 2 || outcomes["sent"] != 5 {
			t.Errorf("attempt outcomes %v", outcomes)
		}
	})
}

func TestPosterCache(t *testing.T) {
	r, err := poster.NewRenderer(poster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &PosterCache{R: r, MaxBases: 2}
	d := &Delivery{Title: "保温杯 500ml", ListPrice: 9900, FinalPrice: 8000, Link: "https://item.jd.com/3003.html?pid=a"}
	a, err := c.Poster(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	d2 := *d
	d2.Link = "https://item.jd.com/3003.html?pid=b"
	b, _ := c.Poster(context.Background(), &d2, nil)
	if bytes.Equal(a, b) {
		t.Fatal("two groups' posters are identical")
	}
	for _, p := range [][]byte{a, b} {
		img, err := png.Decode(bytes.NewReader(p))
		if err != nil || img.Bounds().Dx() < 500 {
			t.Fatalf("poster: %v", err)
		}
	}
	if len(c.bases) != 1 {
		t.Fatalf("%d bases for one product", len(c.bases))
	}
	for i := range 3 {
		d3 := *d
		d3.FinalPrice = int64(7000 + i)
		c.Poster(context.Background(), &d3, nil)
	}
	if len(c.bases) != 2 {
		t.Fatalf("cache holds %d, max 2", len(c.bases))
	}
}

// TestWorkerFollowsMigratedGroup: a Telegram group upgraded to a supergroup
// answers with its new chat id; the worker updates the group's target and
// the posts go to the new chat, none lost, none twice.
func TestWorkerFollowsMigratedGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := tgfake.New()
		defer tg.Close()
		tg.AddChat("-2001")
		tg.Migrate("-2001", -1002001)
		groups := f.addGroups(t, 1, community.Telegram, "mig", func(int) string { return "-2001" }, "")
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "mig", Tag: "mig", Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 8000})
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 2 {
			t.Fatalf("plan %+v %v", st, err)
		}
		s := telegram.New(tg.Token)
		s.BaseURL = tg.URL
		w := &Worker{Store: f.store, Groups: f.groups, Now: func() time.Time { return f.now },
			Senders: map[community.Channel]channel.Sender{community.Telegram: limited{s, channel.Limits{PerTarget: channel.Rate{N: 100, Per: time.Second}}}}}
		f.now = time.Date(2026, 11, 25, 8, 0, 5, 0, cst)
		for range 3 {
			if err := w.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		g, err := f.groups.Get(ctx, groups[0].ID)
		if err != nil || g.Target != "-1002001" {
			t.Fatalf("group target %q, %v; want the supergroup's id", g.Target, err)
		}
		if n := len(tg.Messages("-1002001")); n != 2 {
			t.Fatalf("the supergroup got %d posts, want 2", n)
		}
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
		board, _ := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		for _, d := range board {
			if d.Status != Sent || d.Resent {
				t.Errorf("post %s: %s (resent %v) %q", d.Item, d.Status, d.Resent, d.LastError)
			}
		}
		log, _ := f.store.Attempts(ctx, 0, 100)
		outcomes := map[string]int{}
		for _, a := range log {
			outcomes[a.Outcome]++
		}
		if outcomes["retry"] != 1 || outcomes["sent"] != 2 || len(log) != 3 {
			t.Errorf("attempt outcomes %v, want one retry (the move) and two sent", outcomes)
		}
	})
}

// TestWorkerSkipsLatePosts: a post whose slot is more than MaxLate past is
// skipped with the reason, never sent; one begun (its poster is in the
// group) is finished; one that may have arrived is left unconfirmed.
func TestWorkerSkipsLatePosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := tgfake.New()
		defer tg.Close()
		chats := []string{"-4001", "-4002", "-4003"}
		for _, c := range chats {
			tg.AddChat(c)
		}
		groups := f.addGroups(t, 3, community.Telegram, "late", func(i int) string { return chats[i] }, "")
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "late", Tag: "late", Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 8000})
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 6 {
			t.Fatalf("plan %+v %v", st, err)
		}
		// Group B's first post had its poster sent; group C's first attempt may have arrived.
		long := strings.Repeat("好物推荐，今日特价，数量有限，先到先得。\n", 80)
		db.ExecContext(ctx, `UPDATE deliveries SET parts_sent = 1, body = $1, attempts = 1 WHERE group_id = $2 AND item_id = $3`, long, groups[1].ID, f.a.ItemID)
		db.ExecContext(ctx, `UPDATE deliveries SET resent = 1, attempts = 1 WHERE group_id = $1 AND item_id = $2`, groups[2].ID, f.a.ItemID)
		f.now = time.Date(2026, 11, 25, 8, 20, 0, 0, cst) // the worker starts 20 minutes late
		s := telegram.New(tg.Token)
		s.BaseURL = tg.URL
		w := &Worker{Store: f.store, Groups: f.groups, Posters: &gatePosters{}, Now: func() time.Time { return f.now },
			Senders: map[community.Channel]channel.Sender{community.Telegram: limited{s, channel.Limits{PerTarget: channel.Rate{N: 100, Per: time.Second}}}}}
		if err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(tg.Messages(chats[0])) + len(tg.Messages(chats[2])); n != 0 {
			t.Fatalf("%d late posts sent", n)
		}
		if msgs := tg.Messages(chats[1]); len(msgs) != 1 || msgs[0].Method != "sendMessage" {
			t.Fatalf("the begun post: %d messages, want the rest of its copy", len(msgs))
		}
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
		board, _ := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		// Every group's second post is skipped too, in the same Drain.
		want := map[int64]Status{groups[0].ID: Skipped, groups[1].ID: Sent, groups[2].ID: Unconfirmed}
		for _, d := range board {
			st := want[d.GroupID]
			if d.Item != f.a {
				st = Skipped
			}
			if d.Status != st {
				t.Errorf("group %d item %s: %s %q, want %s", d.GroupID, d.Item, d.Status, d.LastError, st)
			}
			if st == Skipped && d.LastError != LateReason(15*time.Minute) {
				t.Errorf("late post's reason %q", d.LastError)
			}
		}
		// A group whose posts are all late: one Drain skips them all.
		f.now = time.Date(2026, 11, 25, 6, 0, 0, 0, cst)
		d := f.addGroups(t, 1, community.Telegram, "late2", func(int) string { return chats[0] }, "")[0]
		f.plan(t, &Plan{Name: "late2", GroupID: d.ID, Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 8000})
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 2 {
			t.Fatalf("plan %+v %v", st, err)
		}
		f.now = time.Date(2026, 11, 25, 8, 20, 0, 0, cst)
		if err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		board, _ = f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		for _, p := range board {
			if p.GroupID == d.ID && p.Status != Skipped {
				t.Errorf("late post %s of an idle group: %s", p.Item, p.Status)
			}
		}
		if r := LateReason(15 * time.Minute); !strings.Contains(ReasonText(i18n.ZH, r), "15 分钟") || !strings.Contains(ReasonText(i18n.EN, r), "15 min") {
			t.Errorf("reason %q", r)
		}
	})
}
