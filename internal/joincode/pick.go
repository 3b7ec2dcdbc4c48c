package joincode

import (
	"time"

	"github.com/qunke/qunke/internal/community"
)

// Candidate is one pool group as the rotation sees it.
type Candidate struct {
	GroupID  int64
	Group    *community.Group // nil: deleted
	Members  int              // members now (from the registry, else the group's count; 0 unknown)
	Way      bool             // a WeCom customer group the API reaches: WeCom's join way
	Telegram bool             // a Telegram group the bot can make links for
	QR       *QR              // its latest uploaded QR, nil none
}

// Skip is a pool group passed over, and why.
type Skip struct {
	GroupID int64
	Name    string
	Reason  Reason
}

// Kind is how c would admit: a join way, a Telegram link, else its QR.
func (c Candidate) Kind() Kind {
	switch {
	case c.Way:
		return KindWeCom
	case c.Telegram:
		return KindTelegram
	}
	return KindQR
}

// HandRun reports whether the group is run by hand (a member list from a
// spreadsheet, no WeCom API): its joins cannot be attributed to anyone.
func (c Candidate) HandRun() bool {
	return c.Group != nil && c.Group.Channel == community.Manual && c.Group.WeComChatID == ""
}

// Pick is the rotation: the first candidate that admits now, or -1. A
// group is passed over when it is deleted or off, full (its capacity
// reached), or, shown by its QR, when it has no QR, its QR is expired or
// expires within margin, or it has QRMaxMembers members (a scanned WeChat
// group QR admits no more).
func Pick(now time.Time, margin time.Duration, cands []Candidate) (int, []Skip) {
	var skips []Skip
	for i, c := range cands {
		if r := c.why(now, margin); r != "" {
			name := ""
			if c.Group != nil {
				name = c.Group.Name
			}
			skips = append(skips, Skip{GroupID: c.GroupID, Name: name, Reason: r})
			continue
		}
		return i, skips
	}
	return -1, skips
}

// why is the reason c does not admit now, "" when it does.
func (c Candidate) why(now time.Time, margin time.Duration) Reason {
	g := c.Group
	switch {
	case g == nil:
		return SkipMissing
	case !g.Active:
		return SkipInactive
	case g.Capacity > 0 && int64(c.Members) >= g.Capacity:
		return SkipFull
	case c.Way || c.Telegram:
		return ""
	case c.QR == nil:
		return SkipNoQR
	case !now.Add(margin).Before(c.QR.Expires):
		return SkipExpiring
	case c.Members >= QRMaxMembers:
		return SkipQR200
	}
	return ""
}
