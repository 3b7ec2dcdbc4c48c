package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
)

// incomeRoutes are the money pages (收益) and their API: income per group
// and period, the settlement forecast and the orders of no group. They need
// ViewOrders (finance, admin).
func (s *Server) incomeRoutes() {
	s.mux.Handle("GET /income", s.page(auth.ViewOrders, s.incomePage))
	s.mux.Handle("POST /income/attribute", s.page(auth.ManageOrders, s.incomeAttribute))
	s.mux.Handle("GET /api/v1/income", s.api(auth.ViewOrders, s.apiIncome))
	s.mux.Handle("GET /api/v1/income/forecast", s.api(auth.ViewOrders, s.apiForecast))
	s.mux.Handle("GET /api/v1/orders/unattributed", s.api(auth.ViewOrders, s.apiUnattributed))
}

// incomeParams are a money view's query parameters: by (day, week,
// month), from and to (dates, both included; default this month up to
// today) and group (a group id, 0 for the orders of no group; repeatable).
type incomeParams struct {
	Query    orders.IncomeQuery
	By       string
	From, To string // as shown in the form
	Group    string // the form's choice: "", "0" or a group id
}

// maxIncomeSpan is the longest period the money views cover (as
// orders.IncomeQuery allows).
const maxIncomeSpan = 3650 * 24 * time.Hour

func (s *Server) incomeParams(v url.Values) (*incomeParams, error) {
	now := s.now()
	p := &incomeParams{Query: orders.IncomeQuery{Now: now}}
	by, err := orders.ParsePeriod(v.Get("by"))
	if err != nil {
		return nil, &badField{Field: "by", Key: "filter.bad_choice", Value: v.Get("by"), Msg: err}
	}
	p.Query.By, p.By = by, string(by)
	today := now.In(shanghai.Zone)
	from := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, shanghai.Zone)
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, shanghai.Zone)
	if s := strings.TrimSpace(v.Get("from")); s != "" {
		if from, err = time.ParseInLocation("2006-01-02", s, shanghai.Zone); err != nil {
			return nil, &badField{Field: "from", Key: "income.bad_date", Value: s, Msg: msg.New("web.want_date", "2026-01-02")}
		}
	}
	if s := strings.TrimSpace(v.Get("to")); s != "" {
		if to, err = time.ParseInLocation("2006-01-02", s, shanghai.Zone); err != nil {
			return nil, &badField{Field: "to", Key: "income.bad_date", Value: s, Msg: msg.New("web.want_date", "2026-01-31")}
		}
	}
	if to.Before(from) {
		return nil, &badField{Field: "to", Key: "income.bad_range", Value: v.Get("to"), Msg: msg.New("web.end_before_start")}
	}
	if to.Sub(from) > maxIncomeSpan {
		return nil, &badField{Field: "from", Key: "income.bad_span", Value: v.Get("from"), Msg: msg.New("web.span_too_long")}
	}
	p.From, p.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	p.Query.From, p.Query.To = from, to.AddDate(0, 0, 1) // to is included
	for _, g := range v["group"] {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil || id < 0 {
			return nil, &badField{Field: "group", Key: "filter.bad_choice", Value: g, Msg: msg.New("web.want_group")}
		}
		p.Query.Groups = append(p.Query.Groups, id)
		p.Group = g
	}
	return p, nil
}

// incomeChart is the daily chart's data: estimated against settled
// income, in yuan, one point a day.
type incomeChart struct {
	Labels  map[string]string `json:"labels"`
	Days    []string          `json:"days"`
	Est     []float64         `json:"est"`
	Settled []float64         `json:"settled"`
}

type incomeGroupOption struct {
	ID   string
	Name string
}

// incomeRow is a group's income with its name in the reader's language
// (the orders of no group are "未归属" or "No group").
type incomeRow struct {
	orders.IncomeRow
	Name string
}

type incomeView struct {
	P            *incomeParams
	Report       *orders.IncomeReport
	Rows         []incomeRow // the report's summary
	ComingOrders bool        // a coming pay day has orders
	PastOrders   bool        // a past month has orders
	Message      string      // what re-attribution did
	Bad          fieldErrors // the query's fields that cannot be read
	Chart        incomeChart
	Forecast     *orders.Forecast
	Unattributed []orders.AdzoneOrders
	Groups       []incomeGroupOption
}

// incomePage is /income: the period's income per group, the bucket totals,
// a daily chart of estimated against settled income, the settlement
// forecast and the placements of no group.
func (s *Server) incomePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := s.newPage(w, r, "/income", "nav.income")
	status, bad := http.StatusOK, fieldErrors{}
	params, err := s.incomeParams(r.URL.Query())
	if err != nil {
		// The page as it is by default, the bad field marked.
		bad.add(err)
		status = http.StatusBadRequest
		if params, err = s.incomeParams(url.Values{}); err != nil {
			s.serverError(w, r, "income", err)
			return
		}
	}
	st := s.orders
	rep, err := st.Income(ctx, params.Query)
	if err != nil {
		s.serverError(w, r, "income", err) // the query is checked: not the reader's doing
		return
	}
	view := &incomeView{P: params, Report: rep, Message: s.attributed(pg, r.URL.Query()), Bad: bad}
	for _, row := range rep.Summary {
		name := row.GroupName
		if row.GroupID == orders.Unattributed {
			name = pg.T("income.unattributed")
		}
		view.Rows = append(view.Rows, incomeRow{row, name})
	}
	daily := rep
	if params.Query.By != orders.Day {
		q := params.Query
		q.By = orders.Day
		if daily, err = st.Income(ctx, q); err != nil {
			s.serverError(w, r, "income", err)
			return
		}
	}
	view.Chart = incomeChart{Labels: map[string]string{"est": pg.T("income.est"), "settled": pg.T("income.settled")},
		Days: []string{}, Est: []float64{}, Settled: []float64{}}
	for _, b := range daily.Buckets {
		view.Chart.Days = append(view.Chart.Days, b.Label)
		view.Chart.Est = append(view.Chart.Est, float64(b.Total.EstIncome)/100)
		view.Chart.Settled = append(view.Chart.Settled, float64(b.Total.SettledIncome)/100)
	}
	if view.Forecast, err = st.Forecast(ctx, orders.ForecastOptions{Now: s.now()}); err != nil {
		s.serverError(w, r, "income forecast", err)
		return
	}
	for _, c := range view.Forecast.Coming {
		view.ComingOrders = view.ComingOrders || c.Orders > 0
	}
	for _, h := range view.Forecast.History {
		view.PastOrders = view.PastOrders || h.Orders > 0
	}
	if view.Unattributed, err = st.Unattributed(ctx, params.Query.From, params.Query.To); err != nil {
		s.serverError(w, r, "income unattributed", err)
		return
	}
	groups, err := st.Groups(ctx)
	if err != nil {
		s.serverError(w, r, "income groups", err)
		return
	}
	for _, g := range groups {
		view.Groups = append(view.Groups, incomeGroupOption{strconv.FormatInt(g.ID, 10), g.Name})
	}
	slices.SortFunc(view.Groups, func(a, b incomeGroupOption) int { return strings.Compare(a.Name, b.Name) })
	pg.Data = view
	s.render(w, status, "income", pg)
}

// incomeAttribute is the income page's "重新归属": the orders paid since
// the form's date are attributed to groups and posts as they are now
// (after a group's placement was filled in), then the page says what
// changed.
func (s *Server) incomeAttribute(w http.ResponseWriter, r *http.Request) {
	from, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.PostFormValue("from")), shanghai.Zone)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, msg.New("web.bad_from"))
		return
	}
	st, err := s.orders.Attribute(r.Context(), from)
	if err != nil {
		s.serverError(w, r, "attribute", err)
		return
	}
	s.log.Info("re-attributed orders", "since", from.Format("2006-01-02"), "orders", st.Orders, "changed", st.Changed)
	v := url.Values{"from": {from.Format("2006-01-02")}, "attributed": {strconv.Itoa(st.Orders)}, "changed": {strconv.Itoa(st.Changed)}}
	http.Redirect(w, r, "/income?"+v.Encode(), http.StatusSeeOther)
}

// attributed is the message after a re-attribution (?attributed=N&changed=M).
func (s *Server) attributed(pg *page, v url.Values) string {
	n, err1 := strconv.Atoi(v.Get("attributed"))
	c, err2 := strconv.Atoi(v.Get("changed"))
	if err1 != nil || err2 != nil {
		return ""
	}
	return pg.T("income.attributed", n, c)
}

// apiIncome is GET /api/v1/income: the money view as orders.IncomeReport
// (fen, basis points).
func (s *Server) apiIncome(w http.ResponseWriter, r *http.Request) {
	params, err := s.incomeParams(r.URL.Query())
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	rep, err := s.orders.Income(r.Context(), params.Query)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewIncome(rep))
}

// apiForecast is GET /api/v1/income/forecast?pay_day=20&receipt_days=7.
func (s *Server) apiForecast(w http.ResponseWriter, r *http.Request) {
	opt := orders.ForecastOptions{Now: s.now()}
	for _, f := range []struct {
		name string
		dst  *int
		max  int64
	}{{"pay_day", &opt.PayDay, 28}, {"receipt_days", &opt.ReceiptDays, 60}, {"months", &opt.Months, 24}, {"history", &opt.History, 36}} {
		n, err := intParam(r.URL.Query().Get(f.name), f.name)
		if err == nil && n > f.max {
			err = errors.New(f.name + ": 最大 " + strconv.FormatInt(f.max, 10) + " (at most " + strconv.FormatInt(f.max, 10) + ")")
		}
		if err != nil {
			s.apiFail(w, r, http.StatusBadRequest, err)
			return
		}
		*f.dst = int(n)
	}
	f, err := s.orders.Forecast(r.Context(), opt)
	if err != nil {
		s.log.Error("api forecast", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewForecast(f))
}

// apiUnattributed is GET /api/v1/orders/unattributed: the orders paid in
// [from, to] whose placement belongs to no group, by adzone, and the
// latest of them (limit, default 50, at most 500).
func (s *Server) apiUnattributed(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	var from, to time.Time
	var err error
	if d := v.Get("from"); d != "" {
		if from, err = time.ParseInLocation("2006-01-02", d, shanghai.Zone); err != nil {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("web.bad_from"))
			return
		}
	}
	if d := v.Get("to"); d != "" {
		if to, err = time.ParseInLocation("2006-01-02", d, shanghai.Zone); err != nil {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("web.bad_to"))
			return
		}
		to = to.AddDate(0, 0, 1)
	}
	limit, err := intParam(v.Get("limit"), "limit")
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	if limit == 0 {
		limit = apiv1.UnattributedOrders
	}
	limit = min(limit, 500)
	st := s.orders
	adzones, err := st.Unattributed(r.Context(), from, to)
	if err == nil {
		var list []orders.Order
		if list, err = st.UnattributedOrders(r.Context(), from, to, int(limit)); err == nil {
			writeJSON(w, http.StatusOK, apiv1.NewUnattributed(adzones, list))
			return
		}
	}
	s.log.Error("api unattributed", "err", err)
	s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
}
