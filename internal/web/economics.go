package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
)

// economicsRoutes are the unit economics: the page (finance and admin, as
// the income) and its API.
func (s *Server) economicsRoutes() {
	s.mux.Handle("GET /economics", s.page(auth.ViewOrders, s.economicsPage))
	s.mux.Handle("GET /api/v1/economics", s.api(auth.ViewOrders, s.apiEconomics))
	s.mux.Handle("GET /api/v1/survival", s.api(auth.ViewOrders, s.apiSurvival))
}

// econQuery reads by, period, from and to (dates, both included; default
// the last 180 days) from the query; the error names the parameter.
func (s *Server) econQuery(q url.Values) (insight.EconQuery, error) {
	eq := insight.EconQuery{Now: s.now(), Period: q.Get("period")}
	by, ok := insight.ParseBy(q.Get("by"))
	if !ok {
		return eq, &badField{Field: "by", Key: "econ.bad_by", Value: q.Get("by"), Msg: msg.New("econ.bad_by")}
	}
	eq.By = by
	switch eq.Period {
	case "", "week", "month":
	default:
		return eq, &badField{Field: "period", Key: "econ.bad_period", Value: eq.Period, Msg: msg.New("econ.bad_period")}
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		next bool
	}{{"from", &eq.From, false}, {"to", &eq.To, true}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		t, ok := insight.ParseDay(v)
		if !ok {
			return eq, &badField{Field: d.name, Key: "econ.bad_date", Value: v, Msg: msg.New("insight.cost_bad_date", v)}
		}
		if d.next {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t
	}
	if !eq.From.IsZero() && eq.To.IsZero() {
		eq.To = insight.DayTime(insight.JoinDay(eq.Now) + 1)
	}
	if eq.From.IsZero() && !eq.To.IsZero() {
		eq.From = eq.To.AddDate(0, 0, -180)
	}
	return eq, nil
}

// econFail answers a bad query or a failure of the economics.
func (s *Server) econFail(w http.ResponseWriter, r *http.Request, what string, err error) {
	var bf *badField
	switch {
	case errors.As(err, &bf):
		s.apiFail(w, r, http.StatusBadRequest, msg.New("insight.bad_param", bf.Field, bf.Msg))
	case errors.Is(err, insight.ErrEconWindow):
		s.apiFail(w, r, http.StatusBadRequest, err)
	default:
		s.log.Error(what, "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
	}
}

// sourceLabel is a source's label in the reader's language.
func (s *Server) sourceLabel(w http.ResponseWriter, r *http.Request) func(insight.Source) string {
	text := s.textIn(w, r)
	return func(src insight.Source) string { return text(msg.New(src.LabelKey())) }
}

// apiEconomics is GET /api/v1/economics?by=group|tag|operator|cohort|source
// &period=week|month&from=&to=&curves=1.
func (s *Server) apiEconomics(w http.ResponseWriter, r *http.Request) {
	q, err := s.econQuery(r.URL.Query())
	if err != nil {
		s.econFail(w, r, "api economics", err)
		return
	}
	rep, err := s.economics.Report(r.Context(), q)
	if err != nil {
		s.econFail(w, r, "api economics", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewEconomics(rep, s.sourceLabel(w, r), r.URL.Query().Get("curves") == "1"))
}

// apiSurvival is GET /api/v1/survival?from=&to=: member survival by source
// and the groups' Kaplan–Meier curve.
func (s *Server) apiSurvival(w http.ResponseWriter, r *http.Request) {
	q, err := s.econQuery(r.URL.Query())
	if err != nil {
		s.econFail(w, r, "api survival", err)
		return
	}
	q.By = insight.BySource
	rep, err := s.economics.Report(r.Context(), q)
	if err != nil {
		s.econFail(w, r, "api survival", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewSurvival(rep, s.sourceLabel(w, r), s.textIn(w, r)(msg.New("econ.all_members"))))
}

// econTab is one cut's tab on the page.
type econTab struct {
	Label, URL string
	On         bool
}

// econCells is one row of the page's table, formatted.
type econCells struct {
	Label, Groups, Acquired, Cost, CAC, MemberDays, PerDay, Mapped, S7, S30, S90, LTV, Payback, Cash, GroupS90 string
}

// econView is the /economics page.
type econView struct {
	By, Period, From, To string
	Tabs                 []econTab
	Summary              []string
	Rows                 []econCells
	Total                econCells
	Payback              econPaybackChart
	Survival             econSurvivalChart
	Bad                  fieldErrors
	Charts               bool // someone joined in the window: the curves mean something
}

// econPaybackChart: the cumulative income per acquired member by age (in
// yuan) of the total and the largest segments, each with its CAC.
type econPaybackChart struct {
	Labels map[string]string `json:"labels"`
	Days   []int             `json:"days"`
	Series []econCurve       `json:"series"`
}

type econCurve struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values"`
	CAC    *float64   `json:"cac,omitempty"` // yuan
}

// econSurvivalChart: the share of members still in by age, per source, and
// of groups alive by age (Kaplan–Meier).
type econSurvivalChart struct {
	Labels map[string]string `json:"labels"`
	Days   []int             `json:"days"`
	Series []econCurve       `json:"series"`
}

// economicsPage is GET /economics: the unit economics cut by group, tag,
// operator, cohort or source, the payback chart and the survival curves.
func (s *Server) economicsPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/economics", "nav.economics")
	qv := r.URL.Query()
	status, bad := http.StatusOK, fieldErrors{}
	q, err := s.econQuery(qv)
	if err != nil {
		bad.add(err)
		status = http.StatusBadRequest
		q = insight.EconQuery{Now: s.now(), By: insight.ByGroup}
		if by, ok := insight.ParseBy(qv.Get("by")); ok {
			q.By = by
		}
	}
	reps, err := s.economics.Reports(r.Context(), q, q.By, insight.BySource)
	if errors.Is(err, insight.ErrEconWindow) {
		bad["from"] = "econ.window_too_long"
		status = http.StatusBadRequest
		q.From, q.To = time.Time{}, time.Time{}
		reps, err = s.economics.Reports(r.Context(), q, q.By, insight.BySource)
	}
	if err != nil {
		s.serverError(w, r, "economics", err)
		return
	}
	rep, src := reps[0], reps[1]
	v := &econView{By: string(q.By), Period: rep.Period, From: insight.DayTime(rep.From).Format("2006-01-02"),
		To: insight.DayTime(rep.To - 1).Format("2006-01-02"), Bad: bad}
	for _, by := range insight.Bys {
		u := url.Values{"by": {string(by)}, "from": {v.From}, "to": {v.To}}
		v.Tabs = append(v.Tabs, econTab{Label: pg.T("econ.by." + string(by)), URL: "/economics?" + u.Encode(), On: by == q.By})
	}
	v.Summary = []string{
		pg.T("econ.window", v.From, v.To, rep.Total.Acquired, cells.Yuan(rep.Total.CostFen)),
		pg.T("econ.mapped", cells.Yuan(rep.IncomeFen), cells.Yuan(rep.AttributedFen), cells.PercentBP(rep.MappedBP)),
	}
	if rep.SpreadFen < rep.IncomeFen {
		v.Summary = append(v.Summary, pg.T("econ.unspread", cells.Yuan(rep.IncomeFen-rep.SpreadFen)))
	}
	label := func(row insight.EconRow) string {
		switch {
		case q.By == insight.ByCohort && rep.Period == "month":
			return row.Period + " · " + pg.T(row.Source.LabelKey())
		case q.By == insight.ByCohort:
			return pg.T("econ.week_of", row.Period) + " · " + pg.T(row.Source.LabelKey())
		case q.By == insight.BySource:
			return pg.T(row.Source.LabelKey())
		case q.By == insight.ByTag && row.Key == "":
			return pg.T("econ.no_tag")
		case q.By == insight.ByOperator && row.Key == "":
			return pg.T("econ.no_owner")
		}
		return row.Label
	}
	for _, row := range rep.Rows {
		v.Rows = append(v.Rows, econRowCells(pg, row, label(row)))
	}
	v.Total = econRowCells(pg, rep.Total, pg.T("econ.total"))
	v.Charts = rep.Total.Acquired > 0 || rep.Total.MemberDays > 0

	// The payback chart: the total and the five segments with the most
	// members acquired, a year of ages.
	v.Payback = econPaybackChart{Labels: map[string]string{"cac": pg.T("econ.cac"), "x": pg.T("econ.age_days"),
		"y": pg.T("econ.cumulative")}, Days: []int{}, Series: []econCurve{}}
	for d := range insight.LTVDays {
		v.Payback.Days = append(v.Payback.Days, d)
	}
	curve := func(name string, row insight.EconRow) econCurve {
		c := econCurve{Name: name, Values: make([]*float64, 0, insight.LTVDays)}
		for d := range insight.LTVDays {
			c.Values = append(c.Values, yuanOf(at(row.Cumulative, d)))
		}
		if row.CACFen > 0 {
			c.CAC = yuanOf(float64(row.CACFen))
		}
		return c
	}
	v.Payback.Series = append(v.Payback.Series, curve(pg.T("econ.total"), rep.Total))
	for i, row := range rep.Rows {
		if i >= 5 || row.Acquired == 0 {
			break
		}
		v.Payback.Series = append(v.Payback.Series, curve(label(row), row))
	}
	// Survival: members by source, groups (Kaplan–Meier), over the
	// window's ages.
	ages := len(src.Total.Survival)
	v.Survival = econSurvivalChart{Labels: map[string]string{"x": pg.T("econ.age_days"), "y": pg.T("econ.share_left")},
		Days: []int{}, Series: []econCurve{}}
	for d := range ages {
		v.Survival.Days = append(v.Survival.Days, d)
	}
	share := func(name string, f func(d int) float64) econCurve {
		c := econCurve{Name: name, Values: make([]*float64, 0, ages)}
		for d := range ages {
			c.Values = append(c.Values, round4(f(d)))
		}
		return c
	}
	v.Survival.Series = append(v.Survival.Series, share(pg.T("econ.all_members"), func(d int) float64 { return src.Total.Survival[d] }))
	for _, row := range src.Rows {
		if row.Acquired == 0 {
			continue
		}
		v.Survival.Series = append(v.Survival.Series, share(pg.T(row.Source.LabelKey()), func(d int) float64 { return row.Survival[d] }))
	}
	if len(src.GroupSurvival) > 0 {
		v.Survival.Series = append(v.Survival.Series, share(pg.T("econ.groups_alive"), func(d int) float64 {
			return src.GroupSurvival.At(float64(d))
		}))
	}
	pg.Data = v
	s.render(w, status, "economics", pg)
}

// econRowCells formats a row for the table.
func econRowCells(pg *page, r insight.EconRow, label string) econCells {
	dash := "—"
	c := econCells{Label: label, Groups: fmt.Sprint(r.Groups), Acquired: fmt.Sprint(r.Acquired), Cost: "¥" + cells.Yuan(r.CostFen),
		CAC: dash, MemberDays: fmt.Sprint(r.MemberDays), PerDay: dash, Mapped: dash, S7: percentOf(r.Survival7),
		S30: percentOf(r.Survival30), S90: percentOf(r.Survival90), LTV: dash, Payback: dash, Cash: dash,
		GroupS90: percentOf(r.GroupSurvival90)}
	if r.CACFen > 0 {
		c.CAC = "¥" + cells.Yuan(r.CACFen)
	}
	if r.MemberDays > 0 {
		c.PerDay = pg.T("econ.fen", r.IncomePerMemberDay)
		c.Mapped = cells.PercentBP(r.MappedBP)
		c.LTV = "¥" + cells.Yuan(int64(math.Round(r.LTVFen)))
	}
	if r.CACFen > 0 && r.Acquired > 0 {
		c.Payback, c.Cash = pg.T("econ.never"), pg.T("econ.never")
		if r.PaybackDays >= 0 {
			c.Payback = pg.T("econ.days", r.PaybackDays)
		}
		if r.CashPaybackDays >= 0 {
			c.Cash = pg.T("econ.days", r.CashPaybackDays)
		}
	}
	return c
}

// percentOf shows a share as a percent (— for none).
func percentOf(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return cells.PercentBP(int64(math.Round(v * 10000)))
}

func yuanOf(fen float64) *float64 {
	if math.IsNaN(fen) || math.IsInf(fen, 0) {
		return nil
	}
	y := math.Round(fen) / 100
	return &y
}

func round4(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	r := math.Round(v*10000) / 10000
	return &r
}

func at(c []float64, i int) float64 {
	if i < len(c) {
		return c[i]
	}
	return math.NaN()
}
