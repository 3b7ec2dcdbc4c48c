package community

// TEMPORARY (branch w-wecapi): the member registry's types from the members
// contract, until helper reg's members.go lands on main; deleted at that merge.

import "time"

type Source string

const SourceWeCom Source = "wecom"

type JoinHow string

const (
	JoinInvite JoinHow = "invite"
	JoinLink   JoinHow = "link"
	JoinQR     JoinHow = "qr"
)

type Chat struct {
	Source  Source
	ChatID  string
	Name    string
	GroupID int64
	Pending int
}

type SnapshotRow struct {
	ExternalID, UnionID, Name, Note string
	JoinedAt                        time.Time
	JoinHow                         JoinHow
	Inviter, InviteLink             string
}

type SnapshotResult struct{ Joined, Left, Unchanged int }
