package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
)

// newBenchLeaderboardCmd times a campaign's invite leaderboard (邀请排行)
// over 100,000 participants (target p99 ≤ 50 ms).
func newBenchLeaderboardCmd(g *globals) *cobra.Command {
	var cfg bench.LeaderboardConfig
	cmd := &cobra.Command{
		Use:   "leaderboard",
		Short: g.h("cli.bench.leaderboard.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			printMachine(out)
			res, err := bench.Leaderboard(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			engine := "sqlite"
			if cfg.Postgres != "" {
				engine = "postgres"
			}
			r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
			fmt.Fprintf(out, "%s: leaderboard of %d participants (best %d valid invites), enrolled in %v\n", engine, res.Rows, res.TopPlaces,
				res.Load.Round(time.Millisecond))
			fmt.Fprintf(out, "first page (50 rows) x%d: p50 %v p99 %v max %v\n", res.Top.N, r(res.Top.P50), r(res.Top.P99), r(res.Top.Max))
			fmt.Fprintf(out, "a page at a random place x%d: p50 %v p99 %v max %v\n", res.Deep.N, r(res.Deep.P50), r(res.Deep.P99), r(res.Deep.Max))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Participants, "participants", 100000, g.h("cli.bench.leaderboard.flag.participants"))
	fl.IntVar(&cfg.Calls, "calls", 2000, g.h("cli.bench.leaderboard.flag.calls"))
	return cmd
}
