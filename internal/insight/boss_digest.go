package insight

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/store"
)

// The boss's daily digest (每日简报): once a day, at the hour set, in the
// team's zone, the key figures of yesterday and of the month so far and
// the warnings go to the channel health alerts go to (health_notify): the
// installation's default gets the whole team's digest, an owner with a
// channel of their own gets their groups'. Each digest is claimed in
// boss_digests (one row per team day and recipient) before it is sent, so
// that of two servers on one database only one sends it, and never twice.

// DigestSettings say whether the digest is sent and at which hour.
type DigestSettings struct {
	Enabled bool
	Hour    int // 0–23, in the team's zone
}

// ErrDigestHour is returned for an hour outside 0–23.
var ErrDigestHour = msg.New("boss.digest_bad_hour")

// Digest returns the digest's settings (off at 8:00 when never set).
func (s *Store) Digest(ctx context.Context) (DigestSettings, error) {
	d := DigestSettings{Hour: 8}
	var on int
	err := s.db.QueryRowContext(ctx, `SELECT enabled, hour FROM boss_digest_settings WHERE id = 1`).Scan(&on, &d.Hour)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("digest settings: %w", err)
	}
	d.Enabled = on != 0
	return d, nil
}

// SetDigest saves the digest's settings.
func (s *Store) SetDigest(ctx context.Context, d DigestSettings) error {
	if d.Hour < 0 || d.Hour > 23 {
		return ErrDigestHour
	}
	on := 0
	if d.Enabled {
		on = 1
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO boss_digest_settings (id, enabled, hour, updated_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, hour = excluded.hour, updated_at = excluded.updated_at`,
		on, d.Hour, s.now().Unix())
	if err != nil {
		return fmt.Errorf("digest settings: %w", err)
	}
	return nil
}

// DigestRecord is one digest claimed: sent, failed, or with nowhere to go.
type DigestRecord struct {
	Day     time.Time // the team-zone date it is for
	Owner   string    // "": the team's
	Status  string    // claimed, sent, failed
	Channel community.Channel
	Target  string
	Error   string
	Body    string
	Created time.Time
	Sent    time.Time // zero when not sent
}

// claimDigest records that holder sends day's digest to owner; false when
// it was claimed before (by any server).
func (s *Store) claimDigest(ctx context.Context, day int64, owner, holder string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO boss_digests (day, owner, status, claimed_by, created_at)
		VALUES ($1, $2, 'claimed', $3, $4) ON CONFLICT (day, owner) DO NOTHING`, day, owner, holder, s.now().Unix())
	if err != nil {
		return false, fmt.Errorf("claim digest: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// finishDigest records how sending a claimed digest ended.
func (s *Store) finishDigest(ctx context.Context, day int64, owner string, r DigestRecord) error {
	var sent int64
	if r.Status == "sent" {
		sent = s.now().Unix()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE boss_digests SET status = $1, channel = $2, target = $3, error = $4, body = $5,
		sent_at = $6 WHERE day = $7 AND owner = $8`, r.Status, string(r.Channel), r.Target, r.Error, r.Body, sent, day, owner)
	if err != nil {
		return fmt.Errorf("finish digest: %w", err)
	}
	return nil
}

// Digests returns the latest digests claimed, newest first.
func (s *Store) Digests(ctx context.Context, limit int) ([]DigestRecord, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.db.QueryContext(ctx, `SELECT day, owner, status, channel, target, error, body, created_at, sent_at
		FROM boss_digests ORDER BY day DESC, owner LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	defer rows.Close()
	var out []DigestRecord
	for rows.Next() {
		var r DigestRecord
		var day, created, sent int64
		var ch string
		if err := rows.Scan(&day, &r.Owner, &r.Status, &ch, &r.Target, &r.Error, &r.Body, &created, &sent); err != nil {
			return nil, err
		}
		r.Day = time.Unix(day*86400, 0).UTC()
		r.Channel, r.Created = community.Channel(ch), time.Unix(created, 0).UTC()
		if sent > 0 {
			r.Sent = time.Unix(sent, 0).UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DigestLease is the store lease the digest job runs under.
const DigestLease = "insight.digest"

// WarningSource adds warnings to a digest (join codes, QR codes: later
// issues): lines in lang for owner's groups (every group when all).
type WarningSource interface {
	DigestWarnings(ctx context.Context, owner string, all bool, lang i18n.Lang) ([]string, error)
}

// Digester builds and sends the daily digest.
type Digester struct {
	DB    *store.DB
	Store *Store
	Boss  *BossSources
	// Notify gives where messages go (health.Store: the alerts' settings).
	Notify interface {
		NotifySettings(ctx context.Context) ([]health.Notify, error)
	}
	// Groups names the groups in warnings.
	Groups interface {
		List(ctx context.Context, f community.Filter) ([]*community.Group, error)
	}
	Senders  map[community.Channel]channel.Sender
	Warnings []WarningSource
	Zone     *time.Location // the team's zone: the digest's day and hour
	Lang     i18n.Lang
	Now      func() time.Time
	Log      *slog.Logger
}

func (d *Digester) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// teamDay is the team-zone date of t as a day number (days since
// 1970-01-01 of that calendar date), and its hour.
func (d *Digester) teamDay(t time.Time) (int64, int) {
	z := d.Zone
	if z == nil {
		z = time.UTC
	}
	l := t.In(z)
	y, m, day := l.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Unix() / 86400, l.Hour()
}

// Recipient is one digest to send: an owner's (Owner set, Mine true) or the
// team's (the installation's default).
type Recipient struct {
	Owner  string
	Mine   bool
	Notify health.Notify
}

// Recipients are the digests to send: the team's to the default channel,
// and each owner's with a channel of its own.
func (d *Digester) Recipients(ctx context.Context) ([]Recipient, error) {
	settings, err := d.Notify.NotifySettings(ctx)
	if err != nil {
		return nil, err
	}
	var out []Recipient
	for _, n := range settings {
		out = append(out, Recipient{Owner: n.Owner, Mine: n.Owner != "", Notify: n})
	}
	return out, nil
}

// Text builds the digest for day (a team day number; figures are of the
// Shanghai day before it and of that day's month so far) for a recipient.
func (d *Digester) Text(ctx context.Context, day int64, r Recipient) (string, error) {
	l := d.Lang
	if l == "" {
		l = i18n.ZH
	}
	t := func(key string, args ...any) string { return msg.In(l, msg.New(key, args...)) }
	yesterday := day - 1
	q := BossQuery{Period: PeriodDay, Day: yesterday, By: ByOperator, Owner: r.Owner, OnlyMine: r.Mine}
	yt, err := d.Boss.Boss(ctx, q)
	if err != nil {
		return "", err
	}
	q.Period = PeriodMonth
	mt, err := d.Boss.Boss(ctx, q)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	date := time.Unix(yesterday*86400, 0).UTC()
	head := t("boss.digest_title", date.Format("2006-01-02"))
	if r.Mine {
		head = t("boss.digest_title_owner", date.Format("2006-01-02"), r.Owner)
	}
	b.WriteString(head)
	y := yt.Total
	b.WriteString("\n" + t("boss.digest_day", cells.Yuan(y.IncomeFen), y.Orders, y.Posts, y.Members, signed(y.NetGrowth),
		perDayOr(&y, t)))
	m := mt.Total
	b.WriteString("\n" + t("boss.digest_month", cells.Yuan(m.IncomeFen), m.Orders, cells.Yuan(m.CostFen), signed(m.NetGrowth)))
	if m.HasCAC {
		pay := t("boss.never")
		if m.HasPayback {
			pay = t("boss.days", m.PaybackDays)
		}
		b.WriteString("\n" + t("boss.digest_cac", cells.Yuan(m.CACFen), pay))
	}
	if !r.Mine && len(mt.Rows) > 1 {
		rows := slices.Clone(mt.Rows)
		SortBoss(rows, "income", false)
		var parts []string
		for i := range rows[:min(5, len(rows))] {
			parts = append(parts, mt.RowLabel(&rows[i], t)+" "+cells.Yuan(rows[i].IncomeFen))
		}
		b.WriteString("\n" + t("boss.digest_top", strings.Join(parts, " · ")))
	}
	warn, err := d.warnings(ctx, r, l, t)
	if err != nil {
		return "", err
	}
	if len(warn) == 0 {
		b.WriteString("\n" + t("boss.digest_no_warnings"))
	} else {
		b.WriteString("\n" + t("boss.digest_warnings", len(warn)))
		for i, w := range warn {
			if i == 10 {
				b.WriteString("\n· " + t("boss.digest_more", len(warn)-10))
				break
			}
			b.WriteString("\n· " + w)
		}
	}
	return b.String(), nil
}

// warnings are the groups in warning or dead (riskiest first, then by
// name) and the sources' lines.
func (d *Digester) warnings(ctx context.Context, r Recipient, l i18n.Lang, t Text) ([]string, error) {
	states, err := d.Boss.Days.States(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := d.Groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	type w struct {
		name string
		st   health.State
	}
	var ws []w
	for _, g := range groups {
		st := states[g.ID]
		if (st != health.Warning && st != health.Dead) || !g.Active || (r.Mine && g.Owner != r.Owner) {
			continue
		}
		ws = append(ws, w{g.Name, st})
	}
	slices.SortFunc(ws, func(a, b w) int {
		if a.st.Rank() != b.st.Rank() {
			return b.st.Rank() - a.st.Rank()
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, x := range ws {
		out = append(out, t("boss.digest_group_warning", x.name, t(x.st.LabelKey())))
	}
	for _, src := range d.Warnings {
		more, err := src.DigestWarnings(ctx, r.Owner, !r.Mine, l)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func signed(n int64) string {
	if n > 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func perDayOr(r *BossRow, t Text) string {
	if s := PerMemberDayText(r); s != "" {
		return t("boss.fen", s)
	}
	return "—"
}

// DigestRun says what one run did.
type DigestRun struct {
	Due     bool // enabled and the hour has come
	Claimed int  // digests this server claimed
	Sent    int
}

// RunOnce sends today's digests when they are on and the hour has come and
// this server claims them first. A digest whose channel has no sender is
// recorded as failed, not retried.
func (d *Digester) RunOnce(ctx context.Context) (DigestRun, error) {
	var run DigestRun
	if len(d.Senders) == 0 {
		return run, nil // nothing to send with: leave the day to a server that has
	}
	set, err := d.Store.Digest(ctx)
	if err != nil || !set.Enabled {
		return run, err
	}
	day, hour := d.teamDay(d.now())
	if hour < set.Hour {
		return run, nil
	}
	run.Due = true
	return d.send(ctx, day, run)
}

// SendNow sends today's digests at once (qunke report digest --send),
// claimed as the job claims them: a digest already sent today is not sent
// again.
func (d *Digester) SendNow(ctx context.Context) (DigestRun, error) {
	day, _ := d.teamDay(d.now())
	return d.send(ctx, day, DigestRun{Due: true})
}

func (d *Digester) send(ctx context.Context, day int64, run DigestRun) (DigestRun, error) {
	rs, err := d.Recipients(ctx)
	if err != nil {
		return run, err
	}
	holder := store.Holder()
	for _, r := range rs {
		ok, err := d.Store.claimDigest(ctx, day, r.Owner, holder)
		if err != nil {
			return run, err
		}
		if !ok {
			continue
		}
		run.Claimed++
		rec := DigestRecord{Channel: r.Notify.Channel, Target: r.Notify.Target}
		body, err := d.Text(ctx, day, r)
		if err != nil {
			rec.Status, rec.Error = "failed", err.Error()
			if ferr := d.Store.finishDigest(ctx, day, r.Owner, rec); ferr != nil {
				return run, ferr
			}
			return run, err
		}
		rec.Body = body
		sender := d.Senders[r.Notify.Channel]
		switch {
		case sender == nil:
			rec.Status, rec.Error = "failed", "no sender for "+string(r.Notify.Channel)
		default:
			_, serr := sender.Send(ctx, r.Notify.Target, channel.Message{Key: fmt.Sprintf("digest-%d-%s", day, r.Owner), Text: body})
			if serr != nil {
				rec.Status, rec.Error = "failed", serr.Error() // senders redact secrets from their errors
				if d.Log != nil {
					d.Log.Warn("digest not sent", "owner", r.Owner, "err", serr)
				}
			} else {
				rec.Status = "sent"
				run.Sent++
			}
		}
		if err := d.Store.finishDigest(ctx, day, r.Owner, rec); err != nil {
			return run, err
		}
	}
	return run, nil
}

// Run runs RunOnce every every, under the lease, until ctx ends: of
// several servers on one database one does it (and the claims keep even
// two from sending a digest twice).
func (d *Digester) Run(ctx context.Context, holder string, every time.Duration) {
	d.DB.RunLeased(ctx, DigestLease, holder, max(2*time.Minute, every*3), func(c context.Context) {
		for {
			st, err := d.RunOnce(c)
			if err != nil && c.Err() == nil && d.Log != nil {
				d.Log.Error("boss digest", "err", err)
			} else if d.Log != nil && st.Claimed > 0 {
				d.Log.Info("boss digest", "claimed", st.Claimed, "sent", st.Sent)
			}
			select {
			case <-c.Done():
				return
			case <-time.After(every):
			}
		}
	})
}
