package health

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish/channel"
)

// Alert is one change of a group's state, to be sent once.
type Alert struct {
	ID       int64
	GroupID  int64
	Day      int64
	State    State
	Previous State
	Score    int
	Reasons  []Reason
	// Status: pending (to send), sending (claimed by a server; a crash
	// while sending leaves it so, never sent twice), sent, failed, none (no
	// channel set for the group's owner nor a default).
	Status  string
	Channel string
	Target  string
	Error   string
	Created time.Time
	Sent    time.Time
}

const alertCols = `id, group_id, day, state, previous, score, reasons, status, channel, target, error, created_at, sent_at`

func scanAlert(row interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var st, prev, reasons string
	var created, sent int64
	if err := row.Scan(&a.ID, &a.GroupID, &a.Day, &st, &prev, &a.Score, &reasons, &a.Status, &a.Channel, &a.Target,
		&a.Error, &created, &sent); err != nil {
		return a, err
	}
	a.State, a.Previous = State(st), State(prev)
	a.Created = time.Unix(created, 0).UTC()
	if sent > 0 {
		a.Sent = time.Unix(sent, 0).UTC()
	}
	if err := json.Unmarshal([]byte(reasons), &a.Reasons); err != nil {
		return a, fmt.Errorf("health: alert %d reasons: %w", a.ID, err)
	}
	return a, nil
}

// Alerts returns alerts, newest first: with status "" every status, else
// that one; groupID 0 every group.
func (s *Store) Alerts(ctx context.Context, status string, groupID int64, limit int) ([]Alert, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertCols+` FROM health_alerts
		WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR group_id = $2) ORDER BY id DESC LIMIT $3`, status, groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("health: alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// claimAlert marks a pending alert as being sent by holder; false when
// another server claimed it first.
func (s *Store) claimAlert(ctx context.Context, id int64, holder string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE health_alerts SET status = 'sending', claimed_by = $2
		WHERE id = $1 AND status = 'pending'`, id, holder)
	if err != nil {
		return false, fmt.Errorf("health: claim alert: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// finishAlert records how sending an alert ended.
func (s *Store) finishAlert(ctx context.Context, id int64, status, channel, target, errText string) error {
	sent := int64(0)
	if status == "sent" {
		sent = s.now().Unix()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE health_alerts SET status = $2, channel = $3, target = $4, error = $5, sent_at = $6
		WHERE id = $1`, id, status, channel, target, errText, sent)
	if err != nil {
		return fmt.Errorf("health: finish alert: %w", err)
	}
	return nil
}

// Notify says where one group owner's alerts go. Owner "" is the
// installation's default, used for owners without their own.
type Notify struct {
	Owner   string
	Channel community.Channel // community.Telegram (a chat) or community.WeCom (a robot)
	Target  string            // Telegram chat id, WeCom robot key
	Updated time.Time
}

// ErrNotifyChannel is returned for a channel alerts cannot go to.
var ErrNotifyChannel = msg.New("health.err_notify_channel")

// Check cleans n and checks its target as a group's would be checked
// (a pasted WeCom webhook URL gives its key).
func (n *Notify) Check() error {
	n.Owner = strings.TrimSpace(n.Owner)
	if utf8.RuneCountInString(n.Owner) > 64 {
		return &community.FieldError{Field: "owner", Msg: msg.New("groups.err_owner_long")}
	}
	if n.Channel != community.Telegram && n.Channel != community.WeCom {
		return &community.FieldError{Field: "channel", Msg: ErrNotifyChannel}
	}
	g := community.Group{Name: "alerts", Channel: n.Channel, Target: n.Target}
	if err := g.Normalize(); err != nil {
		return err
	}
	n.Target = g.Target
	return nil
}

// SetNotify saves where an owner's alerts go; an empty channel removes the
// owner's setting.
func (s *Store) SetNotify(ctx context.Context, n Notify) error {
	if n.Channel == "" {
		_, err := s.db.ExecContext(ctx, `DELETE FROM health_notify WHERE owner = $1`, strings.TrimSpace(n.Owner))
		return err
	}
	if err := n.Check(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO health_notify (owner, channel, target, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (owner) DO UPDATE SET channel = excluded.channel, target = excluded.target, updated_at = excluded.updated_at`,
		n.Owner, string(n.Channel), n.Target, s.now().Unix())
	if err != nil {
		return fmt.Errorf("health: notify settings: %w", err)
	}
	return nil
}

// NotifySettings returns every owner's setting, the default ("") first.
func (s *Store) NotifySettings(ctx context.Context) ([]Notify, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT owner, channel, target, updated_at FROM health_notify ORDER BY owner`)
	if err != nil {
		return nil, fmt.Errorf("health: notify settings: %w", err)
	}
	defer rows.Close()
	var out []Notify
	for rows.Next() {
		var n Notify
		var ch string
		var at int64
		if err := rows.Scan(&n.Owner, &ch, &n.Target, &at); err != nil {
			return nil, err
		}
		n.Channel, n.Updated = community.Channel(ch), time.Unix(at, 0).UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// route picks the setting for owner: its own, else the default.
func route(settings []Notify, owner string) (Notify, bool) {
	var def *Notify
	for i := range settings {
		switch settings[i].Owner {
		case owner:
			return settings[i], true
		case "":
			def = &settings[i]
		}
	}
	if def != nil {
		return *def, true
	}
	return Notify{}, false
}

// AlertText is the alert's message, in lang.
func AlertText(lang i18n.Lang, groupName string, a Alert) string {
	var b strings.Builder
	b.WriteString(msg.In(lang, msg.New("health.alert_title", groupName, msg.In(lang, msg.New(a.Previous.LabelKey())),
		msg.In(lang, msg.New(a.State.LabelKey())), a.Score)))
	for _, r := range a.Reasons {
		if r.Points == 0 {
			continue
		}
		b.WriteString("\n· ")
		b.WriteString(msg.In(lang, r.Msg()))
	}
	return b.String()
}

// Deliver sends text to owner's alert channel (the owner's own setting,
// else the installation's default) with the senders the group alerts use:
// status "sent", "failed" (err says why) or "none" (no channel set, or no
// sender for it, as on the command line). Other packages' warnings (join
// codes) go out this way; key names the message for the sender.
func (s *Service) Deliver(ctx context.Context, owner, key, text string) (string, error) {
	settings, err := s.Store.NotifySettings(ctx)
	if err != nil {
		return "", err
	}
	n, found := route(settings, owner)
	sender := s.Senders[n.Channel]
	if !found || sender == nil {
		return "none", nil
	}
	if _, err := sender.Send(ctx, n.Target, channel.Message{Key: key, Text: text}); err != nil {
		return "failed", err
	}
	return "sent", nil
}
