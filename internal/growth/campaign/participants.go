package campaign

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// Participant is one inviter in one campaign.
type Participant struct {
	ID         int64
	CampaignID int64
	MemberID   int64 // the community member, 0 = not known as one (then self-invites cannot be told)
	Name       string
	// Ref is the personal invite reference ("qk" and 8 letters or digits):
	// it travels as WeCom's join-way state, inside a Telegram invite link's
	// name, and as the join page's ?i=.
	Ref       string
	Link      string // the personal invite link
	Valid     int    // valid invites (as last counted)
	Invites   int    // joins naming them
	Held      int    // invites held for review
	CreatedAt time.Time

	memberSource, memberExt, memberUnion string
}

// Linker makes a participant's personal invite link. The default,
// JoinPageLinker, points at the join page of the campaign's join code with
// the reference; serve wires one that asks Telegram for an invite link
// named for the participant (createChatInviteLink) where a campaign's group
// is a Telegram one.
type Linker interface {
	Link(ctx context.Context, c *Campaign, p *Participant) (string, error)
}

// JoinPageLinker builds BaseURL + "/invite/<ref>": the participant's own
// page, which sends a visitor on to the join page of the campaign's join
// code (with ?i=<ref>) when it has one, else shows its target groups.
type JoinPageLinker struct{ BaseURL string }

// Link implements Linker.
func (l JoinPageLinker) Link(_ context.Context, _ *Campaign, p *Participant) (string, error) {
	return strings.TrimRight(l.BaseURL, "/") + "/invite/" + url.PathEscape(p.Ref), nil
}

// Joins is what PlatformLinker asks of the join codes (joincode.Service).
type Joins interface {
	PersonalLink(ctx context.Context, codeID int64, inviterRef string) (string, error)
	InviteLinkFor(ctx context.Context, groupID int64, name string, memberLimit int, expire time.Time) (string, error)
	MakesTelegramLinks() bool
}

// Groups reads a group of the registry (community.Store).
type Groups interface {
	Get(ctx context.Context, id int64) (*community.Group, error)
}

// PlatformLinker is the linker serve and the pages use: a campaign with a
// Telegram target group, when a bot is configured, gets a Telegram invite
// link named for the participant (TelegramLinkName, expiring at the
// campaign's end); else a campaign with a join code gets the code's join
// page with the reference (Joins.PersonalLink); else the participant's
// page (JoinPageLinker with BaseURL).
type PlatformLinker struct {
	Joins   Joins
	Groups  Groups
	BaseURL string // the public address (serve's --public-url; "" gives a path)
	Now     func() time.Time
}

// Link implements Linker.
func (l *PlatformLinker) Link(ctx context.Context, c *Campaign, p *Participant) (string, error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if l.Joins != nil && l.Joins.MakesTelegramLinks() && (c.Ends.IsZero() || c.Ends.After(now().Add(time.Minute))) {
		for _, id := range c.Groups {
			g, err := l.Groups.Get(ctx, id)
			if errors.Is(err, community.ErrNotFound) {
				continue
			}
			if err != nil {
				return "", err
			}
			if g.Channel == community.Telegram && g.Target != "" {
				return l.Joins.InviteLinkFor(ctx, g.ID, TelegramLinkName(p), 0, c.Ends)
			}
		}
	}
	if l.Joins != nil && c.JoinCodeID != 0 {
		return l.Joins.PersonalLink(ctx, c.JoinCodeID, p.Ref)
	}
	return JoinPageLinker{BaseURL: l.BaseURL}.Link(ctx, c, p)
}

// Invite returns the participant whose reference is ref and their
// campaign (the participant's public page).
func (s *Store) Invite(ctx context.Context, ref string) (*Campaign, *Participant, error) {
	if !refPattern.MatchString(ref) || len(ref) != 10 {
		return nil, nil, ErrNoParticipant.With(ref)
	}
	p, err := s.ParticipantByRef(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.Get(ctx, p.CampaignID)
	if err != nil {
		return nil, nil, err
	}
	return c, p, nil
}

// TelegramLinkName is the name of a Telegram invite link for p (at most 32
// characters, as createChatInviteLink allows): the reference first, so the
// counting finds it, then as much of the name as fits.
func TelegramLinkName(p *Participant) string {
	name := p.Ref + " " + strings.TrimSpace(p.Name)
	r := []rune(name)
	if len(r) > 32 {
		r = r[:32]
	}
	return strings.TrimSpace(string(r))
}

// refPattern finds references in invite links, states and link names.
var refPattern = regexp.MustCompile(`qk[a-z2-7]{8}`)

const refAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

func newRef() string {
	var b [8]byte
	rand.Read(b[:])
	out := []byte("qk")
	for _, x := range b {
		out = append(out, refAlphabet[int(x)%len(refAlphabet)])
	}
	return string(out)
}

// AddParticipant enrols an inviter: a member (memberID, its name unless
// name is given) or a person known only by name. Each gets a reference and
// a link (from the Linker).
func (s *Store) AddParticipant(ctx context.Context, campaignID, memberID int64, name string) (*Participant, error) {
	c, err := s.Get(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	p := &Participant{CampaignID: campaignID, MemberID: memberID, Name: strings.TrimSpace(name)}
	if memberID != 0 {
		id, err := s.community.IdentityOf(ctx, memberID)
		if err != nil {
			return nil, err
		}
		p.memberSource, p.memberExt, p.memberUnion = string(id.Member.Source), id.Member.ExternalID, id.Member.UnionID
		if p.Name == "" {
			p.Name = id.Member.Name
		}
	}
	if p.Name == "" || len([]rune(p.Name)) > 64 {
		return nil, ErrParticipantName
	}
	p.Ref = newRef()
	if p.Link, err = s.Linker.Link(ctx, c, p); err != nil {
		return nil, fmt.Errorf("link for %s: %w", p.Name, err)
	}
	p.CreatedAt = s.now().Truncate(time.Second)
	err = s.db.Atomic(ctx, func(tx *store.Tx) error {
		if memberID != 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM campaign_participants WHERE campaign_id = $1 AND member_id = $2`,
				campaignID, memberID).Scan(&one)
			if err == nil {
				return ErrParticipantIn.With(memberID)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO campaign_participants (campaign_id, member_id, member_source, member_ext,
			member_union, name, ref, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			campaignID, memberID, p.memberSource, p.memberExt, p.memberUnion, p.Name, p.Ref, p.Link, p.CreatedAt.Unix()).Scan(&p.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE campaigns SET participants = participants + 1, board_rev = board_rev + 1 WHERE id = $1`, campaignID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

const participantCols = `id, campaign_id, member_id, member_source, member_ext, member_union, name, ref, link,
	valid_invites, invites, held, created_at`

func scanParticipant(row interface{ Scan(...any) error }) (*Participant, error) {
	var p Participant
	var created int64
	if err := row.Scan(&p.ID, &p.CampaignID, &p.MemberID, &p.memberSource, &p.memberExt, &p.memberUnion, &p.Name, &p.Ref,
		&p.Link, &p.Valid, &p.Invites, &p.Held, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = time.Unix(created, 0).UTC()
	return &p, nil
}

// Participant returns participant id.
func (s *Store) Participant(ctx context.Context, id int64) (*Participant, error) {
	p, err := scanParticipant(s.db.QueryRowContext(ctx, `SELECT `+participantCols+` FROM campaign_participants WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoParticipant.With(id)
	}
	return p, err
}

// ParticipantByRef returns the participant whose reference is ref.
func (s *Store) ParticipantByRef(ctx context.Context, ref string) (*Participant, error) {
	p, err := scanParticipant(s.db.QueryRowContext(ctx, `SELECT `+participantCols+` FROM campaign_participants WHERE ref = $1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoParticipant.With(ref)
	}
	return p, err
}

// Ranked is a participant with their place on the leaderboard (equal
// valid invites share a place).
type Ranked struct {
	Rank int
	Participant
}

// Leaderboard returns the campaign's participants ranked by valid invites
// (邀请排行), limit rows from offset, and the number of participants.
//
// A page near the top is read from the board's index directly. A page far
// down starts at the nearest mark of the board's sparse index (every
// markStride-th place with its rank, see marks.go), rebuilt when the
// campaign's board_rev moved: it reads at most markStride-1 rows more
// than the page, wherever the page is.
func (s *Store) Leaderboard(ctx context.Context, campaignID int64, limit, offset int) ([]Ranked, int, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	offset = max(offset, 0)
	var total int
	var rev int64
	err := s.db.QueryRowContext(ctx, `SELECT participants, board_rev FROM campaigns WHERE id = $1`, campaignID).Scan(&total, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound.With(campaignID)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("leaderboard %d: %w", campaignID, err)
	}
	if offset >= total {
		return []Ranked{}, total, nil
	}
	// The page's rows from a start (valid invites v, id): the rest of v's
	// participants from id, then the places below (two range reads).
	var out []Ranked
	read := func(where string, n int, args ...any) error {
		rows, err := s.db.QueryContext(ctx, `SELECT `+participantCols+` FROM campaign_participants WHERE campaign_id = $1 `+where+
			fmt.Sprintf(` ORDER BY valid_invites DESC, id LIMIT %d`, n), append([]any{campaignID}, args...)...)
		if err != nil {
			return fmt.Errorf("leaderboard %d: %w", campaignID, err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanParticipant(rows)
			if err != nil {
				return err
			}
			out = append(out, Ranked{Participant: *p})
		}
		return rows.Err()
	}
	from := func(v, id int64, n int) error {
		if err := read(`AND valid_invites = $2 AND id >= $3`, n, v, id); err != nil {
			return err
		}
		if len(out) < n {
			return read(`AND valid_invites < $2`, n-len(out), v)
		}
		return nil
	}
	// start is the place (0-based) of out[0], rank its rank (0: count it).
	start, rank := 0, 0
	switch {
	case offset == 0:
		err = read(``, limit)
	case offset < nearTop || total < 4*markStride:
		var v, id int64
		err = s.db.QueryRowContext(ctx, `SELECT valid_invites, id FROM campaign_participants WHERE campaign_id = $1
			ORDER BY valid_invites DESC, id LIMIT 1 OFFSET $2`, campaignID, offset).Scan(&v, &id)
		if errors.Is(err, sql.ErrNoRows) {
			return []Ranked{}, total, nil
		}
		if err == nil {
			err = from(v, id, limit)
		}
		start = offset
	default:
		var m mark
		m, err = s.markAt(ctx, campaignID, rev, offset)
		if err == nil {
			err = from(m.valid, m.id, offset-m.pos+limit)
		}
		start, rank = m.pos, m.rank
	}
	if err != nil {
		return nil, 0, err
	}
	// Places: standard competition ranking down the rows, from the first
	// row's place (its mark's, or 1 + those with more valid invites).
	for i := range out {
		switch {
		case i > 0 && out[i].Valid == out[i-1].Valid:
			out[i].Rank = out[i-1].Rank
		case i > 0:
			out[i].Rank = start + i + 1
		case rank > 0:
			out[i].Rank = rank
		default:
			var above int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM campaign_participants WHERE campaign_id = $1 AND valid_invites > $2`,
				campaignID, out[i].Valid).Scan(&above); err != nil {
				return nil, 0, err
			}
			out[i].Rank = above + 1
		}
	}
	if skip := offset - start; skip > 0 {
		out = out[min(skip, len(out)):]
	}
	return out, total, nil
}

// Participants lists a campaign's participants by name match (q, "" =
// all), in the order they joined, limit from offset, and how many match.
func (s *Store) Participants(ctx context.Context, campaignID int64, q string, limit, offset int) ([]Participant, int, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	where := `WHERE campaign_id = $1`
	args := []any{campaignID}
	if q = strings.TrimSpace(q); q != "" {
		where += ` AND (name LIKE $2 OR ref = $3)`
		args = append(args, "%"+q+"%", q)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM campaign_participants `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+participantCols+` FROM campaign_participants `+where+
		fmt.Sprintf(` ORDER BY id LIMIT %d OFFSET %d`, limit, max(offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Participant
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *p)
	}
	return out, total, rows.Err()
}

// LeaderboardText is the leaderboard's first n rows as a post for the
// groups (邀请排行), in lang.
func LeaderboardText(lang i18n.Lang, c *Campaign, rows []Ranked, n int) string {
	var b strings.Builder
	b.WriteString(msg.In(lang, msg.New("campaign.board_title", c.Name)))
	for i, r := range rows {
		if i >= n {
			break
		}
		b.WriteString("\n")
		b.WriteString(msg.In(lang, msg.New("campaign.board_line", r.Rank, r.Name, r.Valid)))
	}
	if len(rows) == 0 {
		b.WriteString("\n" + msg.In(lang, msg.New("campaign.board_empty")))
	}
	return b.String()
}

// BulkParticipants enrols many participants known by name, with their
// valid invites as given, in one transaction: the leaderboard benchmark's
// (and a load test's) data, not a way around the counting.
func (s *Store) BulkParticipants(ctx context.Context, campaignID int64, names []string, valid []int) error {
	if len(names) != len(valid) {
		return fmt.Errorf("bulk participants: %d names, %d counts", len(names), len(valid))
	}
	now := s.now().Unix()
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		const cols, per = 6, 500
		for start := 0; start < len(names); start += per {
			end := min(start+per, len(names))
			args := make([]any, 0, (end-start)*cols)
			for i := start; i < end; i++ {
				args = append(args, campaignID, names[i], newRef(), "", valid[i], now)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_participants (campaign_id, name, ref, link, valid_invites, created_at)
				VALUES `+tx.Dialect.BulkPlaceholders(cols, end-start, 1), args...); err != nil {
				return fmt.Errorf("bulk participants: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE campaigns SET participants = participants + $1, board_rev = board_rev + 1 WHERE id = $2`, len(names), campaignID)
		return err
	})
}
