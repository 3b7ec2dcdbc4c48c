package web

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store/storetest"
)

// client is a browser: cookies, no automatic redirects.
type client struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t, srv, &http.Client{Jar: jar, Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfIn(t *testing.T, body string) string {
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in:\n%s", body)
	}
	return m[1]
}

// The cookies are Secure; httptest serves TLS so the jar sends them back.
func newTestServer(t *testing.T) (*Server, *httptest.Server) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func TestSetupLoginRolesAndCSRF(t *testing.T) {
	s, srv := newTestServer(t)
	browser := newClient(t, srv)

	// No users yet: every page leads to the first-run setup.
	resp, _ := browser.do("GET", "/check", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/setup" {
		t.Fatalf("GET /check before setup: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := browser.do("GET", "/setup", nil)
	tok := csrfIn(t, body)
	if resp, _ := browser.do("POST", "/setup", url.Values{"name": {"boss"}, "password": {"short"}, "csrf": {tok}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("short password at setup: %d", resp.StatusCode)
	}
	if resp, _ := browser.do("POST", "/setup", url.Values{"name": {"boss"}, "password": {"long enough pw"}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("setup with a forged token: %d", resp.StatusCode)
	}
	// A new admin lands on the dashboard, which says where to start.
	resp, _ = browser.do("POST", "/setup", url.Values{"name": {"boss"}, "password": {"long enough pw"}, "csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("setup: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie flags: %+v", c)
		}
	}
	// Setup is closed once an admin exists.
	if resp, _ := newClient(t, srv).do("GET", "/setup", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup after the first admin: %d", resp.StatusCode)
	}
	resp, body = browser.do("GET", "/check", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "选品判断") {
		t.Fatalf("GET /check signed in: %d", resp.StatusCode)
	}
	// A post without the session's CSRF token is refused.
	if resp, _ := browser.do("POST", "/check", url.Values{"text": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /check without csrf: %d", resp.StatusCode)
	}
	if resp, _ := browser.do("POST", "/check", url.Values{"text": {"x"}, "csrf": {csrfIn(t, body)}}); resp.StatusCode != 200 {
		t.Fatalf("POST /check with csrf: %d", resp.StatusCode)
	}

	// A viewer may not use the advisor.
	ctx := context.Background()
	if _, err := s.auth.CreateUser(ctx, auth.NewUser{Name: "guest", Role: auth.Viewer, Password: "guest password"}); err != nil {
		t.Fatal(err)
	}
	viewer := newClient(t, srv)
	resp, _ = viewer.do("GET", "/check", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous GET /check: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = viewer.do("GET", "/login", nil)
	resp, _ = viewer.do("POST", "/login", url.Values{"name": {"guest"}, "password": {"guest password"}, "csrf": {csrfIn(t, body)}, "next": {"//evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login with an off-site next: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := viewer.do("GET", "/check", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer GET /check: %d", resp.StatusCode)
	}

	// Logging out ends the session.
	_, body = browser.do("GET", "/check", nil)
	if resp, _ := browser.do("POST", "/logout", url.Values{"csrf": {csrfIn(t, body)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := browser.do("GET", "/check", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /check after logout: %d", resp.StatusCode)
	}
}

func TestLoginIsRateLimited(t *testing.T) {
	s, srv := newTestServer(t)
	if _, err := s.auth.CreateUser(context.Background(), auth.NewUser{Name: "boss", Role: auth.Admin, Password: "right password"}); err != nil {
		t.Fatal(err)
	}
	b := newClient(t, srv)
	_, body := b.do("GET", "/login", nil)
	tok := csrfIn(t, body)
	codes := []int{}
	for i := 0; i < 6; i++ {
		resp, _ := b.do("POST", "/login", url.Values{"name": {"boss"}, "password": {"wrong password"}, "csrf": {tok}})
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != http.StatusUnauthorized || codes[5] != http.StatusTooManyRequests {
		t.Fatalf("failed logins: %v", codes)
	}
	// Even the right password waits out the lockout.
	resp, body := b.do("POST", "/login", url.Values{"name": {"boss"}, "password": {"right password"}, "csrf": {tok}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "分钟") {
		t.Fatalf("locked-out login: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestAPICheckNeedsAToken(t *testing.T) {
	s, srv := newTestServer(t)
	ctx := context.Background()
	sel, err := s.auth.CreateUser(ctx, auth.NewUser{Name: "sel", Role: auth.Selector, Password: "selector password"})
	if err != nil {
		t.Fatal(err)
	}
	viewer, _ := s.auth.CreateUser(ctx, auth.NewUser{Name: "view", Role: auth.Viewer, Password: "viewer password"})
	selTok, _, err := s.auth.IssueToken(ctx, sel.ID, "bot")
	if err != nil {
		t.Fatal(err)
	}
	viewTok, _, _ := s.auth.IssueToken(ctx, viewer.ID, "dash")
	call := func(token, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/check", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := call("", `{"text":"x"}`); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := call("qk_notarealtoken", `{"text":"x"}`); code != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", code)
	}
	if code, _ := call(viewTok, `{"text":"x"}`); code != http.StatusForbidden {
		t.Fatalf("viewer token: %d", code)
	}
	if code, out := call(selTok, `{"text"`); code != http.StatusBadRequest || out["error"] == nil {
		t.Fatalf("malformed body: %d %v", code, out)
	}
	code, out := call(selTok, `{"text":"复制￥AbCdEfGh123￥打开淘宝"}`)
	if code != 200 {
		t.Fatalf("selector token: %d %v", code, out)
	}
	results, _ := out["results"].([]any)
	if len(results) != 1 || results[0].(map[string]any)["status"] != "needs_resolving" {
		t.Fatalf("results: %v", out)
	}
}

func TestSecureCookies(t *testing.T) {
	for _, tc := range []struct {
		host, proto string
		tls, want   bool
	}{
		{"127.0.0.1:8080", "", false, true},
		{"localhost:8080", "", false, true},
		{"[::1]:8080", "", false, true},
		{"192.168.1.5:8080", "", false, false},
		{"qunke.example.com", "https", false, true},
		{"192.168.1.5:8443", "", true, true},
	} {
		r := httptest.NewRequest("GET", "http://"+tc.host+"/login", nil)
		r.Host = tc.host
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		r.TLS = nil
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := secureCookies(r); got != tc.want {
			t.Errorf("%s proto=%q tls=%v: secure %v, want %v", tc.host, tc.proto, tc.tls, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/check":               "/check",
		"/library?q=保温":        "/library?q=保温",
		"":                     "/",
		"//evil.example/":      "/",
		"/\\evil.example":      "/",
		"/\t/evil.example/x":   "/",
		"/\n/evil.example":     "/",
		"https://evil.example": "/",
		"javascript:alert(1)":  "/",
		"check":                "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// Parallel wrong passwords cannot outrun the limit: each attempt is counted
// before the slow password check.
func TestLoginLimitHoldsUnderParallelRequests(t *testing.T) {
	s, srv := newTestServer(t)
	if _, err := s.auth.CreateUser(context.Background(), auth.NewUser{Name: "boss", Role: auth.Admin, Password: "right password"}); err != nil {
		t.Fatal(err)
	}
	b := newClient(t, srv)
	_, body := b.do("GET", "/login", nil)
	tok := csrfIn(t, body)
	codes := make(chan int, 12)
	for i := 0; i < 12; i++ {
		go func() {
			resp, _ := b.do("POST", "/login", url.Values{"name": {"boss"}, "password": {"wrong password"}, "csrf": {tok}})
			codes <- resp.StatusCode
		}()
	}
	checked := 0
	for i := 0; i < 12; i++ {
		if c := <-codes; c == http.StatusUnauthorized {
			checked++
		}
	}
	if checked > 5 {
		t.Fatalf("%d passwords were checked in parallel, the limit is 5", checked)
	}
}
