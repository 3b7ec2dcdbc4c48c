package apiv1

import (
	"time"

	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/shanghai"
)

// HealthReason is one reason of a group's health score, in the reader's
// language, with the points it takes (negative) or 0 for a fact.
type HealthReason struct {
	Key    string `json:"key"`
	Text   string `json:"text"`
	Points int    `json:"points"`
}

// GroupHealth is one group on the health board (GET /api/v1/health).
type GroupHealth struct {
	GroupID    int64          `json:"group_id"`
	GroupName  string         `json:"group_name"`
	Owner      string         `json:"owner"`
	Day        time.Time      `json:"day"` // the day judged, midnight Asia/Shanghai
	Score      int            `json:"score"`
	Risk       int            `json:"risk"`
	State      string         `json:"state"` // ok, watch, warning, dead
	StateLabel string         `json:"state_label"`
	Since      time.Time      `json:"since"` // first day of the state
	Members    int64          `json:"members"`
	Peak       int64          `json:"peak_members"`
	Reasons    []HealthReason `json:"reasons"`
	Updated    time.Time      `json:"updated_at"`
}

// HealthBoard is GET /api/v1/health and `qunke report health --json`.
type HealthBoard struct {
	Groups []GroupHealth `json:"groups"`
}

// Renderer renders a message key with its arguments in the reader's
// language.
type Renderer func(key string, args ...any) string

func day(d int64) time.Time { return health.DayTime(d, shanghai.Zone) }

// NewGroupHealth is h as the API shows it.
func NewGroupHealth(name, owner string, h health.GroupHealth, t Renderer) GroupHealth {
	rs := make([]HealthReason, 0, len(h.Verdict.Reasons))
	for _, r := range h.Verdict.Reasons {
		m := r.Msg()
		rs = append(rs, HealthReason{Key: r.Key, Text: t(m.Key, m.Args...), Points: r.Points})
	}
	return GroupHealth{GroupID: h.GroupID, GroupName: name, Owner: owner, Day: day(h.Verdict.Day), Score: h.Verdict.Score,
		Risk: h.Verdict.Risk, State: string(h.Verdict.State), StateLabel: t(h.Verdict.State.LabelKey()), Since: day(h.SinceDay),
		Members: h.Members, Peak: h.Peak, Reasons: rs, Updated: h.Updated}
}

// NewHealthBoard lists the board's rows.
func NewHealthBoard(rows []health.BoardRow, t Renderer) HealthBoard {
	out := HealthBoard{Groups: []GroupHealth{}}
	for _, r := range rows {
		out.Groups = append(out.Groups, NewGroupHealth(r.Group.Name, r.Group.Owner, r.GroupHealth, t))
	}
	return out
}

// HealthDay is one group's figures for one day.
type HealthDay struct {
	Day           time.Time `json:"day"` // midnight Asia/Shanghai
	Members       int64     `json:"members"`
	Tracked       bool      `json:"tracked"` // members from the registry, not the member count field
	Joins         int64     `json:"joins"`
	LeavesSelf    int64     `json:"leaves_self"`
	LeavesRemoved int64     `json:"leaves_removed"`
	LeavesOther   int64     `json:"leaves_other"`
	Active        int64     `json:"active"`
	Messages      int64     `json:"messages"`
	Posts         int64     `json:"posts"`
	Orders        int64     `json:"orders"`
	IncomeFen     int64     `json:"income_fen"`
	// IncomePer100MemberDays is IncomeFen × 100 / Members; null when the
	// members are unknown.
	IncomePer100MemberDays *int64 `json:"income_per_100_member_days_fen"`
}

// GroupHealthDays is GET /api/v1/groups/{id}/health.
type GroupHealthDays struct {
	GroupID   int64        `json:"group_id"`
	GroupName string       `json:"group_name"`
	Health    *GroupHealth `json:"health"` // null before the first verdict
	Days      []HealthDay  `json:"days"`
}

// NewGroupHealthDays is v as the API shows it.
func NewGroupHealthDays(v *health.GroupView, t Renderer) GroupHealthDays {
	out := GroupHealthDays{GroupID: v.Group.ID, GroupName: v.Group.Name, Days: make([]HealthDay, 0, len(v.Days))}
	if v.Health != nil {
		h := NewGroupHealth(v.Group.Name, v.Group.Owner, *v.Health, t)
		out.Health = &h
	}
	for _, d := range v.Days {
		hd := HealthDay{Day: day(d.Day), Members: d.Members, Tracked: d.Tracked, Joins: d.Joins, LeavesSelf: d.LeavesSelf,
			LeavesRemoved: d.LeavesRemoved, LeavesOther: d.LeavesOther, Active: d.Active, Messages: d.Messages,
			Posts: d.Posts, Orders: d.Orders, IncomeFen: d.IncomeFen}
		if d.Members > 0 {
			v := d.IncomeFen * 100 / d.Members
			hd.IncomePer100MemberDays = &v
		}
		out.Days = append(out.Days, hd)
	}
	return out
}
