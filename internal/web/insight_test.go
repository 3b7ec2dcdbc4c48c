package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/insight"
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

// TestSimulateBandPage: with a band, the summary gives the cash at the
// horizon and the payback month p10–p90 and what they mean, and no
// thin-data warning; the chart's scale is the cash lines', the band
// clipped to it and said so; with too few groups, the warning and no band.
func TestSimulateBandPage(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	pg := &page{Lang: i18n.ZH, msgs: msgs}
	i64 := func(v int64) *int64 { return &v }
	pb := 20
	run := apiv1.Simulation{Curves: "measured", Groups: 40, Band: "ok", MinBandGroups: insight.MinBandGroups, Resamples: 200,
		CumulativeEndP10Fen: i64(-5_000_000), CumulativeEndP90Fen: i64(900_000_000), PaybackMonthP10: &pb}
	for m := range 3 {
		run.Months = append(run.Months, apiv1.SimMonth{Month: m, CashOutFen: 100_000, CashInFen: int64(m) * 50_000,
			CumulativeFen: -100_000 + int64(m)*20_000, CumulativeP10Fen: i64(-300_000), CumulativeP90Fen: i64(900_000_000)})
	}
	lines := strings.Join(simulateSummary(pg, run), "\n")
	for _, want := range []string{"第 3 个月末的累计现金（按群抽样 200 次，p10–p90）：-50000.00 – 9000000.00 元",
		"回本月份（p10–p90）：第 21 个月 – 3 个月内未回本", "10 次里有 8 次"} {
		if !strings.Contains(lines, want) {
			t.Errorf("summary lacks %q:\n%s", want, lines)
		}
	}
	if strings.Contains(lines, "数据太少") || strings.Contains(lines, "收益率区间") {
		t.Errorf("summary with a band:\n%s", lines)
	}
	c := newSimulateChart(nil, run)
	if !c.Clipped || c.YMax > 2000 || c.YMin < -2000 || c.YMin > -1000 || len(c.P10) != 3 {
		t.Fatalf("chart scale %.0f..%.0f clipped %v", c.YMin, c.YMax, c.Clipped)
	}
	for i := range c.P10 {
		if c.P10[i] < c.YMin || c.P10[i]+c.P90[i] > c.YMax+1e-9 {
			t.Errorf("month %d band %.0f+%.0f beyond %.0f..%.0f", i, c.P10[i], c.P90[i], c.YMin, c.YMax)
		}
	}
	// A band inside the lines is not clipped.
	for i := range run.Months {
		run.Months[i].CumulativeP10Fen, run.Months[i].CumulativeP90Fen = i64(-90_000), i64(-10_000)
	}
	if c := newSimulateChart(nil, run); c.Clipped {
		t.Errorf("a band within the lines reads as clipped")
	}
	run.Band, run.Groups, run.CumulativeEndP10Fen, run.CumulativeEndP90Fen = "thin", 3, nil, nil
	if got := run.BandLines(pg.T); len(got) != 1 || !strings.Contains(got[0], "只有 3 个群有实测数据，至少要 10 个群") {
		t.Errorf("thin: %q", got)
	}
	if lines := strings.Join(simulateSummary(pg, run), "\n"); strings.Contains(lines, "p10–p90") {
		t.Errorf("thin summary has a band:\n%s", lines)
	}
}
