package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wcfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store/storetest"
)

// findChromium returns the Chromium binary, or "" when there is none.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needChromium returns the Chromium binary. Without one the test is
// skipped, except in CI, where it fails: CI must install Chromium.
func needChromium(t *testing.T) string {
	t.Helper()
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found: CI must install it")
		}
		t.Skip("chromium not found")
	}
	return chromium
}

// chartPixels counts the drawn pixels (opaque enough, not white) of the
// first chart's canvas; -1 when there is no readable 2D canvas.
const chartPixels = `(() => {
  const c = document.querySelector('.qk-chart canvas');
  if (!c || !c.width || !c.height) return -1;
  const ctx = c.getContext('2d');
  if (!ctx) return -1;
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i+3] > 0 && !(d[i] > 245 && d[i+1] > 245 && d[i+2] > 245)) n++;
  }
  return n;
})()`

// get runs one browser action that returns a value, bounded by 20 s.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// browser is one headless Chromium tab driven by a test.
type browser struct {
	t   *testing.T
	ctx context.Context // the tab's; steps derive their own timeouts from it
	out string          // where screenshots go
}

// newBrowser starts Chromium (bounded by timeout, stopped at the end of the
// test) with a tab that asks for Chinese, as a team member's browser would;
// the language switch (a cookie) overrides it. Screenshots go to
// $QUNKE_E2E_OUT, else to a temporary directory.
func newBrowser(t *testing.T, chromium string, timeout time.Duration) *browser {
	t.Helper()
	out := os.Getenv("QUNKE_E2E_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser) // cleanups run last first: the tab, the browser, then ctx

	// The first call starts the browser, so it runs on the browser's own
	// context (bounded by timeout); later steps get 20 s each.
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: bctx, out: out}
}

// cspRecorder keeps every Content-Security-Policy violation of a page in
// window.__qkCSP (see cspClean).
const cspRecorder = `window.__qkCSP = []; document.addEventListener('securitypolicyviolation',
  e => window.__qkCSP.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));`

// cspClean fails the test if the page has broken a CSP rule (an inline
// script or style, a resource from elsewhere).
func (b *browser) cspClean(step string) {
	b.t.Helper()
	if v := get(b.t, b.ctx, step+": CSP violations", chromedp.Evaluate[[]string](`window.__qkCSP || []`)); len(v) > 0 {
		b.t.Errorf("%s: the page broke its Content-Security-Policy: %q", step, v)
	}
}

// run runs one step's actions, bounded by 20 s.
func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// shot saves a full-page screenshot (PNG) as name in the output directory.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b.t, b.ctx, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100: PNG
	path := filepath.Join(b.out, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// path is the path of the tab's address.
func (b *browser) path() string {
	b.t.Helper()
	u, err := url.Parse(get(b.t, b.ctx, "location", chromedp.Location()))
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Path
}

// submit marks the page, runs actions that leave it (a form's submit
// button), then waits in JavaScript until a new page is loaded on which
// ready (an expression) holds. Waiting on nodes races with the navigation
// ("could not find node"), and an evaluation can land on the page that is
// going away or between two pages, so such errors are retried.
func (b *browser) submit(step, ready string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.run(step, append([]chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](`window.__qkOld = true`)}, actions...)...)
	ready = `!window.__qkOld && document.readyState === 'complete' && !!(` + ready + `)`
	var err error
	for try := 0; try < 20; try++ {
		wctx, wcancel := context.WithTimeout(b.ctx, 10*time.Second)
		_, err = chromedp.Run(wctx, chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingInterval(50*time.Millisecond)))
		wcancel()
		if err == nil || !navigating(err) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("%s: waiting for the next page: %v", step, err)
	}
}

// navigating reports whether err is an evaluation that a navigation cut
// short: its page went away, or it ran between two pages.
func navigating(err error) bool {
	for _, s := range []string{"destroyed", "node", "navigat", "Cannot find context"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// firstRun opens the console with no users yet: / leads to the first-run
// setup (in Chinese), which signs the new admin "boss" in and lands on
// the dashboard.
func (b *browser) firstRun(base string) {
	b.t.Helper()
	b.run("open /",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`form[action="/setup"] input[name=name]`),
	)
	if p := b.path(); p != "/setup" {
		b.t.Fatalf("GET / with no users landed on %s, want /setup", p)
	}
	if l := get(b.t, b.ctx, "page language", chromedp.AttributeValue(`html`, "lang")); l.Value != "zh-CN" {
		b.t.Fatalf("setup page lang=%q, want zh-CN", l.Value)
	}
	b.run("setup",
		chromedp.SendKeys(`form[action="/setup"] input[name=name]`, "boss"),
		chromedp.SendKeys(`form[action="/setup"] input[name=password]`, "a long password"),
		chromedp.Click(`form[action="/setup"] button[type=submit]`),
		chromedp.WaitVisible(`.qk-boards`),
	)
	if p := b.path(); p != "/" {
		b.t.Fatalf("setup landed on %s, want the dashboard", p)
	}
}

// demoMarket seeds s with a demo market: 300 items with 60 daily
// snapshots, the last on 2026-11-20 at 18:00 in Shanghai.
func demoMarket(t *testing.T, s *Server) *demo.Market {
	t.Helper()
	start := time.Now()
	m := demo.New(demo.Config{Seed: 2, Items: 300, Snapshots: 60, Interval: 24 * time.Hour, End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	recs := m.AppendRecords(nil, 0, 300)
	if _, err := s.catalog.Ingest(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d records in %v", len(recs), time.Since(start).Round(time.Millisecond))
	return m
}

// dealMessage is a pasted deal message naming item by a labelled id.
func dealMessage(item catalog.Item) string {
	return fmt.Sprintf("【好价】%s 速度冲！\n商品ID：%s", item.Title, item.ItemID)
}

// TestBrowserEndToEnd drives the console in a real headless Chromium:
// first-run setup, a deal check with its price chart, the language switch
// and a library search.
func TestBrowserEndToEnd(t *testing.T) {
	chromium := needChromium(t)
	start := time.Now()

	db := storetest.SQLite(t)
	s := newConverting(db, slog.New(slog.DiscardHandler))
	m := demoMarket(t, s)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	b := newBrowser(t, chromium, 90*time.Second)

	// 1. First-run setup, landing on the dashboard. A page without a chart
	// does not load ECharts (1.1 MB). Then the check page.
	b.firstRun(srv.URL)
	if n := get(t, b.ctx, "ECharts requests", chromedp.Evaluate[int](`performance.getEntriesByType('resource').filter(e => e.name.includes('echarts')).length + (window.echarts ? 1 : 0)`)); n != 0 {
		t.Errorf("a page without a chart loaded ECharts")
	}
	b.cspClean("dashboard")
	b.run("open /check", chromedp.Navigate(srv.URL+"/check"), chromedp.WaitVisible(`form.qk-paste textarea[name=text]`))

	// 2. Paste a deal message: a labelled demo item id and a Taobao share
	// code. The item gets a card with a drawn price chart; the share code
	// is listed as needing resolving.
	item := m.Item(7)
	msg := dealMessage(item) + "\n复制￥AbCdEfGh123￥打开淘宝"
	check := func(step string) {
		t.Helper()
		b.submit(step, `document.querySelector('.qk-card .qk-chart canvas')`,
			chromedp.SetValue(`form.qk-paste textarea[name=text]`, msg),
			chromedp.Click(`form.qk-paste button[type=submit]`),
		)
	}
	check("check a deal")
	cardTitle := get(t, b.ctx, "card title", chromedp.Text(`.qk-card h2`))
	if !strings.Contains(cardTitle, item.ItemID) || !strings.Contains(cardTitle, item.Title) {
		t.Errorf("card title %q, want %s %s", cardTitle, item.Title, item.ItemID)
	}
	refs := get(t, b.ctx, "share codes", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.qk-ref')).map(e => e.textContent).join('\n')`))
	if !strings.Contains(refs, "AbCdEfGh123") {
		t.Errorf("share code not listed: %q", refs)
	}
	pctx, pcancel := context.WithTimeout(b.ctx, 10*time.Second)
	_, err := chromedp.Run(pctx, chromedp.Poll[chromedp.Void](chartPixels+` > 1000`, chromedp.WithPollingInterval(100*time.Millisecond)))
	pcancel()
	pixels := get(t, b.ctx, "count chart pixels", chromedp.Evaluate[int](chartPixels))
	if err != nil || pixels <= 1000 {
		t.Fatalf("chart canvas has %d drawn pixels, want > 1000 (%v)", pixels, err)
	}
	t.Logf("chart canvas: %d drawn pixels", pixels)
	b.cspClean("check page with a chart")
	b.shot("1-check.png")

	// 3. The language switch turns the console English; the same deal
	// checked again is charted with English labels.
	b.run("switch language",
		chromedp.Click(`a.qk-lang`),
		chromedp.WaitReady(`html[lang=en]`),
	)
	if h1 := get(t, b.ctx, "heading", chromedp.Text(`h1`)); h1 != "Check a deal" {
		t.Fatalf("after the language switch h1 = %q, want Check a deal", h1)
	}
	check("check a deal in English")
	legend := get(t, b.ctx, "chart legend", chromedp.Evaluate[[]string](`echarts.getInstanceByDom(document.querySelector('.qk-chart')).getOption().legend[0].data`))
	if len(legend) == 0 || legend[0] != "Final price" {
		t.Errorf("chart legend %q, want Final price first", legend)
	}
	body := get(t, b.ctx, "page text", chromedp.Text(`body`))
	for _, want := range []string{"Check a deal", "Score", "Library"} {
		if !strings.Contains(body, want) {
			t.Errorf("English check page lacks %q", want)
		}
	}
	b.shot("2-check-en.png")

	// 4. Search the library for a word of a demo title.
	word := string([]rune(m.Item(5).Title)[2:4])
	b.run("search library",
		chromedp.Navigate(srv.URL+"/library"),
		chromedp.WaitVisible(`form.qk-filters input[name=q]`),
		chromedp.SendKeys(`form.qk-filters input[name=q]`, word),
		chromedp.Click(`form.qk-filters button[type=submit]`),
		// The value attribute is the server's echo of the query, so only
		// the results page matches (typing sets the property, not it).
		chromedp.WaitReady(fmt.Sprintf(`form.qk-filters input[name=q][value=%q]`, word)),
		chromedp.WaitReady(`table.qk-items`),
	)
	if q := get(t, b.ctx, "search box", chromedp.Value(`form.qk-filters input[name=q]`)); q != word {
		t.Errorf("search box holds %q, want %q", q, word)
	}
	titles := get(t, b.ctx, "result titles", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table.qk-items td a')).map(a => a.textContent)`))
	if len(titles) == 0 {
		t.Fatalf("search %q listed no items", word)
	}
	for _, title := range titles {
		if !strings.Contains(title, word) {
			t.Errorf("search %q listed %q", word, title)
		}
	}
	t.Logf("search %q listed %d items", word, len(titles))
	b.shot("3-library.png")
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// localImages answers every product image request with one small PNG, in
// the process: the posters are drawn without the network.
type localImages struct {
	png []byte
	n   atomic.Int64
}

func newLocalImages(t *testing.T) *localImages {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 240; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: 120, B: uint8(y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return &localImages{png: buf.Bytes()}
}

func (l *localImages) RoundTrip(r *http.Request) (*http.Response, error) {
	l.n.Add(1)
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"image/png"}}, Body: io.NopCloser(bytes.NewReader(l.png)),
		ContentLength: int64(len(l.png)), Request: r}, nil
}

// boardCard is a group's card on the board.
type boardCard struct {
	Name  string `json:"name"`
	Posts []struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Status string `json:"status"`
	} `json:"posts"`
}

const boardCards = `Array.from(document.querySelectorAll('.qk-slot .qk-card')).map(c => ({
  name: c.querySelector('h3').firstChild.textContent.trim(),
  posts: Array.from(c.querySelectorAll('li')).map(li => ({
    id: li.id,
    title: li.querySelector('b').textContent,
    status: li.querySelector('.qk-badge[class*="st-"]').textContent.trim(),
  })),
}))`

// manualCard is a post on the manual page.
type manualCard struct {
	ID     string `json:"id"`
	Group  string `json:"group"`
	Body   string `json:"body"`
	Copy   bool   `json:"copy"`
	Poster string `json:"poster"`
}

const manualCards = `Array.from(document.querySelectorAll('article.qk-manual')).map(a => ({
  id: a.id,
  group: a.querySelector('h2').firstChild.textContent.trim(),
  body: a.querySelector('textarea.qk-copytext').value,
  copy: !!a.querySelector('button[data-copy]'),
  poster: (a.querySelector('a[href$="poster.png"]') || {getAttribute: () => ''}).getAttribute('href'),
}))`

// logRowView is a row of the delivery log.
type logRowView struct {
	Delivery string `json:"delivery"`
	Group    string `json:"group"`
	Title    string `json:"title"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail"`
}

const logRows = `Array.from(document.querySelectorAll('table.qk-items tr')).filter(r => r.querySelector('td a')).map(r => {
  const td = r.querySelectorAll('td');
  return {delivery: td[1].textContent.trim(), group: td[2].textContent.trim(), title: td[3].textContent.trim(),
    outcome: td[4].textContent.trim(), detail: td[5].textContent.trim()};
})`

// TestBrowserPosting is issue 5's "done when", in a real headless
// Chromium: an operator picks deals from the advisor (the check page and
// the rankings), plans them into three groups, watches them go out through
// fake Telegram and WeCom servers and the manual page, and sees the log.
func TestBrowserPosting(t *testing.T) {
	chromium := needChromium(t)
	start := time.Now()
	ctx := context.Background()

	db := storetest.SQLite(t)
	s := newConverting(db, slog.New(slog.DiscardHandler))
	m := demoMarket(t, s)
	// The posting pages' clock: three minutes after the 18:00 slot of the
	// market's last day, so the slot is due (and not too late to plan).
	now := time.Date(2026, 11, 20, 18, 3, 0, 0, shanghai.Zone)
	slot := time.Date(2026, 11, 20, 18, 0, 0, 0, shanghai.Zone)
	s.now = func() time.Time { return now }
	s.planner.Now = s.now

	// Posters, drawn from a local product image, for the worker and the
	// manual page alike.
	images := newLocalImages(t)
	r, err := poster.NewRenderer(poster.Options{Client: &http.Client{Transport: images}, MemoryImages: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	posters := &publish.PosterCache{R: r}
	s.posters = posters

	// The platforms: a Telegram chat and a WeCom robot on local fakes.
	tg := tgfake.New()
	t.Cleanup(tg.Close)
	const chat = "-1001234567890"
	tg.AddChat(chat)
	wc := wcfake.New()
	t.Cleanup(wc.Close)
	robot := wc.AddRobot()

	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	// postable says whether the planner may post key at the slot: its
	// coupon must still run then (the price is chosen as it is now).
	postable := func(key catalog.Key) bool {
		info, err := s.planner.Items.Info(ctx, key)
		if err != nil {
			t.Fatalf("item %s: %v", key, err)
		}
		o := info.Now
		return o.CouponAmount == 0 || o.CouponEnd == 0 || o.CouponEnd > slot.Unix()
	}
	var first catalog.Item
	for i := 7; i < 300 && first.ItemID == ""; i++ {
		if it := m.Item(i); postable(catalog.Key{Platform: it.Platform, ItemID: it.ItemID}) {
			first = it
		}
	}
	if first.ItemID == "" {
		t.Fatal("no demo item the planner would post")
	}

	b := newBrowser(t, chromium, 90*time.Second)
	b.firstRun(srv.URL)
	step := time.Now()
	lap := func(what string) {
		t.Logf("%s: %v", what, time.Since(step).Round(time.Millisecond))
		step = time.Now()
	}

	// 1. Three groups tagged e2e, through the groups page's form: a
	// Telegram chat, a WeCom robot and a group posted to by hand.
	groups := []struct{ name, channel, target string }{
		{"电报测试群", "telegram", chat},
		{"企微测试群", "wecom", robot},
		{"手动测试群", "manual", ""},
	}
	b.run("open /groups",
		chromedp.Navigate(srv.URL+"/groups"),
		chromedp.WaitVisible(`form.qk-form input[name=name]`),
	)
	for _, g := range groups {
		// The form comes back empty after each group, so an empty target
		// is left alone: chromedp's SetValue cannot set "" (cdproto drops
		// the empty argument, omitempty under json/v2, and the input gets
		// "undefined").
		fill := []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(`form.qk-form input[name=name]`, g.name),
			chromedp.SetValue(`form.qk-form select[name=channel]`, g.channel),
			chromedp.SetValue(`form.qk-form input[name=tags]`, "e2e"),
			// Placements on each platform, so the posts' links convert.
			chromedp.SetValue(`form.qk-form input[name=pid_taobao]`, "mm_1_2_3"),
			chromedp.SetValue(`form.qk-form input[name=pid_jd]`, "1_2_3"),
			chromedp.SetValue(`form.qk-form input[name=pid_pdd]`, "1_2"),
		}
		if g.target != "" {
			fill = append(fill, chromedp.SetValue(`form.qk-form input[name=target]`, g.target))
		}
		b.submit("add group "+g.name, fmt.Sprintf(`document.querySelector('p.qk-ok') && document.querySelector('p.qk-ok').textContent.includes(%q)`, g.name),
			append(fill, chromedp.Click(`form.qk-form button[type=submit]`))...)
	}
	listed := get(t, b.ctx, "group names", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table.qk-items tr td:first-child')).map(td => td.textContent)`))
	stored, err := s.groups.List(ctx, community.Filter{Tag: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 || len(stored) != 3 {
		t.Fatalf("groups page lists %q, the registry has %d tagged e2e; want the 3 added", listed, len(stored))
	}
	for _, g := range stored {
		if !g.Active || g.TZ != "Asia/Shanghai" {
			t.Errorf("group %s: active %v, zone %q", g.Name, g.Active, g.TZ)
		}
	}

	// A plan for the tag, through the plans page's form, with one slot
	// three minutes ago.
	b.run("open /plans",
		chromedp.Navigate(srv.URL+"/plans"),
		chromedp.WaitVisible(`form.qk-form input[name=name]`),
	)
	b.submit("add a plan", `/^\/plans\/\d+$/.test(location.pathname)`,
		chromedp.SetValue(`form.qk-form input[name=name]`, "e2e 晚场"),
		chromedp.SetValue(`form.qk-form input[name=tag]`, "e2e"),
		chromedp.SetValue(`form.qk-form input[name=slots]`, "18:00"),
		chromedp.SetValue(`form.qk-form input[name=per_slot]`, "2"),
		chromedp.Click(`form.qk-form button[type=submit]`),
	)
	planID := strings.TrimPrefix(b.path(), "/plans/")
	planPath := "/plans/" + planID
	lap("groups and plan")

	// 2. Check a deal; its decision card's "加入发单" adds it to the plan
	// at the prefilled price (today's final price).
	b.run("open /check",
		chromedp.Navigate(srv.URL+"/check"),
		chromedp.WaitVisible(`form.qk-paste textarea[name=text]`),
	)
	b.submit("check a deal", `document.querySelector('.qk-card details.qk-addpost select[name=plan]')`,
		chromedp.SetValue(`form.qk-paste textarea[name=text]`, dealMessage(first)),
		chromedp.Click(`form.qk-paste button[type=submit]`),
	)
	if title := get(t, b.ctx, "card title", chromedp.Text(`.qk-card h2`)); !strings.Contains(title, first.Title) {
		t.Fatalf("card title %q, want %s", title, first.Title)
	}
	final := get(t, b.ctx, "card price", chromedp.Text(`.qk-card .qk-price .final`))
	b.run("open 加入发单",
		chromedp.Click(`.qk-card details.qk-addpost > summary`),
		chromedp.WaitVisible(`.qk-card details.qk-addpost select[name=plan]`),
		chromedp.SetValue(`.qk-card details.qk-addpost select[name=plan]`, planID),
	)
	if price := get(t, b.ctx, "chosen price", chromedp.Value(`.qk-card details.qk-addpost input[name=price]`)); "¥"+price != final {
		t.Errorf("the chosen price is prefilled with %q, the card says %q", price, final)
	}
	b.submit("add the checked deal", fmt.Sprintf(`location.pathname === %q && document.querySelector('p.qk-ok')`, planPath),
		chromedp.Click(`.qk-card details.qk-addpost button[type=submit]`),
	)

	// A second deal from the rankings: the first row the planner may post.
	b.run("open /rankings",
		chromedp.Navigate(srv.URL+"/rankings"),
		chromedp.WaitReady(`table.qk-items details.qk-addpost`),
	)
	rows := get(t, b.ctx, "ranked items", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table.qk-items form[action="/plans/queue"]')).map(f => f.querySelector('[name=platform]').value + ':' + f.querySelector('[name=item_id]').value)`))
	var second catalog.Key
	for _, row := range rows {
		p, id, _ := strings.Cut(row, ":")
		platform, ok := catalog.ParsePlatform(p)
		if !ok {
			t.Fatalf("ranking row for %q", row)
		}
		key := catalog.Key{Platform: platform, ItemID: id}
		if id != first.ItemID && postable(key) {
			second = key
			break
		}
	}
	if second.ItemID == "" {
		t.Fatalf("none of the %d ranked items can be posted", len(rows))
	}
	secondInfo, err := s.planner.Items.Info(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`table.qk-items tr:has(input[name=platform][value=%q]):has(input[name=item_id][value=%q])`, string(second.Platform), second.ItemID)
	b.run("open 加入发单 on a ranking row",
		chromedp.Click(chromedp.CSS(row+` details.qk-addpost > summary`)),
		chromedp.WaitVisible(chromedp.CSS(row+` details.qk-addpost select[name=plan]`)),
		chromedp.SetValue(chromedp.CSS(row+` details.qk-addpost select[name=plan]`), planID),
	)
	b.submit("add the ranked deal", fmt.Sprintf(`location.pathname === %q && document.querySelector('p.qk-ok')`, planPath),
		chromedp.Click(chromedp.CSS(row+` details.qk-addpost button[type=submit]`)),
	)
	if back := get(t, b.ctx, "way back", chromedp.Evaluate[int](`document.querySelectorAll('p.qk-ok a[href="/rankings"]').length`)); back != 1 {
		t.Errorf("the plan page offers no way back to the rankings")
	}
	queued := get(t, b.ctx, "plan queue", chromedp.Text(`table.qk-items`))
	for _, title := range []string{first.Title, secondInfo.Item.Title} {
		if !strings.Contains(queued, title) {
			t.Errorf("the plan's queue lacks %s:\n%s", title, queued)
		}
	}
	q, err := s.publish.Queue(ctx, mustInt(t, planID))
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].Key.ItemID != first.ItemID || q[1].Key != second || q[1].ChosenPrice != secondInfo.Now.FinalPrice || q[0].AddedBy != "boss" {
		t.Fatalf("queue %+v", q)
	}
	lap("picked two deals")

	// 3. The board: "立即排期" plans both deals into the three groups'
	// 18:00 slot, waiting to be sent.
	b.run("open /board",
		chromedp.Navigate(srv.URL+"/board"),
		chromedp.WaitReady(`form[action="/board"] input[name=action][value=plan]`),
	)
	b.submit("立即排期", `document.querySelector('section.qk-card') && document.querySelector('.qk-slot')`,
		chromedp.Click(chromedp.CSS(`form[action="/board"]:has(input[name=action][value=plan]) button[type=submit]`)),
	)
	if stats := get(t, b.ctx, "plan stats", chromedp.Text(`section.qk-card`)); !strings.Contains(stats, "新排 6 条") {
		t.Errorf("plan now says %q, want 6 posts planned", stats)
	}
	titles := map[string]bool{first.Title: true, secondInfo.Item.Title: true}
	checkBoard := func(want map[string]string) {
		t.Helper()
		cards := get(t, b.ctx, "board cards", chromedp.Evaluate[[]boardCard](boardCards))
		if slotTime := get(t, b.ctx, "slot time", chromedp.Text(`.qk-slot h2`)); slotTime != "18:00" {
			t.Errorf("the board's slot is %q, want 18:00", slotTime)
		}
		seen := map[string]bool{}
		for _, c := range cards {
			status, ok := want[c.Name]
			if !ok {
				t.Errorf("the board lists group %q", c.Name)
				continue
			}
			seen[c.Name] = true
			if len(c.Posts) != 2 {
				t.Errorf("the board lists %d posts for %s, want 2", len(c.Posts), c.Name)
			}
			for _, p := range c.Posts {
				if !titles[p.Title] || p.Status != status {
					t.Errorf("%s: post %q is %s, want one of the picked deals, %s", c.Name, p.Title, p.Status, status)
				}
			}
		}
		if len(seen) != len(want) {
			t.Errorf("the board lists groups %v, want %v", seen, want)
		}
	}
	checkBoard(map[string]string{"电报测试群": "待发送", "企微测试群": "待发送", "手动测试群": "待发送"})
	b.shot("posting-1-board-planned.png")
	lap("planned")

	// 4. The delivery worker sends the Telegram and WeCom posts to the
	// fakes. Its clock runs on from the console's (a Telegram chat takes
	// one message a second), so it drains until both groups' posts are out.
	t0 := time.Now()
	w := &publish.Worker{Store: s.publish, Groups: s.groups,
		Senders: map[community.Channel]channel.Sender{
			community.Telegram: &telegram.Sender{Token: tg.Token, BaseURL: tg.URL, Client: &http.Client{Timeout: 10 * time.Second}},
			community.WeCom:    &wecom.Sender{BaseURL: wc.URL, Client: &http.Client{Timeout: 10 * time.Second}},
		},
		Posters: posters,
		Now:     func() time.Time { return now.Add(time.Since(t0)) },
		Lease:   20 * time.Second,
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, shanghai.Zone)
	for {
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := w.Drain(dctx)
		cancel()
		if err != nil {
			t.Fatalf("drain: %v", err)
		}
		ds, err := s.publish.Board(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, d := range ds {
			if d.Status == publish.Sent {
				sent++
			}
		}
		if sent == 4 {
			break
		}
		if time.Since(t0) > 15*time.Second {
			t.Fatalf("after %v, %d automated posts sent, want 4: %+v", time.Since(t0).Round(time.Millisecond), sent, ds)
		}
		time.Sleep(100 * time.Millisecond)
	}
	lap("sent through the fakes")
	photos := map[string]bool{}
	for _, msg := range tg.Messages(chat) {
		if msg.Method != "sendPhoto" || msg.PhotoSize == 0 {
			t.Errorf("telegram got %s (photo %d bytes), want photos with captions", msg.Method, msg.PhotoSize)
			continue
		}
		for title := range titles {
			if strings.Contains(msg.Text, title) {
				photos[title] = true
			}
		}
	}
	if len(photos) != 2 {
		t.Errorf("telegram got captions for %v, want both deals; messages %+v", photos, tg.Messages(chat))
	}
	robotMsgs := wc.Messages(robot)
	if len(robotMsgs) != 4 {
		t.Fatalf("the wecom robot got %d messages, want 2 images and 2 texts: %+v", len(robotMsgs), robotMsgs)
	}
	texts := map[string]bool{}
	for i := 0; i < 4; i += 2 {
		img, txt := robotMsgs[i], robotMsgs[i+1]
		if img.Type != "image" || img.ImageSize == 0 || txt.Type != "text" {
			t.Errorf("wecom post %d: %s (%d bytes) then %s, want an image then a text", i/2+1, img.Type, img.ImageSize, txt.Type)
		}
		for title := range titles {
			if strings.Contains(txt.Content, title) {
				texts[title] = true
			}
		}
	}
	if len(texts) != 2 {
		t.Errorf("the wecom texts name %v, want both deals", texts)
	}
	if images.n.Load() == 0 {
		t.Error("the posters never asked for the product image")
	}

	// 5. The board, reloaded: the automated posts are sent, the manual
	// group's wait for an operator.
	b.run("reload /board",
		chromedp.Navigate(srv.URL+"/board"),
		chromedp.WaitVisible(`.qk-slot`),
	)
	checkBoard(map[string]string{"电报测试群": "已发送", "企微测试群": "已发送", "手动测试群": "待发送"})
	b.shot("posting-2-board-sent.png")

	// The manual page, on a phone: each post with its copy, a copy button
	// and a poster; "已发送" takes it off the list.
	b.run("open /manual on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/manual"),
		chromedp.WaitVisible(`article.qk-manual`),
	)
	posts := get(t, b.ctx, "manual posts", chromedp.Evaluate[[]manualCard](manualCards))
	if len(posts) != 2 {
		t.Fatalf("the manual page lists %d posts, want 2: %+v", len(posts), posts)
	}
	for _, p := range posts {
		named := 0
		for title := range titles {
			if strings.Contains(p.Body, title) {
				named++
			}
		}
		if p.Group != "手动测试群" || named != 1 || !strings.Contains(p.Body, "【券后价】") || !p.Copy || p.Poster == "" {
			t.Errorf("manual post %+v, want the manual group's copy of a picked deal, a copy button and a poster", p)
		}
	}
	if width := get(t, b.ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); width > 390 {
		t.Errorf("the manual page is %d px wide on a 390 px phone", width)
	}
	// On a phone the top bar is one row, its links behind the menu button
	// (TestBrowserLayout opens it).
	if h := get(t, b.ctx, "top bar", chromedp.Evaluate[float64](`document.querySelector('.qk-top').getBoundingClientRect().height`)); h > 60 {
		t.Errorf("the top bar is %.0f px tall on a 390 px phone", h)
	}
	b.shot("posting-3-manual-phone.png")
	// A real click (a user gesture): the button says whether the copy
	// worked; headless Chromium may refuse the clipboard, which the page
	// must then say too.
	copyButton := `#` + posts[0].ID + ` button[data-copy]`
	b.run("copy the text", chromedp.Click(chromedp.CSS(copyButton)))
	copied := get(t, b.ctx, "copy button", chromedp.Poll[string](`(() => {
  const t = document.querySelector('`+copyButton+`').textContent;
  return t !== '复制文案' && t;
})()`, chromedp.WithPollingInterval(20*time.Millisecond)))
	if copied != "已复制" && copied != "复制失败，请长按文字手动复制" {
		t.Errorf("the copy button says %q after a click", copied)
	}
	t.Logf("copy button: %s", copied)
	poster := get(t, b.ctx, "fetch the poster", chromedp.Evaluate[string](`fetch(`+strconv.Quote(posts[0].Poster)+`).then(r => r.arrayBuffer().then(b =>
  r.status + ' ' + r.headers.get('content-type') + ' ' + b.byteLength + ' ' + Array.from(new Uint8Array(b).slice(0, 8)).join(',')))`, chromedp.EvalAwaitPromise))
	if f := strings.Fields(poster); len(f) != 4 || f[0] != "200" || f[1] != "image/png" || f[3] != "137,80,78,71,13,10,26,10" {
		t.Errorf("the poster link answers %q, want a PNG", poster)
	}
	t.Logf("poster: %s", poster)
	for i, p := range posts {
		b.submit("mark "+p.ID+" sent", fmt.Sprintf(`location.search === '?sent=1' && document.querySelector('p.qk-ok') && !document.getElementById(%q)`, p.ID),
			chromedp.Click(chromedp.CSS(`#`+p.ID+` button.qk-good`)),
		)
		if left := get(t, b.ctx, "manual posts left", chromedp.Evaluate[int](`document.querySelectorAll('article.qk-manual').length`)); left != len(posts)-i-1 {
			t.Errorf("after marking %d sent, %d posts are listed", i+1, left)
		}
	}
	if body := get(t, b.ctx, "manual page", chromedp.Text(`main`)); !strings.Contains(body, "现在没有要手动发送的内容") {
		t.Errorf("the emptied manual page says:\n%s", body)
	}
	b.run("back to the desktop", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{})
		return err
	}))
	lap("manual page")

	// 6. The log: an attempt for each post, the manual ones sent by hand.
	b.run("open /deliveries/log",
		chromedp.Navigate(srv.URL+"/deliveries/log"),
		chromedp.WaitVisible(`table.qk-items`),
	)
	logged := get(t, b.ctx, "log rows", chromedp.Evaluate[[]logRowView](logRows))
	byGroup := map[string]int{}
	for _, l := range logged {
		if l.Outcome != "已发送" || !titles[l.Title] {
			t.Errorf("log row %+v, want a sent post of a picked deal", l)
		}
		if manual := strings.Contains(l.Detail, "手动"); manual != (l.Group == "手动测试群") {
			t.Errorf("log row %+v: the detail says sent by hand for %s", l, l.Group)
		}
		byGroup[l.Group]++
	}
	if len(logged) != 6 || byGroup["电报测试群"] != 2 || byGroup["企微测试群"] != 2 || byGroup["手动测试群"] != 2 {
		t.Errorf("the log lists %+v, want 2 sent posts for each group", logged)
	}
	b.shot("posting-4-log.png")
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}
