// Package tgmembers follows who joins and leaves the Telegram groups Qunke posts to, and how much each
// member writes, from the Bot API's updates (https://core.telegram.org/bots/api#getting-updates):
//
//   - chat_member updates give joins and leaves with their invite link (its URL, name and creator as
//     Telegram gives them), who added or removed whom; Telegram sends them only to a bot that is an admin
//     of the chat, and only when asked for in allowed_updates;
//   - my_chat_member updates give the bot's own standing in each chat (tg_bot_chats), so pages can say when
//     it is not an admin;
//   - message updates count messages per member per Shanghai day (the text is never stored), and their
//     service parts (new_chat_members, left_chat_member) are a fallback source of joins and leaves.
//
// Updates come by getUpdates long polling (Poller: one poller across servers, under the store lease
// LeaseName, as Telegram answers a second poller with 409) or by a webhook (Webhook, at
// /callback/telegram). Either way a batch is applied in one transaction with the update offset
// (tg_updates_state), so a crash neither loses nor doubles an update; joins and leaves carry keys the
// registry applies once (Key), so a repeat from another source is harmless too.
//
// The member registry is internal/community's; this package owns tg_updates_state and tg_bot_chats.
package tgmembers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// StaleAfter is how long without updates makes the stored offset meaningless: after a week without
// updates Telegram picks the next update_id at random rather than in sequence, so it may be below it.
const StaleAfter = 7 * 24 * time.Hour

// Registry is the member registry's part this package uses (community.Store).
type Registry interface {
	ApplyEventsTx(ctx context.Context, tx *store.Tx, evs []community.MemberEvent) (int, error)
	CountMessagesTx(ctx context.Context, tx *store.Tx, source community.Source, chatID, externalID string, at time.Time, n int) error
	GroupForChat(ctx context.Context, source community.Source, chatID string) (int64, error)
	MapChat(ctx context.Context, source community.Source, chatID string, groupID int64) error
	SetChatName(ctx context.Context, source community.Source, chatID, name string) error
}

// Groups lists the groups (community.Store), to map a chat to the group whose Target is its id.
type Groups interface {
	List(ctx context.Context, f community.Filter) ([]*community.Group, error)
}

// Applier applies batches of updates of one bot. It is safe for concurrent use; batches are applied one at
// a time across servers (a lock on the bot's offset row).
type Applier struct {
	DB       *store.DB
	Registry Registry
	Groups   Groups
	BotID    string           // the bot's user id (BotID of its token)
	Now      func() time.Time // nil: time.Now

	mu      sync.Mutex
	mapped  map[string]bool      // chats known to map to a group
	pending map[string]time.Time // chats mapping to none, when last looked at
}

// recheckPending is how often a chat mapping to no group is looked at again (a group may have been given
// its chat id since).
const recheckPending = time.Minute

// Result says what one Apply did.
type Result struct {
	Applied  int // updates applied (repeats skipped)
	Skipped  int // updates at or below the stored offset: already applied
	New      int // new join and leave events
	Messages int // messages counted
	Next     int64
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Offset returns the next update_id to ask for (0: none stored, or stale).
func (a *Applier) Offset(ctx context.Context) (int64, error) { return a.readOffset(ctx, a.DB) }

// readOffset is the lowest update_id still to apply (0 if none is stored or it is stale).
func (a *Applier) readOffset(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}) (int64, error) {
	var next, at int64
	err := q.QueryRowContext(ctx, `SELECT next_offset, updated_at FROM tg_updates_state WHERE bot_id = $1`, a.BotID).Scan(&next, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("tgmembers: read offset: %w", err)
	}
	if a.now().Sub(time.Unix(at, 0)) > StaleAfter {
		return 0, nil
	}
	return next, nil
}

// Apply applies ups in one transaction with the offset: updates below the stored offset are repeats and
// skipped; the rest become member events, message counts and the bot's standing, and the offset moves past
// the last one. Chats not yet mapped to a group are mapped first when a Telegram group's Target is the chat
// id (or its @username); else their events wait in the registry until a person maps them.
func (a *Applier) Apply(ctx context.Context, ups []Update) (Result, error) {
	var res Result
	if len(ups) == 0 {
		return res, nil
	}
	botID := parseID(a.BotID)
	if err := a.mapChats(ctx, DigestUpdates(ups, botID).Chats); err != nil {
		return res, err
	}
	err := a.DB.Atomic(ctx, func(tx *store.Tx) error {
		res = Result{}
		if err := a.DB.LockTx(ctx, tx.Tx, "tgmembers.updates"); err != nil {
			return err
		}
		floor, err := a.readOffset(ctx, tx)
		if err != nil {
			return err
		}
		var fresh []Update
		for _, u := range ups {
			if u.UpdateID < floor {
				res.Skipped++
				continue
			}
			fresh = append(fresh, u)
		}
		res.Applied = len(fresh)
		res.Next = floor
		if len(fresh) == 0 {
			return nil
		}
		d := DigestUpdates(fresh, botID)
		if res.New, err = a.Registry.ApplyEventsTx(ctx, tx, d.Events); err != nil {
			return err
		}
		for _, c := range d.Counts {
			if err := a.Registry.CountMessagesTx(ctx, tx, community.SourceTelegram, c.ChatID, c.UserID, c.At, c.N); err != nil {
				return err
			}
			res.Messages += c.N
		}
		for _, b := range d.BotChats {
			if err := saveBotChat(ctx, tx, b); err != nil {
				return err
			}
		}
		res.Next = max(floor, d.Last+1)
		_, err = tx.ExecContext(ctx, `INSERT INTO tg_updates_state (bot_id, next_offset, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (bot_id) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
			a.BotID, res.Next, a.now().Unix())
		if err != nil {
			return fmt.Errorf("tgmembers: save offset: %w", err)
		}
		return nil
	})
	return res, err
}

// mapChats maps each chat not yet mapped to the Telegram group whose Target is its id or @username.
func (a *Applier) mapChats(ctx context.Context, chats map[string]Chat) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mapped == nil {
		a.mapped, a.pending = map[string]bool{}, map[string]time.Time{}
	}
	var todo []Chat
	for cid, c := range chats {
		if a.mapped[cid] || a.now().Sub(a.pending[cid]) < recheckPending {
			continue
		}
		g, err := a.Registry.GroupForChat(ctx, community.SourceTelegram, cid)
		if err != nil {
			return err
		}
		if g != 0 {
			a.mapped[cid] = true
			continue
		}
		todo = append(todo, c)
	}
	if len(todo) == 0 || a.Groups == nil {
		return nil
	}
	groups, err := a.Groups.List(ctx, community.Filter{Channel: community.Telegram})
	if err != nil {
		return err
	}
	byTarget := map[string]int64{}
	for _, g := range groups {
		byTarget[strings.ToLower(g.Target)] = g.ID
	}
	for _, c := range todo {
		g := byTarget[id(c.ID)]
		if g == 0 && c.Username != "" {
			g = byTarget["@"+strings.ToLower(c.Username)]
		}
		if g == 0 {
			// Pending: the registry lists it, by its title, for a person to map.
			if err := a.Registry.SetChatName(ctx, community.SourceTelegram, id(c.ID), chatName(c)); err != nil {
				return err
			}
			a.pending[id(c.ID)] = a.now()
			continue
		}
		if err := a.Registry.MapChat(ctx, community.SourceTelegram, id(c.ID), g); err != nil {
			return err
		}
		a.mapped[id(c.ID)] = true
	}
	return nil
}

// chatName is how a person recognises a chat: its title, else @username, else its id.
func chatName(c Chat) string {
	switch {
	case c.Title != "":
		return c.Title
	case c.Username != "":
		return "@" + c.Username
	}
	return id(c.ID)
}

func saveBotChat(ctx context.Context, tx *store.Tx, b BotChat) error {
	admin := 0
	if b.Admin {
		admin = 1
	}
	// A later update wins; an older one arriving late (a webhook retry) changes nothing.
	_, err := tx.ExecContext(ctx, `INSERT INTO tg_bot_chats (chat_id, title, username, status, is_admin, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (chat_id) DO UPDATE SET title = excluded.title, username = excluded.username, status = excluded.status,
			is_admin = excluded.is_admin, updated_at = excluded.updated_at
		WHERE tg_bot_chats.updated_at <= excluded.updated_at`,
		b.ChatID, b.Title, b.Username, b.Status, admin, b.At.Unix())
	if err != nil {
		return fmt.Errorf("tgmembers: save the bot's standing in chat %s: %w", b.ChatID, err)
	}
	return nil
}

// BotChats returns the bot's standing in every chat it has been added to, by chat id.
func BotChats(ctx context.Context, db *store.DB) (map[string]BotChat, error) {
	rows, err := db.QueryContext(ctx, `SELECT chat_id, title, username, status, is_admin, updated_at FROM tg_bot_chats`)
	if err != nil {
		return nil, fmt.Errorf("tgmembers: bot chats: %w", err)
	}
	defer rows.Close()
	out := map[string]BotChat{}
	for rows.Next() {
		var b BotChat
		var admin, at int64
		if err := rows.Scan(&b.ChatID, &b.Title, &b.Username, &b.Status, &admin, &at); err != nil {
			return nil, err
		}
		b.Admin, b.At = admin == 1, time.Unix(at, 0).UTC()
		out[b.ChatID] = b
	}
	return out, rows.Err()
}

func parseID(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
