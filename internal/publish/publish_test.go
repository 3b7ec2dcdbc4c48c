package publish

import (
	"context"
	"errors"
	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

var cst = time.FixedZone("CST", 8*3600)

func TestMoney(t *testing.T) {
	for _, c := range []struct {
		m    Money
		want string
	}{{0, "¥0.00"}, {5, "¥0.05"}, {5990, "¥59.90"}, {123456789, "¥1234567.89"}, {-150, "¥-1.50"}} {
		if got := c.m.String(); got != c.want {
			t.Errorf("%d: %q, want %q", c.m, got, c.want)
		}
	}
}

func TestDefaultTemplate(t *testing.T) {
	tp, err := ParseTemplate(DefaultBody)
	if err != nil {
		t.Fatal(err)
	}
	d := SampleCopy()
	out, err := tp.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"【【官方正品】云南白药牙膏", "【原价】¥89.90", "【券】¥30.00", "【券后价】¥59.90", "【淘口令】￥AbCd1234￥", "【推荐理由】近 30 天最低价", "🔥历史最低"} {
		if !strings.Contains(out, want) {
			t.Errorf("copy lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "5.99") || strings.Contains(out, "\n\n") {
		t.Errorf("commission shown or blank lines left:\n%s", out)
	}
	// No coupon, no share code, no reason, no badges: those lines vanish.
	d.Coupon, d.ShareCode, d.Reason, d.Badges = 0, "", "", nil
	out, _ = tp.Render(d)
	if strings.Contains(out, "【券】") || strings.Contains(out, "推荐理由") || !strings.Contains(out, "【链接】https://s.click.taobao.com/t?e=qunke") {
		t.Errorf("optional lines:\n%s", out)
	}
	if lines := strings.Count(out, "\n") + 1; lines != 4 {
		t.Errorf("%d lines:\n%s", lines, out)
	}
}

func TestTemplateErrorsHaveLines(t *testing.T) {
	cases := []struct {
		body string
		line int
		msg  string
	}{
		{"【{{.Title}}】\n{{if .Coupon}}券\n{{.Link}}", 0, "unexpected EOF"},
		{"第一行\n第二行 {{.Title\n", 2, "unclosed action"},
		{"a\nb\n{{.Price}}", 3, "can't evaluate field Price"},
		{"{{range .Badges}}{{.}}{{end}}\n{{yuan .Title}}", 2, "wrong type"},
		{"   \n", 0, "empty"},
	}
	for _, c := range cases {
		_, err := ParseTemplate(c.body)
		var te *TemplateError
		if !errors.As(err, &te) {
			t.Fatalf("%q: want a TemplateError, got %v", c.body, err)
		}
		if c.line > 0 && te.Line != c.line || !strings.Contains(te.Message(i18n.EN), c.msg) {
			t.Errorf("%q: got line %d %q, want line %d containing %q", c.body, te.Line, te.Message(i18n.EN), c.line, c.msg)
		}
	}
}

func TestSlotsAndQuiet(t *testing.T) {
	s, err := ParseSlots("20:00，08:00 12:30,08:00")
	if err != nil || len(s) != 3 || s[0] != 480 || s[1] != 750 || s[2] != 1200 {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"", "25:00", "8", "08:5", "a:b"} {
		if _, err := ParseSlots(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p := Plan{QuietFrom: 22 * 60, QuietTo: 7 * 60}
	if !p.Quiet(23*60) || !p.Quiet(60) || p.Quiet(8*60) || p.Quiet(21*60+59) {
		t.Error("quiet hours that wrap midnight")
	}
}

// fixture is a catalog with three items and four groups.
type fixture struct {
	db      *store.DB
	store   *Store
	groups  *community.Store
	planner *Planner
	now     time.Time
	g1, g2  *community.Group
	paused  *community.Group
	other   *community.Group
	a, b, c catalog.Key
	cat     *catalog.Store
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, store: NewStore(db), groups: community.NewStore(db), cat: catalog.NewStore(db),
		now: time.Date(2026, 11, 25, 6, 0, 0, 0, cst)}
	obsAt := f.now.Add(-time.Hour).Unix()
	recs := []catalog.Record{
		{Item: catalog.Item{Platform: catalog.Tmall, ItemID: "1001", Title: "云南白药牙膏 180g×3", CategoryPath: "个护/牙膏", ImageURL: ""},
			Obs: catalog.Observation{At: obsAt, ListPrice: 8990, CouponAmount: 3000, CouponEnd: f.now.Add(48 * time.Hour).Unix(), FinalPrice: 5990, CommissionRate: 1000, Sales30: 5000, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}},
		{Item: catalog.Item{Platform: catalog.Taobao, ItemID: "2002", Title: "洗衣凝珠 52颗", CategoryPath: "家清/洗衣"},
			Obs: catalog.Observation{At: obsAt, ListPrice: 3990, CouponAmount: 1000, CouponEnd: f.now.Add(time.Hour).Unix(), FinalPrice: 2990, CommissionRate: 2000, Sales30: 800, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}},
		{Item: catalog.Item{Platform: catalog.JD, ItemID: "3003", Title: "保温杯 500ml", CategoryPath: "家居/杯子"},
			Obs: catalog.Observation{At: obsAt, ListPrice: 9900, FinalPrice: 8000, CommissionRate: 500, Sales30: 100, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}},
	}
	if _, err := f.cat.Ingest(ctx, recs); err != nil {
		t.Fatal(err)
	}
	f.a, f.b, f.c = recs[0].Item.Key(), recs[1].Item.Key(), recs[2].Item.Key()
	mk := func(name string, tags []string, active bool) *community.Group {
		g := &community.Group{Name: name, Channel: community.Manual, PIDTaobao: "mm_1_2_" + name[len(name)-1:], PIDJD: "1_2_3", PIDPDD: "1_2", Tags: tags, Active: active}
		if err := f.groups.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	f.g1 = mk("宝妈群1", []string{"宝妈"}, true)
	f.g2 = mk("宝妈群2", []string{"宝妈", "学生"}, true)
	f.paused = mk("宝妈群3", []string{"宝妈"}, false)
	f.other = mk("数码群4", []string{"数码"}, true)
	f.store.now = func() time.Time { return f.now }
	f.planner = &Planner{Store: f.store, Groups: f.groups, Items: AdvisorItems{advisor.New(f.cat, advisor.Options{})},
		Links: standinLinks(f.store), Now: func() time.Time { return f.now }}
	return f
}

func (f *fixture) plan(t *testing.T, p *Plan, queue ...Queued) *Plan {
	t.Helper()
	ctx := context.Background()
	if err := f.store.SavePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, q := range queue {
		q.PlanID = p.ID
		enqueue := f.store.Enqueue
		if q.Key.ItemID == "404" {
			// An item that left the catalog after it was queued: Enqueue
			// refuses one that is not there (TestEnqueueOnlyCatalogItems).
			enqueue = func(ctx context.Context, q Queued) error { return f.store.enqueue(ctx, q, false) }
		}
		if err := enqueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestPlanner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		if err := f.store.SaveTemplate(ctx, "学生", "{{.Title}} 只要 {{.FinalPrice}}\n{{.Link}}"); err != nil {
			t.Fatal(err)
		}
		var te *TemplateError
		if err := f.store.SaveTemplate(ctx, "学生", "ok\n{{.Nope}}"); !errors.As(err, &te) || te.Line != 2 {
			t.Fatalf("broken template saved: %v", err)
		}
		slots, _ := ParseSlots("08:00,12:00,23:00")
		f.plan(t, &Plan{Name: "宝妈日常", Tag: "宝妈", Slots: slots, PerSlot: 1, DailyCap: 5, RepeatDays: 7, QuietFrom: 22 * 60, QuietTo: 7 * 60, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000, Reason: "史低"},
			Queued{Key: f.b, ChosenPrice: 3000},
			Queued{Key: f.c, ChosenPrice: 7000},
			Queued{Key: catalog.Key{Platform: catalog.Taobao, ItemID: "404"}, ChosenPrice: 100})

		st, err := f.planner.PlanDay(ctx, f.now)
		if err != nil {
			t.Fatal(err)
		}
		// Two active groups x one item at 08:00; 12:00 finds nothing (A was
		// just planned, B's coupon ends at 07:00, C rose above 70, 404 is
		// unknown); 23:00 is quiet.
		if st.Planned != 2 || st.Slots != 4 {
			t.Fatalf("stats %+v", st)
		}
		reasons := map[string]int{}
		for _, s := range st.Skips {
			reasons[s.Reason]++
		}
		if reasons[ReasonCoupon] != 2 || reasons[ReasonPriceRose] != 2 || reasons[ReasonMissing] != 2 || reasons[ReasonRecent] != 2 {
			t.Fatalf("skip reasons %v", reasons)
		}
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
		board, err := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		if err != nil || len(board) != 2 {
			t.Fatalf("board %v %v", board, err)
		}
		for _, d := range board {
			if d.Item != f.a || d.SlotAt != time.Date(2026, 11, 25, 8, 0, 0, 0, cst).Unix() || d.Status != Planned || d.ChosenPrice != 6000 {
				t.Fatalf("delivery %+v", d)
			}
			switch d.GroupID {
			case f.g1.ID: // the default template (淘口令), converted for the group's own pid
				code := standin.Link(affiliate.Request{Platform: "tmall", ItemID: "1001", PID: "mm_1_2_1", ShareCode: true}).ShareCode
				if !strings.Contains(d.Body, "【券后价】¥59.90") || !strings.Contains(d.Body, "【淘口令】"+code) || !strings.Contains(d.Body, "【推荐理由】史低") {
					t.Fatalf("g1 copy:\n%s", d.Body)
				}
			case f.g2.ID: // the 学生 template: the short link
				if d.Body != "云南白药牙膏 180g×3 只要 ¥59.90\n"+standin.Link(affiliate.Request{Platform: "tmall", ItemID: "1001", PID: "mm_1_2_2"}).URL {
					t.Fatalf("g2 copy:\n%s", d.Body)
				}
			default:
				t.Fatalf("planned for group %d", d.GroupID)
			}
		}

		// Planning again writes nothing new.
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 0 {
			t.Fatalf("replan %+v %v", st, err)
		}

		// Three days later A is not posted again (7-day rule)... unless its
		// price dropped.
		f.now = f.now.AddDate(0, 0, 3)
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 0 {
			t.Fatalf("repeat rule %+v %v", st, err)
		}
		drop := catalog.Record{Item: catalog.Item{Platform: catalog.Tmall, ItemID: "1001", Title: "云南白药牙膏 180g×3", CategoryPath: "个护/牙膏", ImageURL: ""},
			Obs: catalog.Observation{At: f.now.Add(-time.Hour).Unix(), ListPrice: 8990, CouponAmount: 4000, CouponEnd: f.now.Add(48 * time.Hour).Unix(), FinalPrice: 4990, CommissionRate: 1000, Sales30: 5000, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}}
		if _, err := f.cat.Ingest(ctx, []catalog.Record{drop}); err != nil {
			t.Fatal(err)
		}
		f.planner.Items = AdvisorItems{advisor.New(f.cat, advisor.Options{})}
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 2 {
			t.Fatalf("after a price drop %+v %v", st, err)
		}
	})
}

func TestDailyCapAndBoardActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		slots, _ := ParseSlots("08:00,12:00")
		f.plan(t, &Plan{Name: "单群", GroupID: f.g1.ID, Slots: slots, PerSlot: 3, DailyCap: 2, RepeatDays: 0, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 9000}, Queued{Key: f.b, ChosenPrice: 9000})
		st, err := f.planner.PlanDay(ctx, f.now)
		if err != nil || st.Planned != 2 {
			t.Fatalf("cap: %+v %v", st, err)
		}
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
		board, _ := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		if len(board) != 2 || board[0].Item != f.a || board[1].Item != f.c || board[0].Seq != 0 || board[1].Seq != 1 {
			t.Fatalf("board %+v", board)
		}
		// Reorder, hold, release, mark sent by hand.
		if err := f.store.Move(ctx, board[1].ID, -1); err != nil {
			t.Fatal(err)
		}
		board, _ = f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		if board[0].Item != f.c {
			t.Fatalf("after move: %v first", board[0].Item)
		}
		if err := f.store.Hold(ctx, board[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.MarkSent(ctx, board[0].ID, "小王"); !errors.Is(err, ErrState) {
			t.Fatalf("a held post marked sent: %v", err)
		}
		f.now = f.now.Add(3 * time.Hour) // 09:00: the 08:00 posts are due
		due, _ := f.store.ManualDue(ctx, f.now, 10)
		if len(due) != 1 || due[0].Item != f.a {
			t.Fatalf("manual due %+v", due)
		}
		if err := f.store.Release(ctx, board[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.MarkSent(ctx, board[0].ID, "小王"); err != nil {
			t.Fatal(err)
		}
		if err := f.store.MarkSent(ctx, board[0].ID, "小王"); !errors.Is(err, ErrState) {
			t.Fatalf("sent twice: %v", err)
		}
		d, _ := f.store.Delivery(ctx, board[0].ID)
		if d.Status != Sent || d.SentBy != "小王" || d.SentAt != f.now.Unix() {
			t.Fatalf("marked %+v", d)
		}
		log, _ := f.store.Attempts(ctx, d.ID, 10)
		if len(log) != 1 || log[0].Outcome != "sent" || !strings.Contains(log[0].Detail, "小王") {
			t.Fatalf("log %+v", log)
		}
	})
}

// A template is bounded before it runs: its ranges (count, nesting, what
// they go over) and sub-templates are checked on the parse tree, and the
// error names the line; its output is capped while it runs, for the
// preview and for posts alike.
func TestTemplateBounds(t *testing.T) {
	x := strings.Repeat("x", 100)
	refused := []struct {
		body string
		line int
		msg  string
	}{
		{"a\n{{range 10000}}{{range 1000}}" + x + "{{end}}{{end}}", 2, "range counts to at most 100"},
		{"a\nb\n{{range 2}}{{range 2}}\n{{range 2}}x{{end}}{{end}}{{end}}", 4, "nest at most 2"},
		{"{{range .ListPrice}}x{{end}}", 1, "range only over .Badges"},
		{"{{$n := 100000}}\n{{range $n}}x{{end}}", 2, "range only over .Badges"},
		{"{{range (len .Title)}}x{{end}}", 1, "range only over .Badges"},
		{"{{define \"a\"}}{{template \"a\"}}{{end}}{{template \"a\"}}", 0, "not allowed"},
		{"{{range 100}}{{range 100}}" + x + "{{end}}{{end}}", 0, "more than 64 KB"},
		{strings.Repeat("x", MaxTemplateBytes+1), 0, "longer than"},
		// Functions make text nothing writes: padded (a 640-byte template in
		// two ranges took five minutes), fed their own result (gigabytes).
		{"a\n{{range 100}}" + strings.Repeat(`{{$x := printf "%0999999d" 1}}`, 20) + "{{end}}", 2, "at most 3 digits"},
		{`{{printf "%*d" 999999 1}}`, 1, "at most 3 digits"},
		// Cheap actions, but 10,000 runs of 8 KB of them took 8 s.
		{"{{range 100}}\n{{range 100}}" + strings.Repeat(`{{if eq 1 1}}{{end}}`, 400) + "{{end}}{{end}}{{.Title}}", 2, "too much inside its ranges"},
		{`{{$x := "ab"}}{{range 100}}{{$x = print $x $x}}{{end}}`, 1, "make more than 64 KB"},
		{`{{$x := "\\"}}{{range 100}}{{$x = js $x}}{{end}}{{.Title}}`, 1, "make more than 64 KB"},
	}
	for _, c := range refused {
		start := time.Now()
		_, err := ParseTemplate(c.body)
		var te *TemplateError
		if !errors.As(err, &te) {
			t.Fatalf("%.40q: want a TemplateError, got %v", c.body, err)
		}
		if te.Line != c.line || !strings.Contains(te.Message(i18n.EN), c.msg) || !strings.Contains(te.Error(), "(") {
			t.Errorf("%.40q: got line %d %q, want line %d containing %q", c.body, te.Line, te.Message(i18n.EN), c.line, c.msg)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%.40q: took %v", c.body, d)
		}
	}
	for _, body := range []string{"{{range 3}}★{{end}}{{.Title}}", `{{printf "%-20s|%5.1f%%" .Title 3.14}}`, "{{.Title}}{{range $i, $b := .Badges}}{{range 2}}{{$b}}{{end}}{{end}}", "{{.Title}}{{range $.Badges}}{{.}}{{end}}"} {
		if _, err := ParseTemplate(body); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	// A post's data can make the output long where the sample did not.
	tp, err := ParseTemplate("{{range 50}}{{$.Title}}{{end}}")
	if err != nil {
		t.Fatal(err)
	}
	d := SampleCopy()
	d.Title = strings.Repeat("长", 1000)
	if _, err := tp.Render(d); err == nil || !strings.Contains(err.Error(), "64 KB") {
		t.Errorf("long output: %v", err)
	}
}
