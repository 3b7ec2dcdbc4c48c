package apiv1

import (
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// Campaign is a fission campaign (裂变活动).
type Campaign struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Status        string         `json:"status"`
	StartsAt      time.Time      `json:"starts_at"`
	EndsAt        *time.Time     `json:"ends_at"`
	JoinCodeID    string         `json:"join_code_id"` // "" = none
	GroupIDs      []string       `json:"group_ids"`
	Tiers         []CampaignTier `json:"tiers"`
	StayHours     int            `json:"stay_hours"`
	BurstJoins    int            `json:"burst_joins"`
	BurstSeconds  int            `json:"burst_seconds"`
	CapPerInviter int            `json:"cap_per_inviter"`
	BoughtCostFen int64          `json:"bought_cost_fen"`
}

// CampaignTier is a reward for a number of valid invites.
type CampaignTier struct {
	Invites int    `json:"invites"`
	Kind    string `json:"kind"`
	CostFen int64  `json:"cost_fen"`
}

// NewCampaign is c's shape.
func NewCampaign(c *campaign.Campaign) Campaign {
	out := Campaign{ID: strconv.FormatInt(c.ID, 10), Name: c.Name, Status: string(c.Status), StartsAt: c.Starts,
		GroupIDs: []string{}, Tiers: []CampaignTier{}, StayHours: c.Rules.StayHours, BurstJoins: c.Rules.BurstJoins,
		BurstSeconds: c.Rules.BurstSeconds, CapPerInviter: c.Rules.CapPerInviter, BoughtCostFen: c.BoughtCostFen}
	if !c.Ends.IsZero() {
		e := c.Ends
		out.EndsAt = &e
	}
	if c.JoinCodeID != 0 {
		out.JoinCodeID = strconv.FormatInt(c.JoinCodeID, 10)
	}
	for _, g := range c.Groups {
		out.GroupIDs = append(out.GroupIDs, strconv.FormatInt(g, 10))
	}
	for _, t := range c.Tiers {
		out.Tiers = append(out.Tiers, CampaignTier{t.Invites, string(t.Kind), t.CostFen})
	}
	return out
}

// CampaignInput creates or changes a campaign.
type CampaignInput struct {
	Name          string         `json:"name"`
	Status        string         `json:"status"`
	StartsAt      time.Time      `json:"starts_at"`
	EndsAt        *time.Time     `json:"ends_at"`
	JoinCodeID    string         `json:"join_code_id"`
	GroupIDs      []string       `json:"group_ids"`
	Tiers         []CampaignTier `json:"tiers"`
	StayHours     int            `json:"stay_hours"`
	BurstJoins    int            `json:"burst_joins"`
	BurstSeconds  int            `json:"burst_seconds"`
	CapPerInviter int            `json:"cap_per_inviter"`
	BoughtCostFen int64          `json:"bought_cost_fen"`
}

// Participant is an inviter of a campaign with their place.
type Participant struct {
	ID           string `json:"id"`
	Rank         int    `json:"rank"`
	Name         string `json:"name"`
	MemberID     string `json:"member_id"` // "" = known by name only
	Ref          string `json:"ref"`
	Link         string `json:"link"`
	ValidInvites int    `json:"valid_invites"`
	Invites      int    `json:"invites"`
	Held         int    `json:"held"`
}

// NewParticipant is p's shape.
func NewParticipant(p campaign.Participant, rank int) Participant {
	out := Participant{ID: strconv.FormatInt(p.ID, 10), Rank: rank, Name: p.Name, Ref: p.Ref, Link: p.Link,
		ValidInvites: p.Valid, Invites: p.Invites, Held: p.Held}
	if p.MemberID != 0 {
		out.MemberID = strconv.FormatInt(p.MemberID, 10)
	}
	return out
}

// Leaderboard is a page of a campaign's ranking (邀请排行).
type Leaderboard struct {
	Total int           `json:"total"`
	Rows  []Participant `json:"rows"`
}

// CampaignInvite is one join naming a participant and its decision.
type CampaignInvite struct {
	EventKey      string     `json:"event_key"`
	ParticipantID string     `json:"participant_id"`
	Participant   string     `json:"participant"`
	InviteeID     string     `json:"invitee_id"`
	Invitee       string     `json:"invitee"`
	GroupID       string     `json:"group_id"`
	JoinedAt      time.Time  `json:"joined_at"`
	LeftAt        *time.Time `json:"left_at"`
	Decision      string     `json:"decision"`
	Reason        string     `json:"reason"` // in the reader's language
	Review        string     `json:"review"`
	ReviewedBy    string     `json:"reviewed_by"`
}

// NewCampaignInvite is r's shape, its reason in lang.
func NewCampaignInvite(r campaign.InviteRow, lang i18n.Lang) CampaignInvite {
	out := CampaignInvite{EventKey: r.EventKey, ParticipantID: strconv.FormatInt(r.ParticipantID, 10), Participant: r.ParticipantName,
		InviteeID: strconv.FormatInt(r.InviteeID, 10), Invitee: r.InviteeName, GroupID: strconv.FormatInt(r.GroupID, 10),
		JoinedAt: r.JoinedAt, Decision: string(r.Status), Reason: ReasonText(lang, r.Reason, r.ReasonArgs),
		Review: r.Review, ReviewedBy: r.ReviewedBy}
	if !r.LeftAt.IsZero() {
		l := r.LeftAt
		out.LeftAt = &l
	}
	return out
}

// ReasonText renders a stored decision's reason in lang.
func ReasonText(lang i18n.Lang, key string, args []string) string {
	if key == "" {
		return ""
	}
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return msg.In(lang, msg.New(key, a...))
}

// Invites is a page of a campaign's invites.
type Invites struct {
	Total int              `json:"total"`
	Rows  []CampaignInvite `json:"rows"`
}

// CampaignFigures are a campaign's numbers.
type CampaignFigures struct {
	Participants       int            `json:"participants"`
	Invites            int            `json:"invites"`
	ValidInvites       int            `json:"valid_invites"`
	ByDecision         map[string]int `json:"by_decision"`
	KFactorHundredths  int64          `json:"k_factor_hundredths"`
	RewardCostFen      int64          `json:"reward_cost_fen"`
	CostPerValidFen    int64          `json:"cost_per_valid_member_fen"`
	BoughtCostFen      int64          `json:"bought_member_cost_fen"`
	Retained7BP        int64          `json:"retained_7d_bp"`
	OthersRetained7BP  int64          `json:"others_retained_7d_bp"`
	Retained30BP       int64          `json:"retained_30d_bp"`
	OthersRetained30BP int64          `json:"others_retained_30d_bp"`
	OrdersPer100       int64          `json:"orders_per_100_members"`
	OthersOrdersPer100 int64          `json:"others_orders_per_100_members"`
}

// NewCampaignFigures is f's shape.
func NewCampaignFigures(f *campaign.Figures) CampaignFigures {
	by := map[string]int{}
	for k, v := range f.ByDecision {
		by[string(k)] = v
	}
	return CampaignFigures{Participants: f.Participants, Invites: f.Invites, ValidInvites: f.Valid, ByDecision: by,
		KFactorHundredths: f.KFactor, RewardCostFen: f.RewardCostFen, CostPerValidFen: f.CostPerValidFen,
		BoughtCostFen: f.BoughtCostFen, Retained7BP: f.Retained7BP, OthersRetained7BP: f.OthersRetained7BP,
		Retained30BP: f.Retained30BP, OthersRetained30BP: f.OthersRetained30BP, OrdersPer100: f.OrdersPer100,
		OthersOrdersPer100: f.OthersOrdersPer100}
}

// CampaignDetail is a campaign with its figures.
type CampaignDetail struct {
	Campaign
	Figures CampaignFigures `json:"figures"`
}

// ReviewInput approves or rejects a held invite.
type ReviewInput struct {
	EventKey string `json:"event_key"`
	Approve  bool   `json:"approve"`
}

// ParticipantInput enrols an inviter: a member, or a name.
type ParticipantInput struct {
	MemberID string `json:"member_id"`
	Name     string `json:"name"`
}
