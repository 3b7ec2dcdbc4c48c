// Package campaign runs fission campaigns (裂变活动): a campaign has target
// groups and/or a join code, a period, reward tiers and rules; each
// participant gets a personal invite reference, link and poster; the
// counting job decides, from the member events the community registry
// stores, which joins are honest invites, and stores every decision with
// its reason. It owns the campaign_* tables (0023_campaigns.sql);
// docs/growth.md tells the rules.
package campaign

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// Status is a campaign's state.
type Status string

const (
	Draft   Status = "draft"   // being prepared: nothing is counted
	Running Status = "running" // joins in its period are counted
	Ended   Status = "ended"   // closed by hand: nothing new is counted
)

// Statuses lists every status.
var Statuses = []Status{Draft, Running, Ended}

// RewardKind is what a tier gives.
type RewardKind string

const (
	RedEnvelope RewardKind = "red_envelope" // 红包
	FreeOrder   RewardKind = "free_order"   // 免单
	Gift        RewardKind = "gift"         // 礼品
	OtherReward RewardKind = "other"        // 其他
)

// RewardKinds lists every reward kind.
var RewardKinds = []RewardKind{RedEnvelope, FreeOrder, Gift, OtherReward}

// ParseRewardKind reads a reward as people write it: its Chinese or
// English name (红包, "red envelope", any case) or its code. Anything else
// comes back as typed, for Validate to name in its error.
func ParseRewardKind(s string) RewardKind {
	s = strings.TrimSpace(s)
	switch strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(s, "_", " "))), " ") {
	case "红包", "red envelope", "red packet":
		return RedEnvelope
	case "免单", "free order":
		return FreeOrder
	case "礼品", "礼物", "gift":
		return Gift
	case "其他", "其它", "other":
		return OtherReward
	}
	return RewardKind(s)
}

// Rules are a campaign's counting rules.
type Rules struct {
	StayHours     int // an invitee must stay this long (default 24)
	BurstJoins    int // more than this many joins for one inviter ...
	BurstSeconds  int // ... within this many seconds hold them for review (default 100 in 60)
	CapPerInviter int // valid invites credited per inviter at most (0 = no cap)
}

// DefaultRules are the defaults.
var DefaultRules = Rules{StayHours: 24, BurstJoins: 100, BurstSeconds: 60}

// Tier is a reward for reaching a number of valid invites.
type Tier struct {
	ID      int64
	Invites int
	Kind    RewardKind
	CostFen int64
}

// Campaign is one fission campaign.
type Campaign struct {
	ID         int64
	Name       string
	Status     Status
	Starts     time.Time
	Ends       time.Time // zero = open-ended
	JoinCodeID int64     // a join code (群活码) of the join-code package, 0 = none
	Groups     []int64   // community groups whose joins count (none: joins through a personal link anywhere)
	Tiers      []Tier    // by Invites, ascending
	Rules      Rules
	// BoughtCostFen is what one bought member costs, to compare the
	// campaign's cost per member with (0 = unknown).
	BoughtCostFen int64
	// BoardHour is the hour (team zone, 0-23) at which the leaderboard is
	// posted to the groups each day while the campaign runs; -1 = not
	// posted by itself. Set by SetBoardHour (Save leaves it).
	BoardHour int
	CreatedAt time.Time
}

// Open reports whether the campaign counts a join at t.
func (c *Campaign) Open(t time.Time) bool {
	return c.Status == Running && !t.Before(c.Starts) && (c.Ends.IsZero() || t.Before(c.Ends))
}

// Errors of campaigns, rendered in the reader's language.
var (
	ErrNotFound        = msg.New("campaign.err_not_found")
	ErrNoName          = msg.New("campaign.err_no_name")
	ErrBadStatus       = msg.New("campaign.err_bad_status")
	ErrBadPeriod       = msg.New("campaign.err_bad_period")
	ErrBadRule         = msg.New("campaign.err_bad_rule")
	ErrBadTier         = msg.New("campaign.err_bad_tier")
	ErrBadRewardKind   = msg.New("campaign.err_bad_reward_kind")
	ErrNoTarget        = msg.New("campaign.err_no_target")
	ErrNoGroup         = msg.New("campaign.err_no_group")
	ErrParticipantName = msg.New("campaign.err_participant_name")
	ErrParticipantIn   = msg.New("campaign.err_participant_in")
	ErrNoParticipant   = msg.New("campaign.err_no_participant")
	ErrNoInvite        = msg.New("campaign.err_no_invite")
	ErrNotHeld         = msg.New("campaign.err_not_held")
	ErrBadReview       = msg.New("campaign.err_bad_review")
)

// Store keeps campaigns and runs their counting.
type Store struct {
	db        *store.DB
	community *community.Store
	ledger    *ledger.Store
	// Linker makes participants' personal links (default: the join page
	// of the campaign's join code, or a link naming the reference).
	Linker Linker
	// Board queues the leaderboard posts (PostBoard; nil: not posted).
	Board BoardPoster
	// Now is the clock (tests set it).
	Now func() time.Time

	marks markCache // the leaderboards' sparse indexes (marks.go)
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB, cs *community.Store, ls *ledger.Store, linker Linker) *Store {
	if linker == nil {
		linker = JoinPageLinker{}
	}
	return &Store{db: db, community: cs, ledger: ls, Linker: linker, Now: time.Now}
}

func (s *Store) now() time.Time { return s.Now().UTC() }

// check validates c, filling in the default rules' zero fields.
func check(c *Campaign) error {
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "" || len([]rune(c.Name)) > 100:
		return ErrNoName
	case c.Status == "":
		c.Status = Draft
	}
	if !slices.Contains(Statuses, c.Status) {
		return ErrBadStatus.With(string(c.Status))
	}
	if c.Starts.IsZero() || (!c.Ends.IsZero() && !c.Ends.After(c.Starts)) {
		return ErrBadPeriod
	}
	if c.JoinCodeID < 0 {
		return ErrNoTarget
	}
	if len(c.Groups) == 0 && c.JoinCodeID == 0 {
		return ErrNoTarget
	}
	r := &c.Rules
	if r.StayHours == 0 {
		r.StayHours = DefaultRules.StayHours
	}
	if r.BurstJoins == 0 {
		r.BurstJoins = DefaultRules.BurstJoins
	}
	if r.BurstSeconds == 0 {
		r.BurstSeconds = DefaultRules.BurstSeconds
	}
	switch {
	case r.StayHours < 0 || r.StayHours > 24*90:
		return ErrBadRule.With("stay_hours", r.StayHours)
	case r.BurstJoins < 1 || r.BurstJoins > 100000:
		return ErrBadRule.With("burst_joins", r.BurstJoins)
	case r.BurstSeconds < 1 || r.BurstSeconds > 86400:
		return ErrBadRule.With("burst_seconds", r.BurstSeconds)
	case r.CapPerInviter < 0:
		return ErrBadRule.With("cap_per_inviter", r.CapPerInviter)
	case c.BoughtCostFen < 0:
		return ErrBadRule.With("bought_cost_fen", c.BoughtCostFen)
	}
	slices.Sort(c.Groups)
	c.Groups = slices.Compact(c.Groups)
	slices.SortFunc(c.Tiers, func(a, b Tier) int { return a.Invites - b.Invites })
	for i, t := range c.Tiers {
		if t.Invites < 1 || t.CostFen < 0 || (i > 0 && c.Tiers[i-1].Invites == t.Invites) {
			return ErrBadTier.With(i+1, t.Invites)
		}
		if !slices.Contains(RewardKinds, t.Kind) {
			return ErrBadRewardKind.With(string(t.Kind))
		}
	}
	return nil
}

// Save creates c (ID 0) or changes it, with its groups and tiers, in one
// transaction. Changing the rules takes effect at the next count (the
// counting job recounts the campaign's participants).
func (s *Store) Save(ctx context.Context, c *Campaign) error {
	if err := check(c); err != nil {
		return err
	}
	for _, g := range c.Groups {
		if _, err := s.community.Get(ctx, g); err != nil {
			return ErrNoGroup.With(g)
		}
	}
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		ends := int64(0)
		if !c.Ends.IsZero() {
			ends = c.Ends.Unix()
		}
		args := []any{c.Name, string(c.Status), c.Starts.Unix(), ends, c.JoinCodeID, c.Rules.StayHours, c.Rules.BurstJoins,
			c.Rules.BurstSeconds, c.Rules.CapPerInviter, c.BoughtCostFen}
		if c.ID == 0 {
			c.CreatedAt = s.now().Truncate(time.Second)
			if err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (name, status, starts_at, ends_at, join_code_id, stay_hours,
				burst_joins, burst_seconds, cap_per_inviter, bought_cost_fen, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, append(args, c.CreatedAt.Unix())...).Scan(&c.ID); err != nil {
				return fmt.Errorf("save campaign: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE campaigns SET name = $1, status = $2, starts_at = $3, ends_at = $4,
				join_code_id = $5, stay_hours = $6, burst_joins = $7, burst_seconds = $8, cap_per_inviter = $9,
				bought_cost_fen = $10 WHERE id = $11`, append(args, c.ID)...)
			if err != nil {
				return fmt.Errorf("save campaign %d: %w", c.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound.With(c.ID)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_groups WHERE campaign_id = $1`, c.ID); err != nil {
				return err
			}
		}
		for _, g := range c.Groups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_groups (campaign_id, group_id) VALUES ($1, $2)`, c.ID, g); err != nil {
				return fmt.Errorf("save campaign groups: %w", err)
			}
		}
		// Tiers keep their ids (rewards name them): matched by invites.
		old, err := tiers(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		for i := range c.Tiers {
			t := &c.Tiers[i]
			j := slices.IndexFunc(old, func(o Tier) bool { return o.Invites == t.Invites })
			if j >= 0 {
				t.ID = old[j].ID
				old = slices.Delete(old, j, j+1)
				if _, err := tx.ExecContext(ctx, `UPDATE campaign_tiers SET kind = $1, cost_fen = $2 WHERE id = $3`,
					string(t.Kind), t.CostFen, t.ID); err != nil {
					return err
				}
				continue
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO campaign_tiers (campaign_id, invites, kind, cost_fen)
				VALUES ($1, $2, $3, $4) RETURNING id`, c.ID, t.Invites, string(t.Kind), t.CostFen).Scan(&t.ID); err != nil {
				return fmt.Errorf("save campaign tiers: %w", err)
			}
		}
		for _, o := range old {
			// A tier rewards were given for stays (its rewards are kept);
			// an unused one goes.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM campaign_rewards WHERE tier_id = $1`, o.ID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_tiers WHERE id = $1`, o.ID); err != nil {
					return err
				}
			} else {
				return ErrBadTier.With(0, o.Invites)
			}
		}
		return requestRescan(ctx, tx, c.ID)
	})
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func tiers(ctx context.Context, q queryer, id int64) ([]Tier, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, invites, kind, cost_fen FROM campaign_tiers WHERE campaign_id = $1 ORDER BY invites`, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d tiers: %w", id, err)
	}
	defer rows.Close()
	var out []Tier
	for rows.Next() {
		var t Tier
		var kind string
		if err := rows.Scan(&t.ID, &t.Invites, &kind, &t.CostFen); err != nil {
			return nil, err
		}
		t.Kind = RewardKind(kind)
		out = append(out, t)
	}
	return out, rows.Err()
}

const campaignCols = `id, name, status, starts_at, ends_at, join_code_id, stay_hours, burst_joins, burst_seconds,
	cap_per_inviter, bought_cost_fen, created_at, board_hour`

func scanCampaign(row interface{ Scan(...any) error }) (*Campaign, error) {
	var c Campaign
	var status string
	var starts, ends, created int64
	if err := row.Scan(&c.ID, &c.Name, &status, &starts, &ends, &c.JoinCodeID, &c.Rules.StayHours, &c.Rules.BurstJoins,
		&c.Rules.BurstSeconds, &c.Rules.CapPerInviter, &c.BoughtCostFen, &created, &c.BoardHour); err != nil {
		return nil, err
	}
	c.Status, c.Starts, c.CreatedAt = Status(status), time.Unix(starts, 0).UTC(), time.Unix(created, 0).UTC()
	if ends != 0 {
		c.Ends = time.Unix(ends, 0).UTC()
	}
	return &c, nil
}

// Get returns campaign id with its groups and tiers.
func (s *Store) Get(ctx context.Context, id int64) (*Campaign, error) {
	return get(ctx, s.db, id)
}

func get(ctx context.Context, q queryer, id int64) (*Campaign, error) {
	c, err := scanCampaign(q.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound.With(id)
	}
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	if err := fill(ctx, q, c); err != nil {
		return nil, err
	}
	return c, nil
}

func fill(ctx context.Context, q queryer, c *Campaign) error {
	var err error
	if c.Tiers, err = tiers(ctx, q, c.ID); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT group_id FROM campaign_groups WHERE campaign_id = $1 ORDER BY group_id`, c.ID)
	if err != nil {
		return fmt.Errorf("campaign %d groups: %w", c.ID, err)
	}
	defer rows.Close()
	c.Groups = nil
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			return err
		}
		c.Groups = append(c.Groups, g)
	}
	return rows.Err()
}

// List returns every campaign, the latest first.
func (s *Store) List(ctx context.Context) ([]*Campaign, error) {
	return list(ctx, s.db, ``)
}

func list(ctx context.Context, q queryer, where string, args ...any) ([]*Campaign, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+campaignCols+` FROM campaigns `+where+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	var out []*Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if err := fill(ctx, q, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetStatus moves a campaign to status.
func (s *Store) SetStatus(ctx context.Context, id int64, status Status) error {
	if !slices.Contains(Statuses, status) {
		return ErrBadStatus.With(string(status))
	}
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = $1 WHERE id = $2`, string(status), id)
		if err != nil {
			return fmt.Errorf("campaign %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound.With(id)
		}
		return requestRescan(ctx, tx, id)
	})
}
