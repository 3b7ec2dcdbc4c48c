package bench

import (
	"context"
	"fmt"
	"time"
)

// The join page's and the campaign leaderboard's parts of `qunke bench
// growth` (--only join, --only leaderboard): each runs on a database of its
// own in the growth benchmark's Dir (or a schema of its own on Postgres),
// set up by GrowthConfig.Join and GrowthConfig.Leaderboard.

func engineName(postgres string) string {
	if postgres != "" {
		return "postgres"
	}
	return "sqlite"
}

// growthJoin is the join page /join/{code}: visits offered on schedule
// (open loop), their latency, and that every one was counted.
func growthJoin(ctx context.Context, e *GrowthEnv) ([]string, error) {
	cfg := e.Cfg.Join
	cfg.Dir, cfg.Postgres, cfg.Log = e.Cfg.Dir, e.Cfg.Postgres, e.Cfg.Log
	stop := e.profile("join")
	res, err := Join(ctx, cfg)
	stop()
	if err != nil {
		return nil, err
	}
	e.Result.Join = &res
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	answered := res.Sent - res.Failed
	ok := "every visit counted"
	if res.Counted != int64(answered) {
		ok = "COUNT MISMATCH"
	}
	lines := []string{
		fmt.Sprintf("join page, %s: %d visits offered at %d/s from %d clients, %d pool groups, %d inviters", engineName(cfg.Postgres),
			res.Sent, cfg.Rate, cfg.Clients, cfg.Groups, cfg.Inviters),
		fmt.Sprintf("answered %.0f visits/s (%d failed) in %v; page p50 %v p99 %v max %v", res.PerSec, res.Failed,
			res.Elapsed.Round(time.Millisecond), r(res.Page.P50), r(res.Page.P99), r(res.Page.Max)),
		fmt.Sprintf("inside the handler: p50 %v p99 %v max %v", r(res.Handler.P50), r(res.Handler.P99), r(res.Handler.Max)),
		fmt.Sprintf("process CPU %v: %.0f µs a visit (server and clients together)", res.CPU.Round(time.Millisecond),
			float64(res.CPU.Microseconds())/float64(max(res.Sent, 1))),
		fmt.Sprintf("views counted %d of %d answered: %s", res.Counted, answered, ok),
	}
	if res.Counted != int64(answered) {
		return lines, fmt.Errorf("%d views counted, %d answered", res.Counted, answered)
	}
	return lines, nil
}

// growthLeaderboard is a campaign's invite leaderboard (邀请排行) over
// many participants (target p99 ≤ 50 ms).
func growthLeaderboard(ctx context.Context, e *GrowthEnv) ([]string, error) {
	cfg := e.Cfg.Leaderboard
	cfg.Dir, cfg.Postgres, cfg.Log = e.Cfg.Dir, e.Cfg.Postgres, e.Cfg.Log
	if cfg.Calls <= 0 {
		cfg.Calls = e.Cfg.Calls
	}
	stop := e.profile("leaderboard")
	res, err := Leaderboard(ctx, cfg)
	stop()
	if err != nil {
		return nil, err
	}
	e.Result.Leaderboard = res
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return []string{
		fmt.Sprintf("leaderboard, %s: %d participants (best %d valid invites), enrolled in %v", engineName(cfg.Postgres), res.Rows,
			res.TopPlaces, res.Load.Round(time.Millisecond)),
		fmt.Sprintf("first page (50 rows) x%d: p50 %v p99 %v max %v", res.Top.N, r(res.Top.P50), r(res.Top.P99), r(res.Top.Max)),
		fmt.Sprintf("a page at a random place x%d: p50 %v p99 %v max %v", res.Deep.N, r(res.Deep.P50), r(res.Deep.P99), r(res.Deep.Max)),
	}, nil
}
