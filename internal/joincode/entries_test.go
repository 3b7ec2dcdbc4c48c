package joincode

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/tgmembers/tgfake"
)

// TestEntries: a campaign's groups outside any code's rotation — a
// Telegram group gets a link named for the inviter (made once) while a bot
// is configured, else its QR; a group without a QR says why; a deleted one
// is left out.
func TestEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tg := tgfake.New()
		defer tg.Close()
		tg.SetBotStatus("-1007770", "", "administrator")
		gs := community.NewStore(db)
		tgg := group(t, gs, community.Group{Name: "电报群", Channel: community.Telegram, Target: "-1007770"})
		hand := group(t, gs, community.Group{Name: "手工群"})
		st := NewStore(db)
		now := time.Now()
		if _, err := st.UploadQR(ctx, tgg.ID, qrPNG(t, "https://t.me/qr"), "op", now); err != nil {
			t.Fatal(err)
		}
		svc := &Service{Store: st, Groups: gs, Now: func() time.Time { return now }}
		if svc.MakesTelegramLinks() {
			t.Fatal("no bot, yet links")
		}
		es, err := svc.Entries(ctx, []int64{tgg.ID, hand.ID, 999999}, "qkabcdefgh 小李", time.Time{})
		if err != nil || len(es) != 2 || es[0].Kind != KindQR || es[0].Attributed || es[1].Kind != KindNone ||
			es[1].Reason != SkipNoQR || !es[1].HandRun {
			t.Fatalf("without a bot: %+v %v", es, err)
		}
		svc.Telegram = tgmembers.NewClient(tg.Token, tg.URL)
		for range 2 {
			es, err = svc.Entries(ctx, []int64{tgg.ID}, "qkabcdefgh 小李", now.Add(48*time.Hour))
			if err != nil || len(es) != 1 || es[0].Kind != KindTelegram || !es[0].Attributed || !strings.HasPrefix(es[0].URL, "https://t.me/+") {
				t.Fatalf("with a bot: %+v %v", es, err)
			}
		}
		if links := tg.InviteLinks(); len(links) != 1 || links[0].Name != "qkabcdefgh 小李" {
			t.Errorf("links %+v", links)
		}
	})
}
