package tgmembers

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"
)

// Limits of createChatInviteLink.
const (
	InviteNameMax   = 32    // name: 0-32 characters
	InviteMemberMax = 99999 // member_limit: 1-99999
)

// CreateChatInviteLink creates an additional invite link for chat (the bot
// must be an admin with the right to invite users): named (at most 32
// characters; Telegram tells it on each member who joined by it), expiring
// at expire (zero: never) and admitting at most memberLimit (0: no limit,
// else 1-99999).
func (c *Client) CreateChatInviteLink(ctx context.Context, chat, name string, expire time.Time, memberLimit int) (ChatInviteLink, error) {
	if utf8.RuneCountInString(name) > InviteNameMax {
		return ChatInviteLink{}, errors.New("telegram createChatInviteLink: the name is over 32 characters")
	}
	if memberLimit < 0 || memberLimit > InviteMemberMax {
		return ChatInviteLink{}, errors.New("telegram createChatInviteLink: member_limit must be 1-99999")
	}
	p := map[string]any{"chat_id": chat}
	if name != "" {
		p["name"] = name
	}
	if !expire.IsZero() {
		p["expire_date"] = expire.Unix()
	}
	if memberLimit > 0 {
		p["member_limit"] = memberLimit
	}
	var l ChatInviteLink
	err := c.call(ctx, "createChatInviteLink", p, 30*time.Second, &l)
	return l, err
}

// RevokeChatInviteLink revokes a link the bot created; it admits no one
// from then on.
func (c *Client) RevokeChatInviteLink(ctx context.Context, chat, link string) (ChatInviteLink, error) {
	var l ChatInviteLink
	err := c.call(ctx, "revokeChatInviteLink", map[string]any{"chat_id": chat, "invite_link": link}, 30*time.Second, &l)
	return l, err
}
