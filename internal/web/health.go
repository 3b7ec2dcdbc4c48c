package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// healthRoutes are group health's pages and API: the board of every group
// by risk, a group's health with its member and activity charts, where
// alerts go, and their JSON.
func (s *Server) healthRoutes() {
	s.mux.Handle("GET /health", s.page(auth.ViewDashboard, s.healthPage))
	s.mux.Handle("GET /groups/{id}/health", s.page(auth.ViewDashboard, s.groupHealthPage))
	s.mux.Handle("GET /settings/alerts", s.page(auth.ManagePosting, s.alertSettingsPage))
	s.mux.Handle("POST /settings/alerts", s.page(auth.ManagePosting, s.alertSettingsSave))
	s.mux.Handle("GET /api/v1/health", s.api(auth.ViewDashboard, s.apiHealth))
	s.mux.Handle("GET /api/v1/groups/{id}/health", s.api(auth.ViewDashboard, s.apiGroupHealth))
}

// renderer renders message keys in lang.
func (s *Server) renderer(l i18n.Lang) apiv1.Renderer {
	return func(key string, args ...any) string { return s.msgs.T(l, key, args...) }
}

type healthView struct {
	apiv1.HealthBoard
	Model string // which model judged: the rule set or a fitted one
}

// healthPage is /health: every group's score, state and reasons, riskiest
// first (a read of one row per group).
func (s *Server) healthPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/health", "nav.health")
	rows, err := s.health.Board(r.Context())
	if err != nil {
		s.serverError(w, r, "health", err)
		return
	}
	view := &healthView{HealthBoard: apiv1.NewHealthBoard(rows, s.renderer(pg.Lang)), Model: pg.T("health.model_rules")}
	for _, r := range rows {
		for _, re := range r.Verdict.Reasons {
			if re.Key == "health.model" && len(re.Args) == 2 {
				view.Model = pg.T("health.model_logistic_n", re.Args[1])
			}
		}
	}
	pg.Data = view
	s.render(w, http.StatusOK, "health", pg)
}

// groupDaysShown is how many days a group's health page charts.
const groupDaysShown = 90

// healthChart is a group page's chart data: one point a day.
type healthChart struct {
	Labels   map[string]string `json:"labels"`
	Days     []string          `json:"days"`
	Members  []int64           `json:"members"`
	Joins    []int64           `json:"joins"`
	Leaves   []int64           `json:"leaves"`
	Active   []int64           `json:"active"`
	Posts    []int64           `json:"posts"`
	Orders   []int64           `json:"orders"`
	Tracked  bool              `json:"tracked"`
	Activity bool              `json:"activity"` // the channel tells who spoke
}

type groupHealthView struct {
	apiv1.GroupHealthDays
	Chart  healthChart
	Recent []apiv1.HealthDay // the last days, newest first
}

// groupHealthPage is /groups/{id}/health: the group's score, state and
// reasons, and its members, joins, leaves, speakers, posts and orders per
// day.
func (s *Server) groupHealthPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	pg := s.newPage(w, r, "/health", "health.group_title")
	v, err := s.health.Group(r.Context(), id, groupDaysShown)
	if errors.Is(err, community.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "group health", err)
		return
	}
	view := &groupHealthView{GroupHealthDays: apiv1.NewGroupHealthDays(v, s.renderer(pg.Lang))}
	c := healthChart{Labels: map[string]string{"members": pg.T("health.chart_members"), "joins": pg.T("health.chart_joins"),
		"leaves": pg.T("health.chart_leaves"), "active": pg.T("health.chart_active"), "posts": pg.T("health.chart_posts"),
		"orders": pg.T("health.chart_orders")}, Days: []string{}, Members: []int64{}, Joins: []int64{}, Leaves: []int64{},
		Active: []int64{}, Posts: []int64{}, Orders: []int64{}}
	for _, d := range view.Days {
		c.Days = append(c.Days, d.Day.Format("01-02"))
		c.Members = append(c.Members, d.Members)
		c.Joins = append(c.Joins, d.Joins)
		c.Leaves = append(c.Leaves, d.LeavesSelf+d.LeavesRemoved+d.LeavesOther)
		c.Active = append(c.Active, d.Active)
		c.Posts = append(c.Posts, d.Posts)
		c.Orders = append(c.Orders, d.Orders)
		c.Tracked = c.Tracked || d.Tracked
		c.Activity = c.Activity || d.Active > 0
	}
	view.Chart = c
	for i := len(view.Days) - 1; i >= 0 && len(view.Recent) < 14; i-- {
		view.Recent = append(view.Recent, view.Days[i])
	}
	pg.Title = pg.T("health.group_title_named", v.Group.Name)
	pg.Data = view
	s.render(w, http.StatusOK, "grouphealth", pg)
}

type notifyRow struct {
	health.Notify
	Shown string // the target as the console shows it: a WeCom robot key only begun
}

type alertSettingsView struct {
	Settings []notifyRow
	Owners   []string // the groups' owners, for the form
	Form     health.Notify
	Error    string
	Saved    bool
	Alerts   []alertRow
}

type alertRow struct {
	health.Alert
	Group string
	At    int64 // created, unix seconds
}

// alertSettingsPage is /settings/alerts: where each group owner's health
// alerts go (a Telegram chat or a WeCom robot), the installation's default,
// and the latest alerts.
func (s *Server) alertSettingsPage(w http.ResponseWriter, r *http.Request) {
	s.renderAlertSettings(w, r, http.StatusOK, &alertSettingsView{Saved: r.URL.Query().Get("saved") == "1"})
}

func (s *Server) renderAlertSettings(w http.ResponseWriter, r *http.Request, status int, view *alertSettingsView) {
	ctx := r.Context()
	pg := s.newPage(w, r, "/settings/alerts", "health.alerts_title")
	settings, err := s.health.Store.NotifySettings(ctx)
	if err != nil {
		s.serverError(w, r, "alert settings", err)
		return
	}
	for _, n := range settings {
		view.Settings = append(view.Settings, notifyRow{n, apiv1.ShownTarget(&community.Group{Channel: n.Channel, Target: n.Target})})
	}
	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil {
		s.serverError(w, r, "alert settings", err)
		return
	}
	names := map[int64]string{}
	seen := map[string]bool{}
	for _, g := range groups {
		names[g.ID] = g.Name
		if g.Owner != "" && !seen[g.Owner] {
			seen[g.Owner] = true
			view.Owners = append(view.Owners, g.Owner)
		}
	}
	alerts, err := s.health.Store.Alerts(ctx, "", 0, 20)
	if err != nil {
		s.serverError(w, r, "alert settings", err)
		return
	}
	for _, a := range alerts {
		view.Alerts = append(view.Alerts, alertRow{a, names[a.GroupID], a.Created.Unix()})
	}
	pg.Data = view
	s.render(w, status, "alertsettings", pg)
}

// alertSettingsSave saves one owner's setting (an empty channel removes it).
func (s *Server) alertSettingsSave(w http.ResponseWriter, r *http.Request) {
	n := health.Notify{Owner: r.PostFormValue("owner"), Channel: community.Channel(r.PostFormValue("channel")),
		Target: r.PostFormValue("target")}
	if err := s.health.Store.SetNotify(r.Context(), n); err != nil {
		var fe *community.FieldError
		if !errors.As(err, &fe) && !errors.Is(err, health.ErrNotifyChannel) {
			s.serverError(w, r, "alert settings", err)
			return
		}
		s.renderAlertSettings(w, r, http.StatusBadRequest, &alertSettingsView{Form: n, Error: s.textIn(w, r)(err)})
		return
	}
	http.Redirect(w, r, "/settings/alerts?saved=1", http.StatusSeeOther)
}

// apiHealth is GET /api/v1/health: the board.
func (s *Server) apiHealth(w http.ResponseWriter, r *http.Request) {
	rows, err := s.health.Board(r.Context())
	if err != nil {
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		s.log.Error("health", "err", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewHealthBoard(rows, s.renderer(lang(w, r))))
}

// apiGroupHealth is GET /api/v1/groups/{id}/health?days=N: the group's
// health and daily figures (days: 1 to 400, default 90).
func (s *Server) apiGroupHealth(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.apiFail(w, r, http.StatusNotFound, community.ErrNotFound)
		return
	}
	days := groupDaysShown
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > health.MaxDays {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("health.err_days", health.MaxDays))
			return
		}
	}
	v, err := s.health.Group(r.Context(), id, days)
	if errors.Is(err, community.ErrNotFound) {
		s.apiFail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		s.log.Error("group health", "err", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewGroupHealthDays(v, s.renderer(lang(w, r))))
}

// healthWarnings are the groups in warning or dead, for the dashboard.
func (s *Server) healthWarnings(ctx context.Context, l i18n.Lang) ([]apiv1.GroupHealth, error) {
	rows, err := s.health.Board(ctx)
	if err != nil {
		return nil, err
	}
	var out []apiv1.GroupHealth
	for _, g := range apiv1.NewHealthBoard(rows, s.renderer(l)).Groups {
		if g.State == string(health.Warning) || g.State == string(health.Dead) {
			out = append(out, g)
		}
	}
	return out, nil
}
