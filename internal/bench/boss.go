package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// BossConfig sizes `qunke bench boss`: the boss's tables read the group-day
// rollup (group_days), so the size that matters is groups × days (1,000 ×
// 365 stands for the 1M members and 10M orders: their rollup).
type BossConfig struct {
	Dir      string
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Groups   int
	Days     int
	Runs     int // tables timed per grouping
	Seed     uint64
	Log      io.Writer
}

// BossResult is what the bench measured.
type BossResult struct {
	Groups, Days, Rows, Costs  int
	Seeded                     time.Duration
	ByOperator, ByGroup, ByTag CallLatency
	TableRows                  [3]int
}

// Boss stores cfg.Groups groups (50 operators, 30 tags) with cfg.Days days
// each, ending at the bench's end, a cost per group and week, and a
// verdict per group, then times a month's table by operator, group and tag.
func Boss(ctx context.Context, cfg BossConfig) (BossResult, error) {
	if cfg.Groups <= 0 {
		cfg.Groups = 1000
	}
	if cfg.Days <= 0 {
		cfg.Days = 365
	}
	if cfg.Runs <= 0 {
		cfg.Runs = 50
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	res := BossResult{Groups: cfg.Groups, Days: cfg.Days}
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "boss.db", true)
	if err != nil {
		return res, err
	}
	defer done()
	t0 := time.Now()
	if err := seedBoss(ctx, db, cfg, &res); err != nil {
		return res, err
	}
	res.Seeded = time.Since(t0)
	fmt.Fprintf(cfg.Log, "seeded %d groups × %d days (%d rows), %d costs in %s\n", cfg.Groups, cfg.Days, res.Rows, res.Costs,
		res.Seeded.Round(time.Millisecond))
	b := insight.NewBossSources(community.NewStore(db), health.NewStore(db), insight.NewStore(db))
	end := shanghai.Day(benchEnd.Unix())
	// The last whole month before the end (October 2026 at the default end).
	from, _ := insight.PeriodMonth.Bounds(end)
	month := from - 1
	for i, by := range []insight.Grouping{insight.ByOperator, insight.ByGroup, insight.ByTag} {
		q := insight.BossQuery{Period: insight.PeriodMonth, Day: month, By: by}
		if _, err := b.Boss(ctx, q); err != nil { // warm: the board's cache, the statements
			return res, err
		}
		l, err := timeCalls(cfg.Runs, func(int) error {
			t, err := b.Boss(ctx, q)
			if err == nil {
				res.TableRows[i] = len(t.Rows)
			}
			return err
		})
		if err != nil {
			return res, err
		}
		*[]*CallLatency{&res.ByOperator, &res.ByGroup, &res.ByTag}[i] = l
	}
	return res, nil
}

func seedBoss(ctx context.Context, db *store.DB, cfg BossConfig, res *BossResult) error {
	rng := rand.New(rand.NewPCG(cfg.Seed, 16))
	cs := community.NewStore(db)
	hs := health.NewStore(db)
	end := shanghai.Day(benchEnd.Unix())
	first := end - int64(cfg.Days) + 1
	var costs []insight.Cost
	var judged []health.Judged
	var batch []health.GroupDays
	states := []health.State{health.OK, health.OK, health.OK, health.Watch, health.Warning, health.Dead}
	for i := range cfg.Groups {
		g := &community.Group{Name: fmt.Sprintf("群%04d", i), Channel: community.Manual, Active: true,
			Owner: fmt.Sprintf("运营%02d", rng.IntN(50))}
		g.Tags = append(g.Tags, fmt.Sprintf("标签%02d", rng.IntN(30)))
		if rng.IntN(2) == 0 {
			g.Tags = append(g.Tags, fmt.Sprintf("标签%02d", rng.IntN(30)))
		}
		if err := cs.Save(ctx, g); err != nil {
			return err
		}
		// A group of up to 1,000 members (1,000 groups: about the issue's
		// million), 10 orders a day on average (its ten million a year).
		members := int64(200 + rng.IntN(800))
		gd := health.GroupDays{GroupID: g.ID}
		for d := first; d <= end; d++ {
			joins, leaves := int64(rng.IntN(12)), int64(rng.IntN(11))
			members = max(0, members+joins-leaves)
			orders := int64(rng.IntN(21))
			gd.Days = append(gd.Days, health.Day{Day: d, Members: members, Tracked: true, Joins: joins, LeavesSelf: leaves,
				Active: int64(rng.IntN(60)), Messages: int64(rng.IntN(300)), Posts: int64(rng.IntN(10)), Orders: orders,
				IncomeFen: orders * int64(100+rng.IntN(400))})
			if (d-first)%30 == 0 {
				n := int64(10 + rng.IntN(50))
				costs = append(costs, insight.Cost{GroupID: g.ID, Day: time.Unix(d*86400-shanghai.Offset, 0), Kind: insight.BoughtMembers,
					Members: n, UnitFen: int64(800 + rng.IntN(700))})
			}
		}
		res.Rows += len(gd.Days)
		batch = append(batch, gd)
		judged = append(judged, health.Judged{GroupID: g.ID, Verdict: health.Verdict{Day: end, Score: 60,
			State: states[rng.IntN(len(states))]}, Members: members, Peak: members})
		if len(batch) == 20 {
			if err := hs.SaveDays(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := hs.SaveDays(ctx, batch); err != nil {
		return err
	}
	if _, err := hs.SaveVerdicts(ctx, judged); err != nil {
		return err
	}
	for i := 0; i < len(costs); i += 1000 {
		if err := insight.NewStore(db).AddCosts(ctx, costs[i:min(i+1000, len(costs))]); err != nil {
			return err
		}
	}
	res.Costs = len(costs)
	return db.VacuumAnalyze(ctx, "group_days", "acquisition_costs")
}
