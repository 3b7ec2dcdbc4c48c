package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// agentFixture is a server over the demo's agent tree (A over B and C; B
// over D and E; C over F; G alone) with an agent user bound to B.
type agentFixture struct {
	s       *Server
	srv     *httptest.Server
	tree    *demo.AgentTree
	inside  []int64 // B, D, E
	outside []int64 // A (B's parent), C, F, G, a member who is no agent, an id nobody has
	browser *client // signed in as B's agent user
	token   string  // B's agent user's API token
}

func newAgentFixture(t *testing.T, db *store.DB) *agentFixture {
	t.Helper()
	ctx := context.Background()
	s := New(db, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 11, 20, 18, 3, 0, 0, shanghai.Zone)
	s.now = func() time.Time { return now }
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	for i := range 8 {
		communitytest.Member(t, db, "agent-fixture-"+strconv.Itoa(i))
	}
	loner := communitytest.Member(t, db, "not-an-agent")
	tree, err := demo.Agents(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	a := tree.Agents
	f := &agentFixture{s: s, srv: srv, tree: tree, inside: []int64{a[1], a[3], a[4]},
		outside: []int64{a[0], a[2], a[5], a[6], loner, 999999}}
	if _, err := s.auth.CreateUser(ctx, auth.NewUser{Name: "agent-b", Role: auth.Agent, Password: "a long password", AgentID: 999999}); err == nil {
		t.Fatal("an agent user bound to no agent was made")
	}
	u, err := s.auth.CreateUser(ctx, auth.NewUser{Name: "agent-b", Role: auth.Agent, Password: "a long password", AgentID: a[1]})
	if err != nil {
		t.Fatal(err)
	}
	f.browser = newClient(t, srv)
	_, body := f.browser.do("GET", "/login", nil)
	if resp, _ := f.browser.do("POST", "/login", map[string][]string{"name": {"agent-b"}, "password": {"a long password"}, "csrf": {csrfIn(t, body)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("agent login: %d", resp.StatusCode)
	}
	if f.token, _, err = s.auth.IssueToken(ctx, u.ID, "agent-bot"); err != nil {
		t.Fatal(err)
	}
	return f
}

// publicRoutes need no login at all.
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /static/": true, "GET /login": true, "POST /login": true,
	"GET /setup": true, "POST /setup": true, "/callback/wecom": true, "POST /callback/telegram": true,
	"GET /join/{code}": true, "GET /join/{code}/qr/{id}": true,
	"GET /invite/{ref}": true, "GET /invite/{ref}/qr/{id}": true,
}

// agentRoleRoutes are the routes the agent role may use; every other
// route that needs a login answers it 403.
var agentRoleRoutes = map[string]bool{
	"GET /{$}": true, "POST /logout": true,
	"GET /agents": true, "GET /agents/{id}": true, "GET /agents/{id}/statement": true,
	"GET /api/v1/agents": true, "GET /api/v1/agents/{id}": true, "GET /api/v1/agents/{id}/statement": true,
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// fill makes a request path of a route's pattern, id for {id}.
func fill(pattern string, id int64) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = wildcard.ReplaceAllStringFunc(path, func(w string) string {
		switch w {
		case "{id}":
			return strconv.FormatInt(id, 10)
		case "{platform}":
			return "taobao"
		}
		return "x"
	})
	return method, path
}

// call sends a request as the agent user: on /api/ with the API token,
// elsewhere in the signed-in browser.
func (f *agentFixture) call(t *testing.T, method, path string) (int, string) {
	t.Helper()
	if strings.HasPrefix(path, "/api/") {
		return f.bearer(t, method, path)
	}
	return f.session(t, method, path)
}

func (f *agentFixture) session(t *testing.T, method, path string) (int, string) {
	t.Helper()
	resp, body := f.browser.do(method, path, map[string][]string{})
	return resp.StatusCode, body
}

func (f *agentFixture) bearer(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+f.token)
	c := *f.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b.String()
}

// TestAgentRoleEveryRoute walks every route the server registered (new
// routes are covered as they come) as an agent user, in the browser and
// with the user's API token, with ids inside and outside the agent's
// subtree: the agent's own routes answer its subtree and 404 for any
// other id (as for one that does not exist); every other route 403.
func TestAgentRoleEveryRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAgentFixture(t, db)
		routes := f.s.Routes()
		if len(routes) < 60 {
			t.Fatalf("only %d routes registered", len(routes))
		}
		for _, pattern := range routes {
			if publicRoutes[pattern] {
				continue
			}
			ids := []int64{0}
			if strings.Contains(pattern, "{id}") {
				ids = append(append([]int64{}, f.inside...), f.outside...)
			}
			for _, id := range ids {
				method, path := fill(pattern, id)
				if strings.HasSuffix(pattern, "/statement") {
					path += "?month=2026-11"
				}
				if !agentRoleRoutes[pattern] {
					// Neither the session nor the token gets in: 403,
					// or the other door's 401 (API) or login (pages).
					s1, b1 := f.session(t, method, path)
					s2, b2 := f.bearer(t, method, path)
					if s1 != http.StatusForbidden && s1 != http.StatusUnauthorized || s2 != http.StatusForbidden && s2 != http.StatusSeeOther ||
						s1 != http.StatusForbidden && s2 != http.StatusForbidden {
						t.Errorf("agent %s %s: session %d (%.100s), token %d (%.100s); want 403", method, path, s1, b1, s2, b2)
					}
					continue
				}
				status, body := f.call(t, method, path)
				want := http.StatusForbidden
				{
					switch {
					case pattern == "GET /{$}" || pattern == "POST /logout":
						continue // below
					case slices.Contains(f.outside, id):
						want = http.StatusNotFound
					default:
						want = http.StatusOK
					}
				}
				if status != want {
					t.Errorf("agent %s %s: %d, want %d: %.200s", method, path, status, want, body)
				}
				for _, out := range f.outside[:4] {
					if status == http.StatusOK && strings.Contains(body, fmt.Sprintf(`/agents/%d"`, out)) {
						t.Errorf("agent %s %s links to agent %d outside its subtree", method, path, out)
					}
				}
			}
		}
		// The list, in the browser and the API, is the subtree, B first.
		_, page := f.call(t, "GET", "/agents")
		for _, id := range f.inside {
			if !strings.Contains(page, fmt.Sprintf(`data-agent="%d"`, id)) {
				t.Errorf("the agents page lacks %d of the subtree", id)
			}
		}
		if n := strings.Count(page, "data-agent="); n != len(f.inside) {
			t.Errorf("the agents page has %d agents, want %d", n, len(f.inside))
		}
		var rows []apiv1.AgentRow
		if status, body := callAPI(t, f.browser, f.token, "GET", "/api/v1/agents", "", &rows); status != 200 {
			t.Fatalf("api agents: %d %s", status, body)
		}
		var got []int64
		for _, r := range rows {
			got = append(got, r.MemberID)
		}
		if len(got) != 3 || got[0] != f.inside[0] || !slices.Contains(got, f.inside[1]) || !slices.Contains(got, f.inside[2]) {
			t.Errorf("api agents %v, want the subtree %v (B first)", got, f.inside)
		}
		// B's detail names no parent (A is outside the subtree).
		var d apiv1.AgentDetail
		callAPI(t, f.browser, f.token, "GET", "/api/v1/agents/"+strconv.FormatInt(f.inside[0], 10), "", &d)
		if d.ParentID != nil || len(d.ChildIDs) != 2 {
			t.Errorf("B's detail: parent %v, children %v", d.ParentID, d.ChildIDs)
		}
		// Home sends the agent to its page; logging out works.
		if resp, _ := f.browser.do("GET", "/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/agents" {
			t.Errorf("agent home: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body := f.browser.do("GET", "/agents", nil)
		if resp, _ := f.browser.do("POST", "/logout", map[string][]string{"csrf": {csrfIn(t, body)}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("agent logout: %d", resp.StatusCode)
		}
	})
}

// TestAgentsConsoleAdmin: the team sees the whole tree, the rebates, the
// statements as CSV and XLSX; edits the rules (more than three levels
// refused); creates a payout batch and marks it paid.
func TestAgentsConsoleAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAgentFixture(t, db)
		s := f.s
		admin := newClient(t, f.srv)
		signIn(t, s, admin, "boss", auth.Admin)
		resp, page := admin.do("GET", "/agents", nil)
		if resp.StatusCode != 200 || strings.Count(page, "data-agent=") != 7 {
			t.Fatalf("admin agents page: %d, %d agents", resp.StatusCode, strings.Count(page, "data-agent="))
		}
		d := strconv.FormatInt(f.tree.Agents[3], 10)
		resp, page = admin.do("GET", "/agents/"+d+"?month=2026-11", nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "qk-invalid") {
			t.Errorf("agent D's November: %d, reversal shown: %v", resp.StatusCode, strings.Contains(page, "qk-invalid"))
		}
		for _, format := range []string{"csv", "xlsx"} {
			resp, body := admin.do("GET", "/agents/"+d+"/statement?month=2026-11&format="+format, nil)
			if resp.StatusCode != 200 || len(body) < 100 || !strings.Contains(resp.Header.Get("Content-Disposition"), "."+format) {
				t.Errorf("statement %s: %d, %d bytes, %q", format, resp.StatusCode, len(body), resp.Header.Get("Content-Disposition"))
			}
		}
		if resp, _ := admin.do("GET", "/agents/"+d+"/statement?month=11-2026", nil); resp.StatusCode != 400 {
			t.Errorf("a bad month: %d", resp.StatusCode)
		}
		// Rules: three levels saved; the form has no fourth.
		_, page = admin.do("GET", "/agents/rules", nil)
		resp, page = admin.do("POST", "/agents/rules", map[string][]string{"csrf": {csrfIn(t, page)}, "agent_1": {"40"}, "agent_2": {"10"},
			"agent_3": {"5.5"}, "member_1": {"20"}})
		if resp.StatusCode != 200 {
			t.Fatalf("save rules: %d", resp.StatusCode)
		}
		agent, member, err := s.agents.Rules(context.Background())
		if err != nil || !slices.Equal(agent.Bps, []int64{4000, 1000, 550}) || !slices.Equal(member.Bps, []int64{2000}) {
			t.Errorf("rules %v %v %v", agent, member, err)
		}
		resp, _ = admin.do("POST", "/agents/rules", map[string][]string{"csrf": {csrfIn(t, page)}, "agent_1": {"90"}, "agent_2": {"20"}})
		if resp.StatusCode != 400 {
			t.Errorf("rules over 100%%: %d", resp.StatusCode)
		}
		if agent, _, _ := s.agents.Rules(context.Background()); !slices.Equal(agent.Bps, []int64{4000, 1000, 550}) {
			t.Errorf("a refused edit changed the rules: %v", agent.Bps)
		}
		// Payouts: a batch of what is payable (not D, who owes), one open
		// at a time, marked paid by a person.
		_, page = admin.do("GET", "/payouts", nil)
		resp, body := admin.do("POST", "/payouts", map[string][]string{"csrf": {csrfIn(t, page)}, "action": {"create"}, "min": {"0.01"}})
		if resp.StatusCode != 200 || strings.Contains(body, "qk-error") {
			t.Fatalf("create a batch: %d %.300s", resp.StatusCode, body)
		}
		if resp, _ := admin.do("POST", "/payouts", map[string][]string{"csrf": {csrfIn(t, page)}, "action": {"create"}, "min": {"0.01"}}); resp.StatusCode != 400 {
			t.Errorf("a second open batch: %d", resp.StatusCode)
		}
		if resp, _ := admin.do("POST", "/payouts", map[string][]string{"csrf": {csrfIn(t, page)}, "action": {"create"}, "min": {"abc"}}); resp.StatusCode != 400 {
			t.Errorf("a bad minimum: %d", resp.StatusCode)
		}
		var list []apiv1.Payout
		tok := token(t, s, "finance-bot", auth.Finance)
		if status, body := callAPI(t, admin, tok, "GET", "/api/v1/payouts", "", &list); status != 200 || len(list) != 2 || list[0].Status != "open" {
			t.Fatalf("api payouts: %d %s", status, body)
		}
		for _, l := range list[0].Lines {
			if l.MemberID == f.tree.Agents[3] {
				t.Errorf("agent D, who owes, is in the batch: %+v", l)
			}
		}
		open := strconv.FormatInt(list[0].ID, 10)
		if resp, _ := admin.do("POST", "/payouts", map[string][]string{"csrf": {csrfIn(t, page)}, "action": {"paid"}, "id": {open}, "by": {"  "}}); resp.StatusCode != 400 {
			t.Errorf("paid by nobody: %d", resp.StatusCode)
		}
		if resp, body := admin.do("POST", "/payouts", map[string][]string{"csrf": {csrfIn(t, page)}, "action": {"paid"}, "id": {open}, "by": {"王会计"}}); resp.StatusCode != 200 || !strings.Contains(body, "王会计") {
			t.Errorf("mark paid: %d", resp.StatusCode)
		}
		var po apiv1.Payout
		if status, _ := callAPI(t, admin, tok, "POST", "/api/v1/payouts/999/paid", `{"paid_by":"王会计"}`, &po); status != 404 {
			t.Errorf("paying an unknown batch: %d", status)
		}
		if status, _ := callAPI(t, admin, tok, "POST", "/api/v1/payouts/"+open+"/paid", `{"paid_by":"王会计"}`, &po); status != 409 {
			t.Errorf("paying a paid batch again: %d", status)
		}
		// The team's scope: a rebate member's page and a 404 for nobody.
		if resp, _ := admin.do("GET", "/agents/999999", nil); resp.StatusCode != 404 {
			t.Errorf("admin, unknown member: %d", resp.StatusCode)
		}
	})
}

// demoAgent is an agent of the demo's tree at depth (0: a root).
func demoAgent(t *testing.T, s *Server, depth int) int64 {
	t.Helper()
	pg, err := s.agents.Page(context.Background(), growth.Scope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pg.Rows {
		if r.Depth == depth {
			return r.MemberID
		}
	}
	t.Fatalf("the demo has no agent at depth %d", depth)
	return 0
}
