package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/store"
)

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
