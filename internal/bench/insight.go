package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// InsightConfig sets up `qunke bench insight` (issue 16): members joining
// and leaving many groups over Days, their orders (each carrying a bound
// person-level id, so credited to a member) over Months, the cohorts'
// rollups rebuilt by insight's job, then the timed parts (InsightParts).
type InsightConfig struct {
	Dir      string // SQLite databases (reused by later runs of the same size)
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Groups   int
	Members  int
	Orders   int
	Days     int // the members' joins and leaves span
	Months   int // the orders' span
	Seed     uint64
	Queries  int // timed calls of each fast part
	Plain    int // timed calls of each plain-SQL part (slow)
	Sims     int // timed point simulations (the band: Sims/10)
	Log      io.Writer
	// Extra parts to time after the built-in ones (the coordinator adds
	// the boss's tables here).
	Extra []InsightPart
}

func (c *InsightConfig) defaults() {
	if c.Dir == "" {
		c.Dir = "bench-out"
	}
	if c.Groups <= 0 {
		c.Groups = 1000
	}
	if c.Members <= 0 {
		c.Members = 1_000_000
	}
	if c.Orders <= 0 {
		c.Orders = 10_000_000
	}
	if c.Days <= 0 {
		c.Days = 365
	}
	if c.Months <= 0 {
		c.Months = 24
	}
	if c.Queries <= 0 {
		c.Queries = 200
	}
	if c.Sims <= 0 {
		c.Sims = 200
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// InsightEnv is what a part works with: the loaded database, the stores,
// the cohorts' rollups (rebuilt) and the bench's "now".
type InsightEnv struct {
	DB      *store.DB
	Members *community.Store
	Orders  *orders.Store
	Cohorts *insight.Cohorts
	Now     time.Time
}

// InsightPart is one timed call: Calls(cfg) times, each Run(ctx, env, i);
// Target is the bound on its p99 (0: none).
type InsightPart struct {
	Name   string
	Target time.Duration
	Calls  func(c InsightConfig) int
	Run    func(ctx context.Context, env *InsightEnv, i int) error
	// Memory: the part needs no database (env is nil); it runs in
	// InsightMemory (`qunke bench insight --only sim`), not in Insight.
	Memory bool
}

// InsightParts are the built-in timed parts: the triangles read from the
// rollups beside the same triangles computed in plain SQL, RFM, and the
// 36-month simulation as a point and with its band. Add a part here (or in
// InsightConfig.Extra) to time it with the rest.
func InsightParts() []InsightPart {
	fast := func(c InsightConfig) int { return c.Queries }
	plain := func(c InsightConfig) int { return c.Plain }
	sims := func(c InsightConfig) int { return c.Sims }
	bands := func(c InsightConfig) int { return max(c.Sims/10, 1) }
	curves := insight.Defaults.Curves(36)
	plan := insight.Plan{BudgetFen: 1_000_000, ReinvestBP: 5000, FanPriceFen: 1000, Months: 36}
	samples := benchSamples(1000, 36)
	return []InsightPart{
		{Name: "retention triangle, 26 join weeks (rollup)", Target: 500 * time.Millisecond, Calls: fast,
			Run: func(ctx context.Context, e *InsightEnv, _ int) error {
				_, err := e.Cohorts.Retention(ctx, 26)
				return err
			}},
		{Name: "repurchase triangle, 24 months (rollup)", Target: 500 * time.Millisecond, Calls: fast,
			Run: func(ctx context.Context, e *InsightEnv, _ int) error {
				_, err := e.Cohorts.Repurchase(ctx, 24)
				return err
			}},
		{Name: "RFM segments and grid (rollup)", Target: 500 * time.Millisecond, Calls: fast,
			Run: func(ctx context.Context, e *InsightEnv, _ int) error { _, err := e.Cohorts.RFM(ctx); return err }},
		{Name: "RFM segment's top 100 members, named", Calls: fast,
			Run: func(ctx context.Context, e *InsightEnv, i int) error {
				_, err := e.Cohorts.SegmentMembers(ctx, insight.Segments[i%len(insight.Segments)], 0, 100)
				return err
			}},
		{Name: "retention triangle, 26 join weeks (plain SQL)", Calls: plain,
			Run: func(ctx context.Context, e *InsightEnv, _ int) error {
				nowDay := shanghai.Day(e.Now.Unix())
				_, err := e.Members.RetentionSQL(ctx, insight.WeekStart(nowDay)-25*7, nowDay)
				return err
			}},
		{Name: "repurchase triangle, 24 months (plain SQL)", Calls: plain,
			Run: func(ctx context.Context, e *InsightEnv, _ int) error {
				_, err := e.Orders.RepurchaseSQL(ctx, insight.MonthOf(e.Now.Unix())-23, e.Now)
				return err
			}},
		{Name: "simulation, 36 months, point", Target: 20 * time.Millisecond, Calls: sims, Memory: true,
			Run: func(context.Context, *InsightEnv, int) error { insight.Simulate(curves, plan); return nil }},
		{Name: "simulation, 36 months, band (200 resamples, 1,000 groups)", Target: 200 * time.Millisecond, Calls: bands, Memory: true,
			Run: func(_ context.Context, _ *InsightEnv, i int) error {
				insight.Simulate(curves, plan)
				insight.Bootstrap(curves, plan, samples, 200, uint64(i+1))
				return nil
			}},
	}
}

// benchSamples are n groups' curves for the band: income per member-month
// around the defaults' (their member survival), lifetimes of a year or
// two, some ended.
func benchSamples(n, months int) []insight.GroupSample {
	r := rand.New(rand.NewPCG(5, 6))
	dc := insight.Defaults.Curves(months)
	base := dc.MemberIncome
	out := make([]insight.GroupSample, n)
	for i := range out {
		f := 0.3 + 1.4*r.Float64()
		inc := make([]float64, len(base))
		for k, v := range base {
			inc[k] = v * f
		}
		out[i] = insight.GroupSample{MemberIncome: inc, MemberSurvival: dc.MemberSurvival,
			Life: insight.Lifetime{Days: 60 + 700*r.Float64(), Ended: r.IntN(3) == 0}, Weight: 1 + float64(r.IntN(500))}
	}
	return out
}

// PartResult is one part's timing.
type PartResult struct {
	Name   string
	Target time.Duration
	CallLatency
}

// InsightResult is what the insight benchmark measured.
type InsightResult struct {
	Groups, Members, Orders int
	Events                  int
	LoadMembers, LoadBinds  time.Duration
	LoadOrders              time.Duration
	OrdersPerSec            float64
	Reused                  bool // the SQLite database of an earlier run
	DBBytes                 int64
	Refresh                 insight.RefreshStats // the rollups' rebuild
	Parts                   []PartResult
	HeapAlloc               uint64
	RSS, PeakRSS            int64
}

// insightEnd is the bench's "now".
var insightEnd = benchEnd

// Insight runs the benchmark.
func Insight(ctx context.Context, cfg InsightConfig) (InsightResult, error) {
	cfg.defaults()
	var res InsightResult
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	name := fmt.Sprintf("insight-%d-%d-%d-%d.db", cfg.Members, cfg.Orders, cfg.Groups, cfg.Seed)
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, name, false)
	if err != nil {
		return res, err
	}
	defer done()
	os := orders.NewStore(db)
	n, err := os.Count(ctx)
	if err != nil {
		return res, err
	}
	switch {
	case n == int64(cfg.Orders):
		res.Reused = true
		fmt.Fprintf(cfg.Log, "reusing %s (%d orders)\n", name, n)
	case n != 0:
		return res, fmt.Errorf("%s holds %d orders, not %d: remove it", name, n, cfg.Orders)
	default:
		if err := loadInsight(ctx, db, cfg, &res); err != nil {
			return res, err
		}
	}
	res.Groups, res.Members, res.Orders = cfg.Groups, cfg.Members, cfg.Orders
	if cfg.Postgres == "" {
		res.DBBytes = fileSize(db.Path())
	}
	env := &InsightEnv{DB: db, Members: community.NewStore(db), Orders: os, Now: insightEnd}
	env.Cohorts = insight.NewCohorts(db, env.Members, os)
	env.Cohorts.Now = func() time.Time { return insightEnd }
	fmt.Fprintln(cfg.Log, "rebuilding the cohorts' rollups")
	if res.Refresh, err = env.Cohorts.Refresh(ctx); err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Log, "rebuilt in %s: %d members joined, %d buyers\n", res.Refresh.Elapsed.Round(time.Millisecond), res.Refresh.Joined, res.Refresh.Buyers)
	if res.Parts, err = timeInsightParts(ctx, cfg, env, false); err != nil {
		return res, err
	}
	res.HeapAlloc = heapAlloc()
	res.RSS, res.PeakRSS = rss()
	return res, nil
}

// InsightMemory times the parts that need no database (the simulator's):
// `qunke bench insight --only sim`.
func InsightMemory(ctx context.Context, cfg InsightConfig) ([]PartResult, error) {
	cfg.defaults()
	return timeInsightParts(ctx, cfg, nil, true)
}

// timeInsightParts times the parts whose Memory is memory, one call at a
// time.
func timeInsightParts(ctx context.Context, cfg InsightConfig, env *InsightEnv, memory bool) ([]PartResult, error) {
	var out []PartResult
	for _, p := range append(InsightParts(), cfg.Extra...) {
		calls := p.Calls(cfg)
		if calls <= 0 || p.Memory != memory {
			continue
		}
		fmt.Fprintf(cfg.Log, "timing %s (%d calls)\n", p.Name, calls)
		l, err := timeCalls(calls, func(i int) error { return p.Run(ctx, env, i) })
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, PartResult{Name: p.Name, Target: p.Target, CallLatency: l})
		fmt.Fprintf(cfg.Log, "  p50 %s p99 %s max %s CPU/call %s\n", l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond),
			l.Max.Round(time.Microsecond), l.CPU.Round(time.Microsecond))
	}
	return out, nil
}

// loadInsight writes the members (their joins and leaves through the
// registry), binds each a 会员运营ID, and imports the orders through the
// orders' Import in batches (each order carries a member's id: skewed, a
// few members order often, most rarely).
func loadInsight(ctx context.Context, db *store.DB, cfg InsightConfig, res *InsightResult) error {
	var mres MembersResult
	mcfg := MembersConfig{Groups: cfg.Groups, Members: cfg.Members, Events: cfg.Members * 3 / 2, Days: cfg.Days, Seed: cfg.Seed,
		Batch: 20_000, Log: cfg.Log}
	fmt.Fprintf(cfg.Log, "loading %d groups, %d members\n", cfg.Groups, cfg.Members)
	if _, err := loadMembers(ctx, db, mcfg, insightEnd, &mres); err != nil {
		return err
	}
	res.Events, res.LoadMembers = mres.Events, mres.Load
	fmt.Fprintf(cfg.Log, "loaded %d events in %s; binding ids\n", mres.Events, mres.Load.Round(time.Second))
	cs := community.NewStore(db)
	t0 := time.Now()
	binds := make([]community.ExternalBinding, 0, 20_000)
	for m := range cfg.Members {
		binds = append(binds, community.ExternalBinding{ExternalID: strconv.Itoa(1_000_000_000 + m), Platform: community.PersonTaobao,
			Kind: community.KindSpecialID, Value: strconv.Itoa(3_000_000_000 + m)})
		if len(binds) == cap(binds) || m == cfg.Members-1 {
			if _, err := cs.BindExternal(ctx, community.SourceTelegram, binds); err != nil {
				return err
			}
			binds = binds[:0]
			if (m+1)%200_000 == 0 {
				el := time.Since(t0)
				fmt.Fprintf(cfg.Log, "  %d ids bound, %s (%.0f/s)\n", m+1, el.Round(time.Second), float64(m+1)/el.Seconds())
			}
		}
	}
	res.LoadBinds = time.Since(t0)
	fmt.Fprintf(cfg.Log, "bound %d ids in %s; importing %d orders\n", cfg.Members, res.LoadBinds.Round(time.Second), cfg.Orders)
	start := insightEnd.AddDate(0, -cfg.Months, 0).Unix()
	gen := newOrderGen(cfg.Seed, cfg.Groups, cfg.Orders, start, insightEnd.Unix(), 6)
	s := orders.NewStore(db)
	t0 = time.Now()
	const per = 100_000
	batch := make([]orders.Order, 0, per)
	for i := range cfg.Orders {
		o := gen.order(i)
		u := float64(gen.mix(uint64(i), 40)%1_000_000) / 1e6
		o.SpecialID = strconv.Itoa(3_000_000_000 + int(math.Pow(u, 1.7)*float64(cfg.Members)))
		batch = append(batch, o)
		if len(batch) == per || i == cfg.Orders-1 {
			if _, err := s.Import(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
			if (i+1)%(10*per) == 0 || i == cfg.Orders-1 {
				el := time.Since(t0)
				fmt.Fprintf(cfg.Log, "  %d orders, %s (%.0f/s)\n", i+1, el.Round(time.Second), float64(i+1)/el.Seconds())
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	res.LoadOrders = time.Since(t0)
	res.OrdersPerSec = float64(cfg.Orders) / res.LoadOrders.Seconds()
	return s.Vacuum(ctx)
}
