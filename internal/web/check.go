package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
)

// maxFormBytes bounds a posted form (a pasted message is far smaller).
const maxFormBytes = 2 << 20

type cardView struct {
	N     int
	Card  *advisor.Card
	Chart chartData
	Page  *page
	Post  *postCtx // "add to posting"; nil: not offered
	// Stated is the price the pasted message gives (fen, 0: none), shown
	// beside the catalog's when they differ.
	Stated int64
	// Text is the pasted message and Groups the groups its 转链 may
	// convert for (none: not offered); Linked is this card's conversion,
	// when one was asked for.
	Text   string
	Groups []*community.Group
	Linked *linkedView
}

// linkedView is an item's link converted for a group on the check page.
type linkedView struct {
	Group string
	publish.MessageLink
}

type checkView struct {
	Text   string
	Report *advisor.Report
	Cards  []*cardView // by result index; nil where there is no card
}

// checkPage shows the paste box and, after a post, the decision cards.
func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	p := &page{Lang: lang(w, r), Path: "/check", CSRF: csrfFrom(r)}
	if si := sessionFrom(r); si != nil {
		p.User, p.role = si.User.DisplayName, si.User.Role
	}
	p.msgs = s.msgs
	p.Title = p.T("check.title")
	view := &checkView{}
	text := r.URL.Query().Get("text") // a link from the library or a ranking
	if r.Method == http.MethodPost {
		text = r.PostFormValue("text")
	}
	if text = strings.TrimSpace(text); text != "" {
		view.Text = text
		rep, err := s.advisor.Check(r.Context(), view.Text)
		if err != nil {
			s.log.Error("check", "err", err)
			s.fail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
			return
		}
		view.Report = rep
		view.Cards = make([]*cardView, len(rep.Results))
		post, err := s.postCtx(r, p)
		if err != nil {
			s.serverError(w, r, "check", err)
			return
		}
		var groups []*community.Group
		if post != nil {
			if groups, err = s.groups.List(r.Context(), community.Filter{ActiveOnly: true}); err != nil {
				s.serverError(w, r, "check", err)
				return
			}
		}
		linked, err := s.checkLink(r, post != nil)
		if err != nil {
			s.serverError(w, r, "check link", err)
			return
		}
		for i, res := range rep.Results {
			if res.Card != nil {
				c := &cardView{N: i, Card: res.Card, Chart: newChart(res.Card, p), Page: p, Post: post, Stated: res.MessagePrice,
					Text: text, Groups: groups}
				if linked != nil && linked.Item == res.Card.Item.Key() {
					c.Linked = linked
				}
				view.Cards[i] = c
			}
		}
	}
	p.Data = view
	s.render(w, http.StatusOK, "check", p)
}

// checkLink is the check page's 转链: the posted item converted for the
// chosen group (nil when none was asked for or the user may not post).
func (s *Server) checkLink(r *http.Request, may bool) (*linkedView, error) {
	if !may || r.Method != http.MethodPost || r.PostFormValue("action") != "link" {
		return nil, nil
	}
	id, err := strconv.ParseInt(r.PostFormValue("group"), 10, 64)
	if err != nil {
		return nil, nil
	}
	key := catalog.Key{Platform: catalog.Platform(r.PostFormValue("platform")), ItemID: r.PostFormValue("item_id")}
	g, ml, err := s.planner.LinkItem(r.Context(), id, key)
	if errors.Is(err, community.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &linkedView{Group: g.Name, MessageLink: ml}, nil
}

// apiCheck is POST /api/v1/check: {"text": "..."} in, the advisor's report out.
func (s *Server) apiCheck(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text string `json:"text"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err := dec.Decode(&req); err != nil {
		s.apiFail(w, r, http.StatusBadRequest, msg.Wrap(err, "web.body_check", err))
		return
	}
	rep, err := s.advisor.Check(r.Context(), req.Text)
	if err != nil {
		s.log.Error("api check", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewReport(rep, lang(w, r)))
}
