package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
)

// planRow is a plan as the list shows it.
type planRow struct {
	*publish.Plan
	Group  string // the group's name, for a one-group plan
	Quiet  string // "22:00–08:00", "" for none
	Queued int
}

// manySlots is how many slots a plan lists in full; more are summed up as
// the first, the last and the count (with the list behind a click).
const manySlots = 6

// ManySlots reports whether the plan has more slots than fit in a line.
func (p planRow) ManySlots() bool { return len(p.Slots) > manySlots }

// FirstSlot and LastSlot are the plan's first and last slots of the day.
func (p planRow) FirstSlot() string { return publish.Clock(p.Slots[0]) }
func (p planRow) LastSlot() string  { return publish.Clock(p.Slots[len(p.Slots)-1]) }

// SlotsList is the slots as "08:00 12:00 20:00", which wraps.
func (p planRow) SlotsList() string { return strings.ReplaceAll(p.SlotsText(), ",", " ") }

// planForm echoes the plan form.
type planForm struct {
	ID                            int64
	Name, GroupID, Tag, Slots     string
	PerSlot, DailyCap, RepeatDays string
	QuietFrom, QuietTo            string
	Active                        bool
}

func planFormOf(p *publish.Plan) planForm {
	f := planForm{ID: p.ID, Name: p.Name, Tag: p.Tag, Slots: p.SlotsText(), PerSlot: strconv.Itoa(p.PerSlot),
		DailyCap: strconv.Itoa(p.DailyCap), RepeatDays: strconv.Itoa(p.RepeatDays), Active: p.Active}
	if p.GroupID != 0 {
		f.GroupID = strconv.FormatInt(p.GroupID, 10)
	}
	if p.QuietFrom != p.QuietTo {
		f.QuietFrom, f.QuietTo = publish.Clock(p.QuietFrom), publish.Clock(p.QuietTo)
	}
	return f
}

var newPlanForm = planForm{Slots: "08:00,12:00,20:00", PerSlot: "3", DailyCap: "12", RepeatDays: "7",
	QuietFrom: "23:00", QuietTo: "07:00", Active: true}

// planFromForm reads the plan form; the error says what to fix.
func planFromForm(r *http.Request) (*publish.Plan, planForm, error) {
	f := planForm{Name: r.PostFormValue("name"), GroupID: r.PostFormValue("group_id"), Tag: r.PostFormValue("tag"),
		Slots: r.PostFormValue("slots"), PerSlot: r.PostFormValue("per_slot"), DailyCap: r.PostFormValue("daily_cap"),
		RepeatDays: r.PostFormValue("repeat_days"), QuietFrom: r.PostFormValue("quiet_from"), QuietTo: r.PostFormValue("quiet_to"),
		Active: r.PostFormValue("active") != ""}
	p := &publish.Plan{Name: f.Name, Tag: strings.TrimSpace(f.Tag), Active: f.Active}
	var err error
	if g := strings.TrimSpace(f.GroupID); g != "" && g != "0" {
		if p.GroupID, err = strconv.ParseInt(g, 10, 64); err != nil {
			return nil, f, msg.New("web.invalid_group")
		}
	}
	if p.Slots, err = publish.ParseSlots(f.Slots); err != nil {
		return nil, f, err
	}
	for _, n := range []struct {
		v, label string
		dst      *int
	}{{f.PerSlot, "plans.per_slot_label", &p.PerSlot}, {f.DailyCap, "plans.daily_cap_label", &p.DailyCap},
		{f.RepeatDays, "plans.repeat_days_label", &p.RepeatDays}} {
		if *n.dst, err = strconv.Atoi(strings.TrimSpace(n.v)); err != nil {
			return nil, f, msg.New("web.whole_number", msg.New(n.label))
		}
	}
	from, to := strings.TrimSpace(f.QuietFrom), strings.TrimSpace(f.QuietTo)
	if from != "" || to != "" {
		if p.QuietFrom, err = publish.ParseClock(from); err != nil {
			return nil, f, err
		}
		if p.QuietTo, err = publish.ParseClock(to); err != nil {
			return nil, f, err
		}
	}
	return p, f, nil
}

type plansView struct {
	Plans   []planRow
	Groups  []*community.Group
	Tags    []string
	Form    planForm
	Error   string
	CanEdit bool
}

// planRows lists the plans with their group names and queue lengths.
func (s *Server) planRows(ctx context.Context) ([]planRow, []*community.Group, error) {
	plans, err := s.publish.Plans(ctx)
	if err != nil {
		return nil, nil, err
	}
	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	var rows []planRow
	for _, p := range plans {
		q, err := s.publish.Queue(ctx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, planRow{Plan: p, Group: names[p.GroupID], Quiet: quietText(p), Queued: len(q)})
	}
	return rows, groups, nil
}

func quietText(p *publish.Plan) string {
	if p.QuietFrom == p.QuietTo {
		return ""
	}
	return publish.Clock(p.QuietFrom) + "–" + publish.Clock(p.QuietTo)
}

func (s *Server) tagList(ctx context.Context) ([]string, error) {
	tags, err := s.groups.Tags(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(tags))
	for t := range tags {
		out = append(out, t)
	}
	slices.Sort(out)
	return out, nil
}

func (s *Server) plansPage(w http.ResponseWriter, r *http.Request) {
	s.renderPlans(w, r, http.StatusOK, &plansView{Form: newPlanForm})
}

func (s *Server) renderPlans(w http.ResponseWriter, r *http.Request, status int, view *plansView) {
	p := s.newPage(w, r, "/plans", "nav.plans")
	var err error
	if view.Plans, view.Groups, err = s.planRows(r.Context()); err != nil {
		s.serverError(w, r, "plans", err)
		return
	}
	if view.Tags, err = s.tagList(r.Context()); err != nil {
		s.serverError(w, r, "plans", err)
		return
	}
	view.CanEdit = p.Can(string(auth.ManagePosting))
	p.Data = view
	s.render(w, status, "plans", p)
}

// plansSave creates a plan from the form on the plans page.
func (s *Server) plansSave(w http.ResponseWriter, r *http.Request) {
	plan, form, err := planFromForm(r)
	if err == nil {
		err = s.publish.SavePlan(r.Context(), plan)
	}
	if err != nil {
		s.renderPlans(w, r, http.StatusBadRequest, &plansView{Form: form, Error: s.textIn(w, r)(err)})
		return
	}
	http.Redirect(w, r, "/plans/"+strconv.FormatInt(plan.ID, 10), http.StatusSeeOther)
}

// queueRow is a queue entry with its item's title and price now.
type queueRow struct {
	publish.Queued
	Title    string
	Missing  bool  // not in the catalog: the planner will skip it
	NowPrice int64 // the final price now, 0 when unknown
}

type planView struct {
	Plan    planRow
	Form    planForm
	Groups  []*community.Group
	Tags    []string
	Queue   []queueRow
	Error   string
	Added   bool
	Next    string // where "back" goes after adding an item
	CanEdit bool
	// Kept is the queued item that an "add" left as it was (?kept=
	// platform:id), and Tried the price that add asked for (?tried=, fen):
	// the page says so and offers to use the new price.
	Kept  *queueRow
	Tried int64
}

func (s *Server) planPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	view := &planView{Added: v.Get("added") != ""}
	if next := v.Get("next"); next != "" && safeNext(next) == next {
		view.Next = next
	}
	view.Tried, _ = strconv.ParseInt(v.Get("tried"), 10, 64)
	s.renderPlan(w, r, http.StatusOK, view)
}

func planID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) renderPlan(w http.ResponseWriter, r *http.Request, status int, view *planView) {
	ctx := r.Context()
	p := s.newPage(w, r, "/plans", "nav.plans")
	id, ok := planID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	rows, groups, err := s.planRows(ctx)
	if err != nil {
		s.serverError(w, r, "plan", err)
		return
	}
	i := slices.IndexFunc(rows, func(p planRow) bool { return p.ID == id })
	if i < 0 {
		s.fail(w, r, http.StatusNotFound, msg.New("web.no_such_plan"))
		return
	}
	view.Plan, view.Groups = rows[i], groups
	if view.Form.ID == 0 {
		view.Form = planFormOf(rows[i].Plan)
	}
	if view.Tags, err = s.tagList(ctx); err != nil {
		s.serverError(w, r, "plan", err)
		return
	}
	queue, err := s.publish.Queue(ctx, id)
	if err != nil {
		s.serverError(w, r, "plan", err)
		return
	}
	kept := r.URL.Query().Get("kept")
	for _, q := range queue {
		row := queueRow{Queued: q}
		row.Title, row.NowPrice, row.Missing = s.itemTitle(ctx, q.Key)
		view.Queue = append(view.Queue, row)
		if kept != "" && kept == string(q.Key.Platform)+":"+q.Key.ItemID {
			view.Kept = &row
		}
	}
	view.CanEdit = p.Can(string(auth.ManagePosting))
	p.Title = p.T("nav.plans") + " · " + view.Plan.Name
	p.Data = view
	s.render(w, status, "plan", p)
}

// itemTitle looks an item up for a page: its title and latest final price
// (0 when it has no observation); missing is true when the catalog does not
// have it. It reads the catalog alone, not the advisor's card, which would
// load the item's whole category.
func (s *Server) itemTitle(ctx context.Context, key catalog.Key) (title string, price int64, missing bool) {
	it, err := s.catalog.Find(ctx, key)
	if err != nil {
		return key.String(), 0, errors.Is(err, catalog.ErrNotFound)
	}
	if obs, err := s.catalog.Observations(ctx, it.ID, catalog.Forever, catalog.Forever); err == nil && len(obs) > 0 {
		price = obs[len(obs)-1].FinalPrice
	}
	return it.Title, price, false
}

// planAction saves a plan's form or reorders and trims its queue.
func (s *Server) planAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := planID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	back := "/plans/" + strconv.FormatInt(id, 10)
	qid, _ := strconv.ParseInt(r.PostFormValue("qid"), 10, 64)
	var err error
	switch r.PostFormValue("action") {
	case "save":
		var plan *publish.Plan
		var form planForm
		plan, form, err = planFromForm(r)
		form.ID = id
		if err == nil {
			plan.ID = id
			err = s.publish.SavePlan(ctx, plan)
		}
		if err != nil && !errors.Is(err, publish.ErrNotFound) {
			s.renderPlan(w, r, http.StatusBadRequest, &planView{Form: form, Error: s.textIn(w, r)(err)})
			return
		}
	case "up":
		err = s.publish.MoveQueued(ctx, id, qid, -1)
	case "down":
		err = s.publish.MoveQueued(ctx, id, qid, +1)
	case "remove":
		err = s.publish.Dequeue(ctx, id, qid)
	case "delete":
		if _, err = s.publish.DeletePlan(ctx, id); err == nil {
			back = "/plans"
		}
	default:
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	switch {
	case errors.Is(err, publish.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, err)
	case err != nil:
		s.serverError(w, r, "plan action", err)
	default:
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// enqueue checks an item to queue on a plan and queues it; an item already
// queued keeps its price (the error is a *publish.AlreadyQueued) unless
// replace. The error says what to fix; status is the HTTP status that goes
// with it.
func (s *Server) enqueue(ctx context.Context, planID int64, platform, itemID string, price int64, reason, by string, replace bool) (int, error) {
	p, ok := catalog.ParsePlatform(strings.TrimSpace(platform))
	if !ok {
		return http.StatusBadRequest, errBadPlatform
	}
	key := catalog.Key{Platform: p, ItemID: strings.TrimSpace(itemID)}
	if key.ItemID == "" {
		return http.StatusBadRequest, msg.New("web.item_id_required")
	}
	reason = strings.TrimSpace(reason)
	add := s.publish.Enqueue
	if replace {
		add = s.publish.Requeue
	}
	err := add(ctx, publish.Queued{PlanID: planID, Key: key, ChosenPrice: price, Reason: reason, AddedBy: by})
	var aq *publish.AlreadyQueued
	switch {
	case errors.As(err, &aq):
		return http.StatusConflict, err
	case errors.Is(err, publish.ErrNotInCatalog):
		return http.StatusNotFound, err
	case errors.Is(err, publish.ErrNotFound):
		return http.StatusNotFound, msg.New("web.no_such_plan")
	case err != nil:
		// Enqueue's other errors are about the price or the reason.
		return http.StatusBadRequest, err
	}
	return http.StatusOK, nil
}

// planQueueAdd is "加入发单" on the check and rankings pages.
func (s *Server) planQueueAdd(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/plans", "nav.plans")
	id, err := strconv.ParseInt(r.PostFormValue("plan"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, p.T("post.pick_plan"), http.StatusBadRequest)
		return
	}
	price, ok := parseFen(r.PostFormValue("price"))
	if !ok || price == 0 {
		http.Error(w, p.T("post.bad_price", r.PostFormValue("price")), http.StatusBadRequest)
		return
	}
	status, err := s.enqueue(r.Context(), id, r.PostFormValue("platform"), r.PostFormValue("item_id"), price,
		r.PostFormValue("reason"), sessionFrom(r).User.Name, r.PostFormValue("replace") != "")
	if status == http.StatusInternalServerError {
		s.serverError(w, r, "enqueue", err)
		return
	}
	to := "/plans/" + strconv.FormatInt(id, 10) + "?added=1"
	var aq *publish.AlreadyQueued
	if errors.As(err, &aq) {
		// Nothing changed: the plan page says so, with the price kept.
		to = fmt.Sprintf("/plans/%d?kept=%s&tried=%d", id, url.QueryEscape(string(aq.Queued.Key.Platform)+":"+aq.Queued.Key.ItemID), price)
	} else if err != nil {
		http.Error(w, p.Err(err), status)
		return
	}
	if next := r.PostFormValue("next"); next != "" && safeNext(next) == next {
		to += "&next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
