package web

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
)

// campaignContractCases are the campaign API's contract cases: a running
// campaign on group, a participant and two joins in a burst (held).
func campaignContractCases(t *testing.T, s *Server, group int64) []apiCase {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	c := &campaign.Campaign{Name: "契约测试活动", Status: campaign.Running, Starts: now.Add(-24 * time.Hour), Groups: []int64{group},
		Rules: campaign.Rules{BurstJoins: 1, BurstSeconds: 60}, Tiers: []campaign.Tier{{Invites: 3, Kind: campaign.RedEnvelope, CostFen: 500}}}
	if err := s.campaigns.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	p, err := s.campaigns.AddParticipant(ctx, c.ID, 0, "小李")
	if err != nil {
		t.Fatal(err)
	}
	var evs []community.MemberEvent
	for i, who := range []string{"contract-new-1", "contract-new-2"} {
		evs = append(evs, community.MemberEvent{Key: "contract:" + who, Source: community.SourceWeCom, GroupID: group, Kind: community.Join,
			At: now.Add(time.Duration(i+1) * time.Second), ExternalID: who, Name: who, InviteLink: p.Ref})
	}
	if _, err := s.groups.ApplyEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.campaigns.Count(ctx); err != nil {
		t.Fatal(err)
	}
	const (
		admin, sel = "admin", "selector"
		listDoc    = "/api/v1/campaigns"
		oneDoc     = "/api/v1/campaigns/{id}"
		boardDoc   = "/api/v1/campaigns/{id}/leaderboard"
		invDoc     = "/api/v1/campaigns/{id}/invites"
		reviewDoc  = "/api/v1/campaigns/{id}/review"
		partDoc    = "/api/v1/campaigns/{id}/participants"
	)
	one := "/api/v1/campaigns/" + strconv.FormatInt(c.ID, 10)
	g := strconv.FormatInt(group, 10)
	create := `{"name":"新活动","status":"running","starts_at":"2026-11-01T00:00:00+08:00","group_ids":["` + g +
		`"],"tiers":[{"invites":3,"kind":"red_envelope","cost_fen":500}]}`
	return []apiCase{
		{"GET", listDoc, listDoc, "", admin, 200},
		{"GET", listDoc, listDoc, "", sel, 403},
		{"GET", listDoc, listDoc, "", "bad", 401},
		{"POST", listDoc, listDoc, create, admin, 201},
		{"POST", listDoc, listDoc, `{"name":"","starts_at":"2026-11-01T00:00:00Z"}`, admin, 400},
		{"POST", listDoc, listDoc, create, sel, 403},
		{"POST", listDoc, listDoc, create, "", 401},
		{"GET", oneDoc, one, "", admin, 200},
		{"GET", oneDoc, one, "", sel, 403},
		{"GET", oneDoc, one, "", "bad", 401},
		{"GET", oneDoc, "/api/v1/campaigns/999999", "", admin, 404},
		{"PUT", oneDoc, one, create, admin, 200},
		{"PUT", oneDoc, one, `{"name":"x","starts_at":"2026-11-01T00:00:00Z","group_ids":["` + g + `"],"tiers":[{"invites":0,"kind":"gift","cost_fen":1}]}`, admin, 400},
		{"PUT", oneDoc, "/api/v1/campaigns/999999", create, admin, 404},
		{"PUT", oneDoc, one, create, sel, 403},
		{"PUT", oneDoc, one, create, "", 401},
		{"GET", boardDoc, one + "/leaderboard", "", admin, 200},
		{"GET", boardDoc, one + "/leaderboard", "", sel, 403},
		{"GET", boardDoc, one + "/leaderboard", "", "bad", 401},
		{"GET", boardDoc, "/api/v1/campaigns/999999/leaderboard", "", admin, 404},
		{"GET", invDoc, one + "/invites", "", admin, 200},
		{"GET", invDoc, one + "/invites", "", sel, 403},
		{"GET", invDoc, one + "/invites", "", "bad", 401},
		{"GET", invDoc, "/api/v1/campaigns/999999/invites", "", admin, 404},
		{"POST", reviewDoc, one + "/review", `{"event_key":"contract:contract-new-1","approve":true}`, admin, 200},
		{"POST", reviewDoc, one + "/review", `{"event_key":"contract:contract-new-1","approve":true}`, admin, 400},
		{"POST", reviewDoc, one + "/review", `{"event_key":"nothing","approve":true}`, admin, 404},
		{"POST", reviewDoc, one + "/review", `{"event_key":"x","approve":true}`, sel, 403},
		{"POST", reviewDoc, one + "/review", `{"event_key":"x","approve":true}`, "", 401},
		{"POST", partDoc, one + "/participants", `{"name":"老赵"}`, admin, 201},
		{"POST", partDoc, one + "/participants", `{"name":""}`, admin, 400},
		{"POST", partDoc, "/api/v1/campaigns/999999/participants", `{"name":"老赵"}`, admin, 404},
		{"POST", partDoc, one + "/participants", `{"name":"老赵"}`, sel, 403},
		{"POST", partDoc, one + "/participants", `{"name":"老赵"}`, "", 401},
	}
}
