package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/ops"
	"github.com/qunke/qunke/internal/publish"
)

// maxAPIBody bounds the JSON body of the posting endpoints.
const maxAPIBody = 64 << 10

// decodeJSON reads a JSON body of at most maxAPIBody bytes into v; unknown
// fields are refused so a misspelt one is not silently ignored.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.apiFail(w, r, http.StatusBadRequest, msg.Wrap(err, "web.body_json", err))
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		s.apiFail(w, r, http.StatusBadRequest, msg.New("web.body_single"))
		return false
	}
	return true
}

// apiGroups is GET /api/v1/groups.
func (s *Server) apiGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.groups.List(r.Context(), community.Filter{Tag: r.URL.Query().Get("tag")})
	if err != nil {
		s.log.Error("api groups", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewGroups(groups))
}

// apiAddGroup is POST /api/v1/groups: a new group.
func (s *Server) apiAddGroup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name      string   `json:"name"`
		Channel   string   `json:"channel"`
		Target    string   `json:"target"`
		Secret    string   `json:"secret"`
		PIDTaobao string   `json:"pid_taobao"`
		PIDJD     string   `json:"pid_jd"`
		PIDPDD    string   `json:"pid_pdd"`
		Owner     string   `json:"owner"`
		Capacity  int64    `json:"capacity"`
		Members   int64    `json:"members"`
		Tags      []string `json:"tags"`
		TZ        string   `json:"tz"`
		Active    *bool    `json:"active"`
		// AllowUnconverted is 允许未转链 (default false).
		AllowUnconverted bool `json:"allow_unconverted"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	g := &community.Group{Name: req.Name, Channel: community.Channel(req.Channel), Target: req.Target, Secret: req.Secret,
		PIDTaobao: req.PIDTaobao, PIDJD: req.PIDJD, PIDPDD: req.PIDPDD, Owner: req.Owner, Capacity: req.Capacity,
		Members: req.Members, Tags: req.Tags, TZ: req.TZ, Active: req.Active == nil || *req.Active,
		AllowUnconverted: req.AllowUnconverted}
	err := s.groups.Save(r.Context(), g)
	var fe *community.FieldError
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": s.textIn(w, r)(fe.Msg), "field": fe.Field})
	case errors.Is(err, community.ErrDuplicateName):
		s.apiFail(w, r, http.StatusConflict, err)
	case err != nil:
		s.log.Error("api add group", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
	default:
		writeJSON(w, http.StatusCreated, apiv1.NewGroup(g))
	}
}

type apiPlan struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	GroupID    *int64      `json:"group_id"` // null: a plan by tag
	Tag        *string     `json:"tag"`      // null: a one-group plan
	Slots      []string    `json:"slots"`
	PerSlot    int         `json:"per_slot"`
	DailyCap   int         `json:"daily_cap"`
	RepeatDays int         `json:"repeat_days"`
	QuietFrom  *string     `json:"quiet_from"` // HH:MM; null: no quiet hours
	QuietTo    *string     `json:"quiet_to"`
	Active     bool        `json:"active"`
	Queue      []apiQueued `json:"queue"`
}

type apiQueued struct {
	ID          int64     `json:"id"`
	Platform    string    `json:"platform"`
	ItemID      string    `json:"item_id"`
	ChosenPrice int64     `json:"chosen_price_fen"`
	Reason      string    `json:"reason"`
	AddedBy     string    `json:"added_by"`
	AddedAt     time.Time `json:"added_at"`
}

func toAPIQueue(q []publish.Queued) []apiQueued {
	out := []apiQueued{}
	for _, e := range q {
		out = append(out, apiQueued{ID: e.ID, Platform: string(e.Key.Platform), ItemID: e.Key.ItemID, ChosenPrice: e.ChosenPrice,
			Reason: e.Reason, AddedBy: e.AddedBy, AddedAt: e.AddedAt})
	}
	return out
}

// apiPlans is GET /api/v1/plans: every plan with its queue.
// apiDeleteGroup is DELETE /api/v1/groups/{id}: {"deleted": id}, or 409 for a group
// with posts or orders on record (pause it instead).
func (s *Server) apiDeleteGroup(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.apiFail(w, r, http.StatusNotFound, community.ErrNotFound)
		return
	}
	switch err := s.groupOps.Delete(r.Context(), id); {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]int64{"deleted": id})
	case errors.Is(err, community.ErrNotFound):
		s.apiFail(w, r, http.StatusNotFound, err)
	case errors.Is(err, community.ErrInUse) || errors.Is(err, ops.ErrGroupHasOrders):
		s.apiFail(w, r, http.StatusConflict, err)
	default:
		s.log.Error("api delete group", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
	}
}

// apiDeletePlan is DELETE /api/v1/plans/{id}: the plan and its queue go,
// its posts not yet sent are skipped; {"skipped": n}.
func (s *Server) apiDeletePlan(w http.ResponseWriter, r *http.Request) {
	id, ok := planID(r)
	if !ok {
		s.apiFail(w, r, http.StatusNotFound, publish.ErrNotFound)
		return
	}
	n, err := s.publish.DeletePlan(r.Context(), id)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]int{"skipped": n})
	case errors.Is(err, publish.ErrNotFound):
		s.apiFail(w, r, http.StatusNotFound, err)
	default:
		s.log.Error("api delete plan", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
	}
}

func (s *Server) apiPlans(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	plans, err := s.publish.Plans(ctx)
	if err != nil {
		s.log.Error("api plans", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	out := []apiPlan{}
	for _, p := range plans {
		q, err := s.publish.Queue(ctx, p.ID)
		if err != nil {
			s.log.Error("api plans", "err", err)
			s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
			return
		}
		ap := apiPlan{ID: p.ID, Name: p.Name, Slots: []string{}, PerSlot: p.PerSlot,
			DailyCap: p.DailyCap, RepeatDays: p.RepeatDays, Active: p.Active, Queue: toAPIQueue(q)}
		if p.GroupID != 0 {
			ap.GroupID = &p.GroupID
		} else {
			ap.Tag = &p.Tag
		}
		for _, m := range p.Slots {
			ap.Slots = append(ap.Slots, publish.Clock(m))
		}
		if p.QuietFrom != p.QuietTo {
			from, to := publish.Clock(p.QuietFrom), publish.Clock(p.QuietTo)
			ap.QuietFrom, ap.QuietTo = &from, &to
		}
		out = append(out, ap)
	}
	writeJSON(w, http.StatusOK, map[string]any{"plans": out})
}

// apiEnqueue is POST /api/v1/plans/{id}/queue: an item onto a plan's queue.
// An item already queued is left as it is (409) unless "replace" is true:
// then it keeps its place and takes the new price and reason. It answers
// with the plan's queue.
func (s *Server) apiEnqueue(w http.ResponseWriter, r *http.Request) {
	id, ok := planID(r)
	if !ok {
		s.apiFail(w, r, http.StatusNotFound, msg.New("web.no_such_plan"))
		return
	}
	var req struct {
		Platform    string `json:"platform"`
		ItemID      string `json:"item_id"`
		ChosenPrice int64  `json:"chosen_price_fen"`
		Reason      string `json:"reason"`
		Replace     bool   `json:"replace"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if req.ChosenPrice <= 0 {
		s.apiFail(w, r, http.StatusBadRequest, msg.New("web.bad_chosen_price"))
		return
	}
	status, err := s.enqueue(r.Context(), id, req.Platform, req.ItemID, req.ChosenPrice, req.Reason, sessionFrom(r).User.Name, req.Replace)
	if status == http.StatusInternalServerError {
		s.log.Error("api enqueue", "err", err)
		s.apiFail(w, r, status, msg.New("web.internal"))
		return
	}
	if err != nil {
		s.apiFail(w, r, status, err)
		return
	}
	q, err := s.publish.Queue(r.Context(), id)
	if err != nil {
		s.log.Error("api enqueue", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"plan_id": id, "queue": toAPIQueue(q)})
}

type apiDelivery struct {
	ID          int64      `json:"id"`
	GroupID     int64      `json:"group_id"`
	Group       string     `json:"group"`
	PlanID      int64      `json:"plan_id"`
	Platform    string     `json:"platform"`
	ItemID      string     `json:"item_id"`
	Title       string     `json:"title"`
	SlotAt      time.Time  `json:"slot_at"`
	Seq         int64      `json:"seq"`
	Status      string     `json:"status"`
	Body        string     `json:"body"`
	Link        string     `json:"link"`
	ListPrice   int64      `json:"list_price_fen"`
	Coupon      int64      `json:"coupon_fen"`
	FinalPrice  int64      `json:"final_price_fen"`
	ChosenPrice int64      `json:"chosen_price_fen"`
	Attempts    int64      `json:"attempts"`
	LastError   string     `json:"last_error"`
	SentAt      *time.Time `json:"sent_at"` // null: not sent
	SentBy      string     `json:"sent_by"`
}

func toAPIDelivery(d *publish.Delivery, group string, lang i18n.Lang) apiDelivery {
	return apiDelivery{ID: d.ID, GroupID: d.GroupID, Group: group, PlanID: d.PlanID, Platform: string(d.Item.Platform),
		ItemID: d.Item.ItemID, Title: d.Title, SlotAt: apiv1.Unix(d.SlotAt), Seq: d.Seq, Status: string(d.Status),
		Body: d.Body, Link: d.Link, ListPrice: d.ListPrice, Coupon: d.Coupon, FinalPrice: d.FinalPrice,
		ChosenPrice: d.ChosenPrice, Attempts: d.Attempts, LastError: publish.ReasonText(lang, d.LastError), SentAt: apiv1.UnixOrNil(d.SentAt), SentBy: d.SentBy}
}

// apiDeliveries is GET /api/v1/deliveries?day=YYYY-MM-DD: the day's board
// (the day in the console's zone; default today).
func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	day, err := s.parseDay(r.URL.Query().Get("day"))
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	from, to := day, day.AddDate(0, 0, 1)
	ds, err := s.publish.Board(ctx, from, to)
	if err == nil {
		var counts map[publish.Status]int
		if counts, err = s.publish.Counts(ctx, from, to); err == nil {
			var groups map[int64]*community.Group
			if groups, err = s.groupsByID(ctx); err == nil {
				out := []apiDelivery{}
				for _, d := range ds {
					name := ""
					if g := groups[d.GroupID]; g != nil {
						name = g.Name
					}
					out = append(out, toAPIDelivery(d, name, lang(w, r)))
				}
				writeJSON(w, http.StatusOK, map[string]any{"day": day.Format("2006-01-02"), "counts": counts, "deliveries": out})
				return
			}
		}
	}
	s.log.Error("api deliveries", "err", err)
	s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
}

// apiDeliveryAction is POST /api/v1/deliveries/{id}/hold, .../release and
// .../sent (a manual group's post made by hand). It answers with the
// delivery.
func (s *Server) apiDeliveryAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.apiFail(w, r, http.StatusNotFound, msg.New("web.no_such_delivery"))
		return
	}
	switch r.PathValue("action") {
	case "hold":
		err = s.publish.Hold(ctx, id)
	case "release":
		err = s.publish.Release(ctx, id)
	case "sent":
		err = s.publish.MarkSent(ctx, id, sessionFrom(r).User.Name)
	default:
		s.apiFail(w, r, http.StatusNotFound, msg.New("web.bad_delivery_action"))
		return
	}
	if status, text := deliveryErr(err, s.textIn(w, r)); status != 0 {
		if status == http.StatusInternalServerError {
			s.log.Error("api delivery action", "err", err)
		}
		writeJSONError(w, status, text)
		return
	}
	d, err := s.publish.Delivery(ctx, id)
	if err != nil {
		s.log.Error("api delivery action", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	name := ""
	if g, err := s.groups.Get(ctx, d.GroupID); err == nil {
		name = g.Name
	}
	writeJSON(w, http.StatusOK, toAPIDelivery(d, name, lang(w, r)))
}

// apiTemplatePreview is POST /api/v1/templates/preview: {"body"} in, the
// copy it renders for the sample item out, or 400 with the error and its
// line (0 when unknown).
func (s *Server) apiTemplatePreview(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	out, te := preview(req.Body)
	if te != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": te.Error(), "line": te.Line})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"copy": out})
}
