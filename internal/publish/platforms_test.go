package publish

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate/alimama"
	alimamafake "github.com/qunke/qunke/internal/affiliate/alimama/fake"
	"github.com/qunke/qunke/internal/affiliate/jd"
	jdfake "github.com/qunke/qunke/internal/affiliate/jd/fake"
	"github.com/qunke/qunke/internal/affiliate/pdd"
	pddfake "github.com/qunke/qunke/internal/affiliate/pdd/fake"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// platformFakes are the three platforms' HTTP fakes, each allowing
// perSecond calls a second, and the registry of the real clients pointed at
// them.
type platformFakes struct {
	top  *alimamafake.Server
	jd   *jdfake.Server
	pdd  *pddfake.Server
	conv Converters
}

func startPlatforms(t *testing.T, perSecond int) *platformFakes {
	p := &platformFakes{top: alimamafake.New("top-key", "top-secret"),
		jd: jdfake.New("jd-key", "jd-secret", perSecond), pdd: pddfake.New("pdd-id", "pdd-secret", perSecond)}
	p.top.PerSecond = perSecond
	topURL := p.top.Start(t)
	t.Cleanup(p.jd.Close)
	t.Cleanup(p.pdd.Close)
	p.conv = NewConverters(
		alimama.NewConverter(alimama.NewClient(alimama.Config{AppKey: "top-key", AppSecret: "top-secret", BaseURL: topURL})),
		jd.NewClient(jd.Config{AppKey: "jd-key", AppSecret: "jd-secret", BaseURL: p.jd.URL}),
		pdd.NewClient(pdd.Config{ClientID: "pdd-id", ClientSecret: "pdd-secret", BaseURL: p.pdd.URL}))
	return p
}

// issued is the link the platform's fake issues for k at g's placement.
func (p *platformFakes) issued(t *testing.T, k catalog.Key, g *community.Group) string {
	t.Helper()
	switch k.Platform {
	case catalog.JD:
		pos, err := jd.PositionID(g.PIDJD)
		if err != nil {
			t.Fatal(err)
		}
		return jdfake.ShortURL(jd.MaterialURL(k.ItemID), pos, "")
	case catalog.PDD:
		return pddfake.ShortURL(k.ItemID, g.PIDPDD, "")
	}
	adzone, err := alimama.Adzone(g.PIDTaobao)
	if err != nil {
		t.Fatal(err)
	}
	return alimamafake.Link(k.ItemID, adzone, "")
}

// ingest adds an item of platform p to the catalog and returns it queued.
func (f *fixture) ingest(t *testing.T, p catalog.Platform, id, title string) Queued {
	t.Helper()
	r := catalog.Record{Item: catalog.Item{Platform: p, ItemID: id, Title: title, CategoryPath: "测试/商品"},
		Obs: catalog.Observation{At: f.now.Add(-time.Hour).Unix(), ListPrice: 2000, FinalPrice: 1500, CommissionRate: 800,
			Sales30: 10, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}}
	if _, err := f.cat.Ingest(context.Background(), []catalog.Record{r}); err != nil {
		t.Fatal(err)
	}
	return Queued{Key: r.Item.Key(), ChosenPrice: 2000}
}

// TestPlanConvertSendPlatforms: plan → convert through the real Alimama,
// JD and PDD clients against their HTTP fakes (each throttling at 2 calls a
// second, so the batch is refused some calls) → send to the Telegram fake.
// Every message carries the link the platform issued for that group's own
// placement (adzone = third part of the Alimama PID, JD positionId, PDD
// p_id), nothing is lost to throttling, and the item each platform reports
// gone is skipped in every group with its reason on the board.
func TestPlanConvertSendPlatforms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		if err := f.store.SaveTemplate(ctx, "fakes", "{{.Title}} {{.Link}}"); err != nil {
			t.Fatal(err)
		}
		tg := tgfake.New()
		defer tg.Close()
		chats := []string{"-6001", "-6002", "-6003"}
		for _, c := range chats {
			tg.AddChat(c)
		}
		groups := f.addGroups(t, 3, community.Telegram, "fakes", func(i int) string { return chats[i] }, "")
		for i, g := range groups { // each group its own placement on every platform
			g.PIDTaobao = "mm_11_22_" + strconv.Itoa(3300+i)
			g.PIDJD = "44_55_" + strconv.Itoa(6600+i)
			g.PIDPDD = "77_" + strconv.Itoa(8800+i)
			if err := f.groups.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		queue := []Queued{
			f.ingest(t, catalog.Taobao, "610001", "淘宝好物"),
			f.ingest(t, catalog.Taobao, "610002", "淘宝下架"),
			f.ingest(t, catalog.JD, "100020001", "京东好物"),
			f.ingest(t, catalog.JD, "100020002", "京东下架"),
			f.ingest(t, catalog.PDD, "c9_sign_good", "拼多多好物"),
			f.ingest(t, catalog.PDD, "c9_sign_gone", "拼多多下架"),
		}
		good := []Queued{queue[0], queue[2], queue[4]}
		gone := []Queued{queue[1], queue[3], queue[5]}
		pf := startPlatforms(t, 2)
		pf.top.Gone(gone[0].Key.ItemID)
		pf.jd.Gone(jd.MaterialURL(gone[1].Key.ItemID))
		pf.pdd.Gone(gone[2].Key.ItemID)
		f.planner.Links = &Linker{Store: f.store, Conv: pf.conv}

		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "fakes", Tag: "fakes", Slots: slots, PerSlot: 6, DailyCap: 10, RepeatDays: 7, Active: true}, queue...)
		st, err := f.planner.PlanDay(ctx, f.now)
		if err != nil || st.Planned != 9 {
			t.Fatalf("plan %+v %v, want 3 items × 3 groups", st, err)
		}
		// Each platform refused some calls as throttled (more calls reached
		// it than there were conversions), yet every post was planned.
		if n := len(pf.top.Calls()); n <= 3*3 { // per group: one call of two, halved to find the gone item
			t.Errorf("TOP got %d calls: the batch was never throttled", n)
		}
		if n := pf.jd.Calls(); n <= 6 {
			t.Errorf("JD got %d calls: the batch was never throttled", n)
		}
		if n := pf.pdd.Calls(); n <= 6 {
			t.Errorf("PDD got %d calls: the batch was never throttled", n)
		}
		// The gone items: skipped in every group, with the reason the
		// board shows (PlanStats.Skips), and no post.
		skipped := map[catalog.Key]int{}
		for _, s := range st.Skips {
			if s.Reason == ReasonGone {
				skipped[s.Item]++
			}
		}
		for _, q := range gone {
			if skipped[q.Key] != len(groups) {
				t.Errorf("%s skipped as gone in %d groups, want %d (skips %+v)", q.Key, skipped[q.Key], len(groups), st.Skips)
			}
		}
		board, err := f.store.Board(ctx, f.now.AddDate(0, 0, -1), f.now.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range board {
			for _, q := range gone {
				if d.Item == q.Key {
					t.Errorf("a post of the gone item %s: %s", d.Item, d.Status)
				}
			}
		}

		w := f.server(t, db, tg, new(atomic.Int64), &gatePosters{})
		w.Now = func() time.Time { return time.Date(2026, 11, 25, 8, 0, 5, 0, cst) }
		if err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		titles := map[catalog.Key]string{good[0].Key: "淘宝好物", good[1].Key: "京东好物", good[2].Key: "拼多多好物"}
		for i, g := range groups {
			got := map[string]bool{}
			for _, m := range tg.Messages(chats[i]) {
				if m.Text != "" { // the copy: a photo's caption or a message of its own
					got[m.Text] = true
				}
			}
			want := map[string]bool{}
			for _, q := range good {
				want[titles[q.Key]+" "+pf.issued(t, q.Key, g)] = true
			}
			if len(got) != len(want) {
				t.Errorf("%s received %d copies %v, want %d", g.Name, len(got), got, len(want))
			}
			for text := range want {
				if !got[text] {
					t.Errorf("%s did not receive %q (got %v)", g.Name, text, got)
				}
			}
		}
	})
}
