package community

// TEMPORARY (helper tg): the members contract's types, so that tgmembers compiles before the registry
// lands; deleted when main (with members.go) is merged.

import "time"

type Source string

const (
	SourceWeCom    Source = "wecom"
	SourceTelegram Source = "telegram"
	SourceSheet    Source = "sheet"
)

type JoinHow string
type LeaveHow string
type EventKind string

type MemberEvent struct {
	Key        string
	Source     Source
	ChatID     string
	GroupID    int64
	Kind       EventKind
	At         time.Time
	ExternalID string
	UnionID    string
	Name       string
	JoinHow    JoinHow
	Inviter    string
	InviteLink string
	InviteName string
	LeaveHow   LeaveHow
}
