package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
)

// TestEconomicsDemo: on the demo's groups, members, orders and purchases,
// the economics page shows every cut with members acquired, the share of
// income mapped to members, the payback and survival charts' data; the API
// gives believable figures (a couple of fen a member-day, a bought member's
// cost from the demo's purchases); other roles get 403.
func TestEconomicsDemo(t *testing.T) {
	s, _ := layoutServer(t)
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	signIn(t, s, c, "money", auth.Finance)
	for _, by := range []string{"group", "tag", "operator", "cohort", "source"} {
		resp, body := c.do("GET", "/economics?by="+by, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/economics?by=%s: %d", by, resp.StatusCode)
		}
		for _, want := range []string{`href="/economics" class="on"`, `id="econ-payback"`, `id="econ-survival"`, "能归属到具体成员", "合计"} {
			if !strings.Contains(body, want) {
				t.Errorf("/economics?by=%s lacks %q", by, want)
			}
		}
	}
	// A window with no one in it has no empty charts.
	if resp, body := c.do("GET", "/economics?from=2020-01-01&to=2020-01-31", nil); resp.StatusCode != http.StatusOK ||
		strings.Contains(body, `data-econ-chart`) {
		t.Errorf("/economics on an empty window: %d, with charts", resp.StatusCode)
	}
	resp, body := c.do("GET", "/economics?from=yesterday", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "qk-invalid") {
		t.Errorf("/economics?from=yesterday: %d", resp.StatusCode)
	}

	tok := token(t, s, "fin", auth.Finance)
	var e apiv1.Economics
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/economics?by=source", "", &e); code != http.StatusOK {
		t.Fatalf("api: %d %s", code, body)
	}
	tot := e.Total
	t.Logf("demo: income %d fen, mapped %d bp; total acquired %d, cost %d, per member-day %.2f fen, ltv %d, s30 %v, s90 %v, groups s90 %v",
		e.IncomeFen, e.MappedBP, tot.Acquired, tot.CostFen, tot.IncomePerMemberDayFen, tot.LTVFen, deref(tot.Survival30), deref(tot.Survival90), deref(tot.GroupSurvival90))
	for _, r := range e.Rows {
		t.Logf("  %s: acquired %d cost %d cac %v per-day %.2f ltv %d payback %v cash %v s30 %v", deref(r.SourceLabel), r.Acquired, r.CostFen,
			deref(r.CACFen), r.IncomePerMemberDayFen, r.LTVFen, deref(r.PaybackDays), deref(r.CashPaybackDays), deref(r.Survival30))
	}
	if tot.Acquired == 0 || e.IncomeFen == 0 || e.MappedBP <= 0 || e.MappedBP > 10000 {
		t.Errorf("demo economics: acquired %d, income %d, mapped %d bp", tot.Acquired, e.IncomeFen, e.MappedBP)
	}
	if tot.IncomePerMemberDayFen <= 0 || tot.IncomePerMemberDayFen > 100 {
		t.Errorf("income per member-day %.2f fen: not a couple of fen", tot.IncomePerMemberDayFen)
	}
	var bought *apiv1.EconRow
	for i := range e.Rows {
		if r := &e.Rows[i]; r.Source != nil && *r.Source == "bought" {
			bought = r
		}
	}
	if bought == nil || bought.Acquired == 0 || bought.CACFen == nil {
		t.Errorf("no bought members with a cost in the demo: %+v", bought)
	}

	// The simulator runs on the measured curves: believable, with the
	// ceiling of 20 groups; without it, more members than groups can hold.
	for _, q := range []string{"", "?max_groups=0", "?fan_price_fen=150"} {
		var sim apiv1.Simulation
		if code, body := callAPI(t, c, tok, "GET", "/api/v1/simulate"+q, "", &sim); code != http.StatusOK {
			t.Fatalf("simulate: %d %s", code, body)
		}
		last := sim.Months[len(sim.Months)-1]
		t.Logf("simulate%s: curves %s/%v, %.2f fen/member-day, leave %.1f bp/day, cac %v; month 36 members %d groups %.1f cumulative %d; payback %v irr %v band %v–%v",
			q, sim.Curves, deref(sim.CurveSource), sim.IncomePerMemberDay, sim.LeavePerDayBP, deref(sim.MeasuredCACFen), last.Members, last.GroupsAlive,
			last.CumulativeFen, deref(sim.PaybackMonth), deref(sim.IRR), deref(sim.CumulativeEndP10Fen), deref(sim.CumulativeEndP90Fen))
		t.Logf("  break-even fan price %v fen", deref(sim.BreakEvenFanPriceFen))
		if sim.Curves != "measured" {
			t.Errorf("simulate%s ran on %s", q, sim.Curves)
		}
		// The demo has a handful of groups with bought members: too few
		// for a band, so none, and the run says so.
		if sim.Groups >= sim.MinBandGroups || sim.Band != "thin" || last.CumulativeP10Fen != nil || sim.CumulativeEndP10Fen != nil {
			t.Errorf("simulate%s on %d groups: band %q, month band %v, end band %v", q, sim.Groups, sim.Band,
				deref(last.CumulativeP10Fen), deref(sim.CumulativeEndP10Fen))
		}
		if q == "" && (last.Members > 20*500 || last.GroupsAlive > 20) {
			t.Errorf("ceiling of 20 groups: %d members in %.1f groups", last.Members, last.GroupsAlive)
		}
	}

	// The page: the thin-data warning, Chinese first, and no band column.
	if resp, body := c.do("GET", "/simulate", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "数据太少，不给区间") ||
		strings.Contains(body, "累计区间 p10–p90</th>") {
		t.Errorf("/simulate on the demo: %d, no thin-data warning or a band column", resp.StatusCode)
	}

	signIn(t, s, c, "sel", auth.Selector)
	if resp, _ := c.do("GET", "/economics", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("selector /economics: %d", resp.StatusCode)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
