package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
)

// login posts the login form from a client, as seen through a proxy that
// says the client's address is xff ("" for none).
func (c *client) login(xff, name, password string) *http.Response {
	c.t.Helper()
	resp, _ := c.loginBody(xff, name, password)
	return resp
}

func (c *client) loginBody(xff, name, password string) (*http.Response, string) {
	c.t.Helper()
	_, body := c.do("GET", "/login", nil)
	form := url.Values{"name": {name}, "password": {password}, "csrf": {csrfIn(c.t, body)}}
	req, _ := http.NewRequest("POST", c.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func newBoss(t *testing.T, s *Server) {
	t.Helper()
	if _, err := s.auth.CreateUser(context.Background(), auth.NewUser{Name: "boss", Role: auth.Admin, Password: "right password"}); err != nil {
		t.Fatal(err)
	}
}

// Behind a trusted proxy, a stranger's failures lock the admin's name only
// at the stranger's address: the admin elsewhere gets in.
func TestLoginLockoutIsPerUserAndAddress(t *testing.T) {
	s, srv := newTestServer(t)
	s.SetTrustedProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	newBoss(t, s)
	attacker := newClient(t, srv)
	for range 5 {
		if resp := attacker.login("203.0.113.9", "boss", "wrong password"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
	}
	if resp := attacker.login("203.0.113.9", "boss", "wrong password"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("sixth try: %d, want 429", resp.StatusCode)
	}
	if resp := newClient(t, srv).login("198.51.100.7", "boss", "right password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin at another address: %d, want 303 (signed in)", resp.StatusCode)
	}
}

// X-Forwarded-For from a client that is not a trusted proxy is ignored: a
// fresh made-up address per try does not get around the limit.
func TestForwardedForIgnoredUnlessTrusted(t *testing.T) {
	s, srv := newTestServer(t)
	newBoss(t, s)
	attacker := newClient(t, srv)
	codes := []int{}
	for i := range 6 {
		codes = append(codes, attacker.login(fmt.Sprintf("203.0.113.%d", i+1), "boss", "wrong password").StatusCode)
	}
	if codes[5] != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For: %v, want the sixth refused", codes)
	}
}

// Strangers from many addresses lock the name for unknown browsers; the
// admin's browser, holding the device cookie of an earlier login, gets in.
func TestKnownDeviceGetsInWhileStrangersAreLocked(t *testing.T) {
	s, srv := newTestServer(t)
	s.SetTrustedProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	newBoss(t, s)
	boss := newClient(t, srv)
	if resp := boss.login("198.51.100.7", "boss", "right password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first login: %d", resp.StatusCode)
	}
	u, _ := url.Parse(srv.URL + "/login")
	if !hasCookie(boss, u, deviceCookie) {
		t.Fatal("no device cookie after a login")
	}
	for i := range 25 {
		newClient(t, srv).login(fmt.Sprintf("192.0.2.%d", i+1), "boss", "wrong password")
	}
	if resp := newClient(t, srv).login("198.51.100.8", "boss", "right password"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("an unknown browser while the name is under attack: %d, want 429", resp.StatusCode)
	}
	if resp := boss.login("198.51.100.9", "boss", "right password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin's own browser: %d, want 303", resp.StatusCode)
	}
}

func hasCookie(c *client, u *url.URL, name string) bool {
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return true
		}
	}
	return false
}

// While an import holds SQLite's write lock, a right password signs in at
// once (the session is kept in memory until it can be written) and the
// console works; when even that is not possible (too many sessions
// waiting), the answer is 503 with Retry-After, never "wrong password", and
// is not counted toward the lockout.
func TestLoginWhileImportHoldsTheLock(t *testing.T) {
	s, srv := newTestServer(t)
	s.auth.SessionWait = 200 * time.Millisecond
	newBoss(t, s)
	tx, err := s.db.BeginTx(context.Background(), nil) // what an import does
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	c := newClient(t, srv)
	start := time.Now()
	if resp := c.login("", "boss", "right password"); resp.StatusCode != http.StatusSeeOther || time.Since(start) > 5*time.Second {
		t.Fatalf("login while locked: %d after %v, want 303 at once", resp.StatusCode, time.Since(start))
	}
	if resp, _ := c.do("GET", "/users", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a page while locked: %d", resp.StatusCode)
	}
	none := 0
	s.auth.MaxPending = &none
	for range 6 {
		resp, body := newClient(t, srv).loginBody("", "boss", "right password")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "数据库正忙") {
			t.Fatalf("login with no room: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	tx.Rollback()
	if resp := newClient(t, srv).login("", "boss", "right password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login once the lock is free: %d, want 303 (the busy answers were not counted)", resp.StatusCode)
	}
	s.auth.Wait()
}

func TestClientIP(t *testing.T) {
	s := &Server{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.9:5555", "", "203.0.113.9"},
		{"203.0.113.9:5555", "1.2.3.4", "203.0.113.9"},              // not a trusted proxy
		{"10.0.0.2:5555", "198.51.100.7", "198.51.100.7"},           // the proxy's word
		{"10.0.0.2:5555", "1.2.3.4, 198.51.100.7", "198.51.100.7"},  // the client prepended a lie
		{"10.0.0.2:5555", "198.51.100.7, 10.0.0.3", "198.51.100.7"}, // two proxies
		{"10.0.0.2:5555", "", "10.0.0.2"},
		{"10.0.0.2:5555", "junk, 198.51.100.7", "198.51.100.7"},
		{"[::1]:5555", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("%s via %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestParseProxies(t *testing.T) {
	got, err := ParseProxies([]string{"10.0.0.0/8", " 192.168.1.5 ", "", "fd00::/8", "172.16.3.4/12"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.5/32", "fd00::/8", "172.16.0.0/12"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	if _, err := ParseProxies([]string{"10.0.0.0/8", "proxy.lan"}); err == nil || !strings.Contains(err.Error(), "proxy.lan") {
		t.Fatalf("a host name: %v, want an error naming it", err)
	}
}
