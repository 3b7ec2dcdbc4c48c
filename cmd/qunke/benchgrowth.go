package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchGrowthCmd is `qunke bench growth`: the ledger's poster, balances
// and statements, the join page and the campaign leaderboard (issue 15);
// --only picks parts by bench.GrowthParts' names.
func newBenchGrowthCmd(g *globals) *cobra.Command {
	var cfg bench.GrowthConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "growth",
		Short: g.h("cli.bench.growth.short"),
		Long:  g.h("cli.bench.growth.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			if cpuProfile != "" {
				cfg.Profile = func(part string) func() {
					stop, err := startProfile(cpuProfile + "." + part)
					if err != nil {
						fmt.Fprintln(cfg.Log, err)
						return func() {}
					}
					return stop
				}
			}
			printMachine(out)
			engine := engineName(cfg.Postgres)
			if len(cfg.Only) == 0 || slices.ContainsFunc(cfg.Only, func(p string) bool { return p == "ledger" || p == "balance" || p == "statement" }) {
				fmt.Fprintf(out, "%s: %d agents, %d orders, ledger topped up to %d postings over %d months\n", engine, cfg.Agents, cfg.Orders,
					cfg.Postings, cfg.Months)
			}
			res, err := bench.Growth(cmd.Context(), cfg, out)
			if err != nil {
				return err
			}
			if res.DBBytes > 0 {
				fmt.Fprintf(out, "database %s; ", humanBytes(res.DBBytes))
			}
			fmt.Fprintf(out, "peak RSS %s\n", humanBytes(res.PeakRSS))
			return nil
		},
	}
	var parts []string
	for _, p := range bench.GrowthParts {
		parts = append(parts, p.Name)
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Agents, "agents", 10_000, g.h("cli.bench.growth.flag.agents"))
	fl.IntVar(&cfg.Orders, "orders", 1_000_000, g.h("cli.bench.growth.flag.orders"))
	fl.IntVar(&cfg.Postings, "postings", 10_000_000, g.h("cli.bench.growth.flag.postings"))
	fl.IntVar(&cfg.Months, "months", 12, g.h("cli.bench.growth.flag.months"))
	fl.IntVar(&cfg.Page, "page", 2000, g.h("cli.bench.growth.flag.page"))
	fl.IntVar(&cfg.Calls, "calls", 2000, g.h("cli.bench.growth.flag.calls"))
	fl.Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	fl.StringSliceVar(&cfg.Only, "only", nil, fmt.Sprintf(g.h("cli.bench.growth.flag.only"), strings.Join(parts, ",")))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.growth.flag.cpuprofile"))
	// the part join (the join page; was `qunke bench join`)
	fl.IntVar(&cfg.Join.Rate, "join-rate", 500, g.h("cli.bench.join.flag.rate"))
	fl.DurationVar(&cfg.Join.Duration, "join-duration", 20*time.Second, g.h("cli.bench.join.flag.duration"))
	fl.IntVar(&cfg.Join.Clients, "join-clients", 64, g.h("cli.bench.join.flag.clients"))
	fl.IntVar(&cfg.Join.Groups, "join-groups", 5, g.h("cli.bench.join.flag.groups"))
	fl.IntVar(&cfg.Join.Inviters, "join-inviters", 200, g.h("cli.bench.join.flag.inviters"))
	// the part leaderboard (was `qunke bench leaderboard`; its pages timed: --calls)
	fl.IntVar(&cfg.Leaderboard.Participants, "participants", 100000, g.h("cli.bench.leaderboard.flag.participants"))
	return cmd
}
