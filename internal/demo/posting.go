package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Channels are the local stand-ins for Telegram and WeCom the demo's
// groups post to: the fake servers of the channel packages.
type Channels interface {
	TelegramChat() string // a new chat id the Telegram stand-in accepts
	WeComRobot() string   // a new robot key the WeCom stand-in accepts
}

// demoGroups: name, channel, tags, members, capacity.
var demoGroups = []struct {
	name    string
	ch      community.Channel
	tags    []string
	members int64
}{
	{"宝妈福利1群", community.WeCom, []string{"宝妈"}, 463},
	{"宝妈福利2群", community.WeCom, []string{"宝妈"}, 388},
	{"宝妈福利3群", community.Manual, []string{"宝妈"}, 205},
	{"学生党省钱群", community.Telegram, []string{"学生"}, 492},
	{"大学城好物群", community.Telegram, []string{"学生"}, 311},
	{"数码发烧友", community.Telegram, []string{"数码"}, 157},
	{"数码内购群", community.WeCom, []string{"数码"}, 96},
	{"白领下午茶", community.Manual, []string{"白领"}, 240},
	{"演示直播群", community.Telegram, []string{"直播"}, 120},
	// A group flooded with flash deals every hour: its members leave over
	// the weeks (see members.go).
	{"秒杀快抢群", community.WeCom, []string{"秒杀"}, 150},
}

// demoPlans: tag, slots, per slot, the ranking its queue comes from.
var demoPlans = []struct {
	name, tag, slots string
	perSlot          int
	kind             advisor.RankKind
	category         string
}{
	{"宝妈 早中晚", "宝妈", "08:00,12:00,20:30", 2, advisor.RankLows, ""},
	{"学生 午后晚间", "学生", "12:30,21:00", 2, advisor.RankHot, ""},
	{"数码 精选", "数码", "10:00,19:00", 1, advisor.RankDrop, ""},
	{"白领 下午茶", "白领", "15:00", 2, advisor.RankCommission, ""},
	{"秒杀 整点", "秒杀", "10:00,11:00,12:00,13:00,14:00,15:00,16:00,17:00,18:00,19:00,20:00,21:00", 1, advisor.RankToday, ""},
	// One post every half hour, day and night, so the demo shows posts
	// going out within minutes of starting.
	{"演示直播（每半小时）", "直播", everyHalfHour(), 1, advisor.RankToday, ""},
}

func everyHalfHour() string {
	var s []string
	for m := 0; m < 24*60; m += 30 {
		s = append(s, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	return strings.Join(s, ",")
}

// SeedPosting fills an empty group registry with the demo's groups, plans
// and queues (from the advisor's rankings), then plays the last days of
// posting: it records the posts each past day's plans would have made as
// sent, so the board, the log and orders have a history. It does nothing when groups exist.
// It returns the number of groups added.
func SeedPosting(ctx context.Context, db *store.DB, adv *advisor.Advisor, ch Channels, now time.Time, days int) (int, error) {
	gs := community.NewStore(db)
	existing, err := gs.List(ctx, community.Filter{})
	if err != nil || len(existing) > 0 {
		return 0, err
	}
	for i, d := range demoGroups {
		g := &community.Group{Name: d.name, Channel: d.ch, Tags: d.tags, Members: d.members, Capacity: 500,
			PIDTaobao: fmt.Sprintf("mm_120033_2841001_%d", 109500+i), PIDJD: fmt.Sprintf("1002003_4005006_%d", 30700+i),
			PIDPDD: fmt.Sprintf("8812345_2210%02d", i), Owner: []string{"小王", "小李", "阿芳"}[i%3], Active: true}
		switch d.ch {
		case community.Telegram:
			g.Target = ch.TelegramChat()
		case community.WeCom:
			g.Target = ch.WeComRobot()
		}
		if err := gs.Save(ctx, g); err != nil {
			return 0, fmt.Errorf("demo group %s: %w", d.name, err)
		}
	}
	ps := publish.NewStore(db)
	for _, p := range demoPlans {
		slots, err := publish.ParseSlots(p.slots)
		if err != nil {
			return 0, err
		}
		plan := &publish.Plan{Name: p.name, Tag: p.tag, Slots: slots, PerSlot: p.perSlot, DailyCap: 12, RepeatDays: 3,
			QuietFrom: 23 * 60, QuietTo: 7 * 60, Active: true}
		switch p.tag {
		case "直播":
			plan.DailyCap, plan.RepeatDays, plan.QuietFrom, plan.QuietTo = len(slots), 0, 0, 0
		case "秒杀":
			plan.RepeatDays = 1
		}
		if err := ps.SavePlan(ctx, plan); err != nil {
			return 0, err
		}
		rows, err := adv.Rank(ctx, advisor.RankQuery{Kind: p.kind, Category: p.category, Limit: 20})
		if err != nil {
			return 0, fmt.Errorf("demo queue %s: %w", p.name, err)
		}
		for _, r := range rows {
			e := r.Entry
			// Accept up to 5% above today's price, as a selector would.
			q := publish.Queued{PlanID: plan.ID, Key: e.Key(), ChosenPrice: e.Now.FinalPrice + e.Now.FinalPrice/20, AddedBy: "demo"}
			if err := ps.Enqueue(ctx, q); err != nil {
				return 0, err
			}
		}
	}
	pl := &publish.Planner{Store: ps, Groups: gs, Items: publish.AdvisorItems{A: adv}, Links: &publish.Linker{Store: ps, Conv: publish.NewConverters(&standin.Converter{})}}
	// The past days went out as planned: written as sent, never planned, so
	// a worker already running cannot send them. Today is planned from now
	// on by the server's planner.
	loc := shanghai.Zone
	for d := days; d >= 1; d-- {
		if _, err := pl.PlanPast(ctx, now.In(loc).AddDate(0, 0, -d)); err != nil {
			return 0, err
		}
	}
	return len(demoGroups), nil
}
