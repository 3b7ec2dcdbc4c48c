package publish

import (
	"context"
	"database/sql"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// standinLinks converts every platform's links in process.
func standinLinks(s *Store) *Linker {
	return &Linker{Store: s, Conv: NewConverters(&standin.Converter{})}
}

// noWriteTx fails the test when a conversion runs while a write
// transaction is open: before each call it writes from another handle,
// which must not wait.
type noWriteTx struct {
	affiliate.Converter
	t     *testing.T
	other *store.DB
}

func (c *noWriteTx) Convert(ctx context.Context, reqs []affiliate.Request) ([]affiliate.Result, error) {
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := c.other.InTx(wctx, func(tx *sql.Tx) error {
		if err := c.other.LockTx(wctx, tx, "publish.plan"); err != nil {
			return err
		}
		_, err := tx.ExecContext(wctx, `UPDATE plans SET name = name WHERE id = 0`)
		return err
	})
	if err != nil || time.Since(start) > time.Second {
		c.t.Errorf("a write from another handle during a conversion: %v after %v (a write transaction is open)", err, time.Since(start))
	}
	return c.Converter.Convert(ctx, reqs)
}

// TestPlanConverts: plan → convert with a throttling platform that reports
// one item gone and refuses another; the gone item is skipped with its
// reason, the refused one held with its reason (or posted with the plain
// link where the group allows it), the rest carry the links issued for
// each group's placement; nothing converts inside the write transaction and
// a re-plan converts nothing again.
func TestPlanConverts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.g2.AllowUnconverted = true
		if err := f.groups.Save(ctx, f.g2); err != nil {
			t.Fatal(err)
		}
		if err := f.store.SaveTemplate(ctx, "宝妈", "{{.Title}}\n{{.Link}}"); err != nil {
			t.Fatal(err)
		}
		more := f.moreItems(t, 3, 6000, "转链商品", 2000)
		sa := &standin.Converter{PerSecond: 5, Batch: 2,
			Gone: map[string]bool{more[1].Key.ItemID: true}, NoPermission: map[string]bool{more[2].Key.ItemID: true}}
		var waited time.Duration
		f.planner.Links = &Linker{Store: f.store, Conv: NewConverters(&noWriteTx{Converter: sa, t: t, other: storetest.Reopen(t, db)}),
			Sleep: func(ctx context.Context, d time.Duration) error { waited += d; time.Sleep(d); return nil }}
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "转链", Tag: "宝妈", Slots: slots, PerSlot: 3, DailyCap: 5, RepeatDays: 7, Active: true}, more...)
		st, err := f.planner.PlanDay(ctx, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if waited == 0 {
			t.Error("the throttled platform was not waited for")
		}
		calls, items := sa.Calls()
		if items != 6 { // three items × two groups, each converted once
			t.Errorf("converted %d items in %d calls, want 6", items, calls)
		}
		gone := 0
		for _, s := range st.Skips {
			if s.Reason == ReasonGone && s.Item == more[1].Key {
				gone++
			}
		}
		if gone != 2 || st.Planned != 4 {
			t.Fatalf("stats %+v, want the gone item skipped in both groups and 4 posts", st)
		}
		board, err := f.store.Board(ctx, f.now.AddDate(0, 0, -1), f.now.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range board {
			g := f.g1
			if d.GroupID == f.g2.ID {
				g = f.g2
			}
			issued := standin.Link(affiliate.Request{Platform: string(d.Item.Platform), ItemID: d.Item.ItemID, PID: g.PIDTaobao}).URL
			switch {
			case d.Item == more[0].Key:
				if d.Status != Planned || d.Link != issued || d.Body != "转链商品 1\n"+issued && d.Body[len(d.Body)-len(issued):] != issued {
					t.Errorf("%s in %s: %s %q, want planned with %s", d.Item, g.Name, d.Status, d.Link, issued)
				}
			case d.Item == more[2].Key && g == f.g1:
				if d.Status != Held || d.LastError != ReasonNoPermission {
					t.Errorf("refused item in a strict group: %s %q, want held with the reason", d.Status, d.LastError)
				}
			case d.Item == more[2].Key:
				if d.Status != Planned || d.Link != PlainLink(d.Item, g) {
					t.Errorf("refused item in a group allowing unconverted links: %s %q", d.Status, d.Link)
				}
			default:
				t.Errorf("unexpected post %s in %s", d.Item, g.Name)
			}
		}
		// A re-plan (a restart) converts nothing it already has.
		plan2, _ := ParseSlots("09:00")
		f.plan(t, &Plan{Name: "再来", Tag: "宝妈", Slots: plan2, PerSlot: 3, DailyCap: 10, RepeatDays: 0, Active: true}, more[0])
		if _, err := f.planner.PlanDay(ctx, f.now); err != nil {
			t.Fatal(err)
		}
		if _, again := sa.Calls(); again != items {
			t.Errorf("the re-plan converted %d items again", again-items)
		}
	})
}

// TestConvertMessage: every item reference of a hand-written message is
// replaced by the link issued for the group's placement (the 淘口令 where its
// template shows one); what names no item stays, with its reason.
func TestConvertMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		if err := f.store.SaveTemplate(ctx, "学生", "{{.Title}}\n{{.Link}}"); err != nil {
			t.Fatal(err)
		}
		l := standinLinks(f.store)
		text := "今日好价 https://item.taobao.com/item.htm?id=623456789012 快冲\n京东 https://item.jd.com/100012345678.html\n短链 https://m.tb.cn/h.abc"
		m, err := l.ConvertMessage(ctx, f.g1, text) // the default template: 淘口令
		if err != nil {
			t.Fatal(err)
		}
		code := standin.Link(affiliate.Request{Platform: "taobao", ItemID: "623456789012", PID: f.g1.PIDTaobao, ShareCode: true}).ShareCode
		jd := standin.Link(affiliate.Request{Platform: "jd", ItemID: "100012345678", PID: f.g1.PIDJD}).URL
		want := "今日好价 " + code + " 快冲\n京东 " + jd + "\n短链 https://m.tb.cn/h.abc"
		if m.Text != want || len(m.Links) != 3 || m.Links[2].Reason != ReasonUnresolved {
			t.Fatalf("g1 got %q %+v, want %q", m.Text, m.Links, want)
		}
		m, err = l.ConvertMessage(ctx, f.g2, "https://item.taobao.com/item.htm?id=623456789012") // 学生: the short link
		if err != nil {
			t.Fatal(err)
		}
		if short := standin.Link(affiliate.Request{Platform: "taobao", ItemID: "623456789012", PID: f.g2.PIDTaobao}).URL; m.Text != short {
			t.Fatalf("g2 got %q, want %q", m.Text, short)
		}
	})
}

// TestBatchesOnePlacement: a batch holds at most n requests, all of one
// placement, and every request lands in exactly one batch.
func TestBatchesOnePlacement(t *testing.T) {
	var keys []linkKey
	for i := range 45 {
		keys = append(keys, linkKey{family: "taobao", item: string(rune('a' + i%23)), placement: []string{"p1", "p2", "p3"}[i%3]})
	}
	seen := 0
	for _, b := range batches(keys, 4) {
		if len(b) == 0 || len(b) > 4 {
			t.Fatalf("batch of %d", len(b))
		}
		for _, k := range b {
			if k.placement != b[0].placement {
				t.Fatalf("batch mixes placements: %v", b)
			}
		}
		seen += len(b)
	}
	if seen != 45 {
		t.Fatalf("%d of 45 requests batched", seen)
	}
}

// TestPlanConvertSend: plan → convert (through a throttling stand-in) →
// send to the Telegram fake: every message a group receives carries the
// link issued for that group's own placement, and every planned post is
// sent (throttling delays, loses nothing).
func TestPlanConvertSend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		if err := f.store.SaveTemplate(ctx, "send", "{{.Title}} {{.Link}}"); err != nil {
			t.Fatal(err)
		}
		tg := tgfake.New()
		defer tg.Close()
		chats := []string{"-5001", "-5002", "-5003"}
		for _, c := range chats {
			tg.AddChat(c)
		}
		groups := f.addGroups(t, 3, community.Telegram, "send", func(i int) string { return chats[i] }, "")
		for i, g := range groups {
			g.PIDJD = "1_2_" + chats[i][1:] // each group its own JD placement too
			if err := f.groups.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		sa := &standin.Converter{PerSecond: 50, Batch: 1}
		throttled := 0
		f.planner.Links = &Linker{Store: f.store, Conv: NewConverters(sa),
			Sleep: func(ctx context.Context, d time.Duration) error { throttled++; time.Sleep(d); return nil }}
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "send", Tag: "send", Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 8000})
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 6 {
			t.Fatalf("plan %+v %v", st, err)
		}
		if throttled == 0 {
			t.Error("the stand-in never throttled")
		}
		w := f.server(t, db, tg, new(atomic.Int64), &gatePosters{})
		w.Now = func() time.Time { return time.Date(2026, 11, 25, 8, 0, 5, 0, cst) }
		if err := w.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for i, g := range groups {
			var texts []string
			for _, m := range tg.Messages(chats[i]) {
				if m.Text != "" { // the copy: a photo's caption or a message of its own
					texts = append(texts, m.Text)
				}
			}
			if len(texts) != 2 {
				t.Fatalf("%s got %d copies, want 2: %q", g.Name, len(texts), texts)
			}
			for j, k := range []catalog.Key{f.a, f.c} {
				pid := g.PIDTaobao
				if k.Platform == catalog.JD {
					pid = g.PIDJD
				}
				want := standin.Link(affiliate.Request{Platform: string(k.Platform), ItemID: k.ItemID, PID: pid}).URL
				if !strings.HasSuffix(texts[j], " "+want) {
					t.Errorf("%s's post of %s: %q, want the link issued for %s (%s)", g.Name, k, texts[j], pid, want)
				}
			}
		}
	})
}
