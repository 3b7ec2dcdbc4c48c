// Package joincode is join codes (群活码): a public page /join/{code} that
// shows the group of a code's pool to join now, and counts who came by
// whose link. See docs/growth.md, "Join codes".
//
// A pool is groups in order. The page shows the first that admits:
//
//   - a WeCom customer group the API reaches (its chat is mapped and the
//     customer-contact secret is set): WeCom's own join way
//     (groupchat/add_join_way, scene 2), for it and the next WeCom groups of
//     the pool (at most 5), auto-creating rooms; the join way's `state`
//     names the code and the inviter, so WeCom's member list tells who
//     brought whom. Join ways are cached per state (join_links): WeCom is
//     called once per new state, never per visit;
//   - a Telegram group: an invite link Qunke created (createChatInviteLink),
//     one per inviter, named for them (Telegram tells the link a member came
//     by), cached and re-created a day before it expires;
//   - any other group: the group QR image an operator uploaded. WeChat's
//     group QR expires 7 days after it was made and stops admitting once the
//     group has 200 members, and it carries no inviter: a join through it
//     counts for the code's campaign, never for an inviter. Hand-run groups
//     cannot attribute invites at all.
//
// A group is passed over when it is full (its capacity reached), when its
// QR is missing, expired or expires within the margin, or when it has 200
// members and only a QR. The warning job tells operators a day before a QR
// expires and when a pool has no room, once per condition.
//
// Each package owns its tables: joincode owns join_codes, join_code_groups,
// join_qr, join_links, join_visits and join_warnings.
package joincode

import (
	"regexp"
	"time"

	"github.com/qunke/qunke/internal/msg"
)

// Limits of WeChat's group QR codes and of what Qunke accepts.
const (
	QRLife        = 7 * 24 * time.Hour // a WeChat group QR expires 7 days after it was made
	QRMaxMembers  = 200                // a scanned group QR stops admitting at 200 members
	MaxQRBytes    = 2 << 20            // an uploaded QR image is at most 2 MB
	maxQRPixels   = 4096               // and at most 4096 px a side
	MaxPool       = 50                 // groups in one code's pool
	MaxWayChats   = 5                  // WeCom add_join_way: chat_id_list holds at most 5
	MaxStateLen   = 30                 // WeCom add_join_way: state is at most 30 characters
	MaxLinkName   = 32                 // Telegram createChatInviteLink: name is at most 32 characters
	MaxInviterLen = 20                 // an inviter reference (?i=), so a state fits in 30
)

// Errors, rendered in the reader's language.
var (
	ErrNotFound     = msg.New("join.err_not_found")
	errCode         = msg.New("join.err_code")
	errName         = msg.New("join.err_name")
	errPool         = msg.New("join.err_pool")
	errCampaign     = msg.New("join.err_campaign")
	errQRSize       = msg.New("join.err_qr_size")
	errQRFormat     = msg.New("join.err_qr_format")
	errQRPixels     = msg.New("join.err_qr_pixels")
	errInviter      = msg.New("join.err_inviter")
	errNoGroup      = msg.New("join.err_no_group")
	errNotTelegram  = msg.New("join.err_not_telegram")
	errNoTelegram   = msg.New("join.err_no_telegram")
	errLinkName     = msg.New("join.err_link_name")
	errMemberLimit  = msg.New("join.err_member_limit")
	errLinkExpire   = msg.New("join.err_link_expire")
	errGroupMissing = msg.New("join.err_group_missing")
)

var (
	codeRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{2,31}$`)
	inviterRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)
)

// ValidInviter reports whether ref can name an inviter (?i=): 1-20 of
// A-Z a-z 0-9 _ -.
func ValidInviter(ref string) bool { return inviterRe.MatchString(ref) }

// Code is a join code: its public name (the page is /join/{Code}) and its
// pool of groups, in order.
type Code struct {
	ID       int64
	Code     string // a-z 0-9 -, 3-32 characters
	Name     string
	Campaign string // the campaign its visits and joins count for ("" none)
	Owner    string // the operator warned about it ("" the installation's default)
	Active   bool
	Groups   []int64 // the pool, in order
	Created  time.Time
	Updated  time.Time
}

// Kind is how the page lets a visitor join.
type Kind string

// The ways to join.
const (
	KindWeCom    Kind = "wecom"    // WeCom's join way (its QR)
	KindTelegram Kind = "telegram" // a Telegram invite link
	KindQR       Kind = "qr"       // an uploaded group QR image
	KindNone     Kind = "none"     // no group of the pool admits now
)

// Reason says why a pool group was passed over.
type Reason string

// Why a group is passed over.
const (
	SkipMissing  Reason = "missing"  // the group was deleted
	SkipInactive Reason = "inactive" // the group is switched off
	SkipFull     Reason = "full"     // its capacity is reached
	SkipNoQR     Reason = "no_qr"    // no QR uploaded
	SkipExpiring Reason = "expiring" // its QR is expired or expires within the margin
	SkipQR200    Reason = "qr_200"   // 200 members: a scanned QR admits no more
	SkipNoLink   Reason = "no_link"  // the platform did not give a link
)

// LabelKey is the reason's message key.
func (r Reason) LabelKey() string { return "join.skip_" + string(r) }

// LabelKey is the kind's message key.
func (k Kind) LabelKey() string { return "join.kind_" + string(k) }
