package apiv1

import (
	"time"

	"github.com/qunke/qunke/internal/community"
)

// Binding is a person-level id bound to a member: platform "taobao" with
// kind "special_id" (会员运营ID) or "relation_id" (渠道关系ID), "jd" with
// "sub_union_id", "pdd" with "custom_parameters".
type Binding struct {
	MemberID int64     `json:"member_id"`
	Platform string    `json:"platform"`
	Kind     string    `json:"kind"`
	Value    string    `json:"value"`
	Created  time.Time `json:"created_at"`
}

// NewBinding is b as the API shows it.
func NewBinding(b community.Binding) Binding {
	return Binding{MemberID: b.MemberID, Platform: b.Platform, Kind: b.Kind, Value: b.Value, Created: b.Created}
}

// Bindings is GET /api/v1/members/{id}/bindings.
type Bindings struct {
	MemberID int64     `json:"member_id"`
	Bindings []Binding `json:"bindings"`
}

// NewBindings lists a member's bindings.
func NewBindings(memberID int64, bs []community.Binding) Bindings {
	out := Bindings{MemberID: memberID, Bindings: []Binding{}}
	for _, b := range bs {
		out.Bindings = append(out.Bindings, NewBinding(b))
	}
	return out
}
