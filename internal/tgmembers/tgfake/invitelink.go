package tgfake

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"
)

// InviteLink is an invite link the fake bot created.
type InviteLink struct {
	Chat        string
	Link        string
	Name        string
	ExpireDate  int64
	MemberLimit int
	Revoked     bool
}

// InviteLinks returns the links created so far, oldest first.
func (s *Server) InviteLinks() []InviteLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]InviteLink(nil), s.links...)
}

// canInvite reports whether the bot administers chat (set by SetBotStatus):
// only an admin (or the creator) may manage invite links.
func (s *Server) canInvite(chat string) *apiErr {
	status, ok := s.botStatus[strings.ToLower(chat)]
	switch {
	case !ok:
		return badRequest("chat not found")
	case status == "kicked" || status == "left":
		return &apiErr{code: 403, desc: "Forbidden: bot is not a member of the supergroup chat"}
	case status != "administrator" && status != "creator":
		return badRequest("not enough rights to manage chat invite link")
	}
	return nil
}

// createChatInviteLink: chat_id of a chat the bot administers, name of at
// most 32 characters, expire_date in the future, member_limit 1-99999, not
// with creates_join_request.
func (s *Server) createChatInviteLink(p params) (any, *apiErr) {
	chat := p["chat_id"]
	expire, e1 := p.int("expire_date", 0)
	limit, e2 := p.int("member_limit", 0)
	for _, e := range []*apiErr{e1, e2} {
		if e != nil {
			return nil, e
		}
	}
	name := p["name"]
	switch {
	case chat == "":
		return nil, badRequest("chat_id is empty")
	case utf8.RuneCountInString(name) > 32:
		return nil, badRequest("invite link name is too long")
	case p["member_limit"] != "" && (limit < 1 || limit > 99999):
		return nil, badRequest("member limit must be between 1 and 99999")
	case limit > 0 && p["creates_join_request"] == "true":
		return nil, badRequest("member limit can't be specified for links requiring administrator approval")
	case expire != 0 && int64(expire) <= time.Now().Unix():
		return nil, badRequest("expire date must be in the future")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.canInvite(chat); e != nil {
		return nil, e
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	l := InviteLink{Chat: chat, Link: "https://t.me/+" + base64.RawURLEncoding.EncodeToString(b), Name: name,
		ExpireDate: int64(expire), MemberLimit: limit}
	s.links = append(s.links, l)
	return linkJSON(l), nil
}

// revokeChatInviteLink: a link of that chat the bot created.
func (s *Server) revokeChatInviteLink(p params) (any, *apiErr) {
	chat, link := p["chat_id"], p["invite_link"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.canInvite(chat); e != nil {
		return nil, e
	}
	for i := range s.links {
		if s.links[i].Link == link && s.links[i].Chat == chat {
			s.links[i].Revoked = true
			return linkJSON(s.links[i]), nil
		}
	}
	return nil, badRequest("INVITE_HASH_EXPIRED")
}

func linkJSON(l InviteLink) map[string]any {
	out := map[string]any{"invite_link": l.Link, "creator": map[string]any{"id": BotID, "is_bot": true, "first_name": "Qunke"},
		"creates_join_request": false, "is_primary": false, "is_revoked": l.Revoked}
	if l.Name != "" {
		out["name"] = l.Name
	}
	if l.ExpireDate != 0 {
		out["expire_date"] = l.ExpireDate
	}
	if l.MemberLimit != 0 {
		out["member_limit"] = l.MemberLimit
	}
	return out
}
