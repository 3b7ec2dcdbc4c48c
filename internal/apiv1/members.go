package apiv1

import (
	"time"

	"github.com/qunke/qunke/internal/community"
)

// Member is a registry member as the API and `qunke members list --json`
// show it.
type Member struct {
	ID         int64     `json:"id"`
	Source     string    `json:"source"` // wecom, telegram, sheet
	ExternalID string    `json:"external_id"`
	UnionID    string    `json:"union_id"`
	Name       string    `json:"name"`
	Note       string    `json:"note"`
	FirstSeen  time.Time `json:"first_seen"`
	Groups     int       `json:"groups"`    // groups ever in
	InGroups   int       `json:"in_groups"` // groups in now
}

// Members is GET /api/v1/members and `qunke members list --json`.
type Members struct {
	Members []Member `json:"members"`
	Total   int      `json:"total"`
	Limit   int      `json:"limit"`
	Offset  int      `json:"offset"`
}

// NewMembers lists rows, total matching in all.
func NewMembers(rows []community.MemberRow, total, limit, offset int) Members {
	out := Members{Members: []Member{}, Total: total, Limit: limit, Offset: offset}
	for _, r := range rows {
		m := newMember(r.Member)
		m.Groups, m.InGroups = r.Groups, r.InGroups
		out.Members = append(out.Members, m)
	}
	return out
}

func newMember(m community.Member) Member {
	return Member{ID: m.ID, Source: string(m.Source), ExternalID: m.ExternalID, UnionID: m.UnionID, Name: m.Name,
		Note: m.Note, FirstSeen: m.FirstSeen}
}

// Membership is one stay of a member in a group; a null joined_at is a
// join no source told, a null left_at a stay not over.
type Membership struct {
	GroupID    int64      `json:"group_id"`
	GroupName  string     `json:"group_name"`
	JoinedAt   *time.Time `json:"joined_at"`
	LeftAt     *time.Time `json:"left_at"`
	JoinHow    string     `json:"join_how"` // invite, link, qr, ""
	Inviter    string     `json:"inviter"`
	InviteLink string     `json:"invite_link"`
	InviteName string     `json:"invite_name"`
	LeaveHow   string     `json:"leave_how"` // self, removed, ""
}

// MemberEvent is a join or leave as a source reported it; group_id is 0
// while its chat maps to no group.
type MemberEvent struct {
	Kind       string    `json:"kind"` // join, leave
	At         time.Time `json:"at"`
	Source     string    `json:"source"`
	GroupID    int64     `json:"group_id"`
	ChatID     string    `json:"chat_id"`
	Name       string    `json:"name"`
	JoinHow    string    `json:"join_how"`
	Inviter    string    `json:"inviter"`
	InviteLink string    `json:"invite_link"`
	InviteName string    `json:"invite_name"`
	LeaveHow   string    `json:"leave_how"`
}

// MemberDetail is GET /api/v1/members/{id}.
type MemberDetail struct {
	Member      Member        `json:"member"`
	Memberships []Membership  `json:"memberships"`
	Events      []MemberEvent `json:"events"`
}

// NewMemberDetail is d as the API shows it.
func NewMemberDetail(d *community.MemberDetail) MemberDetail {
	out := MemberDetail{Member: newMember(d.Member), Memberships: []Membership{}, Events: []MemberEvent{}}
	groups := map[int64]bool{}
	for _, m := range d.Memberships {
		groups[m.GroupID] = true
		if m.In() {
			out.Member.InGroups++
		}
		out.Memberships = append(out.Memberships, Membership{GroupID: m.GroupID, GroupName: d.GroupNames[m.GroupID],
			JoinedAt: timeOrNil(m.JoinedAt), LeftAt: timeOrNil(m.LeftAt), JoinHow: string(m.JoinHow), Inviter: m.Inviter,
			InviteLink: m.InviteLink, InviteName: m.InviteName, LeaveHow: string(m.LeaveHow)})
	}
	out.Member.Groups = len(groups)
	for _, e := range d.Events {
		out.Events = append(out.Events, MemberEvent{Kind: string(e.Kind), At: e.At, Source: string(e.Source),
			GroupID: e.GroupID, ChatID: e.ChatID, Name: e.Name, JoinHow: string(e.JoinHow), Inviter: e.Inviter,
			InviteLink: e.InviteLink, InviteName: e.InviteName, LeaveHow: string(e.LeaveHow)})
	}
	return out
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// MemberImport is what `qunke members import` and the console's upload did.
type MemberImport struct {
	GroupID   int64  `json:"group_id"`
	GroupName string `json:"group_name"`
	Rows      int    `json:"rows"`
	Joined    int    `json:"joined"`
	Left      int    `json:"left"`
	Unchanged int    `json:"unchanged"`
}
