package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchJoinCmd measures the join page /join/{code}: visits offered on
// schedule (open loop), their latency, and that every one was counted.
func newBenchJoinCmd(g *globals) *cobra.Command {
	var cfg bench.JoinConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "join",
		Short: g.h("cli.bench.join.short"),
		Long:  g.h("cli.bench.join.long"),
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
			res, err := bench.Join(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			engine := "sqlite"
			if cfg.Postgres != "" {
				engine = "postgres"
			}
			fmt.Fprintf(out, "%s: %d visits offered at %d/s from %d clients, %d pool groups, %d inviters\n", engine, res.Sent, cfg.Rate,
				cfg.Clients, cfg.Groups, cfg.Inviters)
			fmt.Fprintf(out, "answered %.0f visits/s (%d failed) in %v; page p50 %v p99 %v max %v\n", res.PerSec, res.Failed,
				res.Elapsed.Round(time.Millisecond), res.Page.P50.Round(10*time.Microsecond), res.Page.P99.Round(10*time.Microsecond),
				res.Page.Max.Round(10*time.Microsecond))
			fmt.Fprintf(out, "inside the handler: p50 %v p99 %v max %v\n", res.Handler.P50.Round(10*time.Microsecond),
				res.Handler.P99.Round(10*time.Microsecond), res.Handler.Max.Round(10*time.Microsecond))
			fmt.Fprintf(out, "process CPU %v: %.0f µs a visit (server and clients together)\n", res.CPU.Round(time.Millisecond),
				float64(res.CPU.Microseconds())/float64(max(res.Sent, 1)))
			ok := "every visit counted"
			if res.Counted != int64(res.Sent-res.Failed) {
				ok = "COUNT MISMATCH"
			}
			fmt.Fprintf(out, "views counted %d of %d answered: %s\n", res.Counted, res.Sent-res.Failed, ok)
			if res.Counted != int64(res.Sent-res.Failed) {
				return fmt.Errorf("bench join: %d views counted, %d answered", res.Counted, res.Sent-res.Failed)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Rate, "rate", 500, g.h("cli.bench.join.flag.rate"))
	fl.DurationVar(&cfg.Duration, "duration", 20*time.Second, g.h("cli.bench.join.flag.duration"))
	fl.IntVar(&cfg.Clients, "clients", 64, g.h("cli.bench.join.flag.clients"))
	fl.IntVar(&cfg.Groups, "groups", 5, g.h("cli.bench.join.flag.groups"))
	fl.IntVar(&cfg.Inviters, "inviters", 200, g.h("cli.bench.join.flag.inviters"))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	return cmd
}
