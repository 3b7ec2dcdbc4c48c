// Package community owns the registry of chat groups a team runs (社群): how
// posts reach each group, the affiliate placement that tags its orders, who
// runs it and how big it may grow. Members and group health come later.
package community

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// Channel is how posts reach a group.
type Channel string

const (
	Telegram Channel = "telegram" // a Telegram bot posts into the chat
	WeCom    Channel = "wecom"    // a WeCom (企业微信) group robot webhook
	Webhook  Channel = "webhook"  // the team's own bot, driven by a signed webhook
	Manual   Channel = "manual"   // an operator posts by hand from the manual page
)

// Channels lists every channel.
var Channels = []Channel{Telegram, WeCom, Webhook, Manual}

// Label is the channel's Chinese name.
func (c Channel) Label() string {
	switch c {
	case Telegram:
		return "Telegram"
	case WeCom:
		return "企业微信机器人"
	case Webhook:
		return "Webhook"
	case Manual:
		return "手动发送"
	}
	return string(c)
}

// Group is one chat group.
type Group struct {
	ID      int64
	Name    string
	Channel Channel
	// Target is the channel's address of the group: a Telegram chat id
	// (-100... or @name), a WeCom robot key, a webhook URL; empty for manual.
	Target string
	// Secret signs webhook posts. It is never shown or logged.
	Secret string
	// Placements (推广位) that tag the group's orders.
	PIDTaobao string // Alimama mm_memberid_siteid_adzoneid
	PIDJD     string
	PIDPDD    string
	Owner     string // the operator who runs it
	Capacity  int64  // member limit, 0 = unknown
	Members   int64  // members now, 0 = unknown
	Tags      []string
	TZ        string // IANA zone of its posting times
	Active    bool
	// AllowUnconverted (允许未转链) lets a post go with the item's plain
	// placement-tagged link when its conversion (转链) failed; by default such
	// a post is held.
	AllowUnconverted bool
	// WeComChatID (企业微信群ID) is the chat_id of the group's WeCom
	// customer group (客户群): its member events are the group's. Saving a
	// group with one maps the chat to it (Store.MapChat); "" maps nothing.
	WeComChatID string
	Created     time.Time
	Updated     time.Time
}

// AdzoneID is the adzone part of the Alimama PID, "" if there is none.
func (g *Group) AdzoneID() string {
	if m := pidRe.FindStringSubmatch(g.PIDTaobao); m != nil {
		return m[3]
	}
	return ""
}

// PositionID is the positionId part of the JD PID (unionId_siteId_positionId),
// "" if there is none.
func (g *Group) PositionID() string { return positionID(g.PIDJD) }

func positionID(pid string) string {
	if parts := strings.Split(pid, "_"); len(parts) == 3 && parts[2] != "" {
		return parts[2]
	}
	return ""
}

// PDDPid is the group's Pinduoduo placement: the p_id as given.
func (g *Group) PDDPid() string { return g.PIDPDD }

// Location is the group's time zone (Asia/Shanghai when unset or unknown).
func (g *Group) Location() *time.Location {
	if loc, err := time.LoadLocation(g.TZ); err == nil && g.TZ != "" {
		return loc
	}
	return shanghai.Zone
}

// HasTag reports whether the group carries tag.
func (g *Group) HasTag(tag string) bool { return slices.Contains(g.Tags, tag) }

// FieldError is a problem with one field of a group, with its message to
// render in the reader's language.
type FieldError struct {
	Field string
	Msg   *msg.Error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg.Error() }

// Unwrap returns the message, so that msg.Text renders it.
func (e *FieldError) Unwrap() error { return e.Msg }

var (
	pidRe        = regexp.MustCompile(`^mm_(\d+)_(\d+)_(\d+)$`)
	telegramChat = regexp.MustCompile(`^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$`)
	wecomKey     = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)
)

var errSecret = &FieldError{"secret", msg.New("groups.err_secret_short")}

// MaxTags bounds a group's tags.
const MaxTags = 20

// Normalize cleans g in place (trims, splits tags, pulls the robot key out of
// a pasted WeCom webhook URL) and checks it. The error is a *FieldError.
func (g *Group) Normalize() error {
	g.Name = strings.TrimSpace(g.Name)
	g.Target = strings.TrimSpace(g.Target)
	g.PIDTaobao = strings.TrimSpace(g.PIDTaobao)
	g.PIDJD = strings.TrimSpace(g.PIDJD)
	g.PIDPDD = strings.TrimSpace(g.PIDPDD)
	g.Owner = strings.TrimSpace(g.Owner)
	g.TZ = strings.TrimSpace(g.TZ)
	if g.TZ == "" {
		g.TZ = "Asia/Shanghai"
	}
	g.Channel = Channel(strings.ToLower(strings.TrimSpace(string(g.Channel))))
	g.Tags = cleanTags(g.Tags)

	switch n := utf8.RuneCountInString(g.Name); {
	case n == 0:
		return &FieldError{"name", msg.New("groups.err_name_required")}
	case n > 100:
		return &FieldError{"name", msg.New("groups.err_name_long")}
	}
	switch g.Channel {
	case Telegram:
		if !telegramChat.MatchString(g.Target) {
			return &FieldError{"target", msg.New("groups.err_telegram_target")}
		}
	case WeCom:
		if u, err := url.Parse(g.Target); err == nil && u.Query().Get("key") != "" {
			g.Target = u.Query().Get("key")
		}
		if !wecomKey.MatchString(g.Target) {
			return &FieldError{"target", msg.New("groups.err_wecom_target")}
		}
	case Webhook:
		u, err := url.Parse(g.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &FieldError{"target", msg.New("groups.err_webhook_target")}
		}
	case Manual:
	default:
		return &FieldError{"channel", msg.New("groups.err_channel", string(g.Channel))}
	}
	g.WeComChatID = strings.TrimSpace(g.WeComChatID)
	if len(g.WeComChatID) > 128 || strings.ContainsAny(g.WeComChatID, " \t\r\n") {
		return &FieldError{"wecom_chat_id", msg.New("groups.err_wecom_chat_id")}
	}
	if g.PIDTaobao != "" && !pidRe.MatchString(g.PIDTaobao) {
		return &FieldError{"pid_taobao", msg.New("groups.err_pid_taobao")}
	}
	for _, p := range []struct{ field, v string }{{"pid_jd", g.PIDJD}, {"pid_pdd", g.PIDPDD}} {
		if len(p.v) > 64 || strings.ContainsAny(p.v, " \t\r\n") {
			return &FieldError{p.field, msg.New("groups.err_placement")}
		}
	}
	if utf8.RuneCountInString(g.Owner) > 64 {
		return &FieldError{"owner", msg.New("groups.err_owner_long")}
	}
	if g.Capacity < 0 || g.Capacity > 1_000_000 {
		return &FieldError{"capacity", msg.New("groups.err_capacity")}
	}
	if g.Members < 0 || g.Members > 1_000_000 {
		return &FieldError{"members", msg.New("groups.err_members")}
	}
	if _, err := time.LoadLocation(g.TZ); err != nil || strings.EqualFold(g.TZ, "local") {
		return &FieldError{"tz", msg.New("groups.err_tz", g.TZ)}
	}
	if len(g.Tags) > MaxTags {
		return &FieldError{"tags", msg.New("groups.err_tags_many", MaxTags)}
	}
	for _, t := range g.Tags {
		if utf8.RuneCountInString(t) > 32 {
			return &FieldError{"tags", msg.New("groups.err_tag_long", t)}
		}
	}
	// Checked last: an update may leave the secret empty to keep the stored one.
	if g.Channel == Webhook && len(g.Secret) < 16 {
		return errSecret
	}
	return nil
}

// SplitTags splits a tag list as typed: commas (also full-width), semicolons,
// 、 or spaces separate tags.
func SplitTags(s string) []string {
	return cleanTags(strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || r == '、' || r == ' ' || r == '\t' || r == '\u3000'
	}))
}

// cleanTags trims, drops empties and duplicates, and sorts.
func cleanTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}
