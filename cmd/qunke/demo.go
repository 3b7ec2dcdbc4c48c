package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/shanghai"
)

func newDemoCmd(g *globals) *cobra.Command {
	var cfg demo.Config
	var days int
	var withGroups bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "生成演示市场数据 (fill the database with a realistic synthetic market)",
		Long: `用固定种子生成一个逼真的演示市场：约 20 个类目的商品、品牌与店铺，每日价格、来去的优惠券、佣金变化，
618、双11、年货节的大促，以及随价格变化的销量。同一种子总是生成相同的数据，重复运行不会改变数据库。

Fill the database with a deterministic (seeded) synthetic market: items in ~20 categories with
brands and shops, daily prices, coupons that come and go, commission changes, deep promotions
around 618, Double 11 and the Spring Festival sale, and sales that react to price. The same seed
always gives the same market, so running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			cfg.Snapshots = days
			cfg.Interval = 24 * time.Hour
			cfg.End = demoEnd(time.Now())
			start := time.Now()
			st, cs, err := loadDemo(ctx, catalog.NewStore(db), demo.New(cfg), newProgress(cmd.ErrOrStderr(), g.t("cli.demo_market"), false))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.demo_ready", cfg.Items, st.ItemsNew, st.Records, cs.PriceChanges, time.Since(start).Round(time.Millisecond), db.Source))
			if !withGroups {
				return nil
			}
			adv := advisor.New(catalog.NewStore(db), advisor.Options{})
			groups, orders, err := seedDemoCommunity(ctx, db, adv, &offlineChannels{})
			if err != nil {
				return err
			}
			if groups > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "演示社群已就绪 Demo community ready: %d 个群 groups · %d 天发单记录 days of posts · %d 笔订单 orders\n",
					groups, demoPostingDays, orders)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&cfg.Items, "items", 20000, "商品数量 (number of items)")
	cmd.Flags().IntVar(&days, "days", 400, "每日快照天数，默认覆盖 618、双11 和年货节 (days of daily snapshots; the default spans 618, Double 11 and the Spring Festival sale)")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "随机种子 (seed)")
	cmd.Flags().BoolVar(&withGroups, "groups", true, "没有群时加入演示群、发单计划、发单记录和随之而来的订单 (when there are no groups, add demo groups, plans, posting history and the orders that follow)")
	return cmd
}

// demoEnd is today's 10:00 in Asia/Shanghai: the demo's last snapshot.
func demoEnd(now time.Time) time.Time {
	loc := shanghai.Zone
	n := now.In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 10, 0, 0, 0, loc)
}

// loadDemo writes the market item by item (the back-fill path), committing
// about every million observations, then compacts.
func loadDemo(ctx context.Context, s *catalog.Store, m *demo.Market, bar *progress) (catalog.IngestStats, catalog.CompactStats, error) {
	cfg := m.Config()
	var total catalog.IngestStats
	var compacted catalog.CompactStats
	var recs []catalog.Record
	var obs []catalog.Observation
	per := max(1, (1<<20)/max(cfg.Snapshots, 1))
	for first := 0; first < cfg.Items; first += per {
		w, err := s.Begin(ctx)
		if err != nil {
			return total, catalog.CompactStats{}, err
		}
		for i := first; i < min(cfg.Items, first+per); i++ {
			it := m.Item(i)
			obs = m.History(i, obs)
			recs = recs[:0]
			for _, o := range obs {
				recs = append(recs, catalog.Record{Item: it, Obs: o})
			}
			if err := w.Add(recs); err != nil {
				w.Rollback()
				return total, catalog.CompactStats{}, err
			}
		}
		st, err := w.Commit()
		if err != nil {
			return total, catalog.CompactStats{}, err
		}
		total.Records += st.Records
		total.ItemsNew += st.ItemsNew
		total.ItemsUpdated += st.ItemsUpdated
		cs, err := s.Compact(ctx)
		compacted.Add(cs)
		if err != nil {
			return total, compacted, err
		}
		bar.Update(int64(min(cfg.Items, first+per)), int64(cfg.Items))
		if err := ctx.Err(); err != nil {
			return total, catalog.CompactStats{}, err
		}
	}
	bar.Finish()
	return total, compacted, nil
}
