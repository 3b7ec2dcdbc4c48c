package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/joincode"
)

// inviteRoutes are a fission participant's public page /invite/{ref} (no
// login): the link a participant shares when the campaign has no join code
// and no Telegram link could be made for them.
func (s *Server) inviteRoutes() {
	if s.campaigns == nil || s.joins == nil {
		return
	}
	s.mux.HandleFunc("GET /invite/{ref}", s.invitePage)
	s.mux.HandleFunc("GET /invite/{ref}/qr/{id}", s.inviteQR)
}

type inviteView struct {
	C       *campaign.Campaign
	P       *campaign.Participant
	Open    bool
	Entries []joincode.Entry
}

// invitePage is /invite/{ref}: who invites to which campaign, and how to
// join each of its target groups now. A campaign with a join code sends
// the visitor on to the code's page with the reference (counted there).
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, p, err := s.campaigns.Invite(ctx, r.PathValue("ref"))
	if errors.Is(err, campaign.ErrNoParticipant) || errors.Is(err, campaign.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "invite page", err)
		return
	}
	if c.JoinCodeID != 0 {
		link, err := s.joins.PersonalLink(ctx, c.JoinCodeID, p.Ref)
		if err == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, link, http.StatusSeeOther)
			return
		}
		// the code was deleted: show the campaign's groups instead
	}
	entries, err := s.joins.Entries(ctx, c.Groups, campaign.TelegramLinkName(p), c.Ends)
	if err != nil {
		s.serverError(w, r, "invite page", err)
		return
	}
	view := &inviteView{C: c, P: p, Open: c.Open(s.now()), Entries: entries}
	pg := s.newPage(w, r, "/invite", "invite.page_title")
	pg.Title = c.Name
	pg.Data = view
	w.Header().Set("Content-Security-Policy", joinCSP)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "invite", pg)
}

// inviteQR serves the uploaded QR image of one of the campaign's groups.
func (s *Server) inviteQR(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.campaigns.Invite(r.Context(), r.PathValue("ref"))
	id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || perr != nil {
		s.fail(w, r, http.StatusNotFound, campaign.ErrNoParticipant.With(r.PathValue("ref")))
		return
	}
	data, mime, group, err := s.joins.Store.QRImage(r.Context(), id)
	if err != nil || !slices.Contains(c.Groups, group) {
		s.fail(w, r, http.StatusNotFound, joincode.ErrNotFound)
		return
	}
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(data)
}
