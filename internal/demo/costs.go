package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Costs adds the demo's acquisition spend over the days days up to now,
// through insight's store: each week a group buys about half its joins and
// more (bought members at 8 to 15 yuan: the essay's "ten yuan and more") and
// now and then hands out red envelopes; a campaign with no group buys ads.
// When the members' own purchases are already recorded (purchaseCosts,
// written with the members), it adds only the red envelopes and the ads.
// It returns how many costs it added; none when the database already has
// costs other than bought members.
func Costs(ctx context.Context, db *store.DB, seed uint64, now time.Time, days int) (int, error) {
	cs := insight.NewStore(db)
	have, err := cs.Costs(ctx, insight.CostFilter{})
	if err != nil {
		return 0, err
	}
	bought := false
	for _, c := range have {
		if c.Kind != insight.BoughtMembers {
			return 0, nil
		}
		bought = true
	}
	lives, err := MemberLives(ctx, db, seed, now)
	if err != nil {
		return 0, fmt.Errorf("demo costs: %w", err)
	}
	today := shanghai.Day(now.Unix())
	var out []insight.Cost
	for _, g := range lives.Groups {
		// Each week the group's bought members are about 60% of its joins
		// (the rest came by fission or by themselves), paid on the week's
		// first day.
		h := mix64(seed ^ uint64(g.GroupID)*0x9e3779b97f4a7c15)
		week, joins := int64(-1), 0
		flush := func() {
			if joins == 0 {
				return
			}
			h = mix64(h + uint64(week))
			n := int64(joins) * int64(50+h%21) / 100
			if n > 0 && !bought {
				out = append(out, insight.Cost{GroupID: g.GroupID, Day: insight.DayTime(week), Kind: insight.BoughtMembers,
					Members: n, UnitFen: 800 + int64((h>>8)%701), Note: "demo"})
			}
			if (h>>20)%3 == 0 {
				out = append(out, insight.Cost{GroupID: g.GroupID, Day: insight.DayTime(week), Kind: insight.RedEnvelopes,
					AmountFen: 2000 + int64((h>>24)%6000), Note: "demo"})
			}
		}
		for _, ld := range g.Days {
			d := shanghai.Day(ld.Day.Unix())
			if d <= today-int64(days) || d > today {
				continue
			}
			if w := d - (d+3)%7; w != week { // weeks from Monday
				flush()
				week, joins = w, 0
			}
			joins += ld.Joins
		}
		flush()
	}
	for d := today - int64(days) + 1; d <= today; d += 10 {
		out = append(out, insight.Cost{Campaign: "抖音投放", Day: insight.DayTime(d), Kind: insight.Ads,
			AmountFen: 50_000 + int64(mix64(seed+uint64(d))%100_000), Note: "demo"})
	}
	if err := cs.AddCosts(ctx, out); err != nil {
		return 0, fmt.Errorf("demo costs: %w", err)
	}
	return len(out), nil
}

// purchaseCosts writes what the group's bought members cost (买粉: the
// members that joined × the unit price) as acquisition costs, through
// insight's method, each on its purchase's day with the join link the
// bought members came through as its campaign, so that the economics
// tells them from organic and invited members (docs/economics.md).
// Purchases after now and batches nobody joined from are left out.
func purchaseCosts(ctx context.Context, db *store.DB, g *GroupLife, now time.Time) error {
	var costs []insight.Cost
	for _, p := range g.Purchases {
		if p.Members <= 0 || p.Day.After(now) {
			continue
		}
		link := p.Link
		if community.Source(g.Source) == community.SourceTelegram {
			link = telegramLink(g.Name, p.Link)
		}
		costs = append(costs, insight.Cost{GroupID: g.GroupID, Campaign: link, Day: p.Day, Kind: insight.BoughtMembers,
			Members: int64(p.Members), UnitFen: p.UnitFen, Note: "demo"})
	}
	if len(costs) == 0 {
		return nil
	}
	if err := insight.NewStore(db).AddCosts(ctx, costs); err != nil {
		return fmt.Errorf("demo costs %s: %w", g.Name, err)
	}
	return nil
}
