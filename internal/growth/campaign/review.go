package campaign

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// Review records an operator's word on a held invite (approve or reject)
// and decides the inviter's invites again at once. The word survives
// every recount. It returns the invite as it stands after the recount, with
// the names people know; an error in reading it back comes after the word
// was saved (a second review of the same word then finds it not held).
func (s *Store) Review(ctx context.Context, campaignID int64, eventKey string, approve bool, by string) (*InviteRow, error) {
	k, err := s.newCounter(ctx)
	if err != nil {
		return nil, err
	}
	word := "rejected"
	if approve {
		word = "approved"
	}
	now := s.now().Unix()
	err = s.db.Atomic(ctx, func(tx *store.Tx) error {
		if err := s.db.LockTx(ctx, tx.Tx, "campaign.count"); err != nil {
			return err
		}
		var status string
		var pid int64
		err := tx.QueryRowContext(ctx, `SELECT status, participant_id FROM campaign_invites WHERE campaign_id = $1 AND event_key = $2`,
			campaignID, eventKey).Scan(&status, &pid)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoInvite.With(eventKey)
		}
		if err != nil {
			return err
		}
		if status != string(Held) && status != string(Rejected) && !(status == string(Valid) && !approve) {
			return ErrNotHeld.With(eventKey)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_invites SET review = $1, reviewed_by = $2, reviewed_at = $3
			WHERE campaign_id = $4 AND event_key = $5`, word, by, now, campaignID, eventKey); err != nil {
			return err
		}
		return k.recountParticipant(ctx, tx, pid, now)
	})
	if err != nil {
		return nil, err
	}
	invs, _, err := s.Invites(ctx, InviteFilter{CampaignID: campaignID, EventKey: eventKey, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(invs) == 0 { // deleted with its campaign since
		return nil, ErrNoInvite.With(eventKey)
	}
	return &invs[0], nil
}

// InviteFilter selects invites.
type InviteFilter struct {
	CampaignID    int64
	ParticipantID int64
	Status        Decision // "" = all
	EventKey      string
	Limit, Offset int
}

// InviteRow is an invite with the names people know.
type InviteRow struct {
	Invite
	InviteeName     string
	ParticipantName string
}

// Invites lists a campaign's invites, the latest join first, and how many
// match.
func (s *Store) Invites(ctx context.Context, f InviteFilter) ([]InviteRow, int, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where := `WHERE i.campaign_id = $1`
	args := []any{f.CampaignID}
	if f.ParticipantID != 0 {
		args = append(args, f.ParticipantID)
		where += fmt.Sprintf(` AND i.participant_id = $%d`, len(args))
	}
	if f.Status != "" {
		args = append(args, string(f.Status))
		where += fmt.Sprintf(` AND i.status = $%d`, len(args))
	}
	if f.EventKey != "" {
		args = append(args, f.EventKey)
		where += fmt.Sprintf(` AND i.event_key = $%d`, len(args))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM campaign_invites i `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT i.event_key, i.campaign_id, i.participant_id, i.invitee_id, i.group_id, i.joined_at,
		i.left_at, i.status, i.reason, i.reason_args, i.due_at, i.review, i.reviewed_by, i.reviewed_at, i.decided_at, p.name
		FROM campaign_invites i JOIN campaign_participants p ON p.id = i.participant_id `+where+
		fmt.Sprintf(` ORDER BY i.joined_at DESC, i.event_key LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	var out []InviteRow
	for rows.Next() {
		var r InviteRow
		var joined, left, due, reviewed, decided int64
		var status, args string
		if err := rows.Scan(&r.EventKey, &r.CampaignID, &r.ParticipantID, &r.InviteeID, &r.GroupID, &joined, &left, &status,
			&r.Reason, &args, &due, &r.Review, &r.ReviewedBy, &reviewed, &decided, &r.ParticipantName); err != nil {
			rows.Close()
			return nil, 0, err
		}
		r.Status, r.ReasonArgs = Decision(status), decodeArgs(args)
		r.JoinedAt, r.LeftAt, r.DueAt, r.ReviewedAt, r.DecidedAt = unix(joined), unix(left), unix(due), unix(reviewed), unix(decided)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	names := map[int64]string{}
	for i := range out {
		id := out[i].InviteeID
		if _, ok := names[id]; !ok {
			if who, err := s.community.IdentityOf(ctx, id); err == nil {
				names[id] = who.Member.Name
			}
		}
		out[i].InviteeName = names[id]
	}
	return out, total, nil
}

func unix(t int64) time.Time {
	if t <= 1 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}

// Figures are a campaign's numbers.
type Figures struct {
	Participants int
	Invites      int
	ByDecision   map[Decision]int
	Valid        int
	// KFactor is valid new members per participant, in hundredths
	// (K = 1.25 is 125): above 100 the campaign grows by itself.
	KFactor         int64
	RewardCostFen   int64 // rewards granted and not taken back
	CostPerValidFen int64 // RewardCostFen / Valid (0 if none)
	BoughtCostFen   int64 // what a bought member costs (the campaign's field), 0 = unknown
	// Retention of the valid invitees and of the team's other members:
	// of those first seen at least N days ago, how many were in a group N
	// days after (in basis points), and how many that is of.
	Retained7BP, OthersRetained7BP   int64
	Retained30BP, OthersRetained30BP int64
	Cohort7, OthersCohort7           int64
	Cohort30, OthersCohort30         int64
	// Orders per 100 members, invitees vs the team's other members.
	OrdersPer100, OthersOrdersPer100 int64
}

// Figures computes campaign id's numbers. ords may be nil (no orders
// compared).
func (s *Store) Figures(ctx context.Context, id int64, ords *orders.Store) (*Figures, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	f := &Figures{ByDecision: map[Decision]int{}, BoughtCostFen: c.BoughtCostFen}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM campaign_participants WHERE campaign_id = $1`, id).Scan(&f.Participants); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM campaign_invites WHERE campaign_id = $1 GROUP BY status`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		f.ByDecision[Decision(st)] = n
		f.Invites += n
	}
	rows.Close()
	f.Valid = f.ByDecision[Valid]
	if f.Participants > 0 {
		f.KFactor = int64(f.Valid) * 100 / int64(f.Participants)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(cost_fen), 0) FROM campaign_rewards WHERE campaign_id = $1 AND revoked_at = 0`,
		id).Scan(&f.RewardCostFen); err != nil {
		return nil, err
	}
	if f.Valid > 0 {
		f.CostPerValidFen = (f.RewardCostFen + int64(f.Valid)/2) / int64(f.Valid)
	}
	var invitees []int64
	if err := s.ids(ctx, &invitees, `SELECT DISTINCT invitee_id FROM campaign_invites WHERE campaign_id = $1 AND status = 'valid'
		ORDER BY invitee_id`, id); err != nil {
		return nil, err
	}
	if invitees == nil {
		invitees = []int64{}
	}
	now := s.now()
	bp := func(n, d int64) int64 {
		if d == 0 {
			return 0
		}
		return (n*10000 + d/2) / d
	}
	for _, days := range []int{7, 30} {
		c1, r1, err := s.community.Retention(ctx, invitees, days, now)
		if err != nil {
			return nil, err
		}
		ca, ra, err := s.community.Retention(ctx, nil, days, now)
		if err != nil {
			return nil, err
		}
		if days == 7 {
			f.Cohort7, f.Retained7BP, f.OthersCohort7, f.OthersRetained7BP = c1, bp(r1, c1), ca-c1, bp(ra-r1, ca-c1)
		} else {
			f.Cohort30, f.Retained30BP, f.OthersCohort30, f.OthersRetained30BP = c1, bp(r1, c1), ca-c1, bp(ra-r1, ca-c1)
		}
	}
	if ords != nil {
		o1, _, err := ords.OrdersOfMembers(ctx, invitees)
		if err != nil {
			return nil, err
		}
		oa, _, err := ords.OrdersOfMembers(ctx, nil)
		if err != nil {
			return nil, err
		}
		all, _, err := s.community.Retention(ctx, nil, 0, now)
		if err != nil {
			return nil, err
		}
		if n := int64(len(invitees)); n > 0 {
			f.OrdersPer100 = (o1*100 + n/2) / n
		}
		if others := all - int64(len(invitees)); others > 0 {
			f.OthersOrdersPer100 = ((oa-o1)*100 + others/2) / others
		}
	}
	return f, nil
}
