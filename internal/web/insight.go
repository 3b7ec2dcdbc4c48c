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

// simulateParams reads a plan from the query (defaults: 10,000 yuan a
// month, half reinvested, 10 yuan a member, 36 months) and checks it.
func simulateParams(r *http.Request) (insight.Plan, bool, error) {
	q := r.URL.Query()
	plan := insight.Plan{BudgetFen: 1_000_000, ReinvestBP: 5000, FanPriceFen: 1000, Months: 36}
	ints := []struct {
		name string
		set  func(int64)
	}{
		{"budget_fen", func(v int64) { plan.BudgetFen = float64(v) }},
		{"reinvest_bp", func(v int64) { plan.ReinvestBP = v }},
		{"fan_price_fen", func(v int64) { plan.FanPriceFen = float64(v) }},
		{"months", func(v int64) { plan.Months = int(v) }},
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
