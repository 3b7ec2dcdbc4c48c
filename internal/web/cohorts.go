package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// cohortRoutes are the cohorts' and RFM's pages and API (issue 16 item 3,
// docs/cohorts.md), read with ViewOrders like the other money views.
func (s *Server) cohortRoutes() {
	s.mux.Handle("GET /api/v1/cohorts", s.api(auth.ViewOrders, s.apiCohorts))
	s.mux.Handle("GET /api/v1/rfm", s.api(auth.ViewOrders, s.apiRFM))
	s.mux.Handle("GET /api/v1/rfm/members", s.api(auth.ViewOrders, s.apiRFMMembers))
	s.mux.Handle("GET /insight/cohorts", s.page(auth.ViewOrders, s.cohortsPage))
	s.mux.Handle("GET /insight/rfm", s.page(auth.ViewOrders, s.rfmPage))
	s.mux.Handle("GET /insight/rfm/export", s.page(auth.ViewOrders, s.rfmExport))
}

// cohortParams reads kind (retention, repurchase) and periods (1–156;
// default 12 weeks or 12 months).
func cohortParams(r *http.Request) (kind string, periods int, err error) {
	q := r.URL.Query()
	kind = strings.TrimSpace(q.Get("kind"))
	if kind == "" {
		kind = insight.KindRetention
	}
	if kind != insight.KindRetention && kind != insight.KindRepurchase {
		return kind, 0, msg.New("insight.bad_param", "kind", msg.New("cohorts.want_kind"))
	}
	periods = 12
	if v := strings.TrimSpace(q.Get("periods")); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > insight.MaxPeriods {
			return kind, 0, msg.New("insight.bad_param", "periods", msg.New("cohorts.want_periods", insight.MaxPeriods))
		}
		periods = n
	}
	return kind, periods, nil
}

func (s *Server) triangle(r *http.Request, kind string, periods int) (*insight.Triangle, error) {
	if kind == insight.KindRepurchase {
		return s.cohorts.Repurchase(r.Context(), periods)
	}
	return s.cohorts.Retention(r.Context(), periods)
}

// apiCohorts is GET /api/v1/cohorts?kind=retention|repurchase&periods=.
func (s *Server) apiCohorts(w http.ResponseWriter, r *http.Request) {
	kind, periods, err := cohortParams(r)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	t, err := s.triangle(r, kind, periods)
	if err != nil {
		s.log.Error("api cohorts", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewCohortTriangle(t))
}

func (s *Server) segmentLabel(w http.ResponseWriter, r *http.Request) func(insight.Segment) string {
	text := s.textIn(w, r)
	return func(g insight.Segment) string { return text(msg.New(g.LabelKey())) }
}

// apiRFM is GET /api/v1/rfm: the segments and the R×F grid.
func (s *Server) apiRFM(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cohorts.RFM(r.Context())
	if err != nil {
		s.log.Error("api rfm", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewRFM(rep, s.segmentLabel(w, r)))
}

// rfmParams reads segment (required or not), offset and limit (1–1000,
// default 100).
func rfmParams(r *http.Request, need bool) (seg insight.Segment, offset, limit int, err error) {
	q := r.URL.Query()
	v := strings.TrimSpace(q.Get("segment"))
	if v != "" || need {
		var ok bool
		if seg, ok = insight.ParseSegment(v); !ok {
			return "", 0, 0, msg.New("insight.bad_param", "segment", msg.New("cohorts.want_segment"))
		}
	}
	limit = 100
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"offset", &offset, 0, 1 << 30}, {"limit", &limit, 1, 1000}} {
		raw := strings.TrimSpace(q.Get(p.name))
		if raw == "" {
			continue
		}
		n, perr := strconv.Atoi(raw)
		if perr != nil || n < p.min || n > p.max {
			return "", 0, 0, msg.New("insight.bad_param", p.name, msg.New("cohorts.want_range", p.min, p.max))
		}
		*p.dst = n
	}
	return seg, offset, limit, nil
}

// apiRFMMembers is GET /api/v1/rfm/members?segment=&offset=&limit=: a
// segment's members, most money first.
func (s *Server) apiRFMMembers(w http.ResponseWriter, r *http.Request) {
	seg, offset, limit, err := rfmParams(r, true)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	out, err := s.rfmMembers(w, r, seg, offset, limit)
	if err != nil {
		s.log.Error("api rfm members", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) rfmMembers(w http.ResponseWriter, r *http.Request, seg insight.Segment, offset, limit int) (apiv1.RFMMembers, error) {
	label := s.segmentLabel(w, r)
	out := apiv1.RFMMembers{Segment: string(seg), Label: label(seg), Offset: offset, Members: []apiv1.RFMMember{}}
	rep, err := s.cohorts.RFM(r.Context())
	if err != nil {
		return out, err
	}
	out.Total = rep.Segments[seg.Index()].Members
	ms, err := s.cohorts.SegmentMembers(r.Context(), seg, offset, limit)
	if err != nil {
		return out, err
	}
	asOf := shanghai.Day(rep.Run.AsOf.Unix())
	for _, m := range ms {
		out.Members = append(out.Members, apiv1.NewRFMMember(m, asOf, label))
	}
	return out, nil
}

// triCell is one cell of a triangle as the page shows it: the share,
// the count, and a shade (0–5) by share.
type triCell struct {
	Share   string
	Members int64
	Shade   int
	Extra   string // repurchase: the cell's income
}

type triRow struct {
	Label string
	Size  int64
	Cells []triCell
}

// cohortsView is the /insight/cohorts page.
type cohortsView struct {
	Kind      string
	Periods   int
	Headers   []string
	Rows      []triRow
	AsOf      time.Time
	Months    []apiv1.MonthBuyers
	Share     string // repurchase: income credited to members, of all
	Income    apiv1.MemberIncome
	Empty     bool
	Bad       fieldErrors
	PeriodSet []int
}

func shade(bp int64) int { return int(min(max((bp+1999)/2000, 0), 5)) }

// cohortsPage is GET /insight/cohorts?kind=&periods=: a triangle as a
// table (scrolling sideways inside its box on a phone).
func (s *Server) cohortsPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/insight/cohorts", "nav.cohorts")
	status := http.StatusOK
	v := &cohortsView{Bad: fieldErrors{}, PeriodSet: []int{8, 12, 26, 52}}
	kind, periods, err := cohortParams(r)
	if err != nil {
		status, kind, periods = http.StatusBadRequest, insight.KindRetention, 12
		v.Bad.add(&badField{Field: "periods", Key: "simulate.bad_value", Value: r.URL.Query().Get("periods")})
	}
	v.Kind, v.Periods = kind, periods
	t, err := s.triangle(r, kind, periods)
	if err != nil {
		s.serverError(w, r, "cohorts", err)
		return
	}
	v.AsOf, v.Empty = t.Run.AsOf, t.Run.AsOf.IsZero() || len(t.Rows) == 0
	for k := range t.Periods {
		key := "cohorts.week_n"
		if kind == insight.KindRepurchase {
			key = "cohorts.month_n"
		}
		v.Headers = append(v.Headers, pg.T(key, k))
	}
	for i := len(t.Rows) - 1; i >= 0; i-- { // newest first
		row := t.Rows[i]
		label := row.Start.In(shanghai.Zone).Format("2006-01-02")
		if kind == insight.KindRepurchase {
			label = row.Start.In(shanghai.Zone).Format("2006-01")
		}
		tr := triRow{Label: label, Size: row.Size}
		for _, c := range row.Cells {
			tc := triCell{Share: cells.PercentBP(c.ShareBP), Members: c.Members, Shade: shade(c.ShareBP)}
			if kind == insight.KindRepurchase {
				tc.Extra = "¥" + cells.Yuan(c.IncomeFen)
			}
			tr.Cells = append(tr.Cells, tc)
		}
		tr.Cells = append(tr.Cells, make([]triCell, t.Periods-len(row.Cells))...)
		v.Rows = append(v.Rows, tr)
	}
	if kind == insight.KindRepurchase {
		a := apiv1.NewCohortTriangle(t)
		v.Months, v.Income = a.Months, *a.Income
		v.Share = cells.PercentBP(a.Income.ShareBP)
	}
	pg.Data = v
	s.render(w, status, "cohorts", pg)
}

// rfmView is the /insight/rfm page.
type rfmView struct {
	Report   apiv1.RFM
	AsOf     time.Time
	Share    string
	Segment  string
	Label    string
	Members  apiv1.RFMMembers
	Shares   map[string]string
	Prev     int
	Next     int
	Formats  []string
	Hints    map[string]string
	Bad      fieldErrors
	Empty    bool
	GridRows []gridRow
}

type gridRow struct {
	R     int
	Cells []int64
}

// rfmPage is GET /insight/rfm?segment=&offset=: the segments, the R×F
// grid, and a segment's members (most money first, 100 a page).
func (s *Server) rfmPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/insight/rfm", "nav.rfm")
	status := http.StatusOK
	v := &rfmView{Bad: fieldErrors{}, Formats: insight.ExportFormats, Shares: map[string]string{}, Hints: map[string]string{}}
	seg, offset, _, err := rfmParams(r, false)
	if err != nil {
		status, seg, offset = http.StatusBadRequest, "", 0
		v.Bad.add(&badField{Field: "segment", Key: "simulate.bad_value", Value: r.URL.Query().Get("segment")})
	}
	rep, err := s.cohorts.RFM(r.Context())
	if err != nil {
		s.serverError(w, r, "rfm", err)
		return
	}
	v.Report = apiv1.NewRFM(rep, s.segmentLabel(w, r))
	v.AsOf, v.Empty = rep.Run.AsOf, rep.Run.Members == 0
	v.Share = cells.PercentBP(v.Report.Income.ShareBP)
	for _, g := range v.Report.Segments {
		v.Shares[g.Segment] = cells.PercentBP(g.ShareBP)
		v.Hints[g.Segment] = pg.T(insight.Segment(g.Segment).HintKey())
	}
	for i := 4; i >= 0; i-- {
		v.GridRows = append(v.GridRows, gridRow{R: i + 1, Cells: rep.Grid[i][:]})
	}
	if seg == "" && !v.Empty {
		for _, g := range rep.Segments { // the first segment with members
			if g.Members > 0 {
				seg = g.Segment
				break
			}
		}
	}
	if seg != "" {
		v.Segment = string(seg)
		if v.Members, err = s.rfmMembers(w, r, seg, offset, 100); err != nil {
			s.serverError(w, r, "rfm", err)
			return
		}
		v.Label = v.Members.Label
		v.Prev, v.Next = max(offset-100, 0), -1
		if int64(offset+100) < v.Members.Total {
			v.Next = offset + 100
		}
	}
	pg.Data = v
	s.render(w, status, "rfm", pg)
}

// rfmExport is GET /insight/rfm/export?segment=&format=csv|xlsx: the
// members of a segment (or all buyers) with their RFM figures, streamed.
func (s *Server) rfmExport(w http.ResponseWriter, r *http.Request) {
	seg, _, _, err := rfmParams(r, false)
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	text := s.textIn(w, r)
	if err != nil || (format != "csv" && format != "xlsx") {
		if err == nil {
			err = msg.New("insight.bad_param", "format", msg.New("cohorts.want_format"))
		}
		http.Error(w, text(err), http.StatusBadRequest)
		return
	}
	head := make([]string, len(insight.ExportColumns))
	for i, k := range insight.ExportColumns {
		head[i] = text(msg.New(k))
	}
	name := "rfm"
	if seg != "" {
		name += "-" + string(seg)
	}
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, name, s.now().In(shanghai.Zone).Format("20060102"), format))
	if err := s.cohorts.ExportRFM(r.Context(), w, format, seg, head, s.segmentLabel(w, r)); err != nil {
		s.log.Error("rfm export", "err", err) // the header is out: the download ends short
	}
}
