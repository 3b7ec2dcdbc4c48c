package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchCallbackCmd measures /callback/wecom: events answered a second
// and their ack latency, with the inbox's worker applying them.
func newBenchCallbackCmd(g *globals) *cobra.Command {
	var cfg bench.CallbackConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "callback",
		Short: g.h("cli.bench.callback.short"),
		Long:  g.h("cli.bench.callback.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			printMachine(out)
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			res, err := bench.Callback(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			engine := "sqlite"
			if cfg.Postgres != "" {
				engine = "postgres"
			}
			fmt.Fprintf(out, "%s: %d events at %d/s from %d clients over %d chats\n", engine, res.Sent, cfg.Rate, cfg.Clients, cfg.Chats)
			fmt.Fprintf(out, "answered %.0f events/s (%d failed) in %v; ack p50 %v p99 %v max %v\n", res.PerSec, res.Failed,
				res.Elapsed.Round(time.Millisecond), res.Ack.P50.Round(10*time.Microsecond), res.Ack.P99.Round(10*time.Microsecond),
				res.Ack.Max.Round(10*time.Microsecond))
			fmt.Fprintf(out, "process CPU while sending %v: %.0f µs an event (server, worker and clients together)\n",
				res.CPU.Round(time.Millisecond), float64(res.CPU.Microseconds())/float64(max(res.Sent, 1)))
			fmt.Fprintf(out, "stored %d; applied %d by the last answer, the rest %v later; %d members in the registry\n",
				res.Stored, res.Applied, res.Drain.Round(time.Millisecond), res.Members)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Rate, "rate", 2000, g.h("cli.bench.callback.flag.rate"))
	fl.DurationVar(&cfg.Duration, "duration", 30*time.Second, g.h("cli.bench.callback.flag.duration"))
	fl.IntVar(&cfg.Clients, "clients", 64, g.h("cli.bench.callback.flag.clients"))
	fl.IntVar(&cfg.Chats, "chats", 200, g.h("cli.bench.callback.flag.chats"))
	fl.BoolVar(&cfg.NoApply, "no-apply", false, g.h("cli.bench.callback.flag.no_apply"))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	return cmd
}
