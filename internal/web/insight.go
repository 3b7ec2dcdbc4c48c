package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
)

// insightRoutes are the economics' API: the acquisition costs (read with
// ViewOrders, written with ManageOrders: finance and admin) and the
// reinvestment simulator.
func (s *Server) insightRoutes() {
	s.mux.Handle("GET /api/v1/costs", s.api(auth.ViewOrders, s.apiCosts))
	s.mux.Handle("POST /api/v1/costs", s.api(auth.ManageOrders, s.apiAddCosts))
	s.mux.Handle("GET /api/v1/simulate", s.api(auth.ViewOrders, s.apiSimulate))
	s.mux.Handle("GET /simulate", s.page(auth.ViewOrders, s.simulatePage))
}

// apiCosts is GET /api/v1/costs?from=&to=&group_id=&campaign=: the costs of
// those days (both included), by day.
func (s *Server) apiCosts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f insight.CostFilter
	for _, d := range []struct {
		name string
		dst  *time.Time
		next bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		t, ok := insight.ParseDay(v)
		if !ok {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("insight.bad_param", d.name, msg.New("insight.cost_bad_date", v)))
			return
		}
		if d.next {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t
	}
	if v := q.Get("group_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("insight.bad_param", "group_id", msg.New("insight.want_group_id")))
			return
		}
		f.GroupID = id
	}
	f.Campaign = q.Get("campaign")
	cs, err := s.costs.Costs(r.Context(), f)
	if err != nil {
		s.log.Error("api costs", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	text := s.textIn(w, r)
	writeJSON(w, http.StatusOK, apiv1.NewCosts(cs, func(k insight.CostKind) string { return text(msg.New(k.LabelKey())) }))
}

// maxCostsBody bounds POST /api/v1/costs: 1,000 costs with notes.
const maxCostsBody = 1 << 20

// apiAddCosts is POST /api/v1/costs: one cost, or several in "costs", added
// together or not at all; 201 with the costs stored, 400 naming the field
// (and the cost's place, "#n") of the first bad one.
func (s *Server) apiAddCosts(w http.ResponseWriter, r *http.Request) {
	text := s.textIn(w, r)
	fail := func(err error, field string, index int) {
		body := map[string]any{"error": text(err), "field": nil, "index": nil}
		if field != "" {
			body["field"], body["index"] = field, index
		}
		writeJSON(w, http.StatusBadRequest, body)
	}
	var in apiv1.CostInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxCostsBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		fail(msg.Wrap(err, "insight.api_body", err), "", 0)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		fail(msg.New("web.body_single"), "", 0)
		return
	}
	list := in.Costs
	if len(list) == 0 {
		list = []apiv1.CostInput{in}
	} else if in.Kind != "" || in.Day != "" || in.AmountFen != 0 {
		fail(msg.New("insight.api_one_or_list"), "", 0)
		return
	}
	if len(list) > 1000 {
		fail(msg.New("insight.import_too_many", 1000), "", 0)
		return
	}
	costs := make([]insight.Cost, len(list))
	for i, c := range list {
		if len(c.Costs) > 0 {
			fail(msg.New("insight.api_one_or_list"), "", 0)
			return
		}
		day, ok := insight.ParseDay(c.Day)
		if !ok {
			fail(msg.New("insight.cost_bad_date", c.Day), "day", i)
			return
		}
		costs[i] = insight.Cost{GroupID: c.GroupID, Campaign: c.Campaign, Day: day, Kind: insight.CostKind(c.Kind),
			Members: c.Members, UnitFen: c.UnitFen, AmountFen: c.AmountFen, Note: c.Note}
		if k, ok := insight.ParseKind(c.Kind); ok {
			costs[i].Kind = k
		}
		if err := costs[i].Normalize(); err != nil {
			var fe *insight.FieldError
			if errors.As(err, &fe) {
				field := map[string]string{"group": "group_id", "unit": "unit_fen", "amount": "amount_fen"}[fe.Field]
				if field == "" {
					field = fe.Field
				}
				fail(fe.Msg, field, i)
				return
			}
			fail(err, "", 0)
			return
		}
	}
	if err := s.costs.AddCosts(r.Context(), costs); err != nil {
		s.log.Error("api add costs", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusCreated, apiv1.NewCosts(costs, func(k insight.CostKind) string { return text(msg.New(k.LabelKey())) }))
}

// apiSimulate is GET /api/v1/simulate?budget_fen=&reinvest_bp=&fan_price_fen=&months=&defaults=1:
// the reinvestment simulator over the team's measured curves (or the
// defaults), with its band.
func (s *Server) apiSimulate(w http.ResponseWriter, r *http.Request) {
	plan, useDefaults, err := simulateParams(r)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	run, err := s.simulator.Run(r.Context(), plan, insight.RunOptions{Defaults: useDefaults, Now: s.now()})
	if err != nil {
		s.log.Error("api simulate", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewSimulation(plan, run))
}

// DefaultMaxGroups is the simulator's growth ceiling unless one is set:
// twenty groups of 500.
const DefaultMaxGroups = 20

// simulateParams reads a plan from the query (defaults: 10,000 yuan a
// month, half reinvested, 10 yuan a member, 36 months, at most 20 groups)
// and checks it.
func simulateParams(r *http.Request) (insight.Plan, bool, error) {
	q := r.URL.Query()
	plan := insight.Plan{BudgetFen: 1_000_000, ReinvestBP: 5000, FanPriceFen: 1000, Months: 36, MaxGroups: DefaultMaxGroups}
	ints := []struct {
		name string
		set  func(int64)
	}{
		{"budget_fen", func(v int64) { plan.BudgetFen = float64(v) }},
		{"reinvest_bp", func(v int64) { plan.ReinvestBP = v }},
		{"fan_price_fen", func(v int64) { plan.FanPriceFen = float64(v) }},
		{"months", func(v int64) { plan.Months = int(v) }},
		{"max_groups", func(v int64) { plan.MaxGroups = int(min(v, insight.MaxGroupsLimit+1)) }},
	}
	for _, p := range ints {
		v := strings.TrimSpace(q.Get(p.name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1e12 {
			return plan, false, msg.New("insight.bad_param", p.name, msg.New("insight.plan_bad"))
		}
		p.set(n)
	}
	return plan, q.Get("defaults") == "1", plan.Check()
}

// simulateView is the /simulate page: the plan as the sliders show it (in
// yuan and percent), the run, and its chart's data.
type simulateView struct {
	Budget, Reinvest, Price, Months int64 // yuan, percent, yuan, months
	MaxGroups                       int64 // the growth ceiling, groups
	Run                             apiv1.Simulation
	Chart                           simulateChart
	Summary                         []string // the curves used, payback, break-even price, IRR, the band
	Thin                            string   // the warning when the data are too thin for a band
	Bad                             fieldErrors
}

// simulateSummary says, in the page's language, what the run found.
func simulateSummary(pg *page, r apiv1.Simulation) []string {
	var out []string
	if r.Curves == "measured" {
		out = append(out, pg.T("simulate.measured", r.Groups, r.IncomePerMemberDay, r.LeavePerDayBP/100))
		if r.CurveSource != nil {
			key := "simulate.curve_all"
			if *r.CurveSource == "bought" {
				key = "simulate.curve_bought"
			}
			out = append(out, pg.T(key))
		}
		if r.MeasuredCACFen != nil {
			out = append(out, pg.T("simulate.measured_cac", cells.Yuan(*r.MeasuredCACFen)))
		}
	} else {
		out = append(out, pg.T("simulate.defaults", r.IncomePerMemberDay, r.LeavePerDayBP/100))
	}
	if r.MaxGroups > 0 {
		out = append(out, pg.T("simulate.ceiling", r.MaxGroups, r.GroupCapacity, r.MaxGroups*r.GroupCapacity))
	} else {
		out = append(out, pg.T("simulate.no_ceiling"))
	}
	if r.PaybackMonth != nil {
		out = append(out, pg.T("simulate.payback", *r.PaybackMonth+1))
	} else {
		out = append(out, pg.T("simulate.no_payback", len(r.Months)))
	}
	if r.BreakEvenFanPriceFen != nil {
		out = append(out, pg.T("simulate.break_even", cells.Yuan(*r.BreakEvenFanPriceFen)))
	}
	if r.IRR != nil {
		out = append(out, pg.T("simulate.irr", *r.IRR*100))
	} else {
		out = append(out, pg.T("simulate.no_irr"))
	}
	if r.Band == "ok" {
		out = append(out, r.BandLines(pg.T)...)
	}
	return out
}

// simulateChart is the page's chart: per month, the cumulative cash (and
// its band), cash in and cash out, in yuan. The y-axis (YMin–YMax) is set
// by the cash lines, not the band: the band is clipped to it (P10 its
// base, P90 its width, for the stacked areas) and Clipped says it was.
type simulateChart struct {
	Labels  map[string]string `json:"labels"`
	Months  []string          `json:"months"`
	Cum     []float64         `json:"cum"`
	P10     []float64         `json:"p10"`
	P90     []float64         `json:"p90"`
	CashIn  []float64         `json:"cash_in"`
	CashOut []float64         `json:"cash_out"`
	YMin    float64           `json:"y_min"`
	YMax    float64           `json:"y_max"`
	Clipped bool              `json:"clipped"`
}

// newSimulateChart lays out a run's chart (amounts in yuan).
func newSimulateChart(labels map[string]string, r apiv1.Simulation) simulateChart {
	c := simulateChart{Labels: labels, Months: []string{}, Cum: []float64{}, P10: []float64{}, P90: []float64{}, CashIn: []float64{}, CashOut: []float64{}}
	lo, hi := 0.0, 0.0
	for _, m := range r.Months {
		c.Months = append(c.Months, strconv.Itoa(m.Month+1))
		cum, in, out := float64(m.CumulativeFen)/100, float64(m.CashInFen)/100, float64(m.CashOutFen)/100
		c.Cum, c.CashIn, c.CashOut = append(c.Cum, cum), append(c.CashIn, in), append(c.CashOut, out)
		lo, hi = min(lo, cum, in, out), max(hi, cum, in, out)
	}
	// A margin of a tenth of the lines' range each side, at least one yuan.
	pad := max((hi-lo)/10, 1)
	c.YMin, c.YMax = lo-pad, hi+pad
	if lo == 0 {
		c.YMin = 0
	}
	for _, m := range r.Months {
		if m.CumulativeP10Fen == nil || m.CumulativeP90Fen == nil {
			continue
		}
		p10, p90 := float64(*m.CumulativeP10Fen)/100, float64(*m.CumulativeP90Fen)/100
		if p10 < c.YMin || p90 > c.YMax {
			c.Clipped = true
		}
		p10, p90 = min(max(p10, c.YMin), c.YMax), min(max(p90, c.YMin), c.YMax)
		c.P10, c.P90 = append(c.P10, p10), append(c.P90, p90-p10)
	}
	return c
}

// simulatePage is GET /simulate: the reinvestment simulator with sliders
// (a GET form: it works without script; the script submits on change).
func (s *Server) simulatePage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/simulate", "nav.simulate")
	status, bad := http.StatusOK, fieldErrors{}
	v := &simulateView{Budget: 10000, Reinvest: 50, Price: 10, Months: 36, MaxGroups: DefaultMaxGroups}
	q := r.URL.Query()
	for _, f := range []struct {
		name     string
		dst      *int64
		min, max int64
	}{{"budget", &v.Budget, 0, 10_000_000}, {"reinvest", &v.Reinvest, 0, 100}, {"price", &v.Price, 1, 1000}, {"months", &v.Months, 1, insight.MaxMonths},
		{"groups", &v.MaxGroups, 0, 1000}} {
		raw := strings.TrimSpace(q.Get(f.name))
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < f.min || n > f.max {
			bad.add(&badField{Field: f.name, Key: "simulate.bad_value", Value: raw})
			status = http.StatusBadRequest
			continue
		}
		*f.dst = n
	}
	plan := insight.Plan{BudgetFen: float64(v.Budget * 100), ReinvestBP: v.Reinvest * 100, FanPriceFen: float64(v.Price * 100),
		Months: int(v.Months), MaxGroups: int(v.MaxGroups)}
	run, err := s.simulator.Run(r.Context(), plan, insight.RunOptions{Now: s.now()})
	if err != nil {
		s.serverError(w, r, "simulate", err)
		return
	}
	v.Run, v.Bad = apiv1.NewSimulation(plan, run), bad
	c := newSimulateChart(map[string]string{"cum": pg.T("simulate.cumulative"), "band": pg.T("simulate.band"),
		"in": pg.T("simulate.cash_in"), "out": pg.T("simulate.cash_out"), "clipped": pg.T("simulate.band_clipped_short")}, v.Run)
	v.Chart, v.Summary = c, simulateSummary(pg, v.Run)
	if v.Run.Band == "thin" {
		v.Thin = v.Run.BandLines(pg.T)[0]
	}
	pg.Data = v
	s.render(w, status, "simulate", pg)
}
