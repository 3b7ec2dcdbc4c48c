package community

import (
	"cmp"
	"slices"
	"time"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// Source is where a member is known from.
type Source string

const (
	SourceWeCom    Source = "wecom"    // WeCom customer group (客户群): external userid / userid
	SourceTelegram Source = "telegram" // Telegram user id (decimal string)
	SourceSheet    Source = "sheet"    // hand-kept personal-WeChat group: 微信号 or 编号, else nickname
)

// Sources lists every source.
var Sources = []Source{SourceWeCom, SourceTelegram, SourceSheet}

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return slices.Contains(Sources, s) }

// Member is one person on one source.
type Member struct {
	ID         int64
	Source     Source
	ExternalID string // WeCom userid/external userid, Telegram user id, sheet id ("" = none: matched by nickname)
	UnionID    string // WeCom unionid (may be "")
	Name       string // nickname / display name (latest seen)
	Note       string // hand note (sheet 备注 or console)
	FirstSeen  time.Time
}

// JoinHow is how a member joined a group: "invite", "link", "qr", "" (unknown).
type JoinHow string

const (
	JoinInvite JoinHow = "invite"
	JoinLink   JoinHow = "link"
	JoinQR     JoinHow = "qr"
)

// LeaveHow is how a member left: "self", "removed", "" (unknown).
type LeaveHow string

const (
	LeaveSelf    LeaveHow = "self"
	LeaveRemoved LeaveHow = "removed"
)

// EventKind is "join" or "leave".
type EventKind string

const (
	Join  EventKind = "join"
	Leave EventKind = "leave"
)

// MemberEvent is one join or leave as a source reports it. Applying the same
// Key twice is a no-op; events may arrive out of order (memberships are
// recomputed from the (member, group) event history sorted by At, then Kind
// join<leave for equal times, then Key).
type MemberEvent struct {
	Key        string // unique per source event, e.g. "wecom:<chat>:<user>:<jointime>:join"
	Source     Source
	ChatID     string // the platform's chat id (WeCom chat_id, Telegram chat id as decimal string)
	GroupID    int64  // Qunke group id if known (sheet imports); else 0 and ChatID is mapped
	Kind       EventKind
	At         time.Time
	ExternalID string
	UnionID    string
	Name       string
	JoinHow    JoinHow
	Inviter    string // inviter's platform id
	InviteLink string // WeCom state, or Telegram invite link URL
	InviteName string // Telegram invite link name as given
	LeaveHow   LeaveHow
	// MemberID names the member directly when the source has no id for the
	// person (a sheet row matched by nickname); 0 = find or add the member
	// by (Source, ExternalID).
	MemberID int64
}

// Membership is one stay of a member in a group: from a join to the leave
// that ends it. A leave whose join no source reported is a stay with a zero
// JoinedAt (joined at an unknown time); a stay not ended has a zero LeftAt.
type Membership struct {
	GroupID, MemberID int64
	JoinedAt          time.Time
	LeftAt            time.Time // zero = still in
	JoinHow           JoinHow
	Inviter           string
	InviteLink        string
	InviteName        string
	LeaveHow          LeaveHow
}

// In reports whether the stay is not over.
func (m Membership) In() bool { return m.LeftAt.IsZero() }

// Chat is a platform chat and the group it maps to (0: not mapped yet, its
// events are pending).
type Chat struct {
	Source  Source
	ChatID  string
	Name    string
	GroupID int64
	Pending int // events waiting for the chat to be mapped
}

// SnapshotRow is one member of a full member list of a group.
type SnapshotRow struct {
	ExternalID, UnionID, Name, Note string
	JoinedAt                        time.Time // zero: the snapshot's time
	JoinHow                         JoinHow
	Inviter, InviteLink             string
}

// SnapshotResult counts what a snapshot changed.
type SnapshotResult struct{ Joined, Left, Unchanged int }

// MemberFilter selects members for Members.
type MemberFilter struct {
	Query         string // part of the name, or the external id
	GroupID       int64  // members ever in this group
	Source        Source
	Limit, Offset int
}

// MemberRow is a member with the number of groups it was ever in and is in now.
type MemberRow struct {
	Member
	Groups   int
	InGroups int
}

// MemberDay is one group's members on one Shanghai day.
type MemberDay struct {
	GroupID       int64
	Day           time.Time // Shanghai midnight
	Members       int       // at the end of the day
	Joins         int
	LeavesSelf    int
	LeavesRemoved int
	LeavesOther   int
	Active        int // members who spoke
	Messages      int
}

// Errors of the registry.
var (
	ErrMemberNotFound = msg.New("members.err_not_found")
	errEventKey       = msg.New("members.err_event_key")
	errEventSource    = msg.New("members.err_event_source")
	errEventKind      = msg.New("members.err_event_kind")
	errEventTime      = msg.New("members.err_event_time")
	errEventWho       = msg.New("members.err_event_who")
	errEventWhere     = msg.New("members.err_event_where")
	errChatMapped     = msg.New("members.err_chat_mapped")
	errCount          = msg.New("members.err_count")
	errRowWho         = msg.New("members.err_row_who")
	errDayRange       = msg.New("members.err_day_range")
	// ErrAmbiguousName is returned by Snapshot for a row without an id whose
	// nickname several members share (args: the row's number from 1, the name).
	ErrAmbiguousName = msg.New("members.err_ambiguous_name")
)

func (e *MemberEvent) check() error {
	switch {
	case e.Key == "":
		return errEventKey
	case !e.Source.Valid():
		return errEventSource.With(e.Key, string(e.Source))
	case e.Kind != Join && e.Kind != Leave:
		return errEventKind.With(e.Key, string(e.Kind))
	case e.At.IsZero() || e.At.Unix() <= 0:
		return errEventTime.With(e.Key)
	case e.ExternalID == "" && e.MemberID == 0:
		return errEventWho.With(e.Key)
	case e.GroupID == 0 && e.ChatID == "":
		return errEventWhere.With(e.Key)
	}
	return nil
}

// storedEvent is a (member, group) event as the replay needs it.
type storedEvent struct {
	Key        string
	Kind       EventKind
	At         int64
	JoinHow    JoinHow
	Inviter    string
	InviteLink string
	InviteName string
	LeaveHow   LeaveHow
}

// stay is a Membership in unix seconds (JoinedAt 0 = unknown, LeftAt 0 = in).
type stay struct {
	JoinedAt, LeftAt                int64
	JoinHow                         JoinHow
	Inviter, InviteLink, InviteName string
	LeaveHow                        LeaveHow
}

// replay makes the stays of one member in one group from its events, in
// any order: sorted by time, then by key. Events of one second are taken as
// changes of the member's state: a member out before the second joins and
// then leaves (a join and a leave at once leave it out), a member in before
// it leaves and then joins again (Telegram's times are whole seconds: a
// re-join within the second the member left leaves it in). A join while in
// is a repeat (the first one counts); a leave while out ends nothing, except
// a first leave with no join before it: the member was in from a time no
// source told (a stay with an unknown join).
func replay(evs []storedEvent) []stay {
	slices.SortFunc(evs, func(a, b storedEvent) int {
		if c := cmp.Compare(a.At, b.At); c != 0 {
			return c
		}
		if a.Kind != b.Kind {
			if a.Kind == Join {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Key, b.Key)
	})
	var out []stay
	in := false
	for i := 0; i < len(evs); i++ {
		if in && (i == 0 || evs[i-1].At != evs[i].At) {
			// The second's leaves first: its joins come after them (sorted).
			j := i
			for j < len(evs) && evs[j].At == evs[i].At {
				j++
			}
			slices.SortStableFunc(evs[i:j], func(a, b storedEvent) int {
				return cmp.Compare(kindRank(a.Kind, Leave), kindRank(b.Kind, Leave))
			})
		}
		e := evs[i]
		switch {
		case e.Kind == Join && !in:
			out = append(out, stay{JoinedAt: e.At, JoinHow: e.JoinHow, Inviter: e.Inviter, InviteLink: e.InviteLink, InviteName: e.InviteName})
			in = true
		case e.Kind == Leave && in:
			s := &out[len(out)-1]
			s.LeftAt, s.LeaveHow = e.At, e.LeaveHow
			in = false
		case e.Kind == Leave && len(out) == 0:
			out = append(out, stay{LeftAt: e.At, LeaveHow: e.LeaveHow})
		}
	}
	return out
}

// kindRank orders first before the other kind.
func kindRank(k, first EventKind) int {
	if k == first {
		return 0
	}
	return 1
}

// dayDelta is a change of one group's day in member_days.
type dayDelta struct {
	delta, joins, leavesSelf, leavesRemoved, leavesOther, active, messages int64
}

func (d dayDelta) zero() bool { return d == dayDelta{} }

type groupDay struct{ group, day int64 }

// dayDeltas is the change of member_days a set of stays makes.
type dayDeltas map[groupDay]*dayDelta

func (m dayDeltas) at(group, day int64) *dayDelta {
	k := groupDay{group, day}
	d := m[k]
	if d == nil {
		d = &dayDelta{}
		m[k] = d
	}
	return d
}

// add counts stay s of group in the rollup, sign +1 (added) or -1 (removed):
// a known join adds a member on its day and counts a join; a leave counts
// by how, and removes the member on its day if the join was counted.
func (m dayDeltas) add(group int64, s stay, sign int64) {
	if s.JoinedAt != 0 {
		d := m.at(group, shanghai.Day(s.JoinedAt))
		d.delta += sign
		d.joins += sign
	}
	if s.LeftAt != 0 {
		d := m.at(group, shanghai.Day(s.LeftAt))
		if s.JoinedAt != 0 {
			d.delta -= sign
		}
		switch s.LeaveHow {
		case LeaveSelf:
			d.leavesSelf += sign
		case LeaveRemoved:
			d.leavesRemoved += sign
		default:
			d.leavesOther += sign
		}
	}
}

// dayTime is the Shanghai midnight starting day number d.
func dayTime(d int64) time.Time { return time.Unix(d*86400-shanghai.Offset, 0).In(shanghai.Zone) }

func unixOrZero(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}
