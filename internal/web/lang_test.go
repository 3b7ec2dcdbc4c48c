package web

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/qunke/qunke/internal/auth"
)

// The API's errors speak the reader's language (Accept-Language), Chinese
// by default, one language at a time; a field keeps its name.
func TestAPIErrorsInReadersLanguage(t *testing.T) {
	s, srv := newTestServer(t)
	ctx := context.Background()
	sel, _ := s.auth.CreateUser(ctx, auth.NewUser{Name: "sel", Role: auth.Selector, Password: "a long password"})
	tok, _, _ := s.auth.IssueToken(ctx, sel.ID, "bot")
	errorIn := func(lang, path string) string {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&body)
		return body.Error
	}
	for _, c := range []struct{ lang, path, want string }{
		{"", "/api/v1/items?platform=amazon", "platform: 可用 taobao, tmall, jd, pdd"},
		{"en-US,en;q=0.9", "/api/v1/items?platform=amazon", "platform: use taobao, tmall, jd or pdd"},
		{"en", "/api/v1/items?limit=-1", "limit: must be a whole number, not negative"},
		{"zh-CN", "/api/v1/items?after=x_1", `after: 翻页位置 "x_1" 无效`},
		{"en", "/api/v1/items?after=x_1", `after: bad page cursor "x_1"`},
	} {
		if got := errorIn(c.lang, c.path); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.lang, c.path, got, c.want)
		}
	}
}
