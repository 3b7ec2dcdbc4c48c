package tgmembers

import (
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/shanghai"
)

// Digest is what a batch of updates tells the member registry: joins and leaves, message counts per member
// per day, the bot's own standing per chat, and the chats seen (for mapping them to groups).
type Digest struct {
	Events   []community.MemberEvent
	Counts   []Count
	BotChats []BotChat
	Chats    map[string]Chat // chat id (decimal) -> the chat as last seen
	Last     int64           // the highest update_id; 0 for no updates
}

// Count is how many messages one member wrote in one chat on one Shanghai day.
type Count struct {
	ChatID string
	UserID string
	At     time.Time // the first message's time (its Shanghai day is the day counted)
	N      int
}

// BotChat is the bot's standing in one chat.
type BotChat struct {
	ChatID   string
	Title    string
	Username string
	Status   string // creator, administrator, member, restricted, left, kicked
	Admin    bool
	At       time.Time
}

// memberChat reports whether members of a chat of this type are people in a group Qunke may track.
func memberChat(typ string) bool { return typ == "group" || typ == "supergroup" || typ == "channel" }

// Key is the registry's key of a Telegram join or leave: the chat, the user, the time (seconds) and the
// kind. A chat_member update and the service message of the same change carry the same date, so the two
// sources of one join make one event.
func Key(chatID, userID, date int64, kind community.EventKind) string {
	return "telegram:" + strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(userID, 10) + ":" +
		strconv.FormatInt(date, 10) + ":" + string(kind)
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// DigestUpdates turns updates into what the registry stores. Parts the registry would refuse (no date, no
// user id) are left out rather than failing the batch: a batch that fails is retried, and one update
// refused for ever would stop every later one. botID is the bot's own user id: its own
// membership is the BotChats part, never a member. Other bots are not members either. Of the two sources of
// a join or leave, chat_member updates win over service messages (new_chat_members, left_chat_member),
// which are the fallback where the bot gets no chat_member updates (it is not an admin).
func DigestUpdates(ups []Update, botID int64) Digest {
	d := Digest{Chats: map[string]Chat{}}
	seen := map[string]bool{}
	var fallback []community.MemberEvent
	counts := map[[3]string]int{} // chat, user, day -> index in d.Counts
	bots := map[string]int{}      // chat -> index in d.BotChats
	for _, u := range ups {
		d.Last = max(d.Last, u.UpdateID)
		switch {
		case u.ChatMember != nil:
			c := u.ChatMember
			d.Chats[id(c.Chat.ID)] = c.Chat
			if ev, ok := memberChange(c, botID); ok && !seen[ev.Key] {
				seen[ev.Key] = true
				d.Events = append(d.Events, ev)
			}
		case u.MyChatMember != nil:
			c := u.MyChatMember
			d.Chats[id(c.Chat.ID)] = c.Chat
			b := BotChat{ChatID: id(c.Chat.ID), Title: c.Chat.Title, Username: c.Chat.Username,
				Status: c.NewChatMember.Status, Admin: c.NewChatMember.Admin(), At: time.Unix(c.Date, 0).UTC()}
			if i, ok := bots[b.ChatID]; ok {
				if !b.At.Before(d.BotChats[i].At) {
					d.BotChats[i] = b
				}
			} else {
				bots[b.ChatID] = len(d.BotChats)
				d.BotChats = append(d.BotChats, b)
			}
		case u.Message != nil:
			m := u.Message
			if !memberChat(m.Chat.Type) || m.Date <= 0 {
				continue // private chats with the bot; a message with no time cannot be counted on a day
			}
			d.Chats[id(m.Chat.ID)] = m.Chat
			fallback = append(fallback, serviceEvents(m, botID)...)
			if m.From == nil || m.From.IsBot || m.From.ID == 0 || len(m.NewChatMembers) > 0 || m.LeftChatMember != nil {
				continue // a channel's or a bot's post, or a service message: nobody spoke
			}
			at := time.Unix(m.Date, 0).UTC()
			k := [3]string{id(m.Chat.ID), id(m.From.ID), strconv.FormatInt(shanghai.Day(m.Date), 10)}
			if i, ok := counts[k]; ok {
				d.Counts[i].N++
				if at.Before(d.Counts[i].At) {
					d.Counts[i].At = at
				}
				continue
			}
			counts[k] = len(d.Counts)
			d.Counts = append(d.Counts, Count{ChatID: k[0], UserID: k[1], At: at, N: 1})
		}
	}
	for _, ev := range fallback {
		if !seen[ev.Key] {
			seen[ev.Key] = true
			d.Events = append(d.Events, ev)
		}
	}
	return d
}

// memberChange is the join or leave a chat_member update tells, if any: a status change across in/out
// (member, administrator, creator, restricted with is_member are in; left, kicked, restricted without it
// are out). A change within (member to administrator) is no event.
func memberChange(c *ChatMemberUpdated, botID int64) (community.MemberEvent, bool) {
	user := c.NewChatMember.User
	if user.IsBot || user.ID == botID || user.ID == 0 || c.Date <= 0 || !memberChat(c.Chat.Type) {
		return community.MemberEvent{}, false
	}
	wasIn, isIn := c.OldChatMember.In(), c.NewChatMember.In()
	if wasIn == isIn {
		return community.MemberEvent{}, false
	}
	ev := community.MemberEvent{Source: community.SourceTelegram, ChatID: id(c.Chat.ID), At: time.Unix(c.Date, 0).UTC(),
		ExternalID: id(user.ID), Name: user.Name()}
	if isIn {
		ev.Kind = community.Join
		switch {
		case c.InviteLink != nil:
			ev.JoinHow = community.JoinLink
			ev.InviteLink, ev.InviteName = c.InviteLink.InviteLink, c.InviteLink.Name
			if c.InviteLink.Creator.ID != 0 {
				ev.Inviter = id(c.InviteLink.Creator.ID)
			}
		case c.From.ID != user.ID && !c.ViaJoinRequest:
			// Added by someone (an approved join request's From is the approving admin: no invite).
			ev.JoinHow, ev.Inviter = community.JoinInvite, id(c.From.ID)
		}
	} else {
		ev.Kind = community.Leave
		ev.LeaveHow = community.LeaveRemoved
		if c.From.ID == user.ID {
			ev.LeaveHow = community.LeaveSelf
		}
	}
	ev.Key = Key(c.Chat.ID, user.ID, c.Date, ev.Kind)
	return ev, true
}

// serviceEvents are the joins and leaves a service message tells: new_chat_members (added by the sender
// when the sender is someone else, else joined by themselves: by a link or the chat's username, which the
// message does not say) and left_chat_member (left by themselves when they sent it, else removed).
func serviceEvents(m *Message, botID int64) []community.MemberEvent {
	var evs []community.MemberEvent
	at := time.Unix(m.Date, 0).UTC()
	var from int64
	if m.From != nil {
		from = m.From.ID
	}
	for _, u := range m.NewChatMembers {
		if u.IsBot || u.ID == botID || u.ID == 0 {
			continue
		}
		ev := community.MemberEvent{Key: Key(m.Chat.ID, u.ID, m.Date, community.Join), Source: community.SourceTelegram,
			ChatID: id(m.Chat.ID), Kind: community.Join, At: at, ExternalID: id(u.ID), Name: u.Name()}
		if from != 0 && from != u.ID {
			ev.JoinHow, ev.Inviter = community.JoinInvite, id(from)
		}
		evs = append(evs, ev)
	}
	if u := m.LeftChatMember; u != nil && !u.IsBot && u.ID != botID && u.ID != 0 {
		ev := community.MemberEvent{Key: Key(m.Chat.ID, u.ID, m.Date, community.Leave), Source: community.SourceTelegram,
			ChatID: id(m.Chat.ID), Kind: community.Leave, At: at, ExternalID: id(u.ID), Name: u.Name(), LeaveHow: community.LeaveRemoved}
		if from == u.ID {
			ev.LeaveHow = community.LeaveSelf
		}
		evs = append(evs, ev)
	}
	return evs
}
