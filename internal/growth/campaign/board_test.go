package campaign

import (
	"context"
	"errors"
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
