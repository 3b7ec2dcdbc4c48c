package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/wecom"
)

// wecomChatRoutes: the WeCom customer groups (客户群) the member sync has
// seen, and the form that maps one to a group (docs/wecom.md).
func (s *Server) wecomChatRoutes() {
	s.mux.Handle("GET /groups/wecom", s.page(auth.ManagePosting, s.wecomChatsPage))
	s.mux.Handle("POST /groups/wecom", s.page(auth.ManagePosting, s.wecomChatsConfirm))
}

type wecomChatsView struct {
	wecom.Overview
	Message, Error string
}

func (s *Server) wecomChatsPage(w http.ResponseWriter, r *http.Request) {
	s.renderWeComChats(w, r, http.StatusOK, &wecomChatsView{})
}

func (s *Server) renderWeComChats(w http.ResponseWriter, r *http.Request, status int, v *wecomChatsView) {
	p := s.newPage(w, r, "/groups", "wecomchats.title")
	o, err := s.wecomSync.Overview(r.Context())
	if err != nil {
		s.serverError(w, r, "wecom chats", err)
		return
	}
	v.Overview = o
	p.Data = v
	s.render(w, status, "wecomchats", p)
}

// wecomChatsConfirm maps a customer group to the group chosen (the
// proposal is preselected) and syncs its members when the API is set up.
func (s *Server) wecomChatsConfirm(w http.ResponseWriter, r *http.Request) {
	v := &wecomChatsView{}
	chatID := r.PostFormValue("chat_id")
	gid, err := strconv.ParseInt(r.PostFormValue("group_id"), 10, 64)
	if chatID == "" || err != nil || gid <= 0 {
		v.Error = s.textIn(w, r)(msg.New("wecomchats.choose"))
		s.renderWeComChats(w, r, http.StatusBadRequest, v)
		return
	}
	c, synced, err := s.wecomSync.Confirm(r.Context(), chatID, gid)
	switch {
	case c.Group == 0 && (errors.Is(err, community.ErrNotFound) || errors.As(err, new(*msg.Error))):
		v.Error = s.textIn(w, r)(err)
		s.renderWeComChats(w, r, http.StatusBadRequest, v)
		return
	case c.Group == 0:
		s.serverError(w, r, "wecom confirm", err)
		return
	case err != nil: // mapped; the sync failed (the API says why)
		v.Message = s.textIn(w, r)(msg.New("wecomchats.mapped_later", c.ChatID))
		v.Error = s.textIn(w, r)(err)
	case synced:
		v.Message = s.textIn(w, r)(msg.New("wecomchats.mapped_synced", c.Name, c.Snapshot.Joined, c.Snapshot.Left))
	default:
		v.Message = s.textIn(w, r)(msg.New("wecomchats.mapped_later", chatID))
	}
	s.renderWeComChats(w, r, http.StatusOK, v)
}
