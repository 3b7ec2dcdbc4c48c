package tgmembers

// The Bot API objects this package reads (https://core.telegram.org/bots/api#available-types), with the
// fields it uses. Ids are int64: user and chat ids exceed 2^31 (and chat ids of supergroups are
// -100...), but stay within 2^52, as the API promises.

// Update is one incoming update; at most one of its optional parts is set.
type Update struct {
	UpdateID     int64              `json:"update_id"`
	Message      *Message           `json:"message,omitempty"`
	MyChatMember *ChatMemberUpdated `json:"my_chat_member,omitempty"`
	ChatMember   *ChatMemberUpdated `json:"chat_member,omitempty"`
}

// User is a Telegram user or bot.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
	// CanReadAllGroupMessages is set in getMe's answer: false while the bot's privacy mode is on.
	CanReadAllGroupMessages bool `json:"can_read_all_group_messages,omitempty"`
}

// Name is the user's display name: first and last name, else @username.
func (u *User) Name() string {
	n := u.FirstName
	if u.LastName != "" {
		if n != "" {
			n += " "
		}
		n += u.LastName
	}
	if n == "" && u.Username != "" {
		n = "@" + u.Username
	}
	return n
}

// Chat is a chat: "private", "group", "supergroup" or "channel".
type Chat struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title,omitempty"`
	Username string `json:"username,omitempty"`
}

// Message is a message; only who sent it, where and when, and the service parts about members are read.
// The text is never read nor stored.
type Message struct {
	MessageID      int64  `json:"message_id"`
	From           *User  `json:"from,omitempty"`
	SenderChat     *Chat  `json:"sender_chat,omitempty"`
	Date           int64  `json:"date"`
	Chat           Chat   `json:"chat"`
	NewChatMembers []User `json:"new_chat_members,omitempty"`
	LeftChatMember *User  `json:"left_chat_member,omitempty"`
}

// ChatMemberUpdated is a change of a chat member's status.
type ChatMemberUpdated struct {
	Chat           Chat            `json:"chat"`
	From           User            `json:"from"` // who made the change
	Date           int64           `json:"date"`
	OldChatMember  ChatMember      `json:"old_chat_member"`
	NewChatMember  ChatMember      `json:"new_chat_member"`
	InviteLink     *ChatInviteLink `json:"invite_link,omitempty"`
	ViaJoinRequest bool            `json:"via_join_request,omitempty"`
}

// ChatMember is a member's standing in a chat.
type ChatMember struct {
	Status   string `json:"status"` // creator, administrator, member, restricted, left, kicked
	User     User   `json:"user"`
	IsMember bool   `json:"is_member,omitempty"` // restricted only: whether the user is in the chat
}

// In reports whether the status means the user is in the chat.
func (m ChatMember) In() bool {
	switch m.Status {
	case "creator", "administrator", "member":
		return true
	case "restricted":
		return m.IsMember
	}
	return false // left, kicked
}

// Admin reports whether the status is the chat's creator or an administrator.
func (m ChatMember) Admin() bool { return m.Status == "creator" || m.Status == "administrator" }

// ChatInviteLink is an invite link, as the API gives it.
type ChatInviteLink struct {
	InviteLink         string `json:"invite_link"`
	Creator            User   `json:"creator"`
	CreatesJoinRequest bool   `json:"creates_join_request,omitempty"`
	IsPrimary          bool   `json:"is_primary,omitempty"`
	IsRevoked          bool   `json:"is_revoked,omitempty"`
	Name               string `json:"name,omitempty"`
	ExpireDate         int64  `json:"expire_date,omitempty"`
	MemberLimit        int    `json:"member_limit,omitempty"`
}

// WebhookInfo is getWebhookInfo's answer.
type WebhookInfo struct {
	URL                string   `json:"url"`
	PendingUpdateCount int      `json:"pending_update_count"`
	AllowedUpdates     []string `json:"allowed_updates,omitempty"`
	LastErrorDate      int64    `json:"last_error_date,omitempty"`
	LastErrorMessage   string   `json:"last_error_message,omitempty"`
	MaxConnections     int      `json:"max_connections,omitempty"`
}

// AllowedUpdates are the update types Qunke asks for. The API's default leaves chat_member out, so they
// are always given.
var AllowedUpdates = []string{"message", "chat_member", "my_chat_member"}
