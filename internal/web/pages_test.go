package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
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
	for _, bad := range []string{"/library?max_price=abc", "/library?min_commission=95", "/library?sort=random", "/rankings?kind=best", "/library?platform=amazon", "/library?shop_type=mall", "/library?min_sales=-3"} {
		if resp, _ := sel.do("GET", bad, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", bad, resp.StatusCode)
		}
	}
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
