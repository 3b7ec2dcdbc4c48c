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
// through insight's store: each group buys members about once a week (20
// to 80 at 8 to 15 yuan: the essay's "ten yuan and more") and now and then
// hands out red envelopes; a campaign with no group buys ads. It returns
// how many costs it added; none when the database already has costs.
func Costs(ctx context.Context, db *store.DB, seed uint64, now time.Time, days int) (int, error) {
	cs := insight.NewStore(db)
	have, err := cs.Costs(ctx, insight.CostFilter{Limit: 1})
	if err != nil || len(have) > 0 {
		return 0, err
	}
	groups, err := community.NewStore(db).List(ctx, community.Filter{})
	if err != nil {
		return 0, fmt.Errorf("demo costs: %w", err)
	}
	today := shanghai.Day(now.Unix())
	var out []insight.Cost
	for _, g := range groups {
		h := mix64(seed ^ uint64(g.ID)*0x9e3779b97f4a7c15)
		for d := today - int64(days) + 1 + int64(h%7); d <= today; d += 5 + int64(h%5) {
			h = mix64(h + uint64(d))
			n := 20 + int64(h%61)
			unit := 800 + int64((h>>8)%701)
			out = append(out, insight.Cost{GroupID: g.ID, Day: insight.DayTime(d), Kind: insight.BoughtMembers, Members: n,
				UnitFen: unit, Note: "demo"})
			if h>>20%4 == 0 {
				out = append(out, insight.Cost{GroupID: g.ID, Day: insight.DayTime(d), Kind: insight.RedEnvelopes,
					AmountFen: 2000 + int64((h>>24)%8000), Note: "demo"})
			}
		}
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
