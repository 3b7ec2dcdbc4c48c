package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchInsightCmd is `qunke bench insight`: the cohorts' triangles, RFM
// and the simulator over a large registry and its orders (issue 16).
func newBenchInsightCmd(g *globals) *cobra.Command {
	var cfg bench.InsightConfig
	var boss bench.BossConfig
	var only []string
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "insight",
		Short: g.h("cli.bench.insight.short"),
		Long:  g.h("cli.bench.insight.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			printMachine(out)
			engine := engineName(cfg.Postgres)
			want := map[string]bool{}
			for _, p := range only {
				if !slices.Contains(insightParts, p) {
					return fmt.Errorf("--only %s: no such part (%s)", p, strings.Join(insightParts, ","))
				}
				want[p] = true
			}
			if len(want) == 0 || want["cohorts"] {
				if err := runInsightCohorts(cmd, cfg, engine); err != nil {
					return err
				}
			}
			if len(want) == 0 || want["sim"] {
				parts, err := bench.InsightMemory(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, "\nsimulator (in memory, no database)")
				writeInsightParts(out, parts)
			}
			if len(want) == 0 || want["boss"] {
				boss.Dir, boss.Postgres, boss.Groups, boss.Seed, boss.Log = cfg.Dir, cfg.Postgres, cfg.Groups, cfg.Seed, cfg.Log
				if err := runInsightBoss(cmd, g, boss); err != nil {
					return err
				}
			}
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
	fl.StringSliceVar(&only, "only", nil, fmt.Sprintf(g.h("cli.bench.growth.flag.only"), strings.Join(insightParts, ",")))
	// the part boss (the boss's tables; was `qunke bench boss`): --groups and --seed are shared
	fl.IntVar(&boss.Days, "boss-days", 365, g.h("cli.bench.boss.flag_days"))
	fl.IntVar(&boss.Runs, "boss-runs", 50, g.h("cli.bench.boss.flag_runs"))
	return cmd
}

// insightParts are the parts of `qunke bench insight` (--only): the
// cohorts, RFM and simulator (bench.Insight, its timed parts
// bench.InsightParts), the simulator's parts alone (no database) and the
// boss's tables (bench.Boss, on a database of its own).
var insightParts = []string{"cohorts", "sim", "boss"}

func runInsightCohorts(cmd *cobra.Command, cfg bench.InsightConfig, engine string) error {
	out := cmd.OutOrStdout()
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
	writeInsightParts(out, res.Parts)
	fmt.Fprintf(out, "Go heap %s; process RSS %s now, %s peak\n", humanBytes(int64(res.HeapAlloc)), humanBytes(res.RSS), humanBytes(res.PeakRSS))
	return nil
}

// writeInsightParts prints timed parts, one a line, with their targets.
func writeInsightParts(out io.Writer, parts []bench.PartResult) {
	for _, p := range parts {
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
}

// runInsightBoss is the part boss: a month's boss's table by operator,
// group and tag over groups × days of rollup.
func runInsightBoss(cmd *cobra.Command, g *globals, cfg bench.BossConfig) error {
	out := cmd.OutOrStdout()
	res, err := bench.Boss(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	engine := "sqlite"
	if cfg.Postgres != "" {
		engine = "postgres"
	}
	fmt.Fprintf(out, "\nboss's tables, %s: %s\n", engine, g.t("cli.bench.boss.seeded", res.Groups, res.Days, res.Rows, res.Seeded.Round(time.Millisecond)))
	for i, l := range []bench.CallLatency{res.ByOperator, res.ByGroup, res.ByTag} {
		name := []string{"month by operator", "month by group", "month by tag"}[i]
		fmt.Fprintf(out, "%s (%d rows, CPU %v a table)\n",
			g.t("cli.bench.boss.result", name, l.N, l.P50.Round(100*time.Microsecond), l.P99.Round(100*time.Microsecond)),
			res.TableRows[i], l.CPU.Round(100*time.Microsecond))
	}
	return nil
}
