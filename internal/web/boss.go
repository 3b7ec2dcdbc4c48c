package web

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
)

// bossRoutes are the boss's tables (老板报表): the page (sortable and
// pageable by period without script), its export, the JSON, and the daily
// digest's settings.
func (s *Server) bossRoutes() {
	s.mux.Handle("GET /boss", s.page(auth.ViewOrders, s.bossPage))
	s.mux.Handle("GET /boss/export", s.page(auth.ViewOrders, s.bossExport))
	s.mux.Handle("POST /boss/digest", s.page(auth.ManageOrders, s.bossDigestSave))
	s.mux.Handle("GET /api/v1/boss", s.api(auth.ViewOrders, s.apiBoss))
	s.mux.Handle("GET /api/v1/boss/export", s.api(auth.ViewOrders, s.bossExport))
}

// bossQuery reads period, by, date (2026-11-05, or a month 2026-11; default
// today in Shanghai), sort and order from the query.
func (s *Server) bossQuery(r *http.Request) (insight.BossQuery, error) {
	v := r.URL.Query()
	var q insight.BossQuery
	var err error
	if q.Period, err = insight.ParsePeriod(v.Get("period")); err != nil {
		return q, err
	}
	if q.By, err = insight.ParseGrouping(v.Get("by")); err != nil {
		return q, err
	}
	q.Day = insight.DayOf(s.now())
	if d := strings.TrimSpace(v.Get("date")); d != "" {
		day, ok := bossDate(d)
		if !ok {
			return q, msg.New("boss.bad_date", d)
		}
		q.Day = day
	}
	q.Sort = v.Get("sort")
	if q.Sort != "" && !slices.Contains(insight.BossSorts, q.Sort) {
		return q, msg.New("boss.bad_sort", q.Sort)
	}
	switch v.Get("order") {
	case "asc":
		q.Asc = true
	case "", "desc":
	default:
		return q, msg.New("boss.bad_sort", v.Get("order"))
	}
	return q, nil
}

// bossDate reads 2026-11-05 (or 2026/11/5…) or a month, 2026-11 (its first
// day), as a Shanghai day number.
func bossDate(s string) (int64, bool) {
	if t, ok := insight.ParseDay(s); ok {
		return insight.DayOf(t), true
	}
	if t, err := time.Parse("2006-01", s); err == nil && t.Year() >= 2000 && t.Year() <= 2200 {
		return t.Unix() / 86400, true
	}
	return 0, false
}

// apiBoss is GET /api/v1/boss?period=&by=&date=&sort=&order=.
func (s *Server) apiBoss(w http.ResponseWriter, r *http.Request) {
	q, err := s.bossQuery(r)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	t, err := s.boss.Boss(r.Context(), q)
	if err != nil {
		s.log.Error("api boss", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewBossTable(t, insight.Text(s.renderer(lang(w, r)))))
}

// bossExport is GET /boss/export (and /api/v1/boss/export): the table as
// CSV or XLSX (format=csv|xlsx), in the reader's language.
func (s *Server) bossExport(w http.ResponseWriter, r *http.Request) {
	isAPI := strings.HasPrefix(r.URL.Path, "/api/")
	bad := func(err error) {
		if isAPI {
			s.apiFail(w, r, http.StatusBadRequest, err)
		} else {
			s.fail(w, r, http.StatusBadRequest, err)
		}
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		bad(msg.New("boss.bad_format", format))
		return
	}
	q, err := s.bossQuery(r)
	if err != nil {
		bad(err)
		return
	}
	t, err := s.boss.Boss(r.Context(), q)
	if err != nil {
		s.serverError(w, r, "boss export", err)
		return
	}
	tr := insight.Text(s.renderer(lang(w, r)))
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = t.WriteXLSX(&buf, tr)
	} else {
		err = t.WriteCSV(&buf, tr)
	}
	if err != nil {
		s.serverError(w, r, "boss export", err)
		return
	}
	name := "boss-" + string(t.By) + "-" + t.FromTime().Format("20060102") + "-" + t.ToTime().Format("20060102") + "." + format
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(buf.Bytes())
}

// bossView is the /boss page.
type bossView struct {
	Table      apiv1.BossTable
	Query      insight.BossQuery
	Date       string // the form's date (any day in the period)
	Range      string
	Prev, Next string // links to the periods around
	Headers    []bossHeader
	Rows       []bossCells
	Total      bossCells
	Unassigned string
	Export     string // the query to export with
	Error      string
	Digest     insight.DigestSettings
	Digests    []insight.DigestRecord
	Saved      bool
	Hours      []int
}

type bossHeader struct {
	Label, Link string
	Arrow       string // ↑ or ↓ on the sorted column
	Num         bool
}

type bossCells struct {
	Name, Link string
	Cells      []string
	Worst      string
	Health     string
}

// bossPage is GET /boss: the table of a period (picker, sortable columns,
// totals, export), and the daily digest's settings.
func (s *Server) bossPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/boss", "boss.title")
	v := &bossView{Saved: r.URL.Query().Get("saved") == "1"}
	for h := range 24 {
		v.Hours = append(v.Hours, h)
	}
	status := http.StatusOK
	q, err := s.bossQuery(r)
	if err != nil {
		status, v.Error = http.StatusBadRequest, s.textIn(w, r)(err)
		q = insight.BossQuery{Period: insight.PeriodMonth, By: insight.ByOperator, Day: insight.DayOf(s.now())}
	}
	s.renderBoss(w, r, pg, status, q, v)
}

func (s *Server) renderBoss(w http.ResponseWriter, r *http.Request, pg *page, status int, q insight.BossQuery, v *bossView) {
	ctx := r.Context()
	t, err := s.boss.Boss(ctx, q)
	if err != nil {
		s.serverError(w, r, "boss", err)
		return
	}
	tr := insight.Text(s.renderer(pg.Lang))
	v.Table, v.Query = apiv1.NewBossTable(t, tr), q
	v.Date = insight.DayTime(q.Day).Format("2006-01-02")
	v.Range = pg.T("boss.range", t.FromTime().Format("2006-01-02"), t.ToTime().Format("2006-01-02"))
	link := func(day int64, sort string, asc bool) string {
		u := url.Values{"period": {string(q.Period)}, "by": {string(q.By)}, "date": {insight.DayTime(day).Format("2006-01-02")}}
		if sort != "" {
			u.Set("sort", sort)
			if asc {
				u.Set("order", "asc")
			}
		}
		return u.Encode()
	}
	v.Prev, v.Next = "/boss?"+link(t.From-1, q.Sort, q.Asc), "/boss?"+link(t.To+1, q.Sort, q.Asc)
	v.Export = link(q.Day, q.Sort, q.Asc)
	sorted := t.Sort
	cols := []struct{ key, sort string }{{"boss.col_name", "name"}, {"boss.col_groups", "groups"},
		{"boss.col_members", "members"}, {"boss.col_growth", "growth"}, {"boss.col_posts", "posts"},
		{"boss.col_orders", "orders"}, {"boss.col_income", "income"}, {"boss.col_per_member_day", "per_member_day"},
		{"boss.col_cost", "cost"}, {"boss.col_cac", "cac"}, {"boss.col_payback", "payback"}, {"boss.col_health", "health"}}
	for i, c := range cols {
		h := bossHeader{Label: pg.T(c.key), Num: i > 0 && i < len(cols)-1}
		asc := c.sort == "name" // a first click: names A→Z, figures largest first
		if c.sort == sorted {
			asc = !t.Asc
			h.Arrow = "↓"
			if t.Asc {
				h.Arrow = "↑"
			}
		}
		h.Link = "/boss?" + link(q.Day, c.sort, asc)
		v.Headers = append(v.Headers, h)
	}
	row := func(r *apiv1.BossRow, ir *insight.BossRow) bossCells {
		c := bossCells{Name: r.Name, Health: insight.HealthText(ir, tr)}
		if r.GroupID != nil {
			c.Link = "/groups/" + *r.GroupID + "/health"
		}
		if r.Worst != nil {
			c.Worst = *r.Worst
		}
		pmd := insight.PerMemberDayText(ir)
		if pmd == "" {
			pmd = "—"
		}
		cac, pay := "—", "—"
		if ir.HasCAC {
			cac = "¥" + cells.Yuan(ir.CACFen)
			pay = pg.T("boss.never")
		}
		if ir.HasPayback {
			pay = pg.T("boss.days", ir.PaybackDays)
		}
		c.Cells = []string{strconv.FormatInt(r.Groups, 10), strconv.FormatInt(r.Members, 10), signedCount(r.NetGrowth),
			strconv.FormatInt(r.Posts, 10), strconv.FormatInt(r.Orders, 10), "¥" + cells.Yuan(r.IncomeFen), pmd,
			"¥" + cells.Yuan(r.CostFen), cac, pay}
		return c
	}
	for i := range t.Rows {
		v.Rows = append(v.Rows, row(&v.Table.Rows[i], &t.Rows[i]))
	}
	v.Total = row(&v.Table.Total, &t.Total)
	if t.UnassignedCostFen > 0 {
		v.Unassigned = pg.T("boss.unassigned", cells.Yuan(t.UnassignedCostFen))
	}
	if pg.Can(string(auth.ManageOrders)) {
		if v.Digest, err = s.costs.Digest(ctx); err != nil {
			s.serverError(w, r, "boss digest", err)
			return
		}
		if v.Digests, err = s.costs.Digests(ctx, 10); err != nil {
			s.serverError(w, r, "boss digest", err)
			return
		}
	}
	pg.Data = v
	s.render(w, status, "boss", pg)
}

// bossDigestSave is POST /boss/digest: turn the daily digest on or off and
// pick its hour.
func (s *Server) bossDigestSave(w http.ResponseWriter, r *http.Request) {
	hour, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("hour")))
	if err != nil {
		hour = -1
	}
	d := insight.DigestSettings{Enabled: r.PostFormValue("enabled") == "1", Hour: hour}
	if err := s.costs.SetDigest(r.Context(), d); err != nil {
		if err != insight.ErrDigestHour {
			s.serverError(w, r, "boss digest", err)
			return
		}
		pg := s.newPage(w, r, "/boss", "boss.title")
		v := &bossView{Error: s.textIn(w, r)(err)}
		for h := range 24 {
			v.Hours = append(v.Hours, h)
		}
		s.renderBoss(w, r, pg, http.StatusBadRequest, insight.BossQuery{Period: insight.PeriodMonth,
			By: insight.ByOperator, Day: insight.DayOf(s.now())}, v)
		return
	}
	http.Redirect(w, r, "/boss?saved=1#digest", http.StatusSeeOther)
}

func signedCount(n int64) string {
	if n > 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
