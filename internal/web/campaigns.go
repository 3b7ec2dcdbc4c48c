package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/poster"
)

// campaignRoutes are the fission campaigns (裂变活动): the list and the
// create form, a campaign's page (figures, live leaderboard, held invites
// to review, decisions with reasons, participants with links), a
// participant's page, and the JSON API. Running campaigns is posting work
// (ManagePosting).
func (s *Server) campaignRoutes() {
	if s.campaigns == nil {
		return
	}
	s.mux.Handle("GET /campaigns", s.page(auth.ManagePosting, s.campaignsPage))
	s.mux.Handle("POST /campaigns", s.page(auth.ManagePosting, s.campaignsPage))
	s.mux.Handle("GET /campaigns/{id}", s.page(auth.ManagePosting, s.campaignPage))
	s.mux.Handle("POST /campaigns/{id}", s.page(auth.ManagePosting, s.campaignPage))
	s.mux.Handle("GET /campaigns/{id}/participants/{pid}", s.page(auth.ManagePosting, s.participantPage))
	s.mux.Handle("GET /campaigns/{id}/participants/{pid}/poster.png", s.page(auth.ManagePosting, s.participantPoster))
	s.mux.Handle("GET /api/v1/campaigns", s.api(auth.ManagePosting, s.apiCampaigns))
	s.mux.Handle("POST /api/v1/campaigns", s.api(auth.ManagePosting, s.apiCampaignSave))
	s.mux.Handle("GET /api/v1/campaigns/{id}", s.api(auth.ManagePosting, s.apiCampaign))
	s.mux.Handle("PUT /api/v1/campaigns/{id}", s.api(auth.ManagePosting, s.apiCampaignSave))
	s.mux.Handle("GET /api/v1/campaigns/{id}/leaderboard", s.api(auth.ManagePosting, s.apiLeaderboard))
	s.mux.Handle("GET /api/v1/campaigns/{id}/invites", s.api(auth.ManagePosting, s.apiCampaignInvites))
	s.mux.Handle("POST /api/v1/campaigns/{id}/review", s.api(auth.ManagePosting, s.apiCampaignReview))
	s.mux.Handle("POST /api/v1/campaigns/{id}/participants", s.api(auth.ManagePosting, s.apiParticipantAdd))
}

type campaignsView struct {
	Action    string
	Edit      bool
	Statuses  []campaign.Status
	Campaigns []*campaign.Campaign
	Groups    []groupOption
	JoinCodes []joinCodeOption
	Kinds     []campaign.RewardKind
	Error     string
	Form      campaignForm
}

type groupOption struct {
	ID   int64
	Name string
}

// joinCodeOption is a join code the campaign form offers, by its name; a
// code the campaign names that no longer exists is kept, marked Gone, so
// that saving the form does not drop it silently.
type joinCodeOption struct {
	ID         string
	Name, Code string
	Gone       bool
}

// joinCodeOptions lists the join codes for the campaign form; current is
// the code the campaign has now (0 none).
func (s *Server) joinCodeOptions(r *http.Request, current int64) []joinCodeOption {
	if s.joins == nil {
		return nil
	}
	cs, err := s.joins.Store.List(r.Context())
	if err != nil {
		return nil
	}
	out := make([]joinCodeOption, 0, len(cs)+1)
	found := current == 0
	for _, c := range cs {
		out = append(out, joinCodeOption{ID: strconv.FormatInt(c.ID, 10), Name: c.Name, Code: c.Code})
		found = found || c.ID == current
	}
	if !found {
		out = append(out, joinCodeOption{ID: strconv.FormatInt(current, 10), Gone: true})
	}
	return out
}

// campaignsByCode returns the campaigns by the join code they use.
func (s *Server) campaignsByCode(r *http.Request) (map[int64][]*campaign.Campaign, error) {
	out := map[int64][]*campaign.Campaign{}
	if s.campaigns == nil {
		return out, nil
	}
	cs, err := s.campaigns.List(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.JoinCodeID != 0 {
			out[c.JoinCodeID] = append(out[c.JoinCodeID], c)
		}
	}
	return out, nil
}

// campaignForm is the create/edit form as typed.
type campaignForm struct {
	Name, Starts, Ends, JoinCode, Stay, BurstJoins, BurstSeconds, Cap, Bought, Tiers, Status string
	Groups                                                                                   []int64
}

// Has reports whether group id is ticked.
func (f campaignForm) Has(id int64) bool { return slices.Contains(f.Groups, id) }

// parseCampaignForm reads the form into c (tiers as "3:red_envelope:5,
// 10:free_order:30": invites, kind, yuan).
func (s *Server) parseCampaignForm(r *http.Request, c *campaign.Campaign) (campaignForm, error) {
	f := campaignForm{Name: r.PostFormValue("name"), Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends"),
		JoinCode: r.PostFormValue("join_code"), Stay: r.PostFormValue("stay_hours"), BurstJoins: r.PostFormValue("burst_joins"),
		BurstSeconds: r.PostFormValue("burst_seconds"), Cap: r.PostFormValue("cap"), Bought: r.PostFormValue("bought"),
		Tiers: r.PostFormValue("tiers"), Status: r.PostFormValue("status")}
	for _, g := range r.PostForm["group"] {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return f, &badField{Field: "group", Key: "filter.bad_choice", Value: g, Msg: msg.New("web.want_group")}
		}
		f.Groups = append(f.Groups, id)
	}
	c.Name, c.Groups, c.Status = f.Name, f.Groups, campaign.Status(f.Status)
	var err error
	if c.Starts, err = time.ParseInLocation("2006-01-02", strings.TrimSpace(f.Starts), s.zone); err != nil {
		return f, &badField{Field: "starts", Key: "campaign.bad_date", Value: f.Starts, Msg: msg.New("web.want_date", "2026-11-01")}
	}
	c.Ends = time.Time{}
	if e := strings.TrimSpace(f.Ends); e != "" {
		if c.Ends, err = time.ParseInLocation("2006-01-02", e, s.zone); err != nil {
			return f, &badField{Field: "ends", Key: "campaign.bad_date", Value: f.Ends, Msg: msg.New("web.want_date", "2026-11-30")}
		}
		c.Ends = c.Ends.AddDate(0, 0, 1) // the end day is included
	}
	num := func(field, v string) (int64, error) {
		if v = strings.TrimSpace(v); v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, &badField{Field: field, Key: "campaign.bad_number", Value: v, Msg: msg.New("campaign.bad_number", field, v)}
		}
		return n, nil
	}
	var n int64
	if c.JoinCodeID, err = num("join_code", f.JoinCode); err != nil {
		return f, err
	}
	if n, err = num("stay_hours", f.Stay); err != nil {
		return f, err
	}
	c.Rules.StayHours = int(n)
	if n, err = num("burst_joins", f.BurstJoins); err != nil {
		return f, err
	}
	c.Rules.BurstJoins = int(n)
	if n, err = num("burst_seconds", f.BurstSeconds); err != nil {
		return f, err
	}
	c.Rules.BurstSeconds = int(n)
	if n, err = num("cap", f.Cap); err != nil {
		return f, err
	}
	c.Rules.CapPerInviter = int(n)
	if b := strings.TrimSpace(f.Bought); b != "" {
		fen, ok := parseFen(b)
		if !ok {
			return f, &badField{Field: "bought", Key: "campaign.bad_number", Value: b, Msg: msg.New("campaign.bad_number", "bought", b)}
		}
		c.BoughtCostFen = fen
	}
	c.Tiers = nil
	for _, part := range strings.FieldsFunc(f.Tiers, func(r rune) bool { return r == ',' || r == '，' || r == '\n' }) {
		bits := strings.Split(strings.ReplaceAll(strings.TrimSpace(part), "：", ":"), ":")
		if len(bits) != 3 {
			return f, &badField{Field: "tiers", Key: "campaign.bad_tiers", Value: part, Msg: msg.New("campaign.bad_tiers", part)}
		}
		inv, err1 := strconv.Atoi(strings.TrimSpace(bits[0]))
		fen, ok := parseFen(strings.TrimSpace(bits[2]))
		if err1 != nil || !ok {
			return f, &badField{Field: "tiers", Key: "campaign.bad_tiers", Value: part, Msg: msg.New("campaign.bad_tiers", part)}
		}
		c.Tiers = append(c.Tiers, campaign.Tier{Invites: inv, Kind: campaign.ParseRewardKind(bits[1]), CostFen: fen})
	}
	return f, nil
}

func (s *Server) groupOptions(r *http.Request) []groupOption {
	gs, err := s.groups.List(r.Context(), community.Filter{})
	if err != nil {
		return nil
	}
	out := make([]groupOption, 0, len(gs))
	for _, g := range gs {
		out = append(out, groupOption{g.ID, g.Name})
	}
	return out
}

func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := s.newPage(w, r, "/campaigns", "nav.campaigns")
	view := &campaignsView{Action: "/campaigns", Statuses: campaign.Statuses, Groups: s.groupOptions(r), Kinds: campaign.RewardKinds,
		JoinCodes: s.joinCodeOptions(r, 0),
		Form: campaignForm{Starts: s.now().In(s.zone).Format("2006-01-02"), Stay: "24", BurstJoins: "100", BurstSeconds: "60",
			Tiers: tiersText(pg, []campaign.Tier{{Invites: 3, Kind: campaign.RedEnvelope, CostFen: 500}, {Invites: 10, Kind: campaign.FreeOrder, CostFen: 3000}})}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		c := &campaign.Campaign{}
		f, err := s.parseCampaignForm(r, c)
		view.Form = f
		if err == nil {
			err = s.campaigns.Save(ctx, c)
		}
		if err == nil {
			http.Redirect(w, r, "/campaigns/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
			return
		}
		view.Error, status = pg.Err(err), http.StatusBadRequest
	}
	var err error
	if view.Campaigns, err = s.campaigns.List(ctx); err != nil {
		s.serverError(w, r, "campaigns", err)
		return
	}
	pg.Data = view
	s.render(w, status, "campaigns", pg)
}

type campaignView struct {
	Action    string
	Edit      bool
	C         *campaign.Campaign
	Figures   *campaign.Figures
	Board     []campaign.Ranked
	Total     int
	Held      []campaign.InviteRow
	Recent    []campaign.InviteRow
	Groups    []groupOption
	JoinCodes []joinCodeOption
	Kinds     []campaign.RewardKind
	Statuses  []campaign.Status
	Form      campaignForm
	Error     string
	Notice    string
	Text      string // the leaderboard as a post
	Lang      i18n.Lang
	// The leaderboard's page: its first place (0-based) and the links to
	// the pages before and after ("" none).
	BoardFrom            int
	BoardPrev, BoardNext string
	BoardRange           string // "places 21–40 of 57"
	Hours                []int  // the daily board hours to choose from
}

// boardPage is how many places the campaign page shows at a time.
const boardPage = 20

func (s *Server) campaignID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, campaign.ErrNotFound.With(r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := s.newPage(w, r, "/campaigns", "nav.campaigns")
	id, err := s.campaignID(r)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	status := http.StatusOK
	view := &campaignView{Action: "/campaigns/" + strconv.FormatInt(id, 10), Edit: true, Lang: pg.Lang, Groups: s.groupOptions(r), Kinds: campaign.RewardKinds, Statuses: campaign.Statuses}
	if r.Method == http.MethodPost {
		var err error
		switch r.PostFormValue("action") {
		case "edit":
			c, gerr := s.campaigns.Get(ctx, id)
			if gerr != nil {
				s.fail(w, r, http.StatusNotFound, gerr)
				return
			}
			view.Form, err = s.parseCampaignForm(r, c)
			if err == nil {
				err = s.campaigns.Save(ctx, c)
			}
		case "participant":
			var member int64
			if m := strings.TrimSpace(r.PostFormValue("member")); m != "" {
				if member, err = strconv.ParseInt(m, 10, 64); err != nil {
					err = msg.New("campaign.bad_number", "member", m)
				}
			}
			if err == nil {
				_, err = s.campaigns.AddParticipant(ctx, id, member, r.PostFormValue("name"))
			}
		case "approve", "reject":
			_, err = s.campaigns.Review(ctx, id, r.PostFormValue("key"), r.PostFormValue("action") == "approve", pg.User)
		case "count":
			_, err = s.campaigns.Count(ctx)
		case "board_hour":
			h, perr := strconv.Atoi(r.PostFormValue("hour"))
			if perr != nil {
				err = campaign.ErrBadBoardHour.With(r.PostFormValue("hour"))
			} else {
				err = s.campaigns.SetBoardHour(ctx, id, h)
			}
		case "post_board":
			var n int
			if n, err = s.campaigns.PostBoard(ctx, id, campaign.BoardTop); err == nil {
				http.Redirect(w, r, "/campaigns/"+strconv.FormatInt(id, 10)+"?posted="+strconv.Itoa(n), http.StatusSeeOther)
				return
			}
		default:
			err = msg.New("campaign.bad_action")
		}
		if err == nil {
			http.Redirect(w, r, "/campaigns/"+strconv.FormatInt(id, 10)+"?done=1", http.StatusSeeOther)
			return
		}
		if errors.Is(err, campaign.ErrNotFound) {
			s.fail(w, r, http.StatusNotFound, err)
			return
		}
		view.Error, status = pg.Err(err), http.StatusBadRequest
	}
	if r.URL.Query().Get("done") != "" {
		view.Notice = pg.T("campaign.saved")
	}
	if n, perr := strconv.Atoi(r.URL.Query().Get("posted")); perr == nil {
		view.Notice = pg.T("campaign.board_posted", n)
	}
	if view.C, err = s.campaigns.Get(ctx, id); err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if view.Form.Name == "" {
		view.Form = campaignFormOf(pg, view.C, s.zone)
	}
	view.JoinCodes = s.joinCodeOptions(r, view.C.JoinCodeID)
	if view.Figures, err = s.campaigns.Figures(ctx, id, s.orders); err != nil {
		s.serverError(w, r, "campaign figures", err)
		return
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("board"))
	view.BoardFrom = max(from, 0)
	if view.Board, view.Total, err = s.campaigns.Leaderboard(ctx, id, boardPage, view.BoardFrom); err != nil {
		s.serverError(w, r, "leaderboard", err)
		return
	}
	page := func(at int) string { return view.Action + "?board=" + strconv.Itoa(at) + "#leaderboard" }
	if view.BoardFrom > 0 {
		view.BoardPrev = page(max(min(view.BoardFrom, view.Total)-boardPage, 0))
	}
	if view.BoardFrom+boardPage < view.Total {
		view.BoardNext = page(view.BoardFrom + boardPage)
	}
	if len(view.Board) > 0 {
		view.BoardRange = pg.T("campaign.board_range", view.BoardFrom+1, view.BoardFrom+len(view.Board), view.Total)
	} else {
		view.BoardRange = pg.T("campaign.participants_total", view.Total)
	}
	top := view.Board // the post is always the top places
	if view.BoardFrom > 0 {
		if top, _, err = s.campaigns.Leaderboard(ctx, id, campaign.BoardTop, 0); err != nil {
			s.serverError(w, r, "leaderboard", err)
			return
		}
	}
	for h := range 24 {
		view.Hours = append(view.Hours, h)
	}
	if view.Held, _, err = s.campaigns.Invites(ctx, campaign.InviteFilter{CampaignID: id, Status: campaign.Held, Limit: 50}); err != nil {
		s.serverError(w, r, "held invites", err)
		return
	}
	if view.Recent, _, err = s.campaigns.Invites(ctx, campaign.InviteFilter{CampaignID: id, Limit: 50}); err != nil {
		s.serverError(w, r, "invites", err)
		return
	}
	view.Text = campaign.LeaderboardText(pg.Lang, view.C, top, campaign.BoardTop)
	pg.Title = view.C.Name
	pg.Data = view
	s.render(w, status, "campaign", pg)
}

// tiersText writes tiers as the form takes them, rewards by their names
// in the page's language ("3:红包:5.00").
func tiersText(pg *page, ts []campaign.Tier) string {
	var tiers []string
	for _, t := range ts {
		tiers = append(tiers, strconv.Itoa(t.Invites)+":"+pg.T("campaign.kind."+string(t.Kind))+":"+cells.Yuan(t.CostFen))
	}
	return strings.Join(tiers, ", ")
}

func campaignFormOf(pg *page, c *campaign.Campaign, zone *time.Location) campaignForm {
	f := campaignForm{Name: c.Name, Starts: c.Starts.In(zone).Format("2006-01-02"), Status: string(c.Status),
		Stay: strconv.Itoa(c.Rules.StayHours), BurstJoins: strconv.Itoa(c.Rules.BurstJoins),
		BurstSeconds: strconv.Itoa(c.Rules.BurstSeconds), Cap: strconv.Itoa(c.Rules.CapPerInviter), Groups: c.Groups}
	if !c.Ends.IsZero() {
		f.Ends = c.Ends.AddDate(0, 0, -1).In(zone).Format("2006-01-02")
	}
	if c.JoinCodeID != 0 {
		f.JoinCode = strconv.FormatInt(c.JoinCodeID, 10)
	}
	if c.BoughtCostFen != 0 {
		f.Bought = cells.Yuan(c.BoughtCostFen)
	}
	f.Tiers = tiersText(pg, c.Tiers)
	return f
}

type participantView struct {
	C       *campaign.Campaign
	P       *campaign.Participant
	Invites []campaign.InviteRow
	Lang    i18n.Lang
	Poster  bool // the server draws posters
}

func (s *Server) participantPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := s.newPage(w, r, "/campaigns", "nav.campaigns")
	id, err := s.campaignID(r)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	pid, _ := strconv.ParseInt(r.PathValue("pid"), 10, 64)
	p, err := s.campaigns.Participant(ctx, pid)
	if err != nil || p.CampaignID != id {
		s.fail(w, r, http.StatusNotFound, campaign.ErrNoParticipant.With(r.PathValue("pid")))
		return
	}
	view := &participantView{P: p, Lang: pg.Lang}
	if pc, ok := s.posters.(*publish.PosterCache); ok && pc.R != nil {
		view.Poster = true
	}
	if view.C, err = s.campaigns.Get(ctx, id); err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if view.Invites, _, err = s.campaigns.Invites(ctx, campaign.InviteFilter{CampaignID: id, ParticipantID: pid, Limit: 100}); err != nil {
		s.serverError(w, r, "participant invites", err)
		return
	}
	pg.Title = p.Name
	pg.Data = view
	s.render(w, http.StatusOK, "participant", pg)
}

// The JSON API.

func (s *Server) apiCampaigns(w http.ResponseWriter, r *http.Request) {
	cs, err := s.campaigns.List(r.Context())
	if err != nil {
		s.apiFail(w, r, http.StatusInternalServerError, err)
		return
	}
	out := []apiv1.Campaign{}
	for _, c := range cs {
		out = append(out, apiv1.NewCampaign(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err == nil {
		var c *campaign.Campaign
		if c, err = s.campaigns.Get(r.Context(), id); err == nil {
			var f *campaign.Figures
			if f, err = s.campaigns.Figures(r.Context(), id, s.orders); err == nil {
				writeJSON(w, http.StatusOK, apiv1.CampaignDetail{Campaign: apiv1.NewCampaign(c), Figures: apiv1.NewCampaignFigures(f)})
				return
			}
		}
	}
	s.apiCampaignFail(w, r, err)
}

func (s *Server) apiCampaignFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, campaign.ErrNotFound), errors.Is(err, campaign.ErrNoInvite), errors.Is(err, campaign.ErrNoParticipant):
		s.apiFail(w, r, http.StatusNotFound, err)
	default:
		var m *msg.Error
		if errors.As(err, &m) {
			s.apiFail(w, r, http.StatusBadRequest, err)
			return
		}
		s.apiFail(w, r, http.StatusInternalServerError, err)
	}
}

func (s *Server) apiCampaignSave(w http.ResponseWriter, r *http.Request) {
	var in apiv1.CampaignInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	c := &campaign.Campaign{}
	if r.Method == http.MethodPut {
		id, err := s.campaignID(r)
		if err == nil {
			c, err = s.campaigns.Get(r.Context(), id)
		}
		if err != nil {
			s.apiCampaignFail(w, r, err)
			return
		}
	}
	c.Name, c.Status, c.Starts = in.Name, campaign.Status(in.Status), in.StartsAt
	c.Ends = time.Time{}
	if in.EndsAt != nil {
		c.Ends = *in.EndsAt
	}
	c.JoinCodeID = 0
	if in.JoinCodeID != "" {
		id, err := strconv.ParseInt(in.JoinCodeID, 10, 64)
		if err != nil || id < 0 {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("campaign.bad_number", "join_code_id", in.JoinCodeID))
			return
		}
		c.JoinCodeID = id
	}
	c.Groups = nil
	for _, g := range in.GroupIDs {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("campaign.bad_number", "group_ids", g))
			return
		}
		c.Groups = append(c.Groups, id)
	}
	c.Tiers = nil
	for _, t := range in.Tiers {
		c.Tiers = append(c.Tiers, campaign.Tier{Invites: t.Invites, Kind: campaign.RewardKind(t.Kind), CostFen: t.CostFen})
	}
	c.Rules = campaign.Rules{StayHours: in.StayHours, BurstJoins: in.BurstJoins, BurstSeconds: in.BurstSeconds, CapPerInviter: in.CapPerInviter}
	c.BoughtCostFen = in.BoughtCostFen
	if err := s.campaigns.Save(r.Context(), c); err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	code := http.StatusOK
	if r.Method == http.MethodPost {
		code = http.StatusCreated
	}
	writeJSON(w, code, apiv1.NewCampaign(c))
}

func (s *Server) apiLeaderboard(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err == nil {
		_, err = s.campaigns.Get(r.Context(), id)
	}
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	rows, total, err := s.campaigns.Leaderboard(r.Context(), id, limit, offset)
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	out := apiv1.Leaderboard{Total: total, Rows: []apiv1.Participant{}}
	for _, p := range rows {
		out.Rows = append(out.Rows, apiv1.NewParticipant(p.Participant, p.Rank))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCampaignInvites(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err == nil {
		_, err = s.campaigns.Get(r.Context(), id)
	}
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := campaign.InviteFilter{CampaignID: id, Status: campaign.Decision(q.Get("decision"))}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.ParticipantID, _ = strconv.ParseInt(q.Get("participant_id"), 10, 64)
	rows, total, err := s.campaigns.Invites(r.Context(), f)
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	out := apiv1.Invites{Total: total, Rows: []apiv1.CampaignInvite{}}
	l := lang(w, r)
	for _, row := range rows {
		out.Rows = append(out.Rows, apiv1.NewCampaignInvite(row, l))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCampaignReview(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	var in apiv1.ReviewInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	by := ""
	if si := sessionFrom(r); si != nil {
		by = si.User.DisplayName
	}
	row, err := s.campaigns.Review(r.Context(), id, in.EventKey, in.Approve, by)
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewCampaignInvite(*row, lang(w, r)))
}

func (s *Server) apiParticipantAdd(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	var in apiv1.ParticipantInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	var member int64
	if in.MemberID != "" {
		if member, err = strconv.ParseInt(in.MemberID, 10, 64); err != nil {
			s.apiFail(w, r, http.StatusBadRequest, msg.New("campaign.bad_number", "member_id", in.MemberID))
			return
		}
	}
	p, err := s.campaigns.AddParticipant(r.Context(), id, member, in.Name)
	if err != nil {
		s.apiCampaignFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiv1.NewParticipant(*p, 0))
}

// Why renders an invite's reason for the page.
func (v *campaignView) Why(row campaign.InviteRow) string {
	return apiv1.ReasonText(v.Lang, row.Reason, row.ReasonArgs)
}

// Why renders an invite's reason for the page.
func (v *participantView) Why(row campaign.InviteRow) string {
	return apiv1.ReasonText(v.Lang, row.Reason, row.ReasonArgs)
}

// participantPoster is a participant's personal poster (the poster engine:
// the campaign, their name, the rewards and a QR code of their link).
func (s *Server) participantPoster(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pc, ok := s.posters.(*publish.PosterCache)
	id, err := s.campaignID(r)
	pid, _ := strconv.ParseInt(r.PathValue("pid"), 10, 64)
	var p *campaign.Participant
	if err == nil {
		p, err = s.campaigns.Participant(ctx, pid)
	}
	if err != nil || p.CampaignID != id || !ok || pc.R == nil {
		http.NotFound(w, r)
		return
	}
	c, err := s.campaigns.Get(ctx, id)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	l := lang(w, r)
	iv := poster.Invite{Campaign: c.Name, Headline: msg.In(l, msg.New("campaign.poster_headline", p.Name))}
	for _, t := range c.Tiers {
		iv.Lines = append(iv.Lines, msg.In(l, msg.New("campaign.tier", t.Invites, msg.In(l, msg.New("campaign.kind."+string(t.Kind))), cells.Yuan(t.CostFen))))
	}
	png, err := pc.R.InvitePNG(iv, p.Link)
	if err != nil {
		s.serverError(w, r, "participant poster", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(png)
}
