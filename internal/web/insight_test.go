package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestSimulatePage: finance and admin see the simulator with the defaults
// said to be defaults, the plan from the sliders, the chart's data and a
// row per month; a slider out of range is marked and the page still
// answers; other roles get 403 and no menu entry.
func TestSimulatePage(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	signIn(t, s, c, "money", auth.Finance)
	resp, body := c.do("GET", "/simulate?budget=20000&reinvest=0&price=1&months=12", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/simulate: %d", resp.StatusCode)
	}
	for _, want := range []string{`href="/simulate" class="on"`, "曲线：默认假设", `name="budget" min="0" max="200000" step="1000" value="20000"`,
		`id="simulate-chart"`, "个月回本", "保本粉价", "<td>12</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("/simulate lacks %q", want)
		}
	}
	if strings.Contains(body, "<td>13</td>") {
		t.Error("/simulate shows more months than asked")
	}
	resp, body = c.do("GET", "/simulate?price=0", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "qk-invalid") || !strings.Contains(body, "超出范围") {
		t.Errorf("/simulate?price=0: %d", resp.StatusCode)
	}
	for _, role := range []auth.Role{auth.Selector, auth.Operator, auth.Viewer} {
		c := newClient(t, srv)
		signIn(t, s, c, "no-"+string(role), role)
		if resp, body := c.do("GET", "/simulate", nil); resp.StatusCode != http.StatusForbidden || strings.Contains(body, `href="/simulate"`) {
			t.Errorf("%s /simulate: %d", role, resp.StatusCode)
		}
	}
}

// TestCostsAPI: a batch with one bad cost stores nothing and names the cost
// and its field, in the reader's language; a good batch is stored and read
// back in the period asked for.
func TestCostsAPI(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	tok := token(t, s, "money", auth.Finance)
	var fail struct {
		Error string `json:"error"`
		Field string `json:"field"`
		Index int    `json:"index"`
	}
	bad := `{"costs":[{"campaign":"春节","day":"2026-11-03","kind":"ads","amount_fen":100},
		{"campaign":"春节","day":"2026-11-03","kind":"bought_members","members":10,"unit_fen":1000,"amount_fen":9000}]}`
	if code, body := callAPI(t, c, tok, "POST", "/api/v1/costs", bad, &fail); code != http.StatusBadRequest ||
		fail.Field != "amount_fen" || fail.Index != 1 || !strings.Contains(fail.Error, "不符") {
		t.Fatalf("bad batch: %d %s", code, body)
	}
	var got struct {
		Costs []struct {
			Kind      string `json:"kind"`
			AmountFen int64  `json:"amount_fen"`
		} `json:"costs"`
		TotalFen int64 `json:"total_fen"`
	}
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/costs", "", &got); code != http.StatusOK || len(got.Costs) != 0 {
		t.Fatalf("after a bad batch: %d %s", code, body)
	}
	good := `{"costs":[{"campaign":"春节","day":"2026-11-03","kind":"广告投放","amount_fen":100},
		{"campaign":"春节","day":"2026-11-04","kind":"bought_members","members":10,"unit_fen":1000}]}`
	if code, body := callAPI(t, c, tok, "POST", "/api/v1/costs", good, nil); code != http.StatusCreated {
		t.Fatalf("good batch: %d %s", code, body)
	}
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/costs?from=2026-11-04&to=2026-11-30", "", &got); code != http.StatusOK ||
		len(got.Costs) != 1 || got.Costs[0].Kind != "bought_members" || got.TotalFen != 10_000 {
		t.Fatalf("November 4 on: %d %s", code, body)
	}
}
