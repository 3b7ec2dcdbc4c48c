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
		Short: g.h("cli.demo.short"),
		Long:  g.h("cli.demo.long"),
		Args:  cobra.NoArgs,
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
				fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.demo_community_ready", groups, demoPostingDays, orders))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&cfg.Items, "items", 20000, g.h("cli.demo.flag.items"))
	cmd.Flags().IntVar(&days, "days", 400, g.h("cli.demo.flag.days"))
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.demo.flag.seed"))
	cmd.Flags().BoolVar(&withGroups, "groups", true, g.h("cli.demo.flag.groups"))
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
