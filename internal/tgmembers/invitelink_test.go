package tgmembers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/tgmembers/tgfake"
)

// TestInviteLinks: createChatInviteLink and revokeChatInviteLink against
// the fake, and its documented refusals.
func TestInviteLinks(t *testing.T) {
	ctx := context.Background()
	tg := tgfake.New()
	defer tg.Close()
	tg.SetBotStatus("-100777", "", "administrator")
	tg.SetBotStatus("-100888", "", "member")
	c := NewClient(tg.Token, tg.URL)
	exp := time.Now().Add(7 * 24 * time.Hour)
	l, err := c.CreateChatInviteLink(ctx, "-100777", "张三", exp, 100)
	if err != nil || !strings.HasPrefix(l.InviteLink, "https://t.me/+") || l.Name != "张三" || l.MemberLimit != 100 || l.ExpireDate != exp.Unix() {
		t.Fatalf("create: %+v %v", l, err)
	}
	r, err := c.RevokeChatInviteLink(ctx, "-100777", l.InviteLink)
	if err != nil || !r.IsRevoked {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	// The client refuses a long name and a bad limit before calling.
	if _, err := c.CreateChatInviteLink(ctx, "-100777", strings.Repeat("x", 33), time.Time{}, 0); err == nil {
		t.Error("a 33-character name passed the client")
	}
	if _, err := c.CreateChatInviteLink(ctx, "-100777", "x", time.Time{}, 100000); err == nil {
		t.Error("member_limit 100000 passed the client")
	}
	// The fake's refusals.
	for _, b := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"chat_id": "-100888"}, "not enough rights"},
		{map[string]any{"chat_id": "-100999"}, "chat not found"},
		{map[string]any{"chat_id": "-100777", "name": strings.Repeat("n", 33)}, "too long"},
		{map[string]any{"chat_id": "-100777", "member_limit": 0}, "between 1 and 99999"},
		{map[string]any{"chat_id": "-100777", "member_limit": 100000}, "between 1 and 99999"},
		{map[string]any{"chat_id": "-100777", "expire_date": time.Now().Add(-time.Hour).Unix()}, "future"},
	} {
		var out ChatInviteLink
		err := c.call(ctx, "createChatInviteLink", b.params, 10*time.Second, &out)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: %v, want %q", b.params, err, b.want)
		}
	}
	if _, err := c.RevokeChatInviteLink(ctx, "-100777", "https://t.me/+unknown"); err == nil {
		t.Error("revoking an unknown link passed")
	}
	if n := len(tg.InviteLinks()); n != 1 {
		t.Errorf("%d links made, want 1", n)
	}
}
