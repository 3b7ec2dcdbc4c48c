package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
)

func TestUsersPage(t *testing.T) {
	s, srv := newTestServer(t)
	ctx := context.Background()
	admin := newClient(t, srv)
	signIn(t, s, admin, "boss", auth.Admin)
	_, body := admin.do("GET", "/users", nil)
	csrf := csrfIn(t, body)
	// The add form starts at the least privilege: a new user is a viewer
	// unless the admin picks more.
	addForm := body[strings.Index(body, `<input type="hidden" name="action" value="add">`):]
	if m := regexp.MustCompile(`<option value="(\w+)" selected>`).FindStringSubmatch(addForm); m == nil || m[1] != "viewer" {
		t.Errorf("the add form's role defaults to %v, want viewer", m)
	}
	post := func(form url.Values) (int, string) {
		form.Set("csrf", csrf)
		resp, body := admin.do("POST", "/users", form)
		return resp.StatusCode, body
	}
	if code, body := post(url.Values{"action": {"add"}, "name": {"xiaoli"}, "role": {"selector"}, "password": {"a long password"}}); code != 200 || !strings.Contains(body, "xiaoli") {
		t.Fatalf("add user: %d", code)
	}
	if code, _ := post(url.Values{"action": {"add"}, "name": {"xiaowang"}, "role": {"selector"}, "password": {"short"}}); code != http.StatusBadRequest {
		t.Fatalf("short password: %d", code)
	}
	u, err := s.auth.UserByName(ctx, "xiaoli")
	if err != nil || u.Role != auth.Selector {
		t.Fatalf("added user: %+v %v", u, err)
	}
	id := strconv.FormatInt(u.ID, 10)
	if code, _ := post(url.Values{"action": {"role"}, "id": {id}, "role": {"finance"}}); code != 200 {
		t.Fatalf("set role: %d", code)
	}
	if u, _ = s.auth.UserByName(ctx, "xiaoli"); u.Role != auth.Finance {
		t.Fatalf("role now %s", u.Role)
	}
	// A token is shown once and works; revoked, it stops working.
	code, body := post(url.Values{"action": {"token"}, "id": {id}, "name": {"bot"}})
	tok := regexp.MustCompile(`qk_[A-Z2-7a-z0-9]+`).FindString(body[strings.Index(body, `class="qk-token"`):])
	if code != 200 || tok == "" {
		t.Fatalf("issue token: %d %q", code, tok)
	}
	if _, _, err := s.auth.TokenUser(ctx, tok); err != nil {
		t.Fatalf("issued token does not work: %v", err)
	}
	if _, body = admin.do("GET", "/users", nil); strings.Contains(body, tok) {
		t.Fatal("the token is shown again")
	}
	tokens, _ := s.auth.ListTokens(ctx, u.ID)
	if code, _ := post(url.Values{"action": {"revoke"}, "id": {strconv.FormatInt(tokens[0].ID, 10)}}); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if _, _, err := s.auth.TokenUser(ctx, tok); err == nil {
		t.Fatal("revoked token still works")
	}
	if code, _ := post(url.Values{"action": {"disable"}, "id": {id}}); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	if _, err := s.auth.Authenticate(ctx, "xiaoli", "a long password"); err == nil {
		t.Fatal("a disabled user can log in")
	}
	boss, _ := s.auth.UserByName(ctx, "boss")
	if code, body := post(url.Values{"action": {"role"}, "id": {strconv.FormatInt(boss.ID, 10)}, "role": {"viewer"}}); code != http.StatusBadRequest || !strings.Contains(body, "管理员") {
		t.Fatalf("demoting the last admin: %d", code)
	}
	if code, _ := post(url.Values{"action": {"explode"}}); code != http.StatusBadRequest {
		t.Fatalf("unknown action: %d", code)
	}
	sel := newClient(t, srv)
	signIn(t, s, sel, "sel", auth.Selector)
	if resp, _ := sel.do("GET", "/users", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("selector GET /users: %d", resp.StatusCode)
	}
}
