package web

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/publish"
)

// apiCase is one real request of the contract test: doc is the path as
// openapi.json names it, path the one sent; who is the caller: "" no token,
// "bad" a wrong one, "session" a signed-in browser, else a role's token.
type apiCase struct {
	method, doc, path, body, who string
	status                       int
}

// TestAPIAnswersMatchOpenAPI is issue 12's "one API contract": for every
// response documented for every /api/v1 route, a real request to a server
// with the demo (market, groups, plans, posts, orders) gets that status and
// a body that the documented schema accepts: every field documented, none
// missing, types, enums and RFC 3339 times as stated.
func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	doc, err := parseAPIDoc(openapiJSON)
	if err != nil {
		t.Fatal(err)
	}
	s, m := layoutServer(t)
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	cases := contractCases(t, s, m)
	browser := newClient(t, srv)
	signIn(t, s, browser, "doc-reader", auth.Viewer)
	tokens := map[string]string{"bad": "qk_not_a_token"}
	for _, r := range []auth.Role{auth.Admin, auth.Selector, auth.Viewer} {
		tokens[string(r)] = token(t, s, "contract-"+string(r), r)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		name := c.method + " " + c.path
		resp, body := contractCall(t, srv, browser, tokens, c)
		if resp.StatusCode != c.status {
			t.Errorf("%s as %q: %d, want %d: %.300s", name, c.who, resp.StatusCode, c.status, body)
			continue
		}
		documented := docAt(doc.root, "paths", c.doc, strings.ToLower(c.method), "responses", strconv.Itoa(c.status))
		if documented == nil {
			t.Errorf("%s: status %d is not documented for %s %s", name, c.status, c.method, c.doc)
			continue
		}
		covered[c.method+" "+c.doc+" "+strconv.Itoa(c.status)] = true
		content, _ := documented["content"].(map[string]any)
		if content == nil {
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: content type %q", name, ct)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		schema := content["application/json"].(map[string]any)["schema"].(map[string]any)
		for _, e := range doc.validate(schema, v, "$") {
			t.Errorf("%s (%d): %s", name, c.status, e)
		}
	}
	// Every documented answer of every /api/v1 route was asked for.
	for path, ops := range doc.root["paths"].(map[string]any) {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method, op := range ops.(map[string]any) {
			for status := range op.(map[string]any)["responses"].(map[string]any) {
				if k := strings.ToUpper(method) + " " + path + " " + status; !covered[k] {
					t.Errorf("no request of the test gets the documented answer %s", k)
				}
			}
		}
	}
}

func contractCall(t *testing.T, srv *httptest.Server, browser *client, tokens map[string]string, c apiCase) (*http.Response, string) {
	t.Helper()
	if c.who == "session" {
		return browser.do(c.method, c.path, nil)
	}
	req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if tok := tokens[c.who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	noRedirect := *srv.Client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.String()
}

// contractCases are the requests, in order (some change what later ones
// see), over the demo market m.
func contractCases(t *testing.T, s *Server, m *demo.Market) []apiCase {
	t.Helper()
	ctx := context.Background()
	now, it := s.now(), m.Item(3)
	if err := s.catalog.LogImport(ctx, catalog.ImportLog{Kind: "items", FileName: "feed.csv", Format: "csv",
		StartedAt: now.Add(-time.Minute), FinishedAt: now, RowsRead: 3, Observations: 3, Status: "imported"}); err != nil {
		t.Fatal(err)
	}
	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil || len(groups) == 0 {
		t.Fatalf("demo groups: %v", err)
	}
	spare := &community.Group{Name: "刚加错的群", Channel: community.Manual, Active: true}
	if err := s.groups.Save(ctx, spare); err != nil {
		t.Fatal(err)
	}
	// A one-group plan with quiet hours (the demo's are by tag, without)
	// for a manual group, with two posts tonight.
	i := slices.IndexFunc(groups, func(g *community.Group) bool { return g.Channel == community.Manual })
	if i < 0 {
		t.Fatal("the demo has no manual group")
	}
	plan := &publish.Plan{Name: "单群计划", GroupID: groups[i].ID, Slots: []int{22 * 60, 23 * 60}, PerSlot: 1, DailyCap: 10,
		QuietFrom: 1 * 60, QuietTo: 6 * 60, Active: true}
	if err := s.publish.SavePlan(ctx, plan); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{5, 6} {
		qi := m.Item(k)
		q := publish.Queued{PlanID: plan.ID, Key: qi.Key(), ChosenPrice: catalog.MaxPrice, AddedBy: "test"}
		if err := s.publish.Enqueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.planner.PlanDay(ctx, now); err != nil {
		t.Fatal(err)
	}
	day := now.Format("2006-01-02")
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	board, err := s.publish.Board(ctx, from, from.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]*community.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	var manual, robot []int64 // planned posts of manual groups, of the others
	for _, d := range board {
		if d.Status != publish.Planned {
			continue
		}
		if byID[d.GroupID].Channel == community.Manual {
			manual = append(manual, d.ID)
		} else {
			robot = append(robot, d.ID)
		}
	}
	if len(manual) < 2 || len(robot) < 1 {
		t.Fatalf("the demo's board of %s has %d planned posts of manual groups and %d of others", day, len(manual), len(robot))
	}
	// Two members, the second with a Taobao 会员运营ID bound.
	var mrows []community.MemberRow
	for _, ext := range []string{"wm-contract-1", "wm-contract-2"} {
		if _, err := s.groups.ApplyEvents(ctx, []community.MemberEvent{{Key: "contract:" + ext, Source: community.SourceWeCom,
			GroupID: groups[0].ID, Kind: community.Join, At: now.Add(-time.Hour), ExternalID: ext}}); err != nil {
			t.Fatal(err)
		}
		rows, _, err := s.groups.Members(ctx, community.MemberFilter{Query: ext})
		if err != nil || len(rows) != 1 {
			t.Fatalf("member: %v %v", rows, err)
		}
		mrows = append(mrows, rows[0])
	}
	if err := s.groups.Bind(ctx, mrows[1].ID, "taobao", "special_id", "900001"); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt
	item := "/api/v1/items/" + string(it.Platform) + "/" + it.ItemID
	queue := "/api/v1/plans/" + id(plan.ID, 10) + "/queue"
	enqueue := `{"platform":"` + string(it.Platform) + `","item_id":"` + it.ItemID + `","chosen_price_fen":99900,"reason":"好价"}`
	action := func(d int64, a string) string { return "/api/v1/deliveries/" + id(d, 10) + "/" + a }
	const (
		admin, sel, viewer = "admin", "selector", "viewer"
		checkDoc           = "/api/v1/check"
		itemsDoc           = "/api/v1/items"
		cardDoc            = "/api/v1/items/{platform}/{id}"
		historyDoc         = "/api/v1/items/{platform}/{id}/history"
		rankDoc            = "/api/v1/rankings/{kind}"
		groupDoc           = "/api/v1/groups/{id}"
		memberDoc          = "/api/v1/members/{id}"
		planDoc            = "/api/v1/plans/{id}"
		queueDoc           = "/api/v1/plans/{id}/queue"
		holdDoc            = "/api/v1/deliveries/{id}/hold"
		releaseDoc         = "/api/v1/deliveries/{id}/release"
		sentDoc            = "/api/v1/deliveries/{id}/sent"
		previewDoc         = "/api/v1/templates/preview"
		bindDoc            = "/api/v1/members/{id}/bindings"
		groupHealthDoc     = "/api/v1/groups/{id}/health"
		joinDoc            = "/api/v1/join-codes/{id}"
	)
	binds := "/api/v1/members/" + id(mrows[0].ID, 10) + "/bindings"
	const agentDoc, statementDoc, paidDoc = "/api/v1/agents/{id}", "/api/v1/agents/{id}/statement", "/api/v1/payouts/{id}/paid"
	agentPath := "/api/v1/agents/" + id(demoAgent(t, s, 1), 10)
	paid, err := s.agents.Ledger.Payouts(ctx)
	if err != nil || len(paid) == 0 {
		t.Fatalf("the demo's payouts: %v %v", paid, err)
	}
	openPayout := "/api/v1/payouts/" + id(paid[0].ID+1, 10) + "/paid" // the batch the cases create
	msg, _ := json.Marshal(map[string]string{"text": dealMessage(it) + " 券后29.9\n￥AbCdEfGh123￥ 商品ID：999999999999 客服 13812345678"})
	cases := []apiCase{
		{"POST", checkDoc, checkDoc, string(msg), sel, 200},
		{"POST", checkDoc, checkDoc, `{"text": "没有商品"}`, sel, 200},
		{"POST", checkDoc, checkDoc, `not json`, sel, 400},
		{"POST", checkDoc, checkDoc, `{"text": "x"}`, "", 401},
		{"POST", checkDoc, checkDoc, `{"text": "x"}`, viewer, 403},
		{"GET", itemsDoc, "/api/v1/items?limit=5&sort=price", "", sel, 200},
		{"GET", itemsDoc, "/api/v1/items?q=不存在的商品名", "", sel, 200},
		{"GET", itemsDoc, "/api/v1/items?limit=-1", "", sel, 400},
		{"GET", itemsDoc, itemsDoc, "", "bad", 401},
		{"GET", itemsDoc, itemsDoc, "", viewer, 403},
		{"GET", cardDoc, item, "", sel, 200},
		{"GET", cardDoc, "/api/v1/items/amazon/1", "", sel, 400},
		{"GET", cardDoc, item, "", "", 401},
		{"GET", cardDoc, item, "", viewer, 403},
		{"GET", cardDoc, "/api/v1/items/jd/999", "", sel, 404},
		{"GET", historyDoc, item + "/history?from=2026-10-01T00:00:00%2B08:00", "", sel, 200},
		{"GET", historyDoc, item + "/history?from=x", "", sel, 400},
		{"GET", historyDoc, item + "/history", "", "", 401},
		{"GET", historyDoc, item + "/history", "", viewer, 403},
		{"GET", historyDoc, "/api/v1/items/jd/999/history", "", sel, 404},
		{"GET", rankDoc, "/api/v1/rankings/commission?limit=3", "", sel, 200},
		{"GET", rankDoc, "/api/v1/rankings/best", "", sel, 400},
		{"GET", rankDoc, "/api/v1/rankings/hot", "", "", 401},
		{"GET", rankDoc, "/api/v1/rankings/hot", "", viewer, 403},
		{"GET", "/api/v1/imports", "/api/v1/imports", "", sel, 200},
		{"GET", "/api/v1/imports", "/api/v1/imports", "", "", 401},
		{"GET", "/api/v1/imports", "/api/v1/imports", "", viewer, 403},
		{"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", "session", 200},
		{"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", sel, 303},
		{"GET", "/api/v1/groups", "/api/v1/groups", "", admin, 200},
		{"GET", "/api/v1/groups", "/api/v1/groups", "", "", 401},
		{"GET", "/api/v1/groups", "/api/v1/groups", "", sel, 403},
		{"POST", "/api/v1/groups", "/api/v1/groups", `{"name":"新群","channel":"manual","tags":["新"]}`, admin, 201},
		{"POST", "/api/v1/groups", "/api/v1/groups", `{"name":"新群","channel":"manual"}`, admin, 409},
		{"POST", "/api/v1/groups", "/api/v1/groups", `{"name":"","channel":"manual"}`, admin, 400},
		{"POST", "/api/v1/groups", "/api/v1/groups", `{}`, "", 401},
		{"POST", "/api/v1/groups", "/api/v1/groups", `{}`, sel, 403},
		{"DELETE", groupDoc, "/api/v1/groups/" + id(spare.ID, 10), "", admin, 200},
		{"DELETE", groupDoc, "/api/v1/groups/" + id(groups[0].ID, 10), "", admin, 409},
		{"DELETE", groupDoc, "/api/v1/groups/999999", "", admin, 404},
		{"DELETE", groupDoc, "/api/v1/groups/1", "", "", 401},
		{"DELETE", groupDoc, "/api/v1/groups/1", "", sel, 403},
		{"GET", "/api/v1/members", "/api/v1/members?q=%E7%BE%A4%E5%8F%8B&limit=5", "", admin, 200},
		{"GET", "/api/v1/members", "/api/v1/members?source=qq", "", admin, 400},
		{"GET", "/api/v1/members", "/api/v1/members", "", "", 401},
		{"GET", "/api/v1/members", "/api/v1/members", "", sel, 403},
		{"GET", memberDoc, "/api/v1/members/" + id(someMember(t, s), 10), "", admin, 200},
		{"GET", memberDoc, "/api/v1/members/999999", "", admin, 404},
		{"GET", memberDoc, "/api/v1/members/1", "", "", 401},
		{"GET", memberDoc, "/api/v1/members/1", "", sel, 403},
		{"GET", "/api/v1/plans", "/api/v1/plans", "", sel, 200},
		{"GET", "/api/v1/plans", "/api/v1/plans", "", "", 401},
		{"GET", "/api/v1/plans", "/api/v1/plans", "", viewer, 403},
		{"POST", queueDoc, queue, enqueue, admin, 200},
		{"POST", queueDoc, queue, enqueue, admin, 409},
		{"POST", queueDoc, queue, strings.Replace(enqueue, "99900", "0", 1), admin, 400},
		{"POST", queueDoc, "/api/v1/plans/999999/queue", enqueue, admin, 404},
		{"POST", queueDoc, queue, enqueue, "", 401},
		{"POST", queueDoc, queue, enqueue, sel, 403},
		{"GET", "/api/v1/deliveries", "/api/v1/deliveries?day=" + day, "", sel, 200},
		{"GET", "/api/v1/deliveries", "/api/v1/deliveries?day=tomorrow", "", sel, 400},
		{"GET", "/api/v1/deliveries", "/api/v1/deliveries", "", "", 401},
		{"GET", "/api/v1/deliveries", "/api/v1/deliveries", "", viewer, 403},
		{"POST", holdDoc, action(manual[0], "hold"), "", admin, 200},
		{"POST", holdDoc, action(manual[0], "hold"), "", admin, 409},
		{"POST", holdDoc, action(999999, "hold"), "", admin, 404},
		{"POST", holdDoc, action(manual[0], "hold"), "", "", 401},
		{"POST", holdDoc, action(manual[0], "hold"), "", sel, 403},
		{"POST", releaseDoc, action(manual[0], "release"), "", admin, 200},
		{"POST", releaseDoc, action(manual[0], "release"), "", admin, 409},
		{"POST", releaseDoc, action(999999, "release"), "", admin, 404},
		{"POST", releaseDoc, action(manual[0], "release"), "", "", 401},
		{"POST", releaseDoc, action(manual[0], "release"), "", sel, 403},
		{"POST", sentDoc, action(manual[1], "sent"), "", admin, 200},
		{"POST", sentDoc, action(robot[0], "sent"), "", admin, 409},
		{"POST", sentDoc, action(999999, "sent"), "", admin, 404},
		{"POST", sentDoc, action(manual[1], "sent"), "", "", 401},
		{"POST", sentDoc, action(manual[1], "sent"), "", sel, 403},
		{"POST", previewDoc, previewDoc, `{"body":"{{.Title}} 券后{{.FinalPrice}}"}`, admin, 200},
		{"POST", previewDoc, previewDoc, `{"body":"{{.Title"}`, admin, 400},
		{"POST", previewDoc, previewDoc, `{"body":"x"}`, "", 401},
		{"POST", previewDoc, previewDoc, `{"body":"x"}`, sel, 403},
		{"GET", "/api/v1/income", "/api/v1/income", "", admin, 200},
		{"GET", "/api/v1/income", "/api/v1/income?by=day&from=2026-11-01&to=2026-11-20", "", admin, 200},
		{"GET", "/api/v1/income", "/api/v1/income?by=hour", "", admin, 400},
		{"GET", "/api/v1/income", "/api/v1/income", "", "", 401},
		{"GET", "/api/v1/income", "/api/v1/income", "", sel, 403},
		{"GET", "/api/v1/income/forecast", "/api/v1/income/forecast", "", admin, 200},
		{"GET", "/api/v1/income/forecast", "/api/v1/income/forecast?pay_day=31", "", admin, 400},
		{"GET", "/api/v1/income/forecast", "/api/v1/income/forecast", "", "", 401},
		{"GET", "/api/v1/income/forecast", "/api/v1/income/forecast", "", sel, 403},
		{"GET", "/api/v1/orders/unattributed", "/api/v1/orders/unattributed", "", admin, 200},
		{"GET", "/api/v1/orders/unattributed", "/api/v1/orders/unattributed?from=x", "", admin, 400},
		{"GET", "/api/v1/orders/unattributed", "/api/v1/orders/unattributed", "", "", 401},
		{"GET", "/api/v1/orders/unattributed", "/api/v1/orders/unattributed", "", sel, 403},
		{"GET", bindDoc, binds, "", admin, 200},
		{"GET", bindDoc, binds, "", sel, 403},
		{"GET", bindDoc, "/api/v1/members/999999/bindings", "", admin, 404},
		{"GET", bindDoc, binds, "", "", 401},
		{"GET", bindDoc, binds, "", "bad", 401},
		{"POST", bindDoc, binds, `{"platform":"京东","value":"m-1"}`, admin, 201},
		{"POST", bindDoc, binds, `{"platform":"jd","kind":"sub_union_id","value":"m-1"}`, admin, 200},
		{"POST", bindDoc, binds, `{"platform":"jd","value":"has space"}`, admin, 400},
		{"POST", bindDoc, binds, `{"platform":"淘宝","kind":"会员运营ID","value":"900001"}`, admin, 409},
		{"POST", bindDoc, "/api/v1/members/999999/bindings", `{"platform":"jd","value":"m-2"}`, admin, 404},
		{"POST", bindDoc, binds, `{"platform":"jd","value":"m-2"}`, "", 401},
		{"POST", bindDoc, binds, `{"platform":"jd","value":"m-2"}`, sel, 403},
		{"DELETE", bindDoc, binds, `{"platform":"jd","value":"m-1"}`, admin, 200},
		{"DELETE", bindDoc, binds, `{"platform":"jd","value":"m-1"}`, admin, 404},
		{"DELETE", bindDoc, binds, `{"platform":"vip","value":"1"}`, admin, 400},
		{"DELETE", bindDoc, binds, `{}`, "", 401},
		{"DELETE", bindDoc, binds, `{}`, sel, 403},
		{"GET", "/api/v1/health", "/api/v1/health", "", viewer, 200},
		{"GET", "/api/v1/health", "/api/v1/health", "", "", 401},
		{"GET", groupHealthDoc, "/api/v1/groups/" + id(groups[0].ID, 10) + "/health?days=30", "", viewer, 200},
		{"GET", groupHealthDoc, "/api/v1/groups/" + id(groups[0].ID, 10) + "/health?days=0", "", viewer, 400},
		{"GET", groupHealthDoc, "/api/v1/groups/999999/health", "", viewer, 404},
		{"GET", groupHealthDoc, "/api/v1/groups/1/health", "", "", 401},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{"group_id":` + id(groups[0].ID, 10) + `,"day":"2026-11-02","kind":"bought_members","members":100,"unit_fen":1000}`, admin, 201},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{"costs":[{"campaign":"春节","day":"2026-11-03","kind":"红包","amount_fen":888},{"campaign":"春节","day":"2026-11-03","kind":"ads","amount_fen":5000}]}`, admin, 201},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{"costs":[{"campaign":"春节","day":"2026-11-03","kind":"ads","amount_fen":1},{"campaign":"春节","day":"2026-11-03","kind":"ads","amount_fen":-1}]}`, admin, 400},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{"day":"11/03","kind":"ads","amount_fen":1,"campaign":"x"}`, admin, 400},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{"day":"2026-11-03","kind":"ads","amount_fen":1}`, admin, 400},
		{"POST", "/api/v1/costs", "/api/v1/costs", `not json`, admin, 400},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{}`, "", 401},
		{"POST", "/api/v1/costs", "/api/v1/costs", `{}`, sel, 403},
		{"GET", "/api/v1/costs", "/api/v1/costs", "", admin, 200},
		{"GET", "/api/v1/costs", "/api/v1/costs?from=2026-11-03&to=2026-11-03&campaign=春节", "", admin, 200},
		{"GET", "/api/v1/costs", "/api/v1/costs?from=yesterday", "", admin, 400},
		{"GET", "/api/v1/costs", "/api/v1/costs", "", "", 401},
		{"GET", "/api/v1/costs", "/api/v1/costs", "", sel, 403},
		{"GET", "/api/v1/simulate", "/api/v1/simulate?months=12", "", admin, 200},
		{"GET", "/api/v1/simulate", "/api/v1/simulate?defaults=1&budget_fen=500000&reinvest_bp=10000&fan_price_fen=800", "", admin, 200},
		{"GET", "/api/v1/simulate", "/api/v1/simulate?months=500", "", admin, 400},
		{"GET", "/api/v1/simulate", "/api/v1/simulate?fan_price_fen=x", "", admin, 400},
		{"GET", "/api/v1/simulate", "/api/v1/simulate", "", "", 401},
		{"GET", "/api/v1/simulate", "/api/v1/simulate", "", sel, 403},
		{"GET", "/api/v1/boss", "/api/v1/boss?period=month&by=group&date=2026-11-20&sort=cac&order=asc", "", admin, 200},
		{"GET", "/api/v1/boss", "/api/v1/boss?by=tag&period=week", "", admin, 200},
		{"GET", "/api/v1/boss", "/api/v1/boss?period=year", "", admin, 400},
		{"GET", "/api/v1/boss", "/api/v1/boss", "", "", 401},
		{"GET", "/api/v1/boss", "/api/v1/boss", "", sel, 403},
		{"GET", "/api/v1/boss/export", "/api/v1/boss/export?format=xlsx&date=2026-11", "", admin, 200},
		{"GET", "/api/v1/boss/export", "/api/v1/boss/export?format=pdf", "", admin, 400},
		{"GET", "/api/v1/boss/export", "/api/v1/boss/export", "", "", 401},
		{"GET", "/api/v1/boss/export", "/api/v1/boss/export", "", sel, 403},
		// The agents (the demo's tree), their statements, rules, payouts.
		{"GET", "/api/v1/agents", "/api/v1/agents", "", admin, 200},
		{"GET", "/api/v1/agents", "/api/v1/agents", "", "", 401},
		{"GET", "/api/v1/agents", "/api/v1/agents", "", viewer, 403},
		{"GET", agentDoc, agentPath, "", admin, 200},
		{"GET", agentDoc, agentPath + "?month=2026-10", "", admin, 200},
		{"GET", agentDoc, agentPath + "?month=10-2026", "", admin, 400},
		{"GET", agentDoc, "/api/v1/agents/999999", "", admin, 404},
		{"GET", agentDoc, agentPath, "", "", 401},
		{"GET", agentDoc, agentPath, "", viewer, 403},
		{"GET", statementDoc, agentPath + "/statement?month=2026-11", "", admin, 200},
		{"GET", statementDoc, agentPath + "/statement?month=x", "", admin, 400},
		{"GET", statementDoc, "/api/v1/agents/999999/statement", "", admin, 404},
		{"GET", statementDoc, agentPath + "/statement", "", "", 401},
		{"GET", statementDoc, agentPath + "/statement", "", viewer, 403},
		{"GET", "/api/v1/share_rules", "/api/v1/share_rules", "", admin, 200},
		{"GET", "/api/v1/share_rules", "/api/v1/share_rules", "", "", 401},
		{"GET", "/api/v1/share_rules", "/api/v1/share_rules", "", viewer, 403},
		{"POST", "/api/v1/payouts", "/api/v1/payouts", `{"min_fen":0}`, admin, 400},
		{"POST", "/api/v1/payouts", "/api/v1/payouts", `{"min_fen":1}`, admin, 201},
		{"POST", "/api/v1/payouts", "/api/v1/payouts", `{"min_fen":1}`, admin, 409},
		{"POST", "/api/v1/payouts", "/api/v1/payouts", `{}`, "", 401},
		{"POST", "/api/v1/payouts", "/api/v1/payouts", `{}`, viewer, 403},
		{"GET", "/api/v1/payouts", "/api/v1/payouts", "", admin, 200},
		{"GET", "/api/v1/payouts", "/api/v1/payouts", "", "", 401},
		{"GET", "/api/v1/payouts", "/api/v1/payouts", "", viewer, 403},
		{"POST", paidDoc, "/api/v1/payouts/999999/paid", `{"paid_by":"王会计"}`, admin, 404},
		{"POST", paidDoc, openPayout, `{"paid_by":" "}`, admin, 400},
		{"POST", paidDoc, openPayout, `{"paid_by":"王会计"}`, admin, 200},
		{"POST", paidDoc, openPayout, `{"paid_by":"王会计"}`, admin, 409},
		{"POST", paidDoc, openPayout, `{}`, "", 401},
		{"POST", paidDoc, openPayout, `{}`, viewer, 403},
		{"GET", "/api/v1/economics", "/api/v1/economics", "", admin, 200},
		{"GET", "/api/v1/economics", "/api/v1/economics?by=cohort&period=month&from=2026-06-01&to=2026-11-30&curves=1", "", admin, 200},
		{"GET", "/api/v1/economics", "/api/v1/economics?by=tag", "", admin, 200},
		{"GET", "/api/v1/economics", "/api/v1/economics?by=operator", "", admin, 200},
		{"GET", "/api/v1/economics", "/api/v1/economics?by=source", "", admin, 200},
		{"GET", "/api/v1/economics", "/api/v1/economics?by=shop", "", admin, 400},
		{"GET", "/api/v1/economics", "/api/v1/economics?from=2020-01-01&to=2026-01-01", "", admin, 400},
		{"GET", "/api/v1/economics", "/api/v1/economics", "", "", 401},
		{"GET", "/api/v1/economics", "/api/v1/economics", "", sel, 403},
		{"GET", "/api/v1/survival", "/api/v1/survival", "", admin, 200},
		{"GET", "/api/v1/survival", "/api/v1/survival?from=x", "", admin, 400},
		{"GET", "/api/v1/survival", "/api/v1/survival", "", "", 401},
		{"GET", "/api/v1/survival", "/api/v1/survival", "", sel, 403},
		{"GET", "/api/v1/join-codes", "/api/v1/join-codes", "", admin, 200},
		{"GET", "/api/v1/join-codes", "/api/v1/join-codes", "", "", 401},
		{"GET", "/api/v1/join-codes", "/api/v1/join-codes", "", sel, 403},
		{"POST", "/api/v1/join-codes", "/api/v1/join-codes", `{"code":"api-code","name":"接口活码","campaign":"双12","group_ids":[` + id(groups[0].ID, 10) + `]}`, admin, 201},
		{"POST", "/api/v1/join-codes", "/api/v1/join-codes", `{"code":"Bad Code","name":"x"}`, admin, 400},
		{"POST", "/api/v1/join-codes", "/api/v1/join-codes", `{"code":"no-group","name":"x","group_ids":[999999]}`, admin, 400},
		{"POST", "/api/v1/join-codes", "/api/v1/join-codes", `{}`, "", 401},
		{"POST", "/api/v1/join-codes", "/api/v1/join-codes", `{}`, sel, 403},
		{"GET", joinDoc, "/api/v1/join-codes/" + id(someJoinCode(t, s), 10), "", admin, 200},
		{"GET", joinDoc, "/api/v1/join-codes/999999", "", admin, 404},
		{"GET", joinDoc, "/api/v1/join-codes/1", "", "", 401},
		{"GET", joinDoc, "/api/v1/join-codes/1", "", sel, 403},

		{"GET", "/api/v1/cohorts", "/api/v1/cohorts", "", viewer, 403},
		{"GET", "/api/v1/cohorts", "/api/v1/cohorts?kind=retention&periods=26", "", admin, 200},
		{"GET", "/api/v1/cohorts", "/api/v1/cohorts?kind=repurchase", "", admin, 200},
		{"GET", "/api/v1/cohorts", "/api/v1/cohorts?kind=daily", "", admin, 400},
		{"GET", "/api/v1/cohorts", "/api/v1/cohorts", "", "", 401},
		{"GET", "/api/v1/rfm", "/api/v1/rfm", "", admin, 200},
		{"GET", "/api/v1/rfm", "/api/v1/rfm", "", "", 401},
		{"GET", "/api/v1/rfm", "/api/v1/rfm", "", sel, 403},
		{"GET", "/api/v1/rfm/members", "/api/v1/rfm/members?segment=hibernating&limit=5", "", admin, 200},
		{"GET", "/api/v1/rfm/members", "/api/v1/rfm/members", "", admin, 400},
		{"GET", "/api/v1/rfm/members", "/api/v1/rfm/members?segment=champions&limit=0", "", admin, 400},
		{"GET", "/api/v1/rfm/members", "/api/v1/rfm/members?segment=champions", "", "", 401},
		{"GET", "/api/v1/rfm/members", "/api/v1/rfm/members?segment=champions", "", sel, 403},
		// Last: it changes the plans.
		{"DELETE", planDoc, "/api/v1/plans/" + id(plan.ID, 10), "", admin, 200},
		{"DELETE", planDoc, "/api/v1/plans/" + id(plan.ID, 10), "", admin, 404},
		{"DELETE", planDoc, "/api/v1/plans/1", "", "", 401},
		{"DELETE", planDoc, "/api/v1/plans/1", "", sel, 403},
	}
	cases = append(cases, campaignContractCases(t, s, groups[0].ID)...)
	return cases
}

// TestEveryAPIRouteDocumented: the routes the server registers under
// /api/v1 (read from this package's source) are exactly those that the
// documented paths reach in its mux.
func TestEveryAPIRouteDocumented(t *testing.T) {
	registered := apiRoutesInSource(t)
	if len(registered) < 15 {
		t.Fatalf("found only %d /api/v1 routes in the source: %v", len(registered), registered)
	}
	doc, err := parseAPIDoc(openapiJSON)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t)
	reached := map[string]bool{}
	fill := strings.NewReplacer("{platform}", "jd", "{id}", "1", "{kind}", "hot")
	for path, ops := range doc.root["paths"].(map[string]any) {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method := range ops.(map[string]any) {
			req := httptest.NewRequest(strings.ToUpper(method), fill.Replace(path), nil)
			_, pattern := s.mux.Handler(req)
			if !slices.Contains(registered, pattern) {
				t.Errorf("documented %s %s is served by %q, not by an /api/v1 route", strings.ToUpper(method), path, pattern)
			}
			reached[pattern] = true
		}
	}
	for _, r := range registered {
		if !reached[r] {
			t.Errorf("route %q is not in openapi.json", r)
		}
	}
}

// apiRoutesInSource returns the patterns under /api/v1 that the package's
// code passes to Handle or HandleFunc.
func apiRoutesInSource(t *testing.T) []string {
	t.Helper()
	fset := gotoken.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			lit, isLit := call.Args[0].(*ast.BasicLit)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") || !isLit || lit.Kind != gotoken.STRING {
				return true
			}
			if p, err := strconv.Unquote(lit.Value); err == nil && strings.Contains(p, " /api/v1/") {
				out = append(out, p)
			}
			return true
		})
	}
	sort.Strings(out)
	return out
}

// TestOpenAPISchemasClosed: every object an answer documents lists all its
// fields as required and allows no others, so "documented" and "sent" are
// the same set (the answers are checked against it above).
func TestOpenAPISchemasClosed(t *testing.T) {
	doc, err := parseAPIDoc(openapiJSON)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(schema map[string]any, at string)
	walk = func(schema map[string]any, at string) {
		if ref, ok := schema["$ref"].(string); ok {
			if seen[ref] {
				return
			}
			seen[ref] = true
			at = ref
		}
		s, err := doc.resolve(schema)
		if err != nil {
			t.Fatalf("%s: %v", at, err)
		}
		if props, ok := s["properties"].(map[string]any); ok {
			if s["additionalProperties"] != false {
				t.Errorf("%s: additionalProperties is not false", at)
			}
			required, _ := s["required"].([]any)
			for k, p := range props {
				if !slices.Contains(required, any(k)) {
					t.Errorf("%s: %s is not required (send null instead of leaving it out)", at, k)
				}
				walk(p.(map[string]any), at+"."+k)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(items, at+"[]")
		}
		if extra, ok := s["additionalProperties"].(map[string]any); ok {
			walk(extra, at+".*")
		}
		for _, a := range asList(s["anyOf"]) {
			walk(a.(map[string]any), at)
		}
	}
	for path, ops := range doc.root["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			for status, r := range op.(map[string]any)["responses"].(map[string]any) {
				content, _ := r.(map[string]any)["content"].(map[string]any)
				if j, ok := content["application/json"].(map[string]any); ok {
					walk(j["schema"].(map[string]any), method+" "+path+" "+status)
				}
			}
		}
	}
}

// docAt is the object at keys in the document, or nil.
func docAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
