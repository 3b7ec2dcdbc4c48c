package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/store"
)

// Campaign adds the demo's fission campaign (裂变活动) on the first group
// with members, running for ten days before now, with honest and
// fraudulent invites: honest new members who stayed, one who left two
// hours after joining, a burst of joins for one inviter (held for
// review), an inviter joining through their own link, a returning member
// (seen before) and a newcomer still within the stay. It returns the
// campaign (nil when the demo has no members yet); a second call adds
// nothing.
func Campaign(ctx context.Context, db *store.DB, now time.Time) (*campaign.Campaign, error) {
	cs := community.NewStore(db)
	s := campaign.NewStore(db, cs, ledger.NewStore(db), campaign.JoinPageLinker{})
	if have, err := s.List(ctx); err != nil || len(have) > 0 {
		return nil, err
	}
	groups, err := cs.List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	var g int64
	var members []community.MemberRow
	for _, gr := range groups {
		if members, _, err = cs.Members(ctx, community.MemberFilter{GroupID: gr.ID, Limit: 10}); err != nil {
			return nil, err
		}
		if len(members) >= 4 {
			g = gr.ID
			break
		}
	}
	if g == 0 {
		return nil, nil
	}
	now = now.UTC().Truncate(time.Second)
	start := now.Add(-10 * 24 * time.Hour)
	s.Now = func() time.Time { return start }
	c := &campaign.Campaign{Name: "双十二拉新有礼", Status: campaign.Running, Starts: start, Groups: []int64{g},
		Rules:         campaign.Rules{StayHours: 24, BurstJoins: 5, BurstSeconds: 60, CapPerInviter: 50},
		BoughtCostFen: 300,
		Tiers:         []campaign.Tier{{Invites: 3, Kind: campaign.RedEnvelope, CostFen: 500}, {Invites: 10, Kind: campaign.FreeOrder, CostFen: 3000}}}
	if err := s.Save(ctx, c); err != nil {
		return nil, err
	}
	var ps []*campaign.Participant
	for _, m := range members[:3] {
		p, err := s.AddParticipant(ctx, c.ID, m.ID, "")
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	wang, err := s.AddParticipant(ctx, c.ID, 0, "老王")
	if err != nil {
		return nil, err
	}
	var evs []community.MemberEvent
	join := func(who string, at time.Time, ref string) {
		evs = append(evs, community.MemberEvent{Key: "demo-campaign:" + who + ":" + at.Format(time.RFC3339), Source: community.SourceWeCom,
			GroupID: g, Kind: community.Join, At: at, ExternalID: "fission-" + who, Name: who, JoinHow: community.JoinLink, InviteLink: ref})
	}
	leave := func(who string, at time.Time) {
		evs = append(evs, community.MemberEvent{Key: "demo-campaign:" + who + ":left", Source: community.SourceWeCom, GroupID: g,
			Kind: community.Leave, At: at, ExternalID: "fission-" + who, Name: who, LeaveHow: community.LeaveSelf})
	}
	day := func(d float64) time.Time { return start.Add(time.Duration(d * 24 * float64(time.Hour))) }
	// Honest invites: new people who stayed.
	for i := range 7 {
		join(fmt.Sprintf("新人%d", i+1), day(1+float64(i)*0.7), ps[0].Ref)
	}
	for i := range 4 {
		join(fmt.Sprintf("朋友%d", i+1), day(2+float64(i)), ps[1].Ref)
	}
	// Left two hours after joining: revoked.
	join("快走的人", day(3), ps[1].Ref)
	leave("快走的人", day(3).Add(2*time.Hour))
	// A burst: eight joins for 老王 within 40 seconds, held for review.
	for i := range 8 {
		join(fmt.Sprintf("小号%d", i+1), day(4).Add(time.Duration(i*5)*time.Second), wang.Ref)
	}
	// Still within the stay.
	join("刚进群的人", now.Add(-2*time.Hour), ps[2].Ref)
	if _, err := cs.ApplyEvents(ctx, evs); err != nil {
		return nil, err
	}
	// A returning member (in the group before) and an inviter joining a
	// second chat through their own link: the same member, by id.
	self, err := cs.IdentityOf(ctx, ps[2].MemberID)
	if err != nil {
		return nil, err
	}
	back, err := cs.IdentityOf(ctx, members[3].ID)
	if err != nil {
		return nil, err
	}
	var again []community.MemberEvent
	for i, who := range []*community.Identity{self, back} {
		ref := ps[2].Ref
		if i == 1 {
			ref = ps[0].Ref
		}
		at := day(5 + float64(i))
		again = append(again,
			community.MemberEvent{Key: fmt.Sprintf("demo-campaign:again:%d:out", who.Member.ID), Source: who.Member.Source, GroupID: g,
				Kind: community.Leave, At: at.Add(-time.Hour), MemberID: who.Member.ID, ExternalID: who.Member.ExternalID, LeaveHow: community.LeaveSelf},
			community.MemberEvent{Key: fmt.Sprintf("demo-campaign:again:%d:in", who.Member.ID), Source: who.Member.Source, GroupID: g,
				Kind: community.Join, At: at, MemberID: who.Member.ID, ExternalID: who.Member.ExternalID, JoinHow: community.JoinLink, InviteLink: ref})
	}
	if _, err := cs.ApplyEvents(ctx, again); err != nil {
		return nil, err
	}
	s.Now = func() time.Time { return now }
	if _, err := s.Count(ctx); err != nil {
		return nil, err
	}
	return c, nil
}
