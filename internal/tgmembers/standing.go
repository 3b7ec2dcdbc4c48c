package tgmembers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// CheckEvery is how often WatchBot asks for the bot's standing in each Telegram group.
const CheckEvery = 6 * time.Hour

// CheckBot asks Telegram who the bot is (warning when its privacy mode is on: it then sees no ordinary
// messages unless it is an admin) and its standing in every Telegram group's chat (getChatMember with its
// own id), and stores each: my_chat_member updates tell only changes, so a bot made an admin before Qunke
// ran would otherwise stay unknown. A chat the bot is not in (403, or 400 chat not found) is stored as
// "left". It returns how many chats it checked.
func CheckBot(ctx context.Context, c *Client, db *store.DB, groups Groups, log *slog.Logger) (int, error) {
	me, err := c.GetMe(ctx)
	if err != nil {
		return 0, err
	}
	if !me.CanReadAllGroupMessages {
		log.Warn("telegram: the bot's privacy mode is on: it counts messages only where it is an admin (turn it off with @BotFather /setprivacy)")
	}
	gs, err := groups.List(ctx, community.Filter{Channel: community.Telegram})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gs {
		target := strings.TrimSpace(g.Target)
		if target == "" {
			continue
		}
		m, err := c.GetChatMember(ctx, target, me.ID)
		var e *APIError
		switch {
		case err == nil:
		case errors.As(err, &e) && (e.Code == 403 || e.Code == 400 && strings.Contains(e.Description, "chat not found")):
			m = ChatMember{Status: "left"}
		case ctx.Err() != nil:
			return n, ctx.Err()
		default:
			log.Warn("telegram: getChatMember", "group", g.ID, "err", err)
			continue
		}
		b := BotChat{ChatID: target, Status: m.Status, Admin: m.Admin(), At: time.Now().UTC()}
		if err := db.Atomic(ctx, func(tx *store.Tx) error { return saveBotChat(ctx, tx, b) }); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// WatchBot runs CheckBot now and every CheckEvery until ctx ends, logging failures.
func WatchBot(ctx context.Context, c *Client, db *store.DB, groups Groups, log *slog.Logger) {
	for {
		if _, err := CheckBot(ctx, c, db, groups, log); err != nil && ctx.Err() == nil {
			log.Warn("telegram: checking the bot's standing", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(CheckEvery):
		}
	}
}

// Standing tells the bot's standing in the groups' chats, for the pages.
type Standing struct{ DB *store.DB }

// NotAdmin returns the targets (Telegram chat ids or @usernames) of those where the bot is known not to be
// an admin: there Telegram sends no chat_member updates, so joins and leaves come only from service
// messages, without invite links. A target with no known standing is not in the answer.
func (s Standing) NotAdmin(ctx context.Context, targets []string) (map[string]bool, error) {
	chats, err := BotChats(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	byName := map[string]BotChat{}
	for _, b := range chats {
		if b.Username != "" {
			key := "@" + strings.ToLower(b.Username)
			if old, ok := byName[key]; !ok || old.At.Before(b.At) {
				byName[key] = b
			}
		}
	}
	out := map[string]bool{}
	for _, t := range targets {
		b, ok := chats[t]
		if n, byUser := byName[strings.ToLower(t)]; byUser && (!ok || b.At.Before(n.At)) {
			b, ok = n, true
		}
		if ok && !b.Admin {
			out[t] = true
		}
	}
	return out, nil
}
