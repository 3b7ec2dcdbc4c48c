package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchBossCmd measures the boss's tables: a month's table by operator,
// group and tag over groups × days of rollup (the coordinator folds it into
// `qunke bench insight`).
func newBenchBossCmd(g *globals) *cobra.Command {
	var cfg bench.BossConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "boss",
		Short: g.h("cli.bench.boss.short"),
		Long:  g.h("cli.bench.boss.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			printMachine(out)
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			res, err := bench.Boss(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			engine := "sqlite"
			if cfg.Postgres != "" {
				engine = "postgres"
			}
			fmt.Fprintf(out, "%s: %s\n", engine, g.t("cli.bench.boss.seeded", res.Groups, res.Days, res.Rows, res.Seeded.Round(time.Millisecond)))
			for i, l := range []bench.CallLatency{res.ByOperator, res.ByGroup, res.ByTag} {
				name := []string{"month by operator", "month by group", "month by tag"}[i]
				fmt.Fprintf(out, "%s (%d rows, CPU %v a table)\n",
					g.t("cli.bench.boss.result", name, l.N, l.P50.Round(100*time.Microsecond), l.P99.Round(100*time.Microsecond)),
					res.TableRows[i], l.CPU.Round(100*time.Microsecond))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Groups, "groups", 1000, g.h("cli.bench.boss.flag_groups"))
	fl.IntVar(&cfg.Days, "days", 365, g.h("cli.bench.boss.flag_days"))
	fl.IntVar(&cfg.Runs, "runs", 50, g.h("cli.bench.boss.flag_runs"))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	fl.Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.demo.flag.seed"))
	return cmd
}
