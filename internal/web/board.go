package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
)

// statuses are the delivery statuses in the order the board counts them.
var statuses = []publish.Status{publish.Planned, publish.Held, publish.Sending, publish.Sent, publish.Failed,
	publish.Skipped, publish.Unconfirmed}

// parseDay reads ?day=YYYY-MM-DD (default today), in the display zone, and
// returns the day's start.
func (s *Server) parseDay(v string) (time.Time, error) {
	if v = strings.TrimSpace(v); v == "" {
		y, m, d := s.now().In(s.zone).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, s.zone), nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, s.zone)
	if err != nil {
		return time.Time{}, msg.New("web.bad_day", v)
	}
	return t, nil
}

// groupsByID maps group ids to groups.
func (s *Server) groupsByID(ctx context.Context) (map[int64]*community.Group, error) {
	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*community.Group, len(groups))
	for _, g := range groups {
		out[g.ID] = g
	}
	return out, nil
}

type boardDelivery struct {
	*publish.Delivery
	Movable bool // planned or held: it can be held, released, reordered
}

// Held reports whether an operator is holding the delivery.
func (d boardDelivery) Held() bool { return d.Status == publish.Held }

type boardGroup struct {
	ID         int64
	Name       string
	Manual     bool
	Deliveries []boardDelivery
}

type boardSlot struct {
	At     int64
	Groups []*boardGroup
}

type statusCount struct {
	Status publish.Status
	N      int
}

// skipGroup is the planner's skips for one reason.
type skipGroup struct {
	Reason   string
	N        int
	Examples []string // "group · item", the first few
}

type boardView struct {
	Day, Prev, Next string
	Today           bool
	Counts          []statusCount
	Total           int
	Slots           []*boardSlot
	Stats           *publish.PlanStats
	Skips           []skipGroup
	Message, Error  string
	CanPost         bool
}

func (s *Server) boardPage(w http.ResponseWriter, r *http.Request) {
	day, err := s.parseDay(r.URL.Query().Get("day"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	s.renderBoard(w, r, http.StatusOK, day, &boardView{})
}

func (s *Server) renderBoard(w http.ResponseWriter, r *http.Request, status int, day time.Time, view *boardView) {
	ctx := r.Context()
	p := s.newPage(w, r, "/board", "nav.board")
	from, to := day, day.AddDate(0, 0, 1)
	view.Day, view.Prev, view.Next = from.Format("2006-01-02"), from.AddDate(0, 0, -1).Format("2006-01-02"), to.Format("2006-01-02")
	now := s.now()
	view.Today = !now.Before(from) && now.Before(to)
	view.CanPost = p.Can(string(auth.ManagePosting))
	counts, err := s.publish.Counts(ctx, from, to)
	if err != nil {
		s.serverError(w, r, "board", err)
		return
	}
	for _, st := range statuses {
		if n := counts[st]; n > 0 {
			view.Counts = append(view.Counts, statusCount{st, n})
			view.Total += n
		}
	}
	ds, err := s.publish.Board(ctx, from, to)
	if err != nil {
		s.serverError(w, r, "board", err)
		return
	}
	groups, err := s.groupsByID(ctx)
	if err != nil {
		s.serverError(w, r, "board", err)
		return
	}
	var slot *boardSlot
	var bg *boardGroup
	for _, d := range ds {
		if slot == nil || slot.At != d.SlotAt {
			slot = &boardSlot{At: d.SlotAt}
			view.Slots = append(view.Slots, slot)
			bg = nil
		}
		if bg == nil || bg.ID != d.GroupID {
			bg = &boardGroup{ID: d.GroupID, Name: "#" + strconv.FormatInt(d.GroupID, 10)}
			if g := groups[d.GroupID]; g != nil {
				bg.Name, bg.Manual = g.Name, g.Channel == community.Manual
			}
			slot.Groups = append(slot.Groups, bg)
		}
		bg.Deliveries = append(bg.Deliveries, boardDelivery{d, d.Status == publish.Planned || d.Status == publish.Held})
	}
	p.Data = view
	s.render(w, status, "board", p)
}

// boardAction holds, releases or reorders a delivery, or plans the day.
func (s *Server) boardAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	day, err := s.parseDay(r.PostFormValue("day"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	switch r.PostFormValue("action") {
	case "hold":
		err = s.publish.Hold(ctx, id)
	case "release":
		err = s.publish.Release(ctx, id)
	case "up":
		err = s.publish.Move(ctx, id, -1)
	case "down":
		err = s.publish.Move(ctx, id, +1)
	case "plan":
		s.planNow(w, r, day)
		return
	default:
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	if status, msg := deliveryErr(err, s.textIn(w, r)); status != 0 {
		if status == http.StatusInternalServerError {
			s.serverError(w, r, "board action", err)
			return
		}
		s.renderBoard(w, r, status, day, &boardView{Error: msg})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/board?day=%s#d%d", day.Format("2006-01-02"), id), http.StatusSeeOther)
}

// deliveryErr maps a board action's error to a status and a message in
// the reader's language (text) (0 for no error).
func deliveryErr(err error, text func(error) string) (int, string) {
	switch {
	case err == nil:
		return 0, ""
	case errors.Is(err, publish.ErrNotFound):
		return http.StatusNotFound, text(msg.New("web.no_such_delivery"))
	case errors.Is(err, publish.ErrState), errors.Is(err, publish.ErrNotManual):
		return http.StatusConflict, text(err)
	}
	return http.StatusInternalServerError, text(msg.New("web.internal"))
}

// planNow runs the planner for the day and shows what it did.
func (s *Server) planNow(w http.ResponseWriter, r *http.Request, day time.Time) {
	ctx := r.Context()
	// PlanDay takes the calendar date of its argument; noon keeps it on the
	// right day whatever the groups' zones.
	st, err := s.planner.PlanDay(ctx, time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, s.zone))
	view := &boardView{Stats: &st}
	status := http.StatusOK
	if err != nil {
		s.log.Error("plan now", "day", day.Format("2006-01-02"), "err", err)
		view.Error, status = s.textIn(w, r)(err), http.StatusInternalServerError
	}
	byReason := map[string]*skipGroup{}
	titles := map[catalog.Key]string{}
	for _, sk := range st.Skips {
		g := byReason[sk.Reason]
		if g == nil {
			g = &skipGroup{Reason: sk.Reason}
			byReason[sk.Reason] = g
		}
		g.N++
		if len(g.Examples) < 5 {
			t, ok := titles[sk.Item]
			if !ok {
				t, _, _ = s.itemTitle(ctx, sk.Item)
				titles[sk.Item] = t
			}
			ex := sk.Group + " " + time.Unix(sk.SlotAt, 0).In(s.zone).Format("15:04") + " · " + clipRunes(t, 40)
			if !slices.Contains(g.Examples, ex) {
				g.Examples = append(g.Examples, ex)
			}
		}
	}
	for _, g := range byReason {
		view.Skips = append(view.Skips, *g)
	}
	slices.SortFunc(view.Skips, func(a, b skipGroup) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	s.renderBoard(w, r, status, day, view)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// manualAhead is how far ahead the manual page shows posts.
const manualAhead = 5 * time.Minute

type manualPost struct {
	*publish.Delivery
	Group string
}

type manualView struct {
	Posts   []manualPost
	Posters bool
	Error   string
	Sent    bool
}

func (s *Server) manualPage(w http.ResponseWriter, r *http.Request) {
	s.renderManual(w, r, http.StatusOK, &manualView{Sent: r.URL.Query().Get("sent") != ""})
}

func (s *Server) renderManual(w http.ResponseWriter, r *http.Request, status int, view *manualView) {
	ctx := r.Context()
	p := s.newPage(w, r, "/manual", "nav.manual")
	ds, err := s.publish.ManualDue(ctx, s.now().Add(manualAhead), 100)
	if err != nil {
		s.serverError(w, r, "manual", err)
		return
	}
	groups, err := s.groupsByID(ctx)
	if err != nil {
		s.serverError(w, r, "manual", err)
		return
	}
	for _, d := range ds {
		g := groups[d.GroupID]
		if g == nil || !g.Active {
			continue // a paused group gets nothing, by hand or not
		}
		view.Posts = append(view.Posts, manualPost{Delivery: d, Group: g.Name})
	}
	view.Posters = s.posters != nil
	p.Data = view
	s.render(w, status, "manual", p)
}

// manualAction records that a post was made by hand.
func (s *Server) manualAction(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("action") != "sent" {
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	err := s.publish.MarkSent(r.Context(), id, sessionFrom(r).User.Name)
	if status, msg := deliveryErr(err, s.textIn(w, r)); status != 0 {
		if status == http.StatusInternalServerError {
			s.serverError(w, r, "manual sent", err)
			return
		}
		s.renderManual(w, r, status, &manualView{Error: msg})
		return
	}
	http.Redirect(w, r, "/manual?sent=1", http.StatusSeeOther)
}

type logRow struct {
	publish.Attempt
	Group string
	Title string
}

// OutcomeKey is the message key of the attempt's outcome.
func (l logRow) OutcomeKey() string {
	if l.Outcome == "" {
		return "attempt.in_flight"
	}
	return "attempt." + l.Outcome
}

type logView struct {
	Rows     []logRow
	Delivery int64
}

// deliveryLog lists the latest attempts, of one delivery with ?delivery=ID.
func (s *Server) deliveryLog(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := s.newPage(w, r, "/deliveries/log", "nav.log")
	view := &logView{}
	if v := strings.TrimSpace(r.URL.Query().Get("delivery")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, p.T("error.bad_filter", "delivery"), http.StatusBadRequest)
			return
		}
		view.Delivery = id
	}
	attempts, err := s.publish.Attempts(ctx, view.Delivery, 200)
	if err != nil {
		s.serverError(w, r, "delivery log", err)
		return
	}
	groups, err := s.groupsByID(ctx)
	if err != nil {
		s.serverError(w, r, "delivery log", err)
		return
	}
	titles := map[int64]string{} // by delivery: the title as it was posted
	for _, a := range attempts {
		row := logRow{Attempt: a, Group: "#" + strconv.FormatInt(a.GroupID, 10)}
		if g := groups[a.GroupID]; g != nil {
			row.Group = g.Name
		}
		t, ok := titles[a.DeliveryID]
		if !ok {
			if d, err := s.publish.Delivery(ctx, a.DeliveryID); err == nil {
				t = d.Title
			}
			titles[a.DeliveryID] = t
		}
		if row.Title = t; t == "" {
			row.Title = a.Item.String()
		}
		view.Rows = append(view.Rows, row)
	}
	p.Data = view
	s.render(w, http.StatusOK, "deliverylog", p)
}

// posterPNG renders a delivery's poster with the renderer in Deps.Posters.
func (s *Server) posterPNG(w http.ResponseWriter, r *http.Request) {
	if s.posters == nil {
		s.fail(w, r, http.StatusNotFound, msg.New("web.no_posters"))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	d, err := s.publish.Delivery(ctx, id)
	if errors.Is(err, publish.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, msg.New("web.no_such_delivery"))
		return
	}
	if err != nil {
		s.serverError(w, r, "poster", err)
		return
	}
	g, err := s.groups.Get(ctx, d.GroupID)
	if err != nil {
		s.serverError(w, r, "poster", err)
		return
	}
	png, err := s.posters.Poster(ctx, d, g)
	if err != nil {
		s.serverError(w, r, "poster", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="poster-%d.png"`, id))
	w.Write(png)
}
