package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// postingNow is the posting pages' clock in these tests: two minutes before
// the 10:00 slot.
var postingNow = time.Date(2026, 11, 25, 9, 58, 0, 0, time.FixedZone("CST", 8*3600))

const evilTitle = `<script>alert(1)</script>保温杯`

// postingServer is a test server with a fixed clock and two items: a JD
// cup with a hostile title (¥79.00) and a Tmall toothpaste (¥59.90).
func postingServer(t *testing.T) (*Server, *client, func(role auth.Role, name string) *client) {
	t.Helper()
	return postingServerOn(t, storetest.SQLite(t))
}

func postingServerOn(t *testing.T, db *store.DB) (*Server, *client, func(role auth.Role, name string) *client) {
	t.Helper()
	s := newConverting(db, slog.New(slog.DiscardHandler))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	s.now = func() time.Time { return postingNow }
	s.planner.Now = s.now
	at := postingNow.Add(-30 * 24 * time.Hour).Unix()
	var recs []catalog.Record
	for d := int64(0); d < 30; d++ {
		recs = append(recs,
			catalog.Record{Item: catalog.Item{Platform: catalog.JD, ItemID: "100012345678", Title: evilTitle, CategoryPath: "居家日用/水具/保温杯", ShopName: "测试店"},
				Obs: catalog.Observation{At: at + d*86400, ListPrice: 9900, FinalPrice: 7900, CouponAmount: 2000, CommissionRate: 2500, Sales30: 100 + d, Sales2h: 3, CouponRemain: catalog.Unknown}},
			catalog.Record{Item: catalog.Item{Platform: catalog.Tmall, ItemID: "610000000011", Title: "云南白药牙膏 180g×3", CategoryPath: "个护/牙膏", ShopName: "旗舰店"},
				Obs: catalog.Observation{At: at + d*86400, ListPrice: 8990, FinalPrice: 5990, CouponAmount: 3000, CommissionRate: 1000, Sales30: 500 + d, Sales2h: 5, CouponRemain: catalog.Unknown}})
	}
	if _, err := s.catalog.Ingest(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	login := func(role auth.Role, name string) *client {
		c := newClient(t, srv)
		signIn(t, s, c, name, role)
		return c
	}
	return s, newClient(t, srv), login
}

// token issues an API token for a new user of role.
func token(t *testing.T, s *Server, name string, role auth.Role) string {
	t.Helper()
	ctx := context.Background()
	u, err := s.auth.CreateUser(ctx, auth.NewUser{Name: name, Role: role, Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.auth.IssueToken(ctx, u.ID, "bot")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// callAPI sends a JSON request with a bearer token and decodes the answer.
func callAPI(t *testing.T, c *client, token, method, path, body string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
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
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b.String()), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b.String())
		}
	}
	return resp.StatusCode, b.String()
}

// post submits a form with the page's CSRF token.
func (c *client) post(path, csrf string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	form.Set("csrf", csrf)
	return c.do("POST", path, form)
}

// csrfOf loads a page and returns its CSRF token.
func (c *client) csrfOf(path string) string {
	c.t.Helper()
	resp, body := c.do("GET", path, nil)
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return csrfIn(c.t, body)
}

func TestPostingRoutesNeedTheRightRole(t *testing.T) {
	s, anon, login := postingServer(t)
	pages := []string{"/groups", "/groups/1", "/templates", "/plans", "/plans/1", "/board", "/manual", "/deliveries/log", "/deliveries/1/poster.png"}
	forms := []string{"/groups", "/groups/1", "/groups/1/delete", "/groups/import", "/templates", "/plans", "/plans/1", "/plans/queue", "/board", "/manual"}
	for _, p := range pages {
		if resp, _ := anon.do("GET", p, nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/") {
			t.Errorf("anonymous GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, p := range forms {
		if resp, _ := anon.do("POST", p, url.Values{"action": {"add"}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("anonymous POST %s: %d", p, resp.StatusCode)
		}
	}
	viewer := login(auth.Viewer, "viewer")
	for _, p := range pages {
		if resp, _ := viewer.do("GET", p, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", p, resp.StatusCode)
		}
	}
	// A selector sees the board, the plans and the log, and changes nothing.
	sel := login(auth.Selector, "sel")
	for _, p := range []string{"/board", "/plans", "/deliveries/log"} {
		resp, body := sel.do("GET", p, nil)
		if resp.StatusCode != 200 {
			t.Errorf("selector GET %s: %d", p, resp.StatusCode)
		}
		if strings.Contains(body, `action="/board"`) && strings.Contains(body, `value="plan"`) || strings.Contains(body, `href="/groups"`) {
			t.Errorf("selector GET %s offers what the role may not do", p)
		}
	}
	csrf := sel.csrfOf("/board")
	for _, p := range []string{"/groups", "/templates", "/manual", "/groups/1"} {
		if resp, _ := sel.do("GET", p, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("selector GET %s: %d, want 403", p, resp.StatusCode)
		}
	}
	for _, p := range forms {
		if resp, _ := sel.post(p, csrf, url.Values{"action": {"plan"}, "name": {"x"}, "channel": {"manual"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("selector POST %s: %d, want 403", p, resp.StatusCode)
		}
	}
	// An operator's forms need the session's CSRF token.
	op := login(auth.Operator, "op")
	for _, p := range forms {
		if resp, _ := op.do("POST", p, url.Values{"action": {"add"}, "name": {"无令牌群"}, "channel": {"manual"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator POST %s without csrf: %d, want 403", p, resp.StatusCode)
		}
		if resp, _ := op.post(p, "forged", url.Values{"action": {"add"}, "name": {"无令牌群"}, "channel": {"manual"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator POST %s with a forged csrf: %d, want 403", p, resp.StatusCode)
		}
	}
	if gs, _ := s.groups.List(context.Background(), community.Filter{}); len(gs) != 0 {
		t.Fatalf("a refused form added %d groups", len(gs))
	}
	if resp, _ := op.post("/groups/import", "forged", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("import with a forged csrf: %d", resp.StatusCode)
	}
	// The API: no token 401, a token whose role may not 403.
	selTok, viewTok := token(t, s, "selbot", auth.Selector), token(t, s, "viewbot", auth.Viewer)
	api := []struct{ method, path string }{
		{"GET", "/api/v1/groups"}, {"POST", "/api/v1/groups"}, {"GET", "/api/v1/plans"}, {"POST", "/api/v1/plans/1/queue"},
		{"GET", "/api/v1/deliveries"}, {"POST", "/api/v1/deliveries/1/hold"}, {"POST", "/api/v1/deliveries/1/release"},
		{"POST", "/api/v1/deliveries/1/sent"}, {"POST", "/api/v1/templates/preview"},
		{"DELETE", "/api/v1/groups/1"}, {"DELETE", "/api/v1/plans/1"},
	}
	for _, a := range api {
		if code, _ := callAPI(t, anon, "", a.method, a.path, "{}", nil); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d", a.method, a.path, code)
		}
		if code, _ := callAPI(t, anon, viewTok, a.method, a.path, "{}", nil); code != http.StatusForbidden {
			t.Errorf("%s %s with a viewer token: %d", a.method, a.path, code)
		}
		readOnly := a.path == "/api/v1/plans" || a.path == "/api/v1/deliveries"
		if code, _ := callAPI(t, anon, selTok, a.method, a.path, "{}", nil); (code == http.StatusForbidden) == readOnly {
			t.Errorf("%s %s with a selector token: %d", a.method, a.path, code)
		}
	}
}

func TestGroupsPageAndAPIKeepSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		testGroupsPageAndAPIKeepSecrets(t, db)
	})
}

func testGroupsPageAndAPIKeepSecrets(t *testing.T, db *store.DB) {
	s, anon, login := postingServerOn(t, db)
	ctx := context.Background()
	op := login(auth.Operator, "op")
	csrf := op.csrfOf("/groups")
	const secret = "S3cret-signing-key-0042"
	resp, body := op.post("/groups", csrf, url.Values{"action": {"add"}, "name": {"宝妈1群"}, "channel": {"webhook"},
		"target": {"https://bot.example.com/hook?token=abcdef"}, "secret": {secret}, "pid_taobao": {"mm_1_2_3"}, "pid_jd": {"1_2_3"}, "pid_pdd": {"1_2"},
		"owner": {"小李"}, "capacity": {"500"}, "members": {"321"}, "tags": {"宝妈，学生"}, "tz": {"Asia/Shanghai"}, "active": {"1"},
		"allow_unconverted": {"1"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "宝妈1群") {
		t.Fatalf("add group: %d\n%s", resp.StatusCode, body)
	}
	resp, body = op.post("/groups", csrf, url.Values{"action": {"add"}, "name": {"企微群"}, "channel": {"wecom"},
		"target": {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}, "active": {"1"}})
	if resp.StatusCode != 200 {
		t.Fatalf("add wecom group: %d", resp.StatusCode)
	}
	// A bad field says what to fix and keeps the form.
	resp, body = op.post("/groups", csrf, url.Values{"action": {"add"}, "name": {"坏群"}, "channel": {"telegram"}, "target": {"not a chat"}, "owner": {"老王"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Telegram") || !strings.Contains(body, `value="老王"`) {
		t.Fatalf("bad group: %d", resp.StatusCode)
	}
	resp, _ = op.post("/groups", csrf, url.Values{"action": {"add"}, "name": {"企微群"}, "channel": {"manual"}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("duplicate name: %d", resp.StatusCode)
	}
	_, body = op.do("GET", "/groups", nil)
	for _, want := range []string{"bot.example.com", "淘宝 mm_1_2_3", "321", "500", "学生", "693a…", "密钥已设置"} {
		if !strings.Contains(body, want) {
			t.Errorf("/groups lacks %q", want)
		}
	}
	// The table says which group posts plain links when conversion fails.
	if n := strings.Count(body, `<span class="qk-badge dim">允许未转链</span>`); n != 1 {
		t.Errorf("/groups marks %d groups as allowing unconverted links, want 1", n)
	}
	for _, leak := range []string{secret, "token=abcdef", "693a91f6-7xxx"} {
		if strings.Contains(body, leak) {
			t.Errorf("/groups shows %q", leak)
		}
	}
	g := groupNamed(t, s, "宝妈1群")
	id := strconv.FormatInt(g.ID, 10)
	// The edit form never shows the secret; leaving it empty keeps it.
	resp, body = op.do("GET", "/groups/"+id, nil)
	if resp.StatusCode != 200 || strings.Contains(body, secret) || !strings.Contains(body, "留空保持不变") {
		t.Fatalf("edit form: %d, leaks or lacks the keep hint", resp.StatusCode)
	}
	resp, _ = op.post("/groups/"+id, csrf, url.Values{"name": {"宝妈1群"}, "channel": {"webhook"}, "target": {"https://bot.example.com/hook2"},
		"owner": {"小王"}, "tags": {"宝妈"}, "active": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	if g = groupNamed(t, s, "宝妈1群"); g.Secret != secret || g.Owner != "小王" || g.Target != "https://bot.example.com/hook2" {
		t.Fatalf("after edit: owner %q target %q, secret kept %v", g.Owner, g.Target, g.Secret == secret)
	}
	// Pause and resume.
	if resp, _ := op.post("/groups", csrf, url.Values{"action": {"pause"}, "id": {id}}); resp.StatusCode != 200 {
		t.Fatalf("pause: %d", resp.StatusCode)
	}
	if groupNamed(t, s, "宝妈1群").Active {
		t.Fatal("pause did not pause")
	}
	if resp, _ := op.post("/groups", csrf, url.Values{"action": {"resume"}, "id": {id}}); resp.StatusCode != 200 || !groupNamed(t, s, "宝妈1群").Active {
		t.Fatalf("resume: %d", resp.StatusCode)
	}

	// CSV: one bad row and nothing is added; the page names the row.
	before, _ := s.groups.List(ctx, community.Filter{})
	csv := groupCSVSample + "\n学生群,手动,,,,,,小张,500,200,学生,,启用\n坏行群,telegram,oops,,,,,,,,,,\n"
	resp, body = op.upload("/groups/import", csrf, "groups.csv", csv, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "<td>3</td>") || !strings.Contains(body, "未导入任何群") {
		t.Fatalf("bad CSV: %d\n%s", resp.StatusCode, body)
	}
	if after, _ := s.groups.List(ctx, community.Filter{}); len(after) != len(before) {
		t.Fatalf("a CSV with a bad row added %d groups", len(after)-len(before))
	}
	// Each bad row's reason is in the reader's language only.
	if !strings.Contains(body, "Telegram 目标应为群 chat id") || strings.Contains(body, "a Telegram chat id like") {
		t.Fatalf("the Chinese page's reason:\n%s", body)
	}
	op.do("GET", "/groups?lang=en", nil)
	if _, body = op.upload("/groups/import", csrf, "groups.csv", csv, nil); !strings.Contains(body, "<td>a Telegram chat id like -1001234567890 or @name</td>") || strings.Contains(body, "Telegram 目标应为群") {
		t.Fatalf("the English page's reason:\n%s", body)
	}
	op.do("GET", "/groups?lang=zh", nil)
	resp, body = op.upload("/groups/import", csrf, "groups.csv", csv[:strings.Index(csv, "坏行群")], nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "新增 1 个群") || !strings.Contains(body, "学生群") {
		t.Fatalf("good CSV: %d", resp.StatusCode)
	}
	if g := groupNamed(t, s, "学生群"); g.Channel != community.Manual || g.Members != 200 {
		t.Fatalf("imported group: %+v", g)
	}
	if resp, _ := op.upload("/groups/import", csrf, "groups.csv", groupCSVSample+"\n"+strings.Repeat("x", MaxGroupCSVBytes+100<<10), nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("an oversized CSV: %d", resp.StatusCode)
	}
	resp, body = op.upload("/groups/import", csrf, "groups.csv", "名字,类型\nx,y\n", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "缺少列") {
		t.Fatalf("CSV without the needed columns: %d", resp.StatusCode)
	}

	// The API lists groups without secrets and adds one.
	tok := token(t, s, "opbot", auth.Operator)
	var list struct {
		Groups []map[string]any `json:"groups"`
	}
	code, raw := callAPI(t, anon, tok, "GET", "/api/v1/groups", "", &list)
	if code != 200 || len(list.Groups) != 3 {
		t.Fatalf("GET /api/v1/groups: %d %s", code, raw)
	}
	for _, leak := range []string{secret, "hook2", "693a91f6-7xxx", `"secret"`} {
		if strings.Contains(raw, leak) {
			t.Errorf("the API shows %q: %s", leak, raw)
		}
	}
	if !strings.Contains(raw, `"secret_set":true`) {
		t.Errorf("the API does not say the secret is set: %s", raw)
	}
	var added map[string]any
	code, raw = callAPI(t, anon, tok, "POST", "/api/v1/groups", `{"name":"接口群","channel":"webhook","target":"https://hooks.example.org/x","secret":"`+secret+`","tags":["宝妈"]}`, &added)
	if code != http.StatusCreated || added["name"] != "接口群" || added["target"] != "hooks.example.org" || strings.Contains(raw, secret) {
		t.Fatalf("POST /api/v1/groups: %d %s", code, raw)
	}
	var bad map[string]string
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/groups", `{"name":"x","channel":"qq"}`, &bad); code != 400 || bad["field"] != "channel" || bad["error"] == "" {
		t.Fatalf("bad channel: %d %v", code, bad)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/groups", `{"name":"接口群","channel":"manual"}`, nil); code != http.StatusConflict {
		t.Fatalf("duplicate: %d", code)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/groups", `{"name":"x","channel":"manual","colour":"red"}`, nil); code != 400 {
		t.Fatalf("unknown field: %d", code)
	}
}

func groupNamed(t *testing.T, s *Server, name string) *community.Group {
	t.Helper()
	gs, err := s.groups.List(context.Background(), community.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Name == name {
			full, err := s.groups.Get(context.Background(), g.ID)
			if err != nil {
				t.Fatal(err)
			}
			return full
		}
	}
	t.Fatalf("no group %q", name)
	return nil
}

func TestTemplatesPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		testTemplatesPage(t, db)
	})
}

func testTemplatesPage(t *testing.T, db *store.DB) {
	s, anon, login := postingServerOn(t, db)
	ctx := context.Background()
	op := login(auth.Operator, "op")
	resp, body := op.do("GET", "/templates", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "【券后价】{{.FinalPrice}}") || !strings.Contains(body, "{{.ShareCode}}") {
		t.Fatalf("templates page: %d", resp.StatusCode)
	}
	csrf := csrfIn(t, body)
	broken := "第一行 {{.Title}}\r\n{{.Price}}"
	resp, body = op.post("/templates", csrf, url.Values{"action": {"preview"}, "tag": {"宝妈"}, "body": {broken}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "模板第 2 行有错误") || !strings.Contains(body, "Price") {
		t.Fatalf("preview of a broken template: %d\n%s", resp.StatusCode, body)
	}
	resp, body = op.post("/templates", csrf, url.Values{"action": {"save"}, "tag": {"宝妈"}, "body": {broken}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "模板第 2 行有错误") || !strings.Contains(body, "{{.Price}}</textarea>") {
		t.Fatalf("save of a broken template: %d", resp.StatusCode)
	}
	if all, _ := s.publish.Templates(ctx); len(all) != 0 {
		t.Fatalf("a broken template was saved: %v", all)
	}
	// A template that would run long is refused before it runs, with its line.
	start := time.Now()
	huge := "【{{.Title}}】\n{{range 10000}}{{range 1000}}" + strings.Repeat("x", 100) + "{{end}}{{end}}"
	resp, body = op.post("/templates", csrf, url.Values{"action": {"preview"}, "tag": {"宝妈"}, "body": {huge}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "模板第 2 行有错误") || !strings.Contains(body, "100") || time.Since(start) > 2*time.Second {
		t.Fatalf("preview of a template that runs long: %d in %v\n%s", resp.StatusCode, time.Since(start), body)
	}
	good := "🔥{{.ShortTitle}}\n到手价 {{yuan .FinalPrice}} 元\n{{.Link}}"
	resp, body = op.post("/templates", csrf, url.Values{"action": {"preview"}, "tag": {"宝妈"}, "body": {good}})
	if resp.StatusCode != 200 || !strings.Contains(body, "到手价 59.90 元") || !strings.Contains(body, "云南白药牙膏3支") {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, body)
	}
	if all, _ := s.publish.Templates(ctx); len(all) != 0 {
		t.Fatal("a preview saved the template")
	}
	if resp, _ := op.post("/templates", csrf, url.Values{"action": {"save"}, "tag": {"宝妈"}, "body": {good}}); resp.StatusCode != 200 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if all, _ := s.publish.Templates(ctx); all["宝妈"] != good {
		t.Fatalf("saved: %q", all["宝妈"])
	}
	if _, body := op.do("GET", "/templates?tag="+url.QueryEscape("宝妈"), nil); !strings.Contains(body, "{{.Link}}</textarea>") {
		t.Fatal("the editor does not load the tag's template")
	}
	if resp, _ := op.post("/templates", csrf, url.Values{"action": {"delete"}, "tag": {"宝妈"}}); resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if all, _ := s.publish.Templates(ctx); len(all) != 0 {
		t.Fatal("delete kept the template")
	}
	// The API preview.
	tok := token(t, s, "opbot", auth.Operator)
	var bad struct {
		Error string `json:"error"`
		Line  int    `json:"line"`
	}
	if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/templates/preview", `{"body":"a\nb\n{{.Nope}}"}`, &bad); code != 400 || bad.Line != 3 || !strings.Contains(bad.Error, "Nope") {
		t.Fatalf("API preview of a broken template: %d %s", code, raw)
	}
	var ok struct {
		Copy string `json:"copy"`
	}
	if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/templates/preview", `{"body":"{{.Platform}} {{.FinalPrice}}"}`, &ok); code != 200 || ok.Copy != "天猫 ¥59.90" {
		t.Fatalf("API preview: %d %s", code, raw)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/templates/preview", `{"body":`, nil); code != 400 {
		t.Fatalf("API preview with a broken body: %d", code)
	}
}

type fakePosters struct{}

func (fakePosters) Poster(_ context.Context, d *publish.Delivery, g *community.Group) ([]byte, error) {
	return []byte("\x89PNG\r\n\x1a\n" + strconv.FormatInt(d.ID, 10) + g.Name), nil
}

var deliveryIDRe = regexp.MustCompile(`<li id="d(\d+)">`)

// The whole path: a group and a plan from the forms, an item from the
// check page onto the plan, plan now, the board, hold and release, the
// manual page and "sent", the log, the API.
func TestPostingFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		testPostingFlow(t, db)
	})
}

func testPostingFlow(t *testing.T, db *store.DB) {
	s, anon, login := postingServerOn(t, db)
	ctx := context.Background()
	op := login(auth.Operator, "op")
	csrf := op.csrfOf("/groups")
	for _, g := range []url.Values{
		{"action": {"add"}, "name": {"手动群"}, "pid_taobao": {"mm_1_2_3"}, "pid_jd": {"1_2_3"}, "pid_pdd": {"1_2"}, "channel": {"manual"}, "tags": {"宝妈"}, "active": {"1"}},
		{"action": {"add"}, "name": {"电报群"}, "pid_taobao": {"mm_1_2_3"}, "pid_jd": {"1_2_3"}, "pid_pdd": {"1_2"}, "channel": {"telegram"}, "target": {"-1001234567890"}, "tags": {"宝妈"}, "active": {"1"}},
	} {
		if resp, body := op.post("/groups", csrf, g); resp.StatusCode != 200 {
			t.Fatalf("add group: %d\n%s", resp.StatusCode, body)
		}
	}
	// No plan yet: the check page points to the plans page.
	_, body := op.do("GET", "/check?text="+url.QueryEscape("https://item.jd.com/100012345678.html"), nil)
	if !strings.Contains(body, "加入发单") || !strings.Contains(body, "先新建一个发单计划") {
		t.Fatal("check page without plans")
	}
	resp, body := op.post("/plans", csrf, url.Values{"name": {"宝妈早报"}, "tag": {"宝妈"}, "slots": {"10:00,20:00"}, "per_slot": {"2"},
		"daily_cap": {"10"}, "repeat_days": {"0"}, "quiet_from": {""}, "quiet_to": {""}, "active": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add plan: %d\n%s", resp.StatusCode, body)
	}
	planURL := resp.Header.Get("Location")
	planID := strings.TrimPrefix(planURL, "/plans/")
	if resp, body := op.post("/plans", csrf, url.Values{"name": {"坏计划"}, "tag": {"宝妈"}, "slots": {"25:00"}, "per_slot": {"2"}, "daily_cap": {"10"}, "repeat_days": {"7"}}); resp.StatusCode != 400 || !strings.Contains(body, "25:00") {
		t.Fatalf("bad plan: %d", resp.StatusCode)
	}
	// The check page's card and the rankings rows offer "add to posting",
	// with today's final price; a selector does not get the form.
	_, body = op.do("GET", "/check?text="+url.QueryEscape("https://item.jd.com/100012345678.html"), nil)
	if !strings.Contains(body, `action="/plans/queue"`) || !strings.Contains(body, `name="price" value="79.00"`) || !strings.Contains(body, "宝妈早报") {
		t.Fatalf("check page lacks the add-to-posting form:\n%s", body)
	}
	if _, body := op.do("GET", "/rankings?kind=hot", nil); !strings.Contains(body, `action="/plans/queue"`) || !strings.Contains(body, `value="59.90"`) {
		t.Fatal("rankings lack the add-to-posting form")
	}
	sel := login(auth.Selector, "sel")
	if _, body := sel.do("GET", "/check?text="+url.QueryEscape("https://item.jd.com/100012345678.html"), nil); strings.Contains(body, `action="/plans/queue"`) {
		t.Fatal("a selector is offered add-to-posting")
	}
	// Prices are read exactly; a bad one, an unknown plan or item is refused.
	add := url.Values{"plan": {planID}, "platform": {"jd"}, "item_id": {"100012345678"}, "price": {"79.9"}, "reason": {"史低"}, "next": {"/rankings?kind=hot"}}
	for field, v := range map[string]string{"price": "7.999", "plan": "999", "item_id": "1"} {
		bad := url.Values{}
		for k, vs := range add {
			bad[k] = vs
		}
		bad.Set(field, v)
		if resp, _ := op.post("/plans/queue", csrf, bad); resp.StatusCode < 400 {
			t.Errorf("queue with %s=%s: %d", field, v, resp.StatusCode)
		}
	}
	resp, _ = op.post("/plans/queue", csrf, add)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), planURL+"?added=1") {
		t.Fatalf("queue: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := op.do("GET", resp.Header.Get("Location"), nil); !strings.Contains(body, "已加入发单队列") || !strings.Contains(body, `href="/rankings?kind=hot"`) {
		t.Fatal("the plan page does not confirm, or has no way back")
	}
	// The toothpaste, chosen at ¥1: its price is above that, so it is skipped.
	if resp, _ := op.post("/plans/queue", csrf, url.Values{"plan": {planID}, "platform": {"tmall"}, "item_id": {"610000000011"}, "price": {"¥1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("queue the second item: %d", resp.StatusCode)
	}
	resp, body = op.do("GET", resp.Header.Get("Location"), nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "已加入发单队列") ||
		!strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;保温杯") || !strings.Contains(body, "¥79.90") || !strings.Contains(body, "云南白药牙膏") {
		t.Fatalf("plan page after adding:\n%s", body)
	}
	q, _ := s.publish.Queue(ctx, mustInt(t, planID))
	if len(q) != 2 || q[0].ChosenPrice != 7990 || q[0].AddedBy != "op" || q[1].ChosenPrice != 100 {
		t.Fatalf("queue: %+v", q)
	}
	// Adding it again at another price changes nothing and says so, with
	// the price kept and a button to use the new one.
	again := url.Values{"plan": {planID}, "platform": {"jd"}, "item_id": {"100012345678"}, "price": {"89.9"}}
	resp, _ = op.post("/plans/queue", csrf, again)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "kept=") {
		t.Fatalf("queue again: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = op.do("GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(body, "已在队列中，没有重复加入；选定价格仍为 ¥79.90") || !strings.Contains(body, `name="replace" value="1"`) || !strings.Contains(body, "改用 ¥89.90") {
		t.Fatalf("the plan page after adding a queued item again:\n%s", body[strings.Index(body, "<main>"):])
	}
	if q, _ := s.publish.Queue(ctx, mustInt(t, planID)); len(q) != 2 || q[0].ChosenPrice != 7990 {
		t.Fatalf("adding a queued item again changed the queue: %+v", q)
	}
	again.Set("replace", "1")
	if resp, _ = op.post("/plans/queue", csrf, again); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("use the new price: %d", resp.StatusCode)
	}
	if q, _ = s.publish.Queue(ctx, mustInt(t, planID)); len(q) != 2 || q[0].ChosenPrice != 8990 || q[0].Reason != "史低" {
		t.Fatalf("after using the new price: %+v", q)
	}
	// Reorder and put back.
	qid := strconv.FormatInt(q[1].ID, 10)
	if resp, _ := op.post(planURL, csrf, url.Values{"action": {"up"}, "qid": {qid}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move up: %d", resp.StatusCode)
	}
	if q, _ := s.publish.Queue(ctx, mustInt(t, planID)); q[0].Key.ItemID != "610000000011" {
		t.Fatal("move up did not move")
	}
	op.post(planURL, csrf, url.Values{"action": {"down"}, "qid": {qid}})

	// Plan now: the cup goes to both groups, the toothpaste is skipped.
	resp, body = op.post("/board", csrf, url.Values{"action": {"plan"}, "day": {"2026-11-25"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "新排 4 条") || !strings.Contains(body, "<td>价格高于选定价</td>") || strings.Contains(body, publish.ReasonPriceRose) {
		t.Fatalf("plan now: %d\n%s", resp.StatusCode, body[strings.Index(body, "<main>"):])
	}
	_, body = op.do("GET", "/board?day=2026-11-25", nil)
	if strings.Contains(body, evilTitle) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;保温杯") {
		t.Fatal("the board renders a title as HTML")
	}
	for _, want := range []string{"10:00", "20:00", "手动群", "电报群", "待发送 4", "¥79.00"} {
		if !strings.Contains(body, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	ids := deliveryIDRe.FindAllStringSubmatch(body, -1)
	if len(ids) != 4 {
		t.Fatalf("%d deliveries on the board", len(ids))
	}
	ds, _ := s.publish.Board(ctx, postingNow.Add(-10*time.Hour), postingNow.Add(14*time.Hour))
	var manual, tg *publish.Delivery
	for _, d := range ds {
		g, _ := s.groups.Get(ctx, d.GroupID)
		if time.Unix(d.SlotAt, 0).Equal(postingNow.Add(2 * time.Minute)) {
			if g.Channel == community.Manual {
				manual = d
			} else {
				tg = d
			}
		}
	}
	if manual == nil || tg == nil {
		t.Fatalf("deliveries at 10:00: %+v", ds)
	}
	did := strconv.FormatInt(tg.ID, 10)
	resp, _ = op.post("/board", csrf, url.Values{"action": {"hold"}, "id": {did}, "day": {"2026-11-25"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/board?day=2026-11-25#d"+did {
		t.Fatalf("hold: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if d, _ := s.publish.Delivery(ctx, tg.ID); d.Status != publish.Held {
		t.Fatalf("held: %s", d.Status)
	}
	if _, body := op.do("GET", "/board?day=2026-11-25", nil); !strings.Contains(body, "已暂停 1") || !strings.Contains(body, `value="release"`) {
		t.Fatal("the board does not show the hold")
	}
	if resp, body := op.post("/board", csrf, url.Values{"action": {"hold"}, "id": {did}, "day": {"2026-11-25"}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "刷新") {
		t.Fatalf("hold twice: %d", resp.StatusCode)
	}
	if resp, _ := op.post("/board", csrf, url.Values{"action": {"release"}, "id": {did}, "day": {"2026-11-25"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("release: %d", resp.StatusCode)
	}
	if d, _ := s.publish.Delivery(ctx, tg.ID); d.Status != publish.Planned {
		t.Fatalf("released: %s", d.Status)
	}
	if resp, _ := op.post("/board", csrf, url.Values{"action": {"hold"}, "id": {"999999"}, "day": {"2026-11-25"}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("hold of a missing delivery: %d", resp.StatusCode)
	}
	if resp, _ := op.do("GET", "/board?day=25.11.2026", nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad day: %d", resp.StatusCode)
	}

	// The manual page shows the manual group's post due now, not the
	// Telegram one; no poster link until posters are set up.
	resp, body = op.do("GET", "/manual", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="d`+strconv.FormatInt(manual.ID, 10)+`"`) || strings.Contains(body, `id="d`+did+`"`) {
		t.Fatalf("manual page: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, evilTitle) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;保温杯") || !strings.Contains(body, "复制文案") || !strings.Contains(body, "【券后价】¥79.00") {
		t.Fatal("manual page: title not escaped, or no copy")
	}
	if strings.Contains(body, "poster.png") {
		t.Fatal("a poster link without posters")
	}
	// A paused group's posts are not offered.
	if err := s.groups.SetActive(ctx, manual.GroupID, false); err != nil {
		t.Fatal(err)
	}
	if _, body := op.do("GET", "/manual", nil); strings.Contains(body, `id="d`+strconv.FormatInt(manual.ID, 10)+`"`) {
		t.Fatal("the manual page offers a paused group's post")
	}
	s.groups.SetActive(ctx, manual.GroupID, true)
	mid := strconv.FormatInt(manual.ID, 10)
	if resp, body := op.do("GET", "/deliveries/"+mid+"/poster.png", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "海报") {
		t.Fatalf("poster without posters: %d %s", resp.StatusCode, body)
	}
	s.posters = fakePosters{}
	if _, body := op.do("GET", "/manual", nil); !strings.Contains(body, "/deliveries/"+mid+"/poster.png") {
		t.Fatal("no poster link")
	}
	resp, body = op.do("GET", "/deliveries/"+mid+"/poster.png", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "private") || !strings.HasSuffix(body, "手动群") {
		t.Fatalf("poster: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := op.do("GET", "/deliveries/999999/poster.png", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("poster of a missing delivery: %d", resp.StatusCode)
	}
	// "Sent" only for manual groups.
	if resp, _ := op.post("/manual", csrf, url.Values{"action": {"sent"}, "id": {did}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("sent on a Telegram post: %d", resp.StatusCode)
	}
	resp, _ = op.post("/manual", csrf, url.Values{"action": {"sent"}, "id": {mid}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sent: %d", resp.StatusCode)
	}
	if d, _ := s.publish.Delivery(ctx, manual.ID); d.Status != publish.Sent || d.SentBy != "op" {
		t.Fatalf("after sent: %s by %q", d.Status, d.SentBy)
	}
	if _, body := op.do("GET", "/manual?sent=1", nil); strings.Contains(body, `id="d`+mid+`"`) || !strings.Contains(body, "已标记为已发送") {
		t.Fatal("a sent post stays on the manual page")
	}
	resp, body = op.do("GET", "/deliveries/log", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "手动发送：op") || !strings.Contains(body, "&lt;script&gt;") || strings.Contains(body, evilTitle) {
		t.Fatalf("log: %d\n%s", resp.StatusCode, body)
	}
	if _, body := op.do("GET", "/deliveries/log?delivery="+did, nil); strings.Contains(body, "手动发送：") {
		t.Fatal("the log filter shows another delivery's attempts")
	}

	// The API: the day's deliveries, hold/release/sent, queue, plans.
	tok := token(t, s, "opbot", auth.Operator)
	var day struct {
		Day        string         `json:"day"`
		Counts     map[string]int `json:"counts"`
		Deliveries []apiDelivery  `json:"deliveries"`
	}
	if code, raw := callAPI(t, anon, tok, "GET", "/api/v1/deliveries?day=2026-11-25", "", &day); code != 200 || len(day.Deliveries) != 4 || day.Counts["sent"] != 1 || day.Deliveries[0].Title != evilTitle {
		t.Fatalf("GET /api/v1/deliveries: %d %s", code, raw)
	}
	if code, _ := callAPI(t, anon, tok, "GET", "/api/v1/deliveries?day=tomorrow", "", nil); code != 400 {
		t.Fatalf("bad day: %d", code)
	}
	var d apiDelivery
	if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/deliveries/"+did+"/hold", "", &d); code != 200 || d.Status != "held" {
		t.Fatalf("API hold: %d %s", code, raw)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/deliveries/"+did+"/hold", "", nil); code != http.StatusConflict {
		t.Fatalf("API hold twice: %d", code)
	}
	if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/deliveries/"+did+"/release", "", &d); code != 200 || d.Status != "planned" {
		t.Fatalf("API release: %d %s", code, raw)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/deliveries/"+did+"/sent", "", nil); code != http.StatusConflict {
		t.Fatalf("API sent on a Telegram post: %d", code)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/deliveries/"+did+"/explode", "", nil); code != http.StatusNotFound {
		t.Fatalf("API unknown action: %d", code)
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/deliveries/999999/hold", "", nil); code != http.StatusNotFound {
		t.Fatalf("API hold of a missing delivery: %d", code)
	}
	var queued struct {
		Queue []apiQueued `json:"queue"`
	}
	if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/plans/"+planID+"/queue", `{"platform":"jd","item_id":"100012345678","chosen_price_fen":7800,"reason":"再降"}`, nil); code != http.StatusConflict || !strings.Contains(raw, "89.90") {
		t.Fatalf("API queue of a queued item: %d %s, want 409 naming the price kept", code, raw)
	}
	if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/plans/"+planID+"/queue", `{"platform":"jd","item_id":"100012345678","chosen_price_fen":7800,"reason":"再降","replace":true}`, &queued); code != 200 || len(queued.Queue) != 2 || queued.Queue[0].ChosenPrice != 7800 || queued.Queue[0].AddedBy != "op" {
		t.Fatalf("API queue: %d %s", code, raw)
	}
	for body, want := range map[string]int{
		`{"platform":"jd","item_id":100012345678,"chosen_price_fen":7800}`: 400, // ids are strings
		`{"platform":"jd","item_id":"100012345678","chosen_price_fen":0}`:  400,
		`{"platform":"amazon","item_id":"1","chosen_price_fen":100}`:       400,
		`{"platform":"jd","item_id":"1","chosen_price_fen":100}`:           404,
	} {
		if code, raw := callAPI(t, anon, tok, "POST", "/api/v1/plans/"+planID+"/queue", body, nil); code != want {
			t.Errorf("API queue %s: %d, want %d: %s", body, code, want, raw)
		}
	}
	if code, _ := callAPI(t, anon, tok, "POST", "/api/v1/plans/999/queue", `{"platform":"jd","item_id":"100012345678","chosen_price_fen":7800}`, nil); code != 404 {
		t.Fatalf("API queue on a missing plan: %d", code)
	}
	var plans struct {
		Plans []apiPlan `json:"plans"`
	}
	if code, raw := callAPI(t, anon, tok, "GET", "/api/v1/plans", "", &plans); code != 200 || len(plans.Plans) != 1 || plans.Plans[0].Tag == nil || *plans.Plans[0].Tag != "宝妈" ||
		strings.Join(plans.Plans[0].Slots, ",") != "10:00,20:00" || len(plans.Plans[0].Queue) != 2 {
		t.Fatalf("API plans: %d %s", code, raw)
	}
	// Edit the plan and remove an entry from its queue.
	resp, _ = op.post(planURL, csrf, url.Values{"action": {"save"}, "name": {"宝妈晚报"}, "tag": {"宝妈"}, "slots": {"20:00"}, "per_slot": {"1"},
		"daily_cap": {"5"}, "repeat_days": {"3"}, "quiet_from": {"23:00"}, "quiet_to": {"07:00"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit plan: %d", resp.StatusCode)
	}
	if p, _ := s.publish.Plan(ctx, mustInt(t, planID)); p.Name != "宝妈晚报" || p.Active || p.QuietFrom != 23*60 {
		t.Fatalf("edited plan: %+v", p)
	}
	if resp, _ := op.post(planURL, csrf, url.Values{"action": {"remove"}, "qid": {qid}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if q, _ := s.publish.Queue(ctx, mustInt(t, planID)); len(q) != 1 {
		t.Fatalf("queue after remove: %d", len(q))
	}
	if resp, _ := op.post(planURL, csrf, url.Values{"action": {"remove"}, "qid": {qid}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("remove twice: %d", resp.StatusCode)
	}
	if _, body := op.do("GET", "/plans", nil); !strings.Contains(body, "宝妈晚报") || !strings.Contains(body, "23:00–07:00") {
		t.Fatal("plans list")
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParseFen(t *testing.T) {
	for in, want := range map[string]int64{"79.9": 7990, "79.90": 7990, "¥1,299": 129900, "39.90元": 3990, " 0.01 ": 1, "12": 1200, "19.990": 1999} {
		if got, ok := parseFen(in); !ok || got != want {
			t.Errorf("parseFen(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "abc", "7.999", "-1", "1e3", "0x10", "100000001"} {
		if got, ok := parseFen(bad); ok {
			t.Errorf("parseFen(%q) = %d, want an error", bad, got)
		}
	}
}

// Every posting endpoint is in the OpenAPI document, and it is valid JSON.
func TestOpenAPIDocumentsPosting(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ method, path string }{
		{"get", "/api/v1/groups"}, {"post", "/api/v1/groups"}, {"get", "/api/v1/plans"}, {"post", "/api/v1/plans/{id}/queue"},
		{"get", "/api/v1/deliveries"}, {"post", "/api/v1/deliveries/{id}/hold"}, {"post", "/api/v1/deliveries/{id}/release"},
		{"post", "/api/v1/deliveries/{id}/sent"}, {"post", "/api/v1/templates/preview"},
		{"delete", "/api/v1/groups/{id}"}, {"delete", "/api/v1/plans/{id}"},
	} {
		if doc.Paths[r.path][r.method] == nil {
			t.Errorf("openapi.json lacks %s %s", r.method, r.path)
		}
	}
}

// The templates ask page.Can only about permissions that exist: a misspelt
// one would hide a link from everyone.
func TestTemplatesNameRealPermissions(t *testing.T) {
	re := regexp.MustCompile(`\.Can "([a-z_]+)"`)
	entries, err := templateFiles.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		b, _ := templateFiles.ReadFile("templates/" + e.Name())
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen++
			if !slices.Contains(auth.Permissions, auth.Permission(m[1])) {
				t.Errorf("%s: .Can %q is not a permission", e.Name(), m[1])
			}
		}
	}
	if seen == 0 {
		t.Fatal("no .Can in the templates")
	}
}

// TestDeleteGroupsAndPlans: a group added by mistake is deleted with the
// plans made for it; one with posts or orders on record is kept (pause
// it); a deleted plan's posts not yet sent are skipped.
func TestDeleteGroupsAndPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, anon, login := postingServerOn(t, db)
		ctx := context.Background()
		op := login(auth.Operator, "op")
		tok := token(t, s, "opbot", auth.Operator)
		mk := func(name string) *community.Group {
			g := &community.Group{Name: name, Channel: community.Manual, Tags: []string{"删"}, PIDTaobao: "mm_1_2_3", PIDJD: "1_2_3",
				PIDPDD: "1_2", Active: true}
			if err := s.groups.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
			return g
		}
		slots, _ := publish.ParseSlots("10:00,20:00")
		plan := func(name string, gid int64) *publish.Plan {
			p := &publish.Plan{Name: name, GroupID: gid, Slots: slots, PerSlot: 1, DailyCap: 5, RepeatDays: 0, Active: true}
			if err := s.publish.SavePlan(ctx, p); err != nil {
				t.Fatal(err)
			}
			if err := s.publish.Enqueue(ctx, publish.Queued{PlanID: p.ID, Key: catalog.Key{Platform: catalog.JD, ItemID: "100012345678"}, ChosenPrice: 9900}); err != nil {
				t.Fatal(err)
			}
			return p
		}

		// Added by mistake: the page deletes it, and its own plan.
		oops := mk("加错的群")
		oopsPlan := plan("加错的排期", oops.ID)
		csrf := op.csrfOf("/groups/" + strconv.FormatInt(oops.ID, 10))
		resp, body := op.post("/groups/"+strconv.FormatInt(oops.ID, 10)+"/delete", csrf, url.Values{})
		if resp.StatusCode != 200 || !strings.Contains(body, "已删除群「加错的群」") {
			t.Fatalf("delete: %d\n%s", resp.StatusCode, body)
		}
		if _, err := s.groups.Get(ctx, oops.ID); !errors.Is(err, community.ErrNotFound) {
			t.Fatalf("the group is still there: %v", err)
		}
		if _, err := s.publish.Plan(ctx, oopsPlan.ID); !errors.Is(err, publish.ErrNotFound) {
			t.Fatalf("its plan is still there: %v", err)
		}

		// A group with posts on record stays.
		busy := mk("有发单的群")
		busyPlan := plan("有发单的排期", busy.ID)
		if st, err := s.planner.PlanDay(ctx, postingNow); err != nil || st.Planned == 0 {
			t.Fatalf("plan day: %+v %v", st, err)
		}
		code, body := callAPI(t, anon, tok, "DELETE", "/api/v1/groups/"+strconv.FormatInt(busy.ID, 10), "", nil)
		if code != http.StatusConflict || !strings.Contains(body, "不能删除，可以暂停") {
			t.Fatalf("delete a group with posts: %d %s", code, body)
		}
		if _, err := s.groups.Get(ctx, busy.ID); err != nil {
			t.Fatalf("a group with posts was deleted: %v", err)
		}
		// The page says why in the reader's language (the domain error's key).
		busyPath := "/groups/" + strconv.FormatInt(busy.ID, 10)
		// (English first: the language chosen sticks, and the rest of the
		// test reads the Chinese pages.)
		for _, c := range []struct{ lang, want string }{{"en", "The group has posts on record: pause it instead"}, {"zh", "群组已有发单记录，不能删除，可以暂停"}} {
			lang, want := c.lang, c.want
			resp, body := op.post(busyPath+"/delete?lang="+lang, op.csrfOf(busyPath), url.Values{})
			if resp.StatusCode != http.StatusConflict || !strings.Contains(body, want) {
				t.Fatalf("delete a group with posts, in %s: %d, want %q\n%s", lang, resp.StatusCode, want, body)
			}
		}

		// A group with orders on record stays too.
		sold := mk("有订单的群")
		sold.PIDTaobao = "mm_1_2_7001"
		if err := s.groups.Save(ctx, sold); err != nil {
			t.Fatal(err)
		}
		if _, err := orders.NewStore(db).Import(ctx, []orders.Order{{TradeID: "1", AdzoneID: "7001", ItemID: "1",
			PaidAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix(), Status: orders.Paid, PaidAmount: 100, EstIncome: 10}}); err != nil {
			t.Fatal(err)
		}
		if code, body := callAPI(t, anon, tok, "DELETE", "/api/v1/groups/"+strconv.FormatInt(sold.ID, 10), "", nil); code != http.StatusConflict || !strings.Contains(body, "已有订单记录") {
			t.Fatalf("delete a group with orders: %d %s", code, body)
		}
		if code, _ := callAPI(t, anon, tok, "DELETE", "/api/v1/groups/99999", "", nil); code != http.StatusNotFound {
			t.Fatalf("delete an unknown group: %d", code)
		}
		var gone struct{ Deleted int64 }
		spare := mk("空群")
		if code, body := callAPI(t, anon, tok, "DELETE", "/api/v1/groups/"+strconv.FormatInt(spare.ID, 10), "", &gone); code != 200 || gone.Deleted != spare.ID {
			t.Fatalf("delete through the API: %d %s", code, body)
		}

		// Deleting the busy group's plan skips its posts not yet sent.
		var out struct{ Skipped int }
		if code, body := callAPI(t, anon, tok, "DELETE", "/api/v1/plans/"+strconv.FormatInt(busyPlan.ID, 10), "", &out); code != 200 || out.Skipped == 0 {
			t.Fatalf("delete plan: %d %s", code, body)
		}
		day := time.Date(postingNow.Year(), postingNow.Month(), postingNow.Day(), 0, 0, 0, 0, postingNow.Location())
		board, err := s.publish.Board(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		skipped := 0
		for _, d := range board {
			if d.GroupID == busy.ID {
				if d.Status != publish.Skipped || !strings.Contains(publish.ReasonText(i18n.EN, d.LastError), "plan was deleted") {
					t.Errorf("post of a deleted plan: %s %q", d.Status, d.LastError)
				}
				skipped++
			}
		}
		if skipped != out.Skipped {
			t.Errorf("%d posts skipped on the board, the API said %d", skipped, out.Skipped)
		}
		// The API says why in the reader's language.
		for lang, want := range map[string]string{"en": "The plan was deleted", "zh": "排期已删除"} {
			var got struct {
				Deliveries []struct {
					GroupID   int64  `json:"group_id"`
					LastError string `json:"last_error"`
				} `json:"deliveries"`
			}
			code, body := callAPI(t, anon, tok, "GET", "/api/v1/deliveries?day="+day.Format("2006-01-02")+"&lang="+lang, "", &got)
			n := 0
			for _, d := range got.Deliveries {
				if d.GroupID == busy.ID {
					n++
					if d.LastError != want {
						t.Errorf("%s: last_error %q, want %q", lang, d.LastError, want)
					}
				}
			}
			if code != 200 || n != skipped {
				t.Errorf("%s: %d, %d of the deleted plan's %d posts: %.300s", lang, code, n, skipped, body)
			}
		}
		if q, _ := s.publish.Queue(ctx, busyPlan.ID); len(q) != 0 {
			t.Errorf("the deleted plan's queue is still there: %d", len(q))
		}
		if code, _ := callAPI(t, anon, tok, "DELETE", "/api/v1/plans/"+strconv.FormatInt(busyPlan.ID, 10), "", nil); code != http.StatusNotFound {
			t.Errorf("delete the plan again: %d", code)
		}
		// The plan page's button: a plan by tag.
		byTag := &publish.Plan{Name: "按标签", Tag: "删", Slots: slots, PerSlot: 1, DailyCap: 5, Active: true}
		if err := s.publish.SavePlan(ctx, byTag); err != nil {
			t.Fatal(err)
		}
		planURL := "/plans/" + strconv.FormatInt(byTag.ID, 10)
		_, body = op.do("GET", planURL, nil)
		if !strings.Contains(body, `value="delete"`) || !strings.Contains(body, `data-confirm=`) {
			t.Fatal("the plan page has no delete button")
		}
		// A plan is a 计划 on its own page as on the list (排期 is the day's board).
		if !strings.Contains(body, "删除此计划") || !strings.Contains(body, "确定删除计划") || strings.Contains(body, "删除排期") {
			t.Errorf("the plan page's delete button does not call it a plan:\n%s", body)
		}
		resp, _ = op.post(planURL, op.csrfOf(planURL), url.Values{"action": {"delete"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/plans" {
			t.Fatalf("delete from the plan page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, err := s.publish.Plan(ctx, byTag.ID); !errors.Is(err, publish.ErrNotFound) {
			t.Fatalf("the plan is still there: %v", err)
		}
	})
}

// TestPlanWithManySlots: a plan posting every half hour is summed up (the
// first and last slot and the count) on the plans list and its own page,
// not spelled out across the screen.
func TestPlanWithManySlots(t *testing.T) {
	s, _, login := postingServer(t)
	var slots []string
	for m := 0; m < 24*60; m += 30 {
		slots = append(slots, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	parsed, err := publish.ParseSlots(strings.Join(slots, ","))
	if err != nil {
		t.Fatal(err)
	}
	p := &publish.Plan{Name: "直播", Tag: "直播", Slots: parsed, PerSlot: 1, DailyCap: 48, Active: true}
	if err := s.publish.SavePlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	op := login(auth.Operator, "op")
	for _, path := range []string{"/plans", fmt.Sprintf("/plans/%d", p.ID)} {
		_, body := op.do("GET", path, nil)
		main := body[strings.Index(body, "<main>"):]
		if !strings.Contains(main, "00:00 – 23:30，共 48 个时段") {
			t.Errorf("%s does not sum up the slots", path)
		}
		if head := main[:strings.Index(main, "</h1>")]; strings.Contains(head, "00:30") || strings.Contains(main, "00:00,00:30,01:00</small></td>") {
			t.Errorf("%s spells out 48 slots in a line:\n%.1500s", path, main)
		}
	}
}
