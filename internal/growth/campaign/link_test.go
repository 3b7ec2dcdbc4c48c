package campaign_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/tgmembers/tgfake"
)

// TestPlatformLinker: the linker serve uses gives a participant of a
// campaign on a Telegram group a Telegram invite link named for them
// (expiring at the campaign's end) when a bot is configured; of a campaign
// with a join code, the code's join page with their reference; else their
// own page /invite/<ref>. A join through the Telegram link is credited to
// them by the counting.
func TestPlatformLinker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tg := tgfake.New()
		defer tg.Close()
		tg.SetBotStatus("-1005550", "", "administrator")
		gs := community.NewStore(db)
		save := func(g community.Group) int64 {
			g.Active = true
			if err := gs.Save(ctx, &g); err != nil {
				t.Fatal(err)
			}
			return g.ID
		}
		tgGroup := save(community.Group{Name: "电报福利群", Channel: community.Telegram, Target: "-1005550"})
		hand := save(community.Group{Name: "手工群", Channel: community.Manual})
		codes := joincode.NewStore(db)
		code := &joincode.Code{Code: "link-code", Name: "福利群活码", Active: true, Groups: []int64{hand}}
		if err := codes.Save(ctx, code); err != nil {
			t.Fatal(err)
		}
		joins := joincode.NewService(codes, gs)
		joins.BaseURL = "https://q.example"
		linker := &campaign.PlatformLinker{Joins: joins, Groups: gs, BaseURL: "https://q.example/"}
		s := campaign.NewStore(db, gs, ledger.NewStore(db), linker)
		now := time.Now().UTC().Truncate(time.Second)
		ends := now.Add(10 * 24 * time.Hour)
		mk := func(name string, groups []int64, codeID int64) *campaign.Campaign {
			c := &campaign.Campaign{Name: name, Status: campaign.Running, Starts: now.Add(-time.Hour), Ends: ends, Groups: groups, JoinCodeID: codeID}
			if err := s.Save(ctx, c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		onTG, onCode, onHand := mk("电报拉新", []int64{hand, tgGroup}, 0), mk("活码拉新", []int64{hand}, code.ID), mk("手工拉新", []int64{hand}, 0)

		// No bot yet: the Telegram campaign's participant gets their page.
		p0, err := s.AddParticipant(ctx, onTG.ID, 0, "先来的")
		if err != nil || p0.Link != "https://q.example/invite/"+p0.Ref {
			t.Fatalf("without a bot: %+v %v", p0, err)
		}
		joins.Telegram = tgmembers.NewClient(tg.Token, tg.URL)
		p, err := s.AddParticipant(ctx, onTG.ID, 0, "一个名字很长很长很长很长很长很长的参与者")
		if err != nil {
			t.Fatal(err)
		}
		links := tg.InviteLinks()
		if len(links) != 1 || links[0].Link != p.Link || links[0].Chat != "-1005550" || links[0].Name != campaign.TelegramLinkName(p) ||
			!strings.HasPrefix(links[0].Name, p.Ref) || links[0].ExpireDate != ends.Unix() {
			t.Fatalf("telegram link %+v for %+v", links, p)
		}
		if !joincode.ValidInviter(p.Ref) {
			t.Errorf("the join code page refuses the reference %q", p.Ref)
		}
		pc, err := s.AddParticipant(ctx, onCode.ID, 0, "小周")
		if err != nil || pc.Link != "https://q.example/join/link-code?i="+pc.Ref {
			t.Fatalf("join code link: %+v %v", pc, err)
		}
		ph, err := s.AddParticipant(ctx, onHand.ID, 0, "小吴")
		if err != nil || ph.Link != "https://q.example/invite/"+ph.Ref {
			t.Fatalf("hand-run link: %+v %v", ph, err)
		}
		if len(tg.InviteLinks()) != 1 {
			t.Errorf("links made for campaigns without a Telegram group: %+v", tg.InviteLinks())
		}
		// The participant's page finds them; a made-up reference does not.
		if c, who, err := s.Invite(ctx, ph.Ref); err != nil || c.ID != onHand.ID || who.ID != ph.ID {
			t.Errorf("Invite(%s): %+v %+v %v", ph.Ref, c, who, err)
		}
		for _, bad := range []string{"qkaaaaaaaa", "nope", "qkabc/../x", ""} {
			if _, _, err := s.Invite(ctx, bad); err == nil {
				t.Errorf("Invite(%q) found someone", bad)
			}
		}
		// A newcomer joins by the Telegram link and stays a day: credited.
		if _, err := gs.ApplyEvents(ctx, []community.MemberEvent{{Key: "link-test:new", Source: community.SourceTelegram, GroupID: tgGroup,
			Kind: community.Join, At: now, ExternalID: "tg-newcomer", Name: "新人", JoinHow: community.JoinLink,
			InviteLink: links[0].Link, InviteName: links[0].Name}}); err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return now.Add(25 * time.Hour) }
		if _, err := s.Count(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.Participant(ctx, p.ID)
		if err != nil || got.Valid != 1 {
			t.Errorf("the Telegram link's join: %+v %v", got, err)
		}
	})
}
