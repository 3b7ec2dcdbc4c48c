package campaign

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Decision is what the counting made of an invite.
type Decision string

const (
	Waiting    Decision = "waiting"     // in the group, not yet for the stay the rules ask
	Valid      Decision = "valid"       // counts
	Revoked    Decision = "revoked"     // left before the stay was over
	SeenBefore Decision = "seen_before" // the person was in one of the team's groups before
	Self       Decision = "self"        // the inviter invited themselves
	Duplicate  Decision = "duplicate"   // the same person was invited before in this campaign
	Held       Decision = "held"        // part of a burst: waits for an operator
	Rejected   Decision = "rejected"    // a held invite an operator rejected
	Capped     Decision = "capped"      // over the inviter's cap
)

// Decisions lists every decision.
var Decisions = []Decision{Waiting, Valid, Revoked, SeenBefore, Self, Duplicate, Held, Rejected, Capped}

// Invite is one join that names a participant, with its decision and the
// reason (a message key of the catalogs and its arguments).
type Invite struct {
	EventKey      string
	CampaignID    int64
	ParticipantID int64
	InviteeID     int64
	GroupID       int64
	JoinedAt      time.Time
	LeftAt        time.Time // zero: still in
	Status        Decision
	Reason        string
	ReasonArgs    []string
	DueAt         time.Time // when it is looked at again (a stay ends)
	Review        string    // "", "approved", "rejected"
	ReviewedBy    string
	ReviewedAt    time.Time
	DecidedAt     time.Time
}

// facts of a join about its invitee, found from the events.
const (
	factNew       = ""
	factSelf      = "self"
	factSeen      = "seen_before"
	factDuplicate = "duplicate"
)

// candidate is one join that names a participant of an open campaign.
type candidate struct {
	ev     community.MemberEvent
	member int64
	p      *Participant
	leftAt int64
	fact   string
	seenAt int64 // the sighting before the join (seen_before), the first invite (duplicate)
}

// counter holds what one counting pass reads, cached.
type counter struct {
	s         *Store
	campaigns map[int64]*Campaign
	byRef     map[string]*Participant
	byExt     map[[2]string][]*Participant
}

func (s *Store) newCounter(ctx context.Context) (*counter, error) {
	cs, err := list(ctx, s.db, ``)
	if err != nil {
		return nil, err
	}
	k := &counter{s: s, campaigns: map[int64]*Campaign{}, byRef: map[string]*Participant{}, byExt: map[[2]string][]*Participant{}}
	for _, c := range cs {
		k.campaigns[c.ID] = c
	}
	return k, nil
}

func (k *counter) participantByRef(ctx context.Context, ref string) (*Participant, error) {
	if p, ok := k.byRef[ref]; ok {
		return p, nil
	}
	p, err := k.s.ParticipantByRef(ctx, ref)
	if errors.Is(err, ErrNoParticipant) {
		p, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	k.byRef[ref] = p
	return p, nil
}

// participantsByExt are the participants who are member ext on source
// (the platform names them as the inviter).
func (k *counter) participantsByExt(ctx context.Context, source community.Source, ext string) ([]*Participant, error) {
	key := [2]string{string(source), ext}
	if ps, ok := k.byExt[key]; ok {
		return ps, nil
	}
	rows, err := k.s.db.QueryContext(ctx, `SELECT `+participantCols+` FROM campaign_participants
		WHERE member_source = $1 AND member_ext = $2 ORDER BY id`, string(source), ext)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []*Participant
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	k.byExt[key] = ps
	return ps, rows.Err()
}

// credited returns the participant a join is credited to in each open
// campaign: the one whose reference the join's link or link name carries
// (Telegram named links, WeCom state, the join page's inviter), else the
// one the platform names as the inviter (WeCom invitor) in the campaign's
// own groups. A join naming nobody is credited to nobody.
func (k *counter) credited(ctx context.Context, e community.MemberEvent) (map[int64]*Participant, error) {
	out := map[int64]*Participant{}
	for _, text := range []string{e.InviteLink, e.InviteName} {
		for _, ref := range refPattern.FindAllString(text, 4) {
			p, err := k.participantByRef(ctx, ref)
			if err != nil {
				return nil, err
			}
			if p == nil {
				continue
			}
			c := k.campaigns[p.CampaignID]
			if c == nil || out[c.ID] != nil || !c.Open(e.At) || e.At.Before(p.CreatedAt) {
				continue
			}
			if len(c.Groups) > 0 && c.JoinCodeID == 0 && !slices.Contains(c.Groups, e.GroupID) {
				continue
			}
			out[c.ID] = p
		}
	}
	if e.Inviter != "" {
		ps, err := k.participantsByExt(ctx, e.Source, e.Inviter)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			c := k.campaigns[p.CampaignID]
			if c == nil || out[c.ID] != nil || !c.Open(e.At) || e.At.Before(p.CreatedAt) || !slices.Contains(c.Groups, e.GroupID) {
				continue
			}
			out[c.ID] = p
		}
	}
	return out, nil
}

// person is what the registry tells of one invitee identity.
type person struct {
	ids     []int64 // the member and its peers (same unionid)
	union   string
	ext     map[int64]string
	first   int64 // the earliest sighting of any of them
	events  map[int64][]community.MemberEvent
	stays   map[int64][]community.Membership
	pending bool // some event is in a chat mapped to no group yet
}

func (k *counter) person(ctx context.Context, member int64) (*person, error) {
	id, err := k.s.community.IdentityOf(ctx, member)
	if err != nil {
		return nil, err
	}
	p := &person{ids: append([]int64{member}, id.Peers...), union: id.Member.UnionID, first: id.FirstSeen.Unix(),
		ext: map[int64]string{member: id.Member.ExternalID}, events: map[int64][]community.MemberEvent{}, stays: map[int64][]community.Membership{}}
	slices.Sort(p.ids)
	for _, m := range p.ids {
		evs, err := k.s.community.Events(ctx, m)
		if err != nil {
			return nil, err
		}
		p.events[m] = evs
		mm, stays, err := k.s.community.Member(ctx, m)
		if err != nil {
			return nil, err
		}
		p.ext[m] = mm.ExternalID
		p.stays[m] = stays
		for _, e := range evs {
			p.first = min(p.first, e.At.Unix())
			if e.GroupID == 0 {
				p.pending = true
			}
		}
	}
	return p, nil
}

// seenBefore is the earliest sighting of the person before t (0: none).
func (pr *person) seenBefore(t int64) int64 {
	var at int64
	if pr.first < t {
		at = pr.first
	}
	for _, evs := range pr.events {
		for _, e := range evs {
			if u := e.At.Unix(); u < t && (at == 0 || u < at) {
				at = u
			}
		}
	}
	return at
}

// candidates are the person's joins credited in open campaigns, with their
// facts, per campaign.
func (k *counter) candidates(ctx context.Context, pr *person) (map[int64][]*candidate, error) {
	out := map[int64][]*candidate{}
	for _, m := range pr.ids {
		for _, e := range pr.events[m] {
			if e.Kind != community.Join || e.GroupID == 0 {
				continue
			}
			cr, err := k.credited(ctx, e)
			if err != nil {
				return nil, err
			}
			for cid, p := range cr {
				c := &candidate{ev: e, member: m, p: p}
				for _, st := range pr.stays[m] {
					if st.GroupID == e.GroupID && st.JoinedAt.Equal(e.At) {
						if !st.LeftAt.IsZero() {
							c.leftAt = st.LeftAt.Unix()
						}
						break
					}
				}
				out[cid] = append(out[cid], c)
			}
		}
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b *candidate) int {
			return cmp.Or(a.ev.At.Compare(b.ev.At), cmp.Compare(a.ev.Key, b.ev.Key))
		})
		for i, c := range cs {
			p := c.p
			switch {
			case p.MemberID != 0 && slices.Contains(pr.ids, p.MemberID),
				p.memberUnion != "" && p.memberUnion == pr.union,
				c.ev.Inviter != "" && c.ev.Inviter == pr.ext[c.member] && string(c.ev.Source) == p.memberSource:
				c.fact = factSelf
			case i > 0:
				c.fact, c.seenAt = factDuplicate, cs[0].ev.At.Unix()
			default:
				if at := pr.seenBefore(c.ev.At.Unix()); at != 0 {
					c.fact, c.seenAt = factSeen, at
				}
			}
		}
	}
	return out, nil
}

// recountMember rewrites the invite rows of a member's identity in tx and
// returns the participants whose invites changed.
func (k *counter) recountMember(ctx context.Context, tx *store.Tx, pr *person, now int64, touched map[int64]bool) error {
	cands, err := k.candidates(ctx, pr)
	if err != nil {
		return err
	}
	keep := map[[2]string]bool{}
	for cid, cs := range cands {
		for _, c := range cs {
			keep[[2]string{strconv.FormatInt(cid, 10), c.ev.Key}] = true
			args := []string{}
			switch c.fact {
			case factSeen, factDuplicate:
				args = []string{clock(c.seenAt)}
			}
			ja, _ := json.Marshal(args)
			var old sql.NullInt64
			var oldFact, oldArgs string
			var oldLeft int64
			err := tx.QueryRowContext(ctx, `SELECT participant_id, fact, left_at, reason_args FROM campaign_invites
				WHERE campaign_id = $1 AND event_key = $2`, cid, c.ev.Key).Scan(&old, &oldFact, &oldLeft, &oldArgs)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_invites (event_key, campaign_id, participant_id, invitee_id,
					group_id, joined_at, left_at, fact, reason_args, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
					c.ev.Key, cid, c.p.ID, c.member, c.ev.GroupID, c.ev.At.Unix(), c.leftAt, c.fact, string(ja), now); err != nil {
					return fmt.Errorf("store invite %s: %w", c.ev.Key, err)
				}
				touched[c.p.ID] = true
			case err != nil:
				return err
			case old.Int64 != c.p.ID || oldFact != c.fact || oldLeft != c.leftAt:
				if _, err := tx.ExecContext(ctx, `UPDATE campaign_invites SET participant_id = $1, fact = $2, left_at = $3,
					reason_args = $4, due_at = $5 WHERE campaign_id = $6 AND event_key = $7`,
					c.p.ID, c.fact, c.leftAt, string(ja), now, cid, c.ev.Key); err != nil {
					return err
				}
				touched[c.p.ID], touched[old.Int64] = true, true
			}
		}
	}
	// Rows of this person no longer credited (a campaign changed).
	for _, m := range pr.ids {
		rows, err := tx.QueryContext(ctx, `SELECT campaign_id, event_key, participant_id FROM campaign_invites WHERE invitee_id = $1`, m)
		if err != nil {
			return err
		}
		type gone struct {
			cid  int64
			key  string
			part int64
		}
		var drop []gone
		for rows.Next() {
			var g gone
			if err := rows.Scan(&g.cid, &g.key, &g.part); err != nil {
				rows.Close()
				return err
			}
			if !keep[[2]string{strconv.FormatInt(g.cid, 10), g.key}] {
				drop = append(drop, g)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range drop {
			if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_invites WHERE campaign_id = $1 AND event_key = $2`, g.cid, g.key); err != nil {
				return err
			}
			touched[g.part] = true
		}
	}
	return nil
}

// clock is a unix time in the team's zone, as reasons show it.
func clock(t int64) string {
	return time.Unix(t, 0).In(shanghai.Zone).Format("2006-01-02 15:04")
}

// invRow is an invite row as the participant's recount reads it.
type invRow struct {
	key                         string
	joined, left, due           int64
	fact, status, reason        string
	args, review                string
	newStatus, newReason, nArgs string
	newDue                      int64
}

// recountParticipant decides each of p's invites from the stored facts,
// the rules and the reviews, updates the participant's counts, and grants
// or takes back rewards (posted to the ledger) in tx.
func (k *counter) recountParticipant(ctx context.Context, tx *store.Tx, pid int64, now int64) error {
	p, err := scanParticipant(tx.QueryRowContext(ctx, `SELECT `+participantCols+` FROM campaign_participants WHERE id = $1`, pid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	c := k.campaigns[p.CampaignID]
	if c == nil {
		if c, err = get(ctx, tx, p.CampaignID); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT event_key, joined_at, left_at, due_at, fact, status, reason, reason_args, review
		FROM campaign_invites WHERE participant_id = $1 ORDER BY joined_at, event_key`, pid)
	if err != nil {
		return err
	}
	var invs []*invRow
	for rows.Next() {
		r := &invRow{}
		if err := rows.Scan(&r.key, &r.joined, &r.left, &r.due, &r.fact, &r.status, &r.reason, &r.args, &r.review); err != nil {
			rows.Close()
			return err
		}
		invs = append(invs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// A burst: more than BurstJoins joins within BurstSeconds.
	burst := make([]bool, len(invs))
	for i, j := 0, 0; i < len(invs); i++ {
		for invs[i].joined-invs[j].joined >= int64(c.Rules.BurstSeconds) {
			j++
		}
		if i-j+1 > c.Rules.BurstJoins {
			for x := j; x <= i; x++ {
				burst[x] = true
			}
		}
	}
	stay := int64(c.Rules.StayHours) * 3600
	valid, held := 0, 0
	for i, r := range invs {
		var st Decision
		var args []string
		var due int64
		switch {
		case r.fact == factSelf:
			st = Self
		case r.fact == factDuplicate, r.fact == factSeen:
			st = Decision(r.fact)
			args = decodeArgs(r.args)
		case r.left != 0 && r.left-r.joined < stay:
			st, args = Revoked, []string{hours(r.left - r.joined), strconv.Itoa(c.Rules.StayHours)}
		case burst[i] && r.review == "rejected":
			st, args = Rejected, []string{strconv.Itoa(c.Rules.BurstJoins), strconv.Itoa(c.Rules.BurstSeconds)}
		case burst[i] && r.review != "approved":
			st, args = Held, []string{strconv.Itoa(c.Rules.BurstJoins), strconv.Itoa(c.Rules.BurstSeconds)}
			held++
		case r.left == 0 && now < r.joined+stay:
			st, args, due = Waiting, []string{strconv.Itoa(c.Rules.StayHours), clock(r.joined + stay)}, r.joined+stay
		case c.Rules.CapPerInviter > 0 && valid >= c.Rules.CapPerInviter:
			st, args = Capped, []string{strconv.Itoa(c.Rules.CapPerInviter)}
		default:
			st, args = Valid, []string{strconv.Itoa(c.Rules.StayHours)}
			valid++
		}
		if args == nil {
			args = []string{}
		}
		ja, _ := json.Marshal(args)
		reason := "campaign.reason." + string(st)
		if st == Valid && burst[i] {
			reason = "campaign.reason.valid_approved"
		}
		if string(st) != r.status || reason != r.reason || string(ja) != r.args || due != r.due {
			decided := now
			if string(st) == r.status {
				decided = -1
			}
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_invites SET status = $1, reason = $2, reason_args = $3, due_at = $4,
				decided_at = CASE WHEN $5 < 0 THEN decided_at ELSE $5 END WHERE campaign_id = $6 AND event_key = $7`,
				string(st), reason, string(ja), due, decided, c.ID, r.key); err != nil {
				return err
			}
		}
	}
	if p.Valid != valid || p.Invites != len(invs) || p.Held != held {
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_participants SET valid_invites = $1, invites = $2, held = $3 WHERE id = $4`,
			valid, len(invs), held, pid); err != nil {
			return err
		}
		if p.Valid != valid {
			if err := bumpBoard(ctx, tx, c.ID); err != nil { // the places moved
				return err
			}
		}
	}
	return k.reward(ctx, tx, c, p, valid, now)
}

// reward grants the tiers p reached with valid invites and takes back those
// no longer reached (a recount revoked invites), each posted to the ledger:
// reward expense against what the team owes the participant (their member
// payable, paid with the next payout batch) or, for a participant known
// only by name, against cash (paid by hand).
func (k *counter) reward(ctx context.Context, tx *store.Tx, c *Campaign, p *Participant, valid int, now int64) error {
	type given struct{ revoked int64 }
	have := map[int64]given{}
	rows, err := tx.QueryContext(ctx, `SELECT tier_id, revoked_at FROM campaign_rewards WHERE participant_id = $1`, p.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t, rv int64
		if err := rows.Scan(&t, &rv); err != nil {
			rows.Close()
			return err
		}
		have[t] = given{rv}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	locked := false
	for _, t := range c.Tiers {
		g, had := have[t.ID]
		active := had && g.revoked == 0
		reached := valid >= t.Invites
		if active == reached {
			continue
		}
		if !locked && k.s.ledger != nil {
			if err := k.s.ledger.Lock(ctx, tx); err != nil {
				return err
			}
			locked = true
		}
		key := RewardKey(c.ID, p.ID, t.ID)
		var want map[ledger.Account]int64
		reason := ledger.Reverse
		switch {
		case reached && had:
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_rewards SET revoked_at = 0, reached_at = $1, cost_fen = $2
				WHERE participant_id = $3 AND tier_id = $4`, now, t.CostFen, p.ID, t.ID); err != nil {
				return err
			}
		case reached:
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_rewards (campaign_id, participant_id, tier_id, cost_fen, reached_at)
				VALUES ($1, $2, $3, $4, $5)`, c.ID, p.ID, t.ID, t.CostFen, now); err != nil {
				return err
			}
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_rewards SET revoked_at = $1 WHERE participant_id = $2 AND tier_id = $3`,
				now, p.ID, t.ID); err != nil {
				return err
			}
		}
		if reached {
			reason = ledger.Reward
			owed := ledger.Account{Kind: ledger.Cash}
			if p.MemberID != 0 {
				owed = ledger.Account{Kind: ledger.MemberPayable, Member: p.MemberID}
			}
			want = map[ledger.Account]int64{{Kind: ledger.RewardExpense}: t.CostFen, owed: -t.CostFen}
		}
		if k.s.ledger != nil {
			source := ledger.FromReward
			if !reached {
				source = ledger.FromReversal
			}
			if _, err := k.s.ledger.Move(ctx, tx, key, want, source, reason, time.Unix(now, 0)); err != nil {
				return err
			}
		}
	}
	return nil
}

// RewardKey is the ledger's source key of a participant's reward of a tier.
func RewardKey(campaign, participant, tier int64) string {
	return "reward/" + strconv.FormatInt(campaign, 10) + "/" + strconv.FormatInt(participant, 10) + "/" + strconv.FormatInt(tier, 10)
}

func hours(sec int64) string {
	return strconv.FormatFloat(float64(sec)/3600, 'f', 1, 64)
}

func decodeArgs(s string) []string {
	var out []string
	if json.Unmarshal([]byte(s), &out) != nil || out == nil {
		return []string{}
	}
	return out
}
