package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/wecom"
	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

// layoutProbe measures a console page as a reader sees it: whether the page
// scrolls sideways, the tables that do not fit (and whether they scroll in
// a box of their own), the raw codes in the visible text, the top bar's
// height and the page's height.
const layoutProbe = `(() => {
  const se = document.scrollingElement;
  const out = {scroll: se.scrollWidth, inner: window.innerWidth, height: se.scrollHeight,
    top: document.querySelector('.qk-top').getBoundingClientRect().height, raw: [], wide: [], wrapped: []};
  const re = /\b(taobao|tmall|jd|pdd|failed|rejected|imported|partial|share_code|short_link|coupon_url|unattributed|needs_resolving|not_in_catalog|in_flight|unconfirmed)\b/g;
  const text = document.body.innerText;
  let m;
  while ((m = re.exec(text)) !== null && out.raw.length < 5) {
    out.raw.push(text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30).replace(/\s+/g, ' '));
  }
  // Both languages at once: an English phrase in brackets after Chinese.
  const both = /[\u4e00-\u9fff][^\n(（]*[(（][a-z][a-z ,']{8,}[)）]/g;
  while ((m = both.exec(text)) !== null && out.raw.length < 8) {
    out.raw.push(m[0]);
  }
  // A badge is one short label: broken over two lines it reads as two.
  for (const b of document.querySelectorAll('main .qk-badge')) {
    const r = b.getBoundingClientRect();
    if (r.width > 0 && r.height > 2.2 * parseFloat(getComputedStyle(b).fontSize) && out.wrapped.length < 5) {
      out.wrapped.push(b.textContent.trim());
    }
  }
  // Nor is a date or a time in a table (2026-12-\n20).
  for (const c of document.querySelectorAll('main td, main td small')) {
    const text = c.textContent.trim();
    if (c.children.length === 0 && /^\d{4}-\d{2}(-\d{2})?( \d{2}:\d{2})?$/.test(text) && out.wrapped.length < 5) {
      const lines = document.createRange();
      lines.selectNodeContents(c);
      if (lines.getClientRects().length > 1) out.wrapped.push(text);
    }
  }
  // A row's name (a short first cell) keeps to two lines: squeezed to two
  // characters a column, 学生午后晚间 read as a list of syllables.
  for (const c of document.querySelectorAll('main tr > td:first-child')) {
    const text = c.textContent.trim();
    if (text.length === 0 || text.length > 12 || out.wrapped.length >= 5) continue;
    const lines = document.createRange();
    lines.selectNodeContents(c);
    if (new Set([...lines.getClientRects()].map(r => Math.round(r.top))).size > 2) out.wrapped.push(text);
  }
  for (const t of document.querySelectorAll('main table')) {
    const r = t.getBoundingClientRect();
    if (r.width === 0) continue;
    let box = t.parentElement, scrolls = false;
    while (box && box !== document.body) {
      const ox = getComputedStyle(box).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scrolls = true; break; }
      if (ox === 'hidden' || ox === 'clip') break;
      box = box.parentElement;
    }
    const room = scrolls ? box.clientWidth : Math.min(window.innerWidth, (box || document.body).clientWidth);
    if (t.scrollWidth > room + 1 || (!scrolls && r.right > window.innerWidth + 1)) {
      out.wide.push({table: (t.className || 'table') + ' in ' + (box ? box.className || box.tagName : 'body'),
        width: Math.round(t.scrollWidth), room: Math.round(room), scrolls: scrolls});
    }
  }
  return out;
})()`

type layoutReport struct {
	Scroll  int     `json:"scroll"`
	Inner   int     `json:"inner"`
	Height  int     `json:"height"`
	Top     float64 `json:"top"`
	Raw     []string
	Wrapped []string
	Wide    []struct {
		Table   string `json:"table"`
		Width   int    `json:"width"`
		Room    int    `json:"room"`
		Scrolls bool   `json:"scrolls"`
	}
}

// layoutServer is a console over the demo: the market, its groups, plans,
// posting history and orders, with the posting pages' clock on the
// market's last evening.
func layoutServer(t *testing.T) (*Server, *demo.Market) {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := newConverting(db, slog.New(slog.DiscardHandler))
	m := demoMarket(t, s)
	now := time.Date(2026, 11, 20, 18, 3, 0, 0, shanghai.Zone)
	s.now = func() time.Time { return now }
	s.planner.Now = s.now
	if _, err := demo.SeedPosting(ctx, db, s.advisor, &layoutChannels{}, now, 20); err != nil {
		t.Fatal(err)
	}
	if _, _, err := demo.Members(ctx, db, 1, now); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Orders(ctx, db, 1, now); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Costs(ctx, db, 1, now, 60); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Agents(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.JoinCodes(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	s.joins.Now = s.now
	if _, err := demo.Campaign(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.planner.PlanDay(ctx, now); err != nil {
		t.Fatal(err)
	}
	s.health.Now = s.now // the health board and group pages: judged from the demo's days
	if err := s.health.Refresh(ctx, 60); err != nil {
		t.Fatal(err)
	}
	s.cohorts.Now = s.now // the cohorts' and RFM's rollups over the demo
	if _, err := s.cohorts.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// Product images from a local stand-in for the CDNs.
	r, err := poster.NewRenderer(poster.Options{Client: &http.Client{Transport: newLocalImages(t)}, MemoryImages: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.SetImages(r)
	return s, m
}

type layoutChannels struct{ n int }

func (c *layoutChannels) TelegramChat() string { c.n++; return strconv.Itoa(-1001000 - c.n) }
func (c *layoutChannels) WeComRobot() string   { c.n++; return "robot-key-" + strconv.Itoa(c.n) }

// TestBrowserLayout is issue 11's "done when" for the console: every page,
// on the demo, at 1366 px and on a 390 px phone, does not scroll sideways;
// on the desktop every table fits, on the phone a table wider than the
// screen scrolls inside its own box; the Chinese pages show no raw codes;
// the phone's menu is one row; the dashboard is not a tower.
// Screenshots go to $QUNKE_E2E_OUT.
func TestBrowserLayout(t *testing.T) {
	chromium := needChromium(t)
	ctx := context.Background()
	s, _ := layoutServer(t)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil || len(groups) == 0 {
		t.Fatalf("demo groups: %d, %v", len(groups), err)
	}
	seedWeComChats(t, s, groups)
	plans, err := s.publish.Plans(ctx)
	if err != nil || len(plans) == 0 {
		t.Fatalf("demo plans: %d, %v", len(plans), err)
	}
	var busy *publish.Plan // the plan with the most slots
	for _, p := range plans {
		if busy == nil || len(p.Slots) > len(busy.Slots) {
			busy = p
		}
	}
	check := "/check?text=" + strings.NewReplacer("\n", "%0A", " ", "%20").Replace(
		"【好物】https://item.jd.com/"+demo.SampleJDItem+".html 券后29.9\n复制￥AbCdEfGh123￥打开淘宝 https://m.tb.cn/h.AbCdE")
	pages := []struct{ name, path string }{
		{"dashboard", "/"},
		{"check", check},
		{"rankings", "/rankings"},
		{"library", "/library"},
		{"library-bad", "/library?min_price=abc&min_commission=95"},
		{"import", "/import"},
		{"groups", "/groups"},
		{"group", fmt.Sprintf("/groups/%d", groups[0].ID)},
		{"wecom", "/groups/wecom"},
		{"board", "/board"},
		{"plans", "/plans"},
		{"plan", fmt.Sprintf("/plans/%d", busy.ID)},
		{"templates", "/templates"},
		{"manual", "/manual"},
		{"log", "/deliveries/log"},
		{"income", "/income?from=2026-09-01&to=2026-11-20"},
		{"income-bad", "/income?from=yesterday"},
		{"simulate", "/simulate?budget=20000&reinvest=80&price=8&months=48"},
		{"simulate-bad", "/simulate?price=0"},
		{"boss", "/boss?period=month&by=group&date=2026-11-20&sort=cac"},
		{"boss-tag", "/boss?period=week&by=tag&date=2026-11-18"},
		{"boss-bad", "/boss?period=year"},
		{"economics", "/economics"},
		{"economics-cohort", "/economics?by=cohort&period=month"},
		{"economics-bad", "/economics?from=yesterday"},
		{"cohorts", "/insight/cohorts?kind=retention"},
		{"cohorts-repurchase", "/insight/cohorts?kind=repurchase"},
		{"rfm", "/insight/rfm"},
		{"rfm-bad", "/insight/rfm?segment=nope"},
		{"orders", "/orders/import"},
		{"users", "/users"},
		{"members", "/members"},
		{"member", fmt.Sprintf("/members/%d", someMember(t, s))},
		{"health", "/health"},
		{"group-health", fmt.Sprintf("/groups/%d/health", groups[0].ID)},
		{"alerts", "/settings/alerts"},
		{"agents", "/agents"},
		{"agent", fmt.Sprintf("/agents/%d?month=2026-10", demoAgent(t, s, 2))},
		{"agent-rules", "/agents/rules"},
		{"payouts", "/payouts"},
		{"joincodes", "/joincodes"},
		{"joincode", fmt.Sprintf("/joincodes/%d", someJoinCode(t, s))},
		{"join", "/join/fuli?i=xiaomei"},
		{"campaigns", "/campaigns"},
		{"campaign", "/campaigns/1"},
		{"participant", "/campaigns/1/participants/1"},
		{"invite", "/invite/" + demoInviteRef(t, s)},
	}

	viewports := []struct {
		name          string
		width, height int64
		phone         bool
	}{{"1366", 1366, 900, false}, {"390", 390, 844, true}}
	viewport := func(i int) chromedp.Action[chromedp.Void] {
		vp := viewports[i]
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if vp.phone {
			opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		return chromedp.EmulateViewport(vp.width, vp.height, opts...)
	}
	b := newBrowser(t, chromium, 4*time.Minute)
	// The first-run page, before anyone signs in.
	for i, vp := range viewports {
		b.run("setup at "+vp.name, viewport(i), chromedp.Navigate(srv.URL+"/setup"), chromedp.WaitReady(`main`))
		if rep := get(t, b.ctx, "measure setup", chromedp.Evaluate[layoutReport](layoutProbe)); rep.Scroll > rep.Inner || rep.Inner != int(vp.width) {
			t.Errorf("%s px setup: the page scrolls sideways (%d px wide in %d)", vp.name, rep.Scroll, rep.Inner)
		}
		b.shot(vp.name + "-setup.png")
	}
	b.run("desktop", viewport(0))
	b.firstRun(srv.URL)
	for i, vp := range viewports {
		b.run("viewport "+vp.name, viewport(i))
		for _, pg := range pages {
			b.run("open "+pg.name, chromedp.Navigate(srv.URL+pg.path), chromedp.WaitReady(`main`))
			rep := get(t, b.ctx, "measure "+pg.name, chromedp.Evaluate[layoutReport](layoutProbe))
			where := vp.name + " px " + pg.name
			// A phone widens its layout to fit what overflows: the page
			// must keep the screen's width.
			if rep.Scroll > rep.Inner || rep.Inner != int(vp.width) {
				t.Errorf("%s: the page scrolls sideways (%d px wide, %d px laid out)", where, rep.Scroll, rep.Inner)
			}
			for _, w := range rep.Wide {
				if !vp.phone || !w.Scrolls {
					t.Errorf("%s: %s is %d px wide in %d px (scrolls in its box: %v)", where, w.Table, w.Width, w.Room, w.Scrolls)
				}
			}
			for _, r := range rep.Raw {
				t.Errorf("%s: raw code shown: %q", where, r)
			}
			for _, w := range rep.Wrapped {
				t.Errorf("%s: %q is broken over too many lines", where, w)
			}
			if vp.phone && rep.Top > 60 {
				t.Errorf("%s: the top bar is %.0f px tall, want one row", where, rep.Top)
			}
			if pg.name == "check" {
				checkChartLabels(t, b, where, vp.phone)
			}
			if pg.name == "dashboard" && !vp.phone && rep.Height > 2000 {
				t.Errorf("%s: the page is %d px tall", where, rep.Height)
			}
			b.shot(vp.name + "-" + pg.name + ".png")
		}
	}
	// In English (longer words), on the phone.
	b.run("English", chromedp.Navigate(srv.URL+"/?lang=en"), chromedp.WaitReady(`html[lang=en]`))
	for _, pg := range pages {
		b.run("open "+pg.name+" in English", chromedp.Navigate(srv.URL+pg.path), chromedp.WaitReady(`main`))
		rep := get(t, b.ctx, "measure "+pg.name, chromedp.Evaluate[layoutReport](layoutProbe))
		if rep.Scroll > rep.Inner || rep.Inner != 390 {
			t.Errorf("390 px %s in English: the page scrolls sideways (%d px wide, %d px laid out)", pg.name, rep.Scroll, rep.Inner)
		}
		if rep.Top > 60 {
			t.Errorf("390 px %s in English: the top bar is %.0f px tall", pg.name, rep.Top)
		}
	}
	b.shot("390-users-en.png")
	b.run("Chinese", chromedp.Navigate(srv.URL+"/?lang=zh"), chromedp.WaitReady(`html[lang=zh-CN]`))

	// The phone's menu: one tap shows every page's link, on the screen.
	b.run("open the menu", chromedp.Navigate(srv.URL+"/income"), chromedp.WaitReady(`main`),
		chromedp.Click(`label.qk-menu-button`), chromedp.WaitVisible(`.qk-top nav a[href="/users"]`))
	links := get(t, b.ctx, "menu links", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.qk-top nav a')].map(a => {
  const r = a.getBoundingClientRect();
  return (r.width > 0 && r.left >= 0 && r.right <= window.innerWidth ? 'on ' : 'off ') + a.textContent.trim();
})`))
	if len(links) < 9 {
		t.Errorf("the menu shows %d links: %q", len(links), links)
	}
	for _, l := range links {
		if !strings.HasPrefix(l, "on ") {
			t.Errorf("menu link %q is not on the screen", l)
		}
	}
	b.shot("390-menu.png")
}

// checkChartLabels: the price chart's axis drops labels that would overlap,
// and names the promotions only where there is room (not on a phone,
// where 双11 2025 and 年货节 2026 ran into each other).
func checkChartLabels(t *testing.T, b *browser, where string, phone bool) {
	t.Helper()
	b.run(where+": chart drawn", chromedp.WaitVisible(`.qk-chart canvas`))
	got := get(t, b.ctx, where+": chart labels", chromedp.Evaluate[struct {
		Promos      bool `json:"promos"`
		HideOverlap bool `json:"hide"`
	}](`(() => {
  const o = echarts.getInstanceByDom(document.querySelector('.qk-chart')).getOption();
  return {promos: o.series[0].markArea.label.show, hide: o.xAxis[0].axisLabel.hideOverlap};
})()`))
	if got.Promos == phone {
		t.Errorf("%s: the chart names its promotions: %v", where, got.Promos)
	}
	if !got.HideOverlap {
		t.Errorf("%s: the chart's time axis may overlap its labels", where)
	}
}

// seedWeComChats gives the customer groups page rows: a chat mapped to the
// first demo group, one proposed for the second, one with no match.
func seedWeComChats(t *testing.T, s *Server, groups []*community.Group) {
	t.Helper()
	ctx := context.Background()
	f := wecomfake.New("wwlayout", "layout-secret-0123456789")
	t.Cleanup(f.Close)
	s.wecomSync.API = wecom.NewClient(f.URL, "wwlayout", "layout-secret-0123456789")
	for i, name := range []string{groups[0].Name, groups[1].Name, "一个名字很长很长的企业微信客户群，没有同名的群"} {
		id := fmt.Sprintf("wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA%02d", i)
		f.AddChat(id, name, "zhangsan")
		f.AddMember(id, wecomfake.Member{UserID: "wmLayout" + id, Type: 2, JoinScene: 3, Name: "小红"})
	}
	if err := s.groups.MapChat(ctx, community.SourceWeCom, "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA00", groups[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wecomSync.Once(ctx); err != nil {
		t.Fatal(err)
	}
}
