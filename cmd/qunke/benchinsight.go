package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchInsightCmd is `qunke bench insight`: the cohorts' triangles, RFM
// and the simulator over a large registry and its orders (issue 16).
func newBenchInsightCmd(g *globals) *cobra.Command {
	var cfg bench.InsightConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "insight",
		Short: g.h("cli.bench.insight.short"),
		Long:  g.h("cli.bench.insight.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			if cfg.Postgres == "" && (strings.HasPrefix(g.db, "postgres://") || strings.HasPrefix(g.db, "postgresql://")) {
				cfg.Postgres = g.db
			}
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			printMachine(out)
			engine := "SQLite"
			if cfg.Postgres != "" {
				engine = "PostgreSQL"
			}
			res, err := bench.Insight(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d groups, %d members, %d orders (members over %d days, orders over %d months)\n",
				engine, res.Groups, res.Members, res.Orders, cfg.Days, cfg.Months)
			if res.Reused {
				fmt.Fprintln(out, "database reused from an earlier run")
			} else {
				fmt.Fprintf(out, "load: %d join/leave events %s; ids bound %s; orders %s (%.0f orders/s)\n", res.Events,
					res.LoadMembers.Round(time.Second), res.LoadBinds.Round(time.Second), res.LoadOrders.Round(time.Second), res.OrdersPerSec)
			}
			if res.DBBytes > 0 {
				fmt.Fprintf(out, "database %s\n", humanBytes(res.DBBytes))
			}
			fmt.Fprintf(out, "rollups rebuilt in %s: %d members with a join, %d buyers, %d + %d triangle cells\n",
				res.Refresh.Elapsed.Round(time.Millisecond), res.Refresh.Joined, res.Refresh.Buyers, res.Refresh.RetentionCells, res.Refresh.RepCells)
			for _, p := range res.Parts {
				verdict := ""
				if p.Target > 0 {
					verdict = "target ≤ " + p.Target.String()
					if p.P99 <= p.Target {
						verdict += ": met"
					} else {
						verdict += ": missed"
					}
				}
				fmt.Fprintf(out, "%-58s n=%-4d p50 %-10s p99 %-10s max %-10s CPU/call %-10s %s\n", p.Name, p.N, p.P50.Round(time.Microsecond),
					p.P99.Round(time.Microsecond), p.Max.Round(time.Microsecond), p.CPU.Round(time.Microsecond), verdict)
			}
			fmt.Fprintf(out, "Go heap %s; process RSS %s now, %s peak\n", humanBytes(int64(res.HeapAlloc)), humanBytes(res.RSS), humanBytes(res.PeakRSS))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Groups, "groups", 1000, g.h("cli.bench.flag.groups"))
	fl.IntVar(&cfg.Members, "members", 1_000_000, g.h("cli.bench.members.flag.members"))
	fl.IntVar(&cfg.Orders, "orders", 10_000_000, g.h("cli.bench.insight.flag.orders"))
	fl.IntVar(&cfg.Days, "days", 365, g.h("cli.bench.members.flag.days"))
	fl.IntVar(&cfg.Months, "months", 24, g.h("cli.bench.insight.flag.months"))
	fl.Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	fl.IntVar(&cfg.Queries, "queries", 200, g.h("cli.bench.insight.flag.queries"))
	fl.IntVar(&cfg.Plain, "plain", 3, g.h("cli.bench.insight.flag.plain"))
	fl.IntVar(&cfg.Sims, "sims", 200, g.h("cli.bench.insight.flag.sims"))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	return cmd
}
