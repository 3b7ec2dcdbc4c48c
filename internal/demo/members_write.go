package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// MemberStats counts what Members wrote.
type MemberStats struct {
	Members  int // people (a person in two groups counts twice)
	Events   int // joins and leaves given to the registry
	Messages int // message counts given (member-days)
	Died     int // groups that died within the window
	Bound    int // 会员运营IDs bound to their members
}

// Members writes the demo's simulated members (MemberLives) into the member
// registry, through its methods only: each platform chat mapped to its
// group, every join and leave up to now as the group's source reports it
// (WeCom join scenes and inviters, Telegram invite links, a hand-kept
// sheet's rows), and the messages members sent where the channel tells them
// (Telegram). Each group's member count is then set to the simulation's.
// Each member's 会员运营ID (SpecialID) is bound to them, so that the demo's
// orders are credited to members. A group whose members the registry
// already knows is left alone, so
// running it again changes nothing (and a team's own records are never
// mixed with the demo's).
func Members(ctx context.Context, db *store.DB, seed uint64, now time.Time) (*MemberPlan, MemberStats, error) {
	var st MemberStats
	plan, err := MemberLives(ctx, db, seed, now)
	if err != nil {
		return nil, st, fmt.Errorf("demo members: %w", err)
	}
	reg := community.NewStore(db)
	for i := range plan.Groups {
		g := &plan.Groups[i]
		src := community.Source(g.Source)
		if has, err := reg.HasMembers(ctx, g.GroupID); err != nil || has {
			if err != nil {
				return nil, st, err
			}
			continue
		}
		if g.ChatID != "" {
			if err := reg.MapChat(ctx, src, g.ChatID, g.GroupID); err != nil {
				return nil, st, fmt.Errorf("demo members %s: %w", g.Name, err)
			}
		}
		evs := g.events(now)
		if _, err := reg.ApplyEvents(ctx, evs); err != nil {
			return nil, st, fmt.Errorf("demo members %s: %w", g.Name, err)
		}
		// Each member's 会员运营ID is bound to them, so the orders that
		// carry it are credited to the member (orders come after).
		var binds []community.ExternalBinding
		for i := range g.members {
			if m := &g.members[i]; m.joined <= now.Unix() {
				binds = append(binds, community.ExternalBinding{ExternalID: m.ext, Platform: community.PersonTaobao,
					Kind: community.KindSpecialID, Value: SpecialID(g.Source, m.ext)})
			}
		}
		bst, err := reg.BindExternal(ctx, src, binds)
		if err != nil {
			return nil, st, fmt.Errorf("demo members %s: %w", g.Name, err)
		}
		st.Bound += bst.Bound
		st.Members += len(g.members)
		st.Events += len(evs)
		if g.DeathDay >= 0 {
			st.Died++
		}
		// The group's member count follows.
		grp, err := reg.Get(ctx, g.GroupID)
		if err != nil {
			return nil, st, err
		}
		if n := int64(g.membersAt(now.Unix())); grp.Members != n {
			grp.Members = n
			if err := reg.Save(ctx, grp); err != nil {
				return nil, st, fmt.Errorf("demo members %s: %w", g.Name, err)
			}
		}
		if err := purchaseCosts(ctx, db, g, now); err != nil {
			return nil, st, err
		}
		if !g.Told {
			continue
		}
		var counts []community.MessageCount
		for _, t := range g.talk {
			if t.at <= now.Unix() {
				counts = append(counts, community.MessageCount{Source: src, ChatID: g.ChatID, ExternalID: g.members[t.member].ext,
					At: time.Unix(t.at, 0), N: t.n})
			}
		}
		if err := reg.CountMessagesBatch(ctx, counts); err != nil {
			return nil, st, fmt.Errorf("demo members %s: %w", g.Name, err)
		}
		st.Messages += len(counts)
	}
	return plan, st, nil
}

// membersAt counts the group's members at t.
func (g *GroupLife) membersAt(t int64) int {
	n := 0
	for i := range g.members {
		if m := &g.members[i]; m.joined <= t && (m.left == 0 || m.left > t) {
			n++
		}
	}
	return n
}

// events are the group's joins and leaves up to now, as its source tells
// them.
func (g *GroupLife) events(now time.Time) []community.MemberEvent {
	src := community.Source(g.Source)
	where := g.ChatID
	var group int64
	if src == community.SourceSheet {
		where, group = strconv.FormatInt(g.GroupID, 10), g.GroupID
	}
	var evs []community.MemberEvent
	for i := range g.members {
		m := &g.members[i]
		if m.joined > now.Unix() {
			continue
		}
		e := community.MemberEvent{Source: src, ChatID: g.ChatID, GroupID: group, Kind: community.Join,
			At: time.Unix(m.joined, 0).UTC(), ExternalID: m.ext, UnionID: m.union, Name: m.name}
		e.Key = fmt.Sprintf("demo:%s:%s:%s:%d:join", src, where, m.ext, m.joined)
		switch src {
		case community.SourceWeCom:
			// WeCom join scenes: a member's invitation, else the group's QR
			// code; a purchase comes through its own 活码 (its state).
			e.JoinHow = community.JoinQR
			switch {
			case m.kind == JoinInvited:
				e.JoinHow, e.Inviter = community.JoinInvite, g.members[m.inviter].ext
			case m.batch >= 0:
				e.InviteLink = g.Purchases[m.batch].Link
			}
		case community.SourceTelegram:
			// Every Telegram join comes through an invite link: the group's
			// own, a member's named link, or a purchase's.
			e.JoinHow, e.InviteLink = community.JoinLink, telegramLink(g.Name, "")
			switch {
			case m.kind == JoinInvited:
				inv := &g.members[m.inviter]
				e.Inviter, e.InviteLink, e.InviteName = inv.ext, telegramLink(g.Name, inv.ext), inv.name+"的邀请"
			case m.batch >= 0:
				p := g.Purchases[m.batch]
				e.InviteLink, e.InviteName = telegramLink(g.Name, p.Link), fmt.Sprintf("投放%s", p.Link)
			}
		default:
			// A hand-kept sheet notes who brought whom, not how.
			if m.kind == JoinInvited {
				e.JoinHow, e.Inviter = community.JoinInvite, g.members[m.inviter].ext
			}
		}
		evs = append(evs, e)
		if m.left == 0 || m.left > now.Unix() {
			continue
		}
		l := community.MemberEvent{Source: src, ChatID: g.ChatID, GroupID: group, Kind: community.Leave,
			At: time.Unix(m.left, 0).UTC(), ExternalID: m.ext, UnionID: m.union, Name: m.name}
		l.Key = fmt.Sprintf("demo:%s:%s:%s:%d:leave", src, where, m.ext, m.left)
		if src != community.SourceSheet { // a sheet does not say how someone left
			l.LeaveHow = community.LeaveSelf
			if m.removed {
				l.LeaveHow = community.LeaveRemoved
			}
		}
		evs = append(evs, l)
	}
	return evs
}

// telegramLink is the invite link of a group made for who ("" = the
// group's own link).
func telegramLink(group, who string) string {
	return "https://t.me/+" + token(hashString("tg-link:"+group+":"+who), 16)
}
