package apiv1

import (
	"time"

	"github.com/qunke/qunke/internal/joincode"
)

// JoinCode is a join code (群活码) as the API shows it.
type JoinCode struct {
	ID       int64     `json:"id"`
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Campaign string    `json:"campaign"`
	Owner    string    `json:"owner"`
	Active   bool      `json:"active"`
	GroupIDs []int64   `json:"group_ids"`
	Path     string    `json:"path"` // the public page, /join/{code}
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// NewJoinCode is c as the API shows it.
func NewJoinCode(c *joincode.Code) JoinCode {
	return JoinCode{ID: c.ID, Code: c.Code, Name: c.Name, Campaign: c.Campaign, Owner: c.Owner, Active: c.Active,
		GroupIDs: nonNil(c.Groups), Path: "/join/" + c.Code, Created: c.Created, Updated: c.Updated}
}

// JoinCodes is GET /api/v1/join-codes.
type JoinCodes struct {
	JoinCodes []JoinCode `json:"join_codes"`
}

// JoinCodeInput is POST /api/v1/join-codes.
type JoinCodeInput struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Campaign string  `json:"campaign"`
	Owner    string  `json:"owner"`
	Active   *bool   `json:"active"`
	GroupIDs []int64 `json:"group_ids"`
}

// JoinPoolGroup is one pool group as the rotation sees it now.
type JoinPoolGroup struct {
	GroupID    int64      `json:"group_id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`    // wecom (join way), telegram (invite link), qr (uploaded QR)
	Members    int        `json:"members"` // members now, 0 unknown
	QRUploaded *time.Time `json:"qr_uploaded_at"`
	QRExpires  *time.Time `json:"qr_expires_at"`
	Shown      bool       `json:"shown"`  // the page shows it now
	Reason     string     `json:"reason"` // why it is passed over ("" when it admits): missing, inactive, full, no_qr, expiring, qr_200
}

// JoinDayViews is a code's views on one Shanghai day.
type JoinDayViews struct {
	Day        string `json:"day"` // 2026-12-01
	Views      int64  `json:"views"`
	ByInviters int64  `json:"by_inviters"`
}

// JoinInviterViews is the views an inviter's link brought ("" none).
type JoinInviterViews struct {
	Inviter string `json:"inviter"`
	Views   int64  `json:"views"`
}

// JoinWarning is a condition operators were warned of.
type JoinWarning struct {
	Condition string    `json:"condition"`
	Status    string    `json:"status"` // sending, sent, failed, none (no channel set)
	Text      string    `json:"text"`
	Created   time.Time `json:"created_at"`
}

// JoinCodeDetail is GET /api/v1/join-codes/{id}.
type JoinCodeDetail struct {
	JoinCode
	Pool      []JoinPoolGroup    `json:"pool"`
	Views     int64              `json:"views"`
	ByDay     []JoinDayViews     `json:"views_by_day"`
	ByInviter []JoinInviterViews `json:"views_by_inviter"`
	Warnings  []JoinWarning      `json:"warnings"`
}

// NewJoinCodeDetail assembles the detail.
func NewJoinCodeDetail(c *joincode.Code, pool joincode.Pool, total int64, days []joincode.DayViews,
	inv []joincode.InviterViews, ws []joincode.Warning) JoinCodeDetail {
	d := JoinCodeDetail{JoinCode: NewJoinCode(c), Pool: []JoinPoolGroup{}, Views: total, ByDay: []JoinDayViews{},
		ByInviter: []JoinInviterViews{}, Warnings: []JoinWarning{}}
	reasons := map[int64]joincode.Reason{}
	for _, s := range pool.Skips {
		reasons[s.GroupID] = s.Reason
	}
	for i, cand := range pool.Candidates {
		g := JoinPoolGroup{GroupID: cand.GroupID, Kind: string(cand.Kind()), Members: cand.Members, Shown: i == pool.Chosen,
			Reason: string(reasons[cand.GroupID])}
		if cand.Group != nil {
			g.Name = cand.Group.Name
		}
		if cand.QR != nil {
			up, exp := cand.QR.Uploaded, cand.QR.Expires
			g.QRUploaded, g.QRExpires = &up, &exp
		}
		d.Pool = append(d.Pool, g)
	}
	for _, v := range days {
		d.ByDay = append(d.ByDay, JoinDayViews{Day: joincode.DayDate(v.Day),
			Views: v.Views, ByInviters: v.ByInviters})
	}
	for _, v := range inv {
		d.ByInviter = append(d.ByInviter, JoinInviterViews(v))
	}
	for _, w := range ws {
		d.Warnings = append(d.Warnings, JoinWarning{Condition: w.Cond, Status: w.Status, Text: w.Detail, Created: w.Created})
	}
	return d
}
