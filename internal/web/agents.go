package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
)

// agentRoutes are the agents' console and API (issue 15): the tree, an
// agent's or rebate member's page with orders and ledger lines, their
// monthly statements, the share rules and the payout batches. view_agents
// is scoped (agentScope): the agent role sees its own subtree, and any
// other id answers 404 as one that does not exist; rules and payouts need
// manage_agents.
func (s *Server) agentRoutes() {
	view, manage := auth.ViewAgents, auth.ManageAgents
	s.mux.Handle("GET /agents", s.page(view, s.agentsPage))
	s.mux.Handle("GET /agents/{id}", s.page(view, s.agentPage))
	s.mux.Handle("GET /agents/{id}/statement", s.page(view, s.agentStatementFile))
	s.mux.Handle("GET /agents/rules", s.page(manage, s.agentRulesPage))
	s.mux.Handle("POST /agents/rules", s.page(manage, s.agentRulesPage))
	s.mux.Handle("GET /payouts", s.page(manage, s.payoutsPage))
	s.mux.Handle("POST /payouts", s.page(manage, s.payoutsAction))
	s.mux.Handle("GET /api/v1/agents", s.api(view, s.apiAgents))
	s.mux.Handle("GET /api/v1/agents/{id}", s.api(view, s.apiAgent))
	s.mux.Handle("GET /api/v1/agents/{id}/statement", s.api(view, s.apiAgentStatement))
	s.mux.Handle("GET /api/v1/share_rules", s.api(manage, s.apiShareRules))
	s.mux.Handle("GET /api/v1/payouts", s.api(manage, s.apiPayouts))
	s.mux.Handle("POST /api/v1/payouts", s.api(manage, s.apiCreatePayout))
	s.mux.Handle("POST /api/v1/payouts/{id}/paid", s.api(manage, s.apiPayoutPaid))
}

// home is "/": the dashboard for the team, the agents' page for an agent.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	u := sessionFrom(r).User
	switch {
	case u.Role.Can(auth.ViewDashboard):
		s.dashboard(w, r)
	case u.Role.Can(auth.ViewAgents):
		http.Redirect(w, r, "/agents", http.StatusSeeOther)
	default:
		s.fail(w, r, http.StatusForbidden, msg.New("web.forbidden"))
	}
}

// agentScope is what the request's user sees of the agents: everything
// for those who manage them, else (the agent role) their own subtree.
func agentScope(r *http.Request) growth.Scope {
	u := sessionFrom(r).User
	if u.Role.Can(auth.ManageAgents) {
		return growth.Scope{All: true}
	}
	return growth.Scope{Root: u.AgentID}
}

// month reads ?month=2026-11 (this month in the display zone when absent):
// the month's first instant and the next month's.
func (s *Server) month(r *http.Request) (from, to time.Time, text string, err error) {
	text = strings.TrimSpace(r.URL.Query().Get("month"))
	if text == "" {
		text = s.now().In(s.zone).Format("2006-01")
	}
	from, err = ledger.ParseMonth(text, s.zone)
	if err != nil {
		return from, from, text, err
	}
	return from, from.AddDate(0, 1, 0), text, nil
}

type agentsView struct {
	*growth.AgentsPage
	Scoped bool
	Month  string
}

func (s *Server) agentsPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/agents", "agents.title")
	sc := agentScope(r)
	pg, err := s.agents.Page(r.Context(), sc)
	if err != nil {
		s.serverError(w, r, "agents", err)
		return
	}
	p.Data = &agentsView{AgentsPage: pg, Scoped: !sc.All, Month: s.now().In(s.zone).Format("2006-01")}
	s.render(w, http.StatusOK, "agents", p)
}

type agentView struct {
	*growth.Person
	Month, Prev, Next string
	Scoped            bool
}

// Label is a ledger code's name in the page's language (kind, reason,
// source).
func (p *page) Ledger(what, code string) string { return ledger.Label(p.Lang, what, code) }

func (s *Server) agentPage(w http.ResponseWriter, r *http.Request) {
	id := memberID(r)
	from, to, month, err := s.month(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	sc := agentScope(r)
	person, err := s.agents.Person(r.Context(), sc, id, from, to)
	if errors.Is(err, growth.ErrNotVisible) {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "agent", err)
		return
	}
	p := s.newPage(w, r, "/agents", "agents.person_title")
	p.Title = person.Name + " · " + p.Title
	p.Data = &agentView{Person: person, Month: month, Prev: from.AddDate(0, -1, 0).Format("2006-01"), Next: to.Format("2006-01"), Scoped: !sc.All}
	s.render(w, http.StatusOK, "agent", p)
}

// agentStatementFile is the month's statement as a download: ?format=csv
// (default) or xlsx.
func (s *Server) agentStatementFile(w http.ResponseWriter, r *http.Request) {
	id := memberID(r)
	from, to, month, err := s.month(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, http.StatusBadRequest, msg.New("ledger.bad_format", format))
		return
	}
	st, name, err := s.agents.Statement(r.Context(), agentScope(r), id, from, to)
	if errors.Is(err, growth.ErrNotVisible) {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "statement", err)
		return
	}
	l := lang(w, r)
	file := "statement-" + strconv.FormatInt(id, 10) + "-" + month + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		err = st.WriteXLSX(w, l, s.zone, name)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		err = st.WriteCSV(w, l, s.zone, name)
	}
	if err != nil {
		s.log.Warn("statement download", "member", id, "err", err)
	}
}

type rulesView struct {
	Agent, Member []int64 // bps per level
	Levels        int     // rows of the form
	MaxLevels     int
	Message       string
	Error         string
}

// agentRulesPage shows and (POST) saves the share rules: the agents'
// levels (agent_bp1..3, in percent with up to two decimals) and the
// members' rebate (member_bp1).
func (s *Server) agentRulesPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/agents/rules", "agents.rules_title")
	view := &rulesView{MaxLevels: growth.MaxLevels, Levels: growth.MaxLevels}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if err := s.saveRules(r); err != nil {
			view.Error, status = p.Err(err), http.StatusBadRequest
		} else {
			view.Message = p.T("agents.rules_saved")
		}
	}
	agent, member, err := s.agents.Rules(r.Context())
	if err != nil {
		s.serverError(w, r, "rules", err)
		return
	}
	view.Agent, view.Member = pad(agent.Bps, growth.MaxLevels), pad(member.Bps, 1)
	p.Data = view
	s.render(w, status, "agentrules", p)
}

func pad(b []int64, n int) []int64 {
	out := make([]int64, n)
	copy(out, b)
	return out
}

// saveRules reads the rules form: percents, empty or 0 ending the levels.
func (s *Server) saveRules(r *http.Request) error {
	read := func(prefix string, n int) ([]int64, error) {
		var out []int64
		for i := 1; i <= n; i++ {
			v := strings.TrimSpace(r.PostFormValue(prefix + strconv.Itoa(i)))
			if v == "" {
				break
			}
			bp, why := cells.Percent(v)
			if why != "" {
				return nil, msg.New("agents.bad_percent", i, v)
			}
			if bp == 0 {
				break
			}
			out = append(out, bp)
		}
		return out, nil
	}
	a, err := read("agent_", growth.MaxLevels)
	if err != nil {
		return err
	}
	m, err := read("member_", 1)
	if err != nil {
		return err
	}
	return s.agents.SetRules(r.Context(), growth.Rules{Kind: growth.AgentRules, Bps: a}, growth.Rules{Kind: growth.MemberRules, Bps: m})
}

type payoutsView struct {
	Payouts []ledger.Payout
	Names   map[int64]string
	By      string
	Message string
	Error   string
}

func (s *Server) payoutsPage(w http.ResponseWriter, r *http.Request) {
	s.renderPayouts(w, r, http.StatusOK, &payoutsView{})
}

func (s *Server) renderPayouts(w http.ResponseWriter, r *http.Request, status int, view *payoutsView) {
	p := s.newPage(w, r, "/payouts", "payouts.title")
	ps, names, err := s.agents.Payouts(r.Context())
	if err != nil {
		s.serverError(w, r, "payouts", err)
		return
	}
	view.Payouts, view.Names, view.By = ps, names, sessionFrom(r).User.DisplayName
	p.Data = view
	s.render(w, status, "payouts", p)
}

// payoutsAction is the payouts page's forms: action=create with min (yuan),
// action=paid with id and by (the person who paid; Qunke moves no money).
func (s *Server) payoutsAction(w http.ResponseWriter, r *http.Request) {
	view := &payoutsView{}
	t := s.textIn(w, r)
	var err error
	switch r.PostFormValue("action") {
	case "create":
		min, why := cells.Money(strings.TrimSpace(r.PostFormValue("min")))
		if why != "" || min <= 0 {
			err = ledger.ErrPayoutBadMin
			break
		}
		var po *ledger.Payout
		if po, err = s.agents.Ledger.CreatePayout(r.Context(), min, s.now()); err == nil {
			view.Message = t(msg.New("payouts.created", po.ID, len(po.Lines), cells.Yuan(po.Total)))
		}
	case "paid":
		id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		var po *ledger.Payout
		if po, err = s.agents.Ledger.MarkPaid(r.Context(), id, r.PostFormValue("by"), s.now()); err == nil {
			view.Message = t(msg.New("payouts.marked", po.ID, po.PaidBy))
		}
	default:
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	status := http.StatusOK
	if err != nil {
		var m *msg.Error
		if !errors.As(err, &m) {
			s.serverError(w, r, "payouts", err)
			return
		}
		view.Error, status = t(err), http.StatusBadRequest
		if errors.Is(err, ledger.ErrNoPayout) {
			status = http.StatusNotFound
		}
	}
	s.renderPayouts(w, r, status, view)
}

// apiAgents is GET /api/v1/agents: the agents the caller sees, depth first.
func (s *Server) apiAgents(w http.ResponseWriter, r *http.Request) {
	pg, err := s.agents.Page(r.Context(), agentScope(r))
	if err != nil {
		s.apiInternal(w, r, "api agents", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewAgentRows(pg.Rows))
}

// apiAgent is GET /api/v1/agents/{id}?month=: one agent or rebate member.
func (s *Server) apiAgent(w http.ResponseWriter, r *http.Request) {
	from, to, _, err := s.month(r)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	person, err := s.agents.Person(r.Context(), agentScope(r), memberID(r), from, to)
	if errors.Is(err, growth.ErrNotVisible) {
		s.apiFail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.apiInternal(w, r, "api agent", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewAgentDetail(person, s.zone))
}

// apiAgentStatement is GET /api/v1/agents/{id}/statement?month=.
func (s *Server) apiAgentStatement(w http.ResponseWriter, r *http.Request) {
	from, to, _, err := s.month(r)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	st, _, err := s.agents.Statement(r.Context(), agentScope(r), memberID(r), from, to)
	if errors.Is(err, growth.ErrNotVisible) {
		s.apiFail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.apiInternal(w, r, "api statement", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewStatement(st, s.zone))
}

// apiShareRules is GET /api/v1/share_rules: the agents' and the members'.
func (s *Server) apiShareRules(w http.ResponseWriter, r *http.Request) {
	agent, member, err := s.agents.Rules(r.Context())
	if err != nil {
		s.apiInternal(w, r, "api rules", err)
		return
	}
	writeJSON(w, http.StatusOK, []apiv1.ShareRules{apiv1.NewShareRules(agent), apiv1.NewShareRules(member)})
}

func (s *Server) apiPayouts(w http.ResponseWriter, r *http.Request) {
	ps, _, err := s.agents.Payouts(r.Context())
	if err != nil {
		s.apiInternal(w, r, "api payouts", err)
		return
	}
	out := []apiv1.Payout{}
	for i := range ps {
		out = append(out, apiv1.NewPayout(&ps[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiCreatePayout is POST /api/v1/payouts {"min_fen": 1000}: 201 with the
// batch; 409 while another is open or when nobody is owed that much.
func (s *Server) apiCreatePayout(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MinFen int64 `json:"min_fen"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	po, err := s.agents.Ledger.CreatePayout(r.Context(), req.MinFen, s.now())
	if err != nil {
		s.payoutFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiv1.NewPayout(po))
}

// apiPayoutPaid is POST /api/v1/payouts/{id}/paid {"paid_by": "王会计"}.
func (s *Server) apiPayoutPaid(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PaidBy string `json:"paid_by"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	po, err := s.agents.Ledger.MarkPaid(r.Context(), memberID(r), req.PaidBy, s.now())
	if err != nil {
		s.payoutFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewPayout(po))
}

func (s *Server) payoutFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ledger.ErrNoPayout):
		s.apiFail(w, r, http.StatusNotFound, err)
	case errors.Is(err, ledger.ErrPayoutBadMin), errors.Is(err, ledger.ErrPayoutNoBy):
		s.apiFail(w, r, http.StatusBadRequest, err)
	case errors.Is(err, ledger.ErrPayoutOpen), errors.Is(err, ledger.ErrPayoutEmpty), errors.Is(err, ledger.ErrPayoutPaid):
		s.apiFail(w, r, http.StatusConflict, err)
	default:
		s.apiInternal(w, r, "api payout", err)
	}
}

func (s *Server) apiInternal(w http.ResponseWriter, r *http.Request, where string, err error) {
	s.log.Error(where, "err", err)
	s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
}

// PctBP shows basis points as a percent (1550 -> 15.50%).
func (p *page) PctBP(bp int64) string { return cells.PercentBP(bp) }

// Indent marks a tree row's depth.
func (p *page) Indent(depth int) string { return strings.Repeat("　", depth-1) + "└" }

// SourceRef names what a ledger posting came from for people: the order's
// platform and trade id, or the payout batch, never the raw source key.
func (p *page) SourceRef(key string) string {
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 3 && parts[0] == "order":
		return p.T("platform."+orders.Family(parts[1])) + " " + parts[2]
	case len(parts) == 2 && parts[0] == "payout":
		if id, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
			return p.T("payouts.batch", id)
		}
	}
	return key
}
