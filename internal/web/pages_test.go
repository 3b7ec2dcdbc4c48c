package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
)

// signIn logs a new user of role in through the login form.
func signIn(t *testing.T, s *Server, c *client, name string, role auth.Role) {
	t.Helper()
	if _, err := s.auth.CreateUser(context.Background(), auth.NewUser{Name: name, Role: role, Password: "a long password"}); err != nil {
		t.Fatal(err)
	}
	_, body := c.do("GET", "/login", nil)
	resp, _ := c.do("POST", "/login", url.Values{"name": {name}, "password": {"a long password"}, "csrf": {csrfIn(t, body)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", name, resp.StatusCode)
	}
}

func TestLibraryRankingsDashboard(t *testing.T) {
	s, srv := newTestServer(t)
	m := demo.New(demo.Config{Seed: 2, Items: 300, Snapshots: 20, Interval: 24 * time.Hour, End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	recs := m.AppendRecords(nil, 0, 300)
	if _, err := s.catalog.Ingest(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	sel := newClient(t, srv)
	signIn(t, s, sel, "sel", auth.Selector)
	word := string([]rune(m.Item(5).Title)[2:4])
	// In order: the last switches the language, which the browser remembers.
	for _, tc := range []struct {
		path  string
		wants []string
	}{
		{"/", []string{"最近导入", "热销", "高佣"}},
		{"/library?q=" + url.QueryEscape(word), []string{"共 ", word}},
		{"/library?sort=price&max_price=30", []string{"共 "}},
		{"/library?shop_type=tmall&min_sales=100", []string{"共 ", `value="tmall" selected`}},
		{"/rankings?kind=commission", []string{"高佣", "<td>1</td>"}},
		{"/rankings?kind=drop&min_commission=5", []string{"降价"}},
		{"/library?lang=en", []string{"items", "Search titles"}},
	} {
		path, wants := tc.path, tc.wants
		resp, body := sel.do("GET", path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q in:\n%.600s", path, w, body[strings.Index(body, "<main>"):])
			}
		}
	}
	// Every title the 2-character search lists contains the word.
	_, body := sel.do("GET", "/library?lang=zh&q="+url.QueryEscape(word), nil)
	for _, chunk := range strings.Split(body, `<a href="/check?text=`)[1:] {
		title := chunk[strings.Index(chunk, ">")+1 : strings.Index(chunk, "</a>")]
		if !strings.Contains(title, word) {
			t.Errorf("search %q listed %q", word, title)
		}
	}
	// A value that cannot be read gives the page back, with the message
	// next to its field, in the reader's language.
	for _, bad := range []struct{ path, field, msg string }{
		{"/library?max_price=abc", "max_price", "应为金额，如 19.9"},
		{"/library?min_commission=95", "min_commission", "应为 0 到 90 的百分比"},
		{"/library?sort=random", "sort", "没有这个选项"},
		{"/rankings?kind=best&min_price=x", "min_price", "应为金额"},
		{"/library?platform=amazon", "platform", "没有这个选项"},
		{"/library?shop_type=mall", "shop_type", "没有这个选项"},
		{"/library?min_sales=-3", "min_sales", "应为不小于 0 的整数"},
		{"/library?min_price=abc&lang=en", "min_price", "must be an amount"},
	} {
		resp, body := sel.do("GET", bad.path, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want 400 and the page", bad.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		field := regexp.MustCompile(`name="` + bad.field + `"[^>]*class="qk-invalid"[^>]*>(</select>)?(<option[^<]*</option>)*(</select>)?<span class="qk-field-error">([^<]*)</span>`)
		if strings.Contains(body, "没有符合条件的商品") || strings.Contains(body, "No items match") {
			t.Errorf("GET %s: says no items match, when the filter could not be read", bad.path)
		}
		if m := field.FindStringSubmatch(body); m == nil || !strings.Contains(m[4], bad.msg) {
			t.Errorf("GET %s: the field %s is not marked with %q:\n%.1500s", bad.path, bad.field, bad.msg, body[strings.Index(body, "<main>"):])
		}
	}
	sel.do("GET", "/library?lang=zh", nil)
	viewer := newClient(t, srv)
	signIn(t, s, viewer, "viewer", auth.Viewer)
	if resp, _ := viewer.do("GET", "/", nil); resp.StatusCode != 200 {
		t.Errorf("viewer dashboard: %d", resp.StatusCode)
	}
	for _, path := range []string{"/library", "/rankings", "/check"} {
		if resp, _ := viewer.do("GET", path, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", path, resp.StatusCode)
		}
	}
}

// TestLibraryPagesToTheEnd: the library's "next" links lead through every
// item, past 10,000.
func TestLibraryPagesToTheEnd(t *testing.T) {
	s, srv := newTestServer(t)
	const n = 10120
	m := demo.New(demo.Config{Seed: 3, Items: n, Snapshots: 2, Interval: 24 * time.Hour, End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	if _, err := s.catalog.Ingest(context.Background(), m.AppendRecords(nil, 0, n)); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	signIn(t, s, c, "sel", auth.Selector)
	next := regexp.MustCompile(`<a href="([^"]*)">下一页`)
	prev := regexp.MustCompile(`<a href="([^"]*)">← 上一页`)
	seen := map[string]bool{}
	path, pages := "/library?sort=price", 0
	var last string
	for path != "" {
		resp, body := c.do("GET", path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		pages++
		for _, chunk := range strings.Split(body, `<a href="/check?text=`)[1:] {
			seen[chunk[:strings.Index(chunk, `"`)]] = true
		}
		if pages > 1 && prev.FindStringSubmatch(body) == nil {
			t.Fatalf("page %d has no way back", pages)
		}
		last, path = body, ""
		if m := next.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if len(seen) != n || pages != (n+pageSize-1)/pageSize {
		t.Fatalf("the next links led through %d pages and %d items, want every one of %d", pages, len(seen), n)
	}
	// The way back leads, page by page, to the first page, which has no
	// way further back (and the last none further on).
	if next.FindStringSubmatch(last) != nil {
		t.Fatal("the last page links to a next one")
	}
	body, back := last, 1
	for {
		m := prev.FindStringSubmatch(body)
		if m == nil {
			break
		}
		_, body = c.do("GET", html.UnescapeString(m[1]), nil)
		if n := strings.Count(body, `<a href="/check?text=`); n != pageSize {
			t.Fatalf("going back, page %d lists %d items", pages-back, n)
		}
		back++
	}
	_, first := c.do("GET", "/library?sort=price", nil)
	firstItem := func(b string) string { return b[strings.Index(b, `<a href="/check?text=`):][:80] }
	if back != pages || firstItem(body) != firstItem(first) {
		t.Fatalf("going back took %d pages (want %d) and ended on another page than the first", back, pages)
	}
}

// TestDashboardForANewUser: an empty catalog says how to start (and where
// to import, for those who may); import statuses are words, not codes.
func TestDashboardForANewUser(t *testing.T) {
	s, srv := newTestServer(t)
	admin, viewer := newClient(t, srv), newClient(t, srv)
	signIn(t, s, admin, "boss", auth.Admin)
	signIn(t, s, viewer, "look", auth.Viewer)
	_, body := admin.do("GET", "/", nil)
	if !strings.Contains(body, "商品库还是空的") || !strings.Contains(body, `<a class="qk-button" href="/import">导入商品</a>`) {
		t.Errorf("an empty dashboard gives no start:\n%s", body[strings.Index(body, "<main>"):])
	}
	if _, body := viewer.do("GET", "/", nil); !strings.Contains(body, "商品库还是空的") || strings.Contains(body, `href="/import"`) {
		t.Errorf("a viewer's empty dashboard:\n%s", body[strings.Index(body, "<main>"):])
	}
	ctx := context.Background()
	for i, st := range []string{"imported", "partial", "rejected", "failed"} {
		at := time.Date(2026, 11, 20, 10, i, 0, 0, time.UTC)
		if err := s.catalog.LogImport(ctx, catalog.ImportLog{Kind: "items", FileName: st + ".csv", StartedAt: at, FinishedAt: at, Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	_, body = admin.do("GET", "/", nil)
	for _, want := range []string{">已导入<", ">部分导入<", ">未导入（有错误行）<", ">导入失败<"} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks the status %s", want)
		}
	}
	for _, raw := range []string{">imported<", ">failed<", ">rejected<", ">partial<"} {
		if strings.Contains(body, raw) {
			t.Errorf("the dashboard shows the code %s", raw)
		}
	}
}
