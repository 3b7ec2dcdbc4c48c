package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// noPosters and noItems fail the test when the worker asks them about a
// text post: it has neither a poster nor an item whose price to check.
type noPosters struct{ t *testing.T }

func (p noPosters) Poster(_ context.Context, d *publish.Delivery, _ *community.Group) ([]byte, error) {
	p.t.Errorf("poster asked for text post %d", d.ID)
	return nil, errors.New("no poster")
}

type noItems struct{ t *testing.T }

func (i noItems) Info(_ context.Context, k catalog.Key) (*publish.ItemInfo, error) {
	i.t.Errorf("price check of text post item %q", k.String())
	return nil, catalog.ErrNotFound
}

// TestPostBoardOncePerGroup: 发到活动群 queues the leaderboard for each of
// the campaign's groups; two servers' workers draining at once deliver it
// once per Telegram chat (text only), a repeated click queues nothing more,
// and a manual group's post waits on the manual board.
func TestPostBoardOncePerGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		tg := tgfake.New()
		defer tg.Close()
		chats := []string{"-7001", "-7002"}
		var ids []int64
		for _, c := range chats {
			tg.AddChat(c)
			g := &community.Group{Name: "榜单群" + c, Channel: community.Telegram, Target: c, Active: true}
			if err := f.cs.Save(f.ctx, g); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, g.ID)
		}
		hand := &community.Group{Name: "手动榜单群", Channel: community.Manual, Active: true}
		if err := f.cs.Save(f.ctx, hand); err != nil {
			t.Fatal(err)
		}
		f.c.Groups = append(ids, hand.ID)
		if err := f.s.Save(f.ctx, f.c); err != nil {
			t.Fatal(err)
		}
		if err := f.s.BulkParticipants(f.ctx, f.c.ID, []string{"小红", "阿强"}, []int{7, 3}); err != nil {
			t.Fatal(err)
		}

		if _, err := f.s.PostBoard(f.ctx, f.c.ID, 10); err == nil {
			t.Fatal("posted without an outbox")
		}
		out := publish.NewStore(db)
		f.s.Board = out
		n, err := f.s.PostBoard(f.ctx, f.c.ID, 10)
		if err != nil || n != 3 {
			t.Fatalf("PostBoard queued %d, %v; want 3", n, err)
		}
		if n, err := f.s.PostBoard(f.ctx, f.c.ID, 10); err != nil || n != 0 {
			t.Fatalf("a second click in the same second queued %d, %v", n, err)
		}

		now := time.Now()
		server := func(db *store.DB) *publish.Worker {
			s := telegram.New(tg.Token)
			s.BaseURL = tg.URL
			return &publish.Worker{Store: publish.NewStore(db), Groups: community.NewStore(db), Posters: noPosters{t}, Items: noItems{t},
				Now: func() time.Time { return now }, MaxLate: time.Hour,
				Senders: map[community.Channel]channel.Sender{community.Telegram: s}}
		}
		a, b := server(db), server(storetest.Reopen(t, db))
		var wg sync.WaitGroup
		for _, w := range []*publish.Worker{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := w.Drain(f.ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, c := range chats {
			msgs := tg.Messages(c)
			if len(msgs) != 1 {
				t.Fatalf("chat %s got %d messages, want the board once", c, len(msgs))
			}
			m := msgs[0]
			if m.Method != "sendMessage" || !strings.Contains(m.Text, "邀请排行") || !strings.Contains(m.Text, "1. 小红：7 人") ||
				!strings.Contains(m.Text, "2. 阿强：3 人") {
				t.Fatalf("chat %s got %s %q", c, m.Method, m.Text)
			}
		}
		manual, err := out.ManualDue(f.ctx, now, 10)
		if err != nil || len(manual) != 1 || manual[0].GroupID != hand.ID || !manual[0].IsText() {
			t.Fatalf("manual group's board: %+v %v", manual, err)
		}
		// Workers passing again send nothing more.
		if err := a.Drain(f.ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range chats {
			if n := len(tg.Messages(c)); n != 1 {
				t.Fatalf("chat %s got %d messages after another pass", c, n)
			}
		}

	})
}

// TestLeaderboardDeepPages: pages far down the board (read from the sparse
// index's marks) agree with the whole board at every kind of place (a mark,
// just after one, across ties and the last page), and a server whose marks
// are older than the board (another server enrolled, the counting moved
// someone) rebuilds them instead of serving stale places.
func TestLeaderboardDeepPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		const n = 1500
		enrol := func(s *Store, prefix string, k int) {
			names, valid := make([]string, k), make([]int, k)
			for i := range names {
				names[i], valid[i] = fmt.Sprint(prefix, i), (i*7919)%13
				if i%97 == 0 {
					valid[i] = 50 + i%5
				}
			}
			if err := s.BulkParticipants(f.ctx, f.c.ID, names, valid); err != nil {
				t.Fatal(err)
			}
		}
		check := func(s *Store, label string) {
			t.Helper()
			all, total, err := s.Leaderboard(f.ctx, f.c.ID, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			for off := 1000; off < total; off += 1000 {
				more, _, err := s.Leaderboard(f.ctx, f.c.ID, 1000, off)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, more...)
			}
			if len(all) != total {
				t.Fatalf("%s: board has %d rows of %d", label, len(all), total)
			}
			// The whole board, ranked by hand.
			for i := range all {
				if i > 0 && (all[i-1].Valid < all[i].Valid || (all[i-1].Valid == all[i].Valid && all[i-1].ID > all[i].ID)) {
					t.Fatalf("%s: order at %d", label, i)
				}
				want := i + 1
				if i > 0 && all[i].Valid == all[i-1].Valid {
					want = all[i-1].Rank
				}
				if all[i].Rank != want {
					t.Fatalf("%s: place %d has rank %d, want %d", label, i, all[i].Rank, want)
				}
			}
			for _, off := range []int{nearTop, markStride * 3, markStride*3 + 1, markStride*5 - 1, 777, total - 50, total - 1, total} {
				page, got, err := s.Leaderboard(f.ctx, f.c.ID, 50, off)
				if err != nil || got != total {
					t.Fatalf("%s offset %d: total %d, %v", label, off, got, err)
				}
				want := all[min(off, total):min(off+50, total)]
				if len(page) != len(want) {
					t.Fatalf("%s offset %d: %d rows, want %d", label, off, len(page), len(want))
				}
				for i := range page {
					if page[i].ID != want[i].ID || page[i].Rank != want[i].Rank {
						t.Fatalf("%s offset %d row %d: #%d rank %d, want #%d rank %d", label, off, i, page[i].ID, page[i].Rank, want[i].ID, want[i].Rank)
					}
				}
			}
		}
		enrol(f.s, "a", n)
		check(f.s, "first")
		// Another server enrols more, with places among the first ones.
		other := NewStore(storetest.Reopen(t, db), f.cs, f.ls, nil)
		enrol(other, "b", 700)
		check(f.s, "after another server enrolled")
		check(other, "the other server")
		// The counting moves someone: the marks follow.
		var before int64
		if err := db.QueryRowContext(f.ctx, `SELECT board_rev FROM campaigns WHERE id = $1`, f.c.ID).Scan(&before); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			f.event(fmt.Sprint("deep-join-", i), community.Join, fmt.Sprint("deep-new-", i), f.g1, t0.Add(time.Hour), f.bob.Ref, "")
		}
		f.now = t0.Add(3 * 24 * time.Hour)
		f.count()
		var after int64
		if err := db.QueryRowContext(f.ctx, `SELECT board_rev FROM campaigns WHERE id = $1`, f.c.ID).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after == before {
			t.Fatal("the counting credited invites without moving board_rev")
		}
		check(f.s, "after the counting")
	})
}

// TestDailyBoardOnce: a campaign's daily leaderboard is queued once per
// group and team-zone day from its hour on, however many servers' jobs
// pass, and not before the hour nor for a campaign without the setting.
func TestDailyBoardOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, DefaultRules)
		out := publish.NewStore(db)
		f.s.Board = out
		if err := f.s.SetBoardHour(f.ctx, f.c.ID, 24); !errors.Is(err, ErrBadBoardHour) {
			t.Fatalf("hour 24: %v", err)
		}
		if err := f.s.SetBoardHour(f.ctx, 999999, 20); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no campaign: %v", err)
		}
		other := NewStore(storetest.Reopen(t, db), f.cs, f.ls, nil)
		other.Board = publish.NewStore(other.db)
		other.Now = func() time.Time { return f.now }
		pass := func() int {
			t.Helper()
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i, s := range []*Store{f.s, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.PostDueBoards(f.ctx)
					if err != nil {
						t.Error(err)
					}
					counts[i] = n
				}()
			}
			wg.Wait()
			return counts[0] + counts[1]
		}
		f.now = time.Date(2026, 11, 2, 19, 30, 0, 0, shanghai.Zone).UTC()
		if n := pass(); n != 0 {
			t.Fatalf("without a daily hour %d posts were queued", n)
		}
		if err := f.s.SetBoardHour(f.ctx, f.c.ID, 20); err != nil {
			t.Fatal(err)
		}
		if c, _ := f.s.Get(f.ctx, f.c.ID); c.BoardHour != 20 {
			t.Fatalf("board hour %d", c.BoardHour)
		}
		if n := pass(); n != 0 {
			t.Fatalf("before 20:00 %d posts were queued", n)
		}
		f.now = time.Date(2026, 11, 2, 20, 0, 5, 0, shanghai.Zone).UTC()
		if n := pass(); n != len(f.c.Groups) {
			t.Fatalf("at 20:00 two servers queued %d posts for %d groups", n, len(f.c.Groups))
		}
		f.now = f.now.Add(3 * time.Hour)
		if n := pass(); n != 0 {
			t.Fatalf("later the same day %d more posts were queued", n)
		}
		f.now = time.Date(2026, 11, 3, 20, 10, 0, 0, shanghai.Zone).UTC()
		if n := pass(); n != len(f.c.Groups) {
			t.Fatalf("the next day %d posts, want %d", n, len(f.c.Groups))
		}
		if err := f.s.SetBoardHour(f.ctx, f.c.ID, -1); err != nil {
			t.Fatal(err)
		}
		f.now = time.Date(2026, 11, 4, 21, 0, 0, 0, shanghai.Zone).UTC()
		if n := pass(); n != 0 {
			t.Fatalf("after turning it off %d posts were queued", n)
		}
	})
}
