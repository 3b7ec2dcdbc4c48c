package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// GrowthConfig sets up the growth benchmark (issue 15): a three-level tree
// of agents, Orders orders credited to them through their bound ids and
// posted by the ledger's poster, the ledger topped up to Postings postings
// spread over Months months, then an account's balance and an agent's
// monthly statement timed.
type GrowthConfig struct {
	Dir      string // SQLite database
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Agents   int    // agents: 1% roots, 9% their children, the rest grandchildren
	Orders   int    // orders posted by the poster (part ledger)
	Postings int    // postings the ledger holds for balance and statement (topped up through the ledger's batch)
	Months   int    // the months the topped-up postings spread over, ending at the bench's "now"
	Page     int    // orders a posting transaction (Poster.Page)
	Calls    int    // timed balance and statement calls
	Seed     uint64
	// Only lists the parts to run (GrowthParts' names); empty runs all.
	Only []string
	// Join and Leaderboard set up the parts join and leaderboard (their
	// Dir, Postgres and Log are the growth benchmark's; Leaderboard.Calls
	// 0 takes Calls).
	Join        JoinConfig
	Leaderboard LeaderboardConfig
	Log         io.Writer
	// Profile, when set, is started around each part's timed work and
	// returns its stop.
	Profile func(part string) func()
}

func (c *GrowthConfig) defaults() {
	if c.Dir == "" {
		c.Dir = "bench-out"
	}
	if c.Agents <= 0 {
		c.Agents = 10_000
	}
	if c.Orders <= 0 {
		c.Orders = 1_000_000
	}
	if c.Months <= 0 {
		c.Months = 12
	}
	if c.Calls <= 0 {
		c.Calls = 2000
	}
	if c.Page <= 0 {
		c.Page = 2000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	j := &c.Join // the join page's part: `qunke bench join`'s defaults
	if j.Rate <= 0 {
		j.Rate = 500
	}
	if j.Duration <= 0 {
		j.Duration = 20 * time.Second
	}
	if j.Clients <= 0 {
		j.Clients = 64
	}
	if j.Groups <= 0 {
		j.Groups = 5
	}
	if j.Inviters <= 0 {
		j.Inviters = 200
	}
}

// GrowthPart is one part of the growth benchmark: Run measures and returns
// the lines to print. Parts run in GrowthParts' order, on one database.
type GrowthPart struct {
	Name string
	Run  func(ctx context.Context, e *GrowthEnv) ([]string, error)
}

// GrowthParts are the growth benchmark's parts; another part is one more
// entry (and whatever it builds on GrowthEnv).
var GrowthParts = []GrowthPart{
	{"ledger", growthLedger},
	{"balance", growthBalance},
	{"statement", growthStatement},
	{"join", growthJoin},
	{"leaderboard", growthLeaderboard},
}

// GrowthEnv is what the parts share: the database and, built on first
// need, the agents and the posted ledger.
type GrowthEnv struct {
	Cfg GrowthConfig
	DB  *store.DB

	agents   []int64 // member ids: roots first, then children, then grandchildren
	parent   map[int64]int64
	posted   bool
	topped   bool
	Result   GrowthResult
	profiler func(string) func()
}

// GrowthResult is what the growth benchmark measured.
type GrowthResult struct {
	Setup           time.Duration // members, agents, bindings
	Import          time.Duration // the orders through orders.Import (attributed to the agents)
	Post            time.Duration // the poster's run over the orders
	PostCPU         time.Duration // the process CPU time it used (on a shared machine, what it costs)
	Stats           growth.PostStats
	Lines           int64 // lines the poster wrote
	PostingsPerSec  float64
	TopUp           time.Duration // the synthetic postings to reach Postings
	TopUpCPU        time.Duration
	TopUpPostings   int
	TotalPostings   int64
	Balance         CallLatency // one account's balance
	MemberBalances  CallLatency // one member's accounts (ledger.Balances)
	Statement       CallLatency // one agent's monthly statement
	StatementLines  float64     // lines a statement, on average
	StatementMaxLns int
	DBBytes         int64
	PeakRSS         int64
	Join            *JoinResult        // part join
	Leaderboard     *LeaderboardResult // part leaderboard
}

// Growth runs the benchmark and prints each part's lines to out.
func Growth(ctx context.Context, cfg GrowthConfig, out io.Writer) (GrowthResult, error) {
	cfg.defaults()
	want := map[string]bool{}
	for _, p := range cfg.Only {
		found := false
		for _, gp := range GrowthParts {
			found = found || gp.Name == p
		}
		if !found {
			return GrowthResult{}, fmt.Errorf("bench growth: no part %q", p)
		}
		want[p] = true
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return GrowthResult{}, err
	}
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "growth.db", true)
	if err != nil {
		return GrowthResult{}, err
	}
	defer done()
	e := &GrowthEnv{Cfg: cfg, DB: db, profiler: cfg.Profile}
	for _, p := range GrowthParts {
		if len(want) > 0 && !want[p.Name] {
			continue
		}
		lines, err := p.Run(ctx, e)
		if err != nil {
			return e.Result, fmt.Errorf("bench growth %s: %w", p.Name, err)
		}
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}
	if cfg.Postgres == "" {
		e.Result.DBBytes = fileSize(filepath.Join(cfg.Dir, "growth.db")) + fileSize(filepath.Join(cfg.Dir, "growth.db-wal"))
	}
	_, e.Result.PeakRSS = rss()
	return e.Result, nil
}

func (e *GrowthEnv) profile(part string) func() {
	if e.profiler == nil {
		return func() {}
	}
	return e.profiler(part)
}

// benchSpecial is agent i's bound 会员运营ID.
func benchSpecial(i int) string { return strconv.Itoa(7_000_000 + i) }

// Agents registers the members, binds their ids and makes them agents in
// a three-level tree with shares 50%, 10%, 5%.
func (e *GrowthEnv) Agents(ctx context.Context) error {
	if e.agents != nil {
		return nil
	}
	start := time.Now()
	n := e.Cfg.Agents
	cs := community.NewStore(e.DB)
	g := &community.Group{Name: "代理群", Channel: community.Manual}
	if err := cs.Save(ctx, g); err != nil {
		return err
	}
	at := benchEnd.AddDate(-1, 0, 0)
	for lo := 0; lo < n; lo += 5000 {
		hi := min(n, lo+5000)
		evs := make([]community.MemberEvent, 0, hi-lo)
		binds := make([]community.ExternalBinding, 0, hi-lo)
		for i := lo; i < hi; i++ {
			ext := "agent" + strconv.Itoa(i)
			evs = append(evs, community.MemberEvent{Key: "bench:" + ext, Source: community.SourceWeCom, GroupID: g.ID,
				Kind: community.Join, At: at, ExternalID: ext, Name: "代理" + strconv.Itoa(i)})
			binds = append(binds, community.ExternalBinding{ExternalID: ext, Platform: "taobao", Kind: "special_id", Value: benchSpecial(i)})
		}
		if _, err := cs.ApplyEvents(ctx, evs); err != nil {
			return err
		}
		if _, err := cs.BindExternal(ctx, community.SourceWeCom, binds); err != nil {
			return err
		}
	}
	ids := make([]int64, n)
	for off := 0; off < n; off += 1000 {
		rows, _, err := cs.Members(ctx, community.MemberFilter{GroupID: g.ID, Limit: 1000, Offset: off})
		if err != nil {
			return err
		}
		for _, r := range rows {
			i, err := strconv.Atoi(r.ExternalID[len("agent"):])
			if err != nil || i >= n {
				return fmt.Errorf("bench growth: member %q", r.ExternalID)
			}
			ids[i] = r.ID
		}
	}
	gs := growth.NewStore(e.DB)
	rng := rand.New(rand.NewPCG(e.Cfg.Seed, 15))
	roots, mid := max(1, n/100), max(1, n/10)
	e.parent = map[int64]int64{}
	for i, id := range ids {
		if id == 0 {
			return fmt.Errorf("bench growth: agent %d not listed", i)
		}
		var p int64
		switch {
		case i < roots:
		case i < mid:
			p = ids[rng.IntN(roots)]
		default:
			p = ids[roots+rng.IntN(max(1, mid-roots))]
		}
		if _, err := gs.AddAgent(ctx, id, p); err != nil {
			return err
		}
		e.parent[id] = p
	}
	if err := gs.SetRules(ctx, growth.Rules{Kind: growth.AgentRules, Bps: []int64{5000, 1000, 500}}); err != nil {
		return err
	}
	e.agents = ids
	e.Result.Setup = time.Since(start)
	fmt.Fprintf(e.Cfg.Log, "growth: %d agents in %s\n", n, e.Result.Setup.Round(time.Millisecond))
	return nil
}

// Post imports the orders (untimed) and times the poster over them.
func (e *GrowthEnv) Post(ctx context.Context) error {
	if e.posted {
		return nil
	}
	if err := e.Agents(ctx); err != nil {
		return err
	}
	n := e.Cfg.Orders
	os := orders.NewStore(e.DB)
	rng := rand.New(rand.NewPCG(e.Cfg.Seed, 16))
	paid := benchEnd.Add(-24 * time.Hour).Unix()
	start := time.Now()
	batch := make([]orders.Order, 0, 20_000)
	for i := 0; i < n; i++ {
		a := rng.IntN(len(e.agents))
		batch = append(batch, orders.Order{Platform: orders.PlatformTaobao, TradeID: "G" + strconv.Itoa(10_000_000+i), ItemID: "I1",
			AdzoneID: "1", SpecialID: benchSpecial(a), Status: orders.Paid, PaidAmount: 10_000 + rng.Int64N(40_000),
			EstIncome: 100 + rng.Int64N(5000), CreatedAt: paid, PaidAt: paid})
		if len(batch) == cap(batch) || i == n-1 {
			st, err := os.Import(ctx, batch)
			if err != nil {
				return err
			}
			if st.ToMembers != len(batch) {
				return fmt.Errorf("bench growth: %d of %d orders credited to agents", st.ToMembers, len(batch))
			}
			batch = batch[:0]
			fmt.Fprintf(e.Cfg.Log, "growth: %d orders imported\r", i+1)
		}
	}
	e.Result.Import = time.Since(start)
	fmt.Fprintf(e.Cfg.Log, "\ngrowth: %d orders imported in %s\n", n, e.Result.Import.Round(time.Millisecond))
	p := growth.NewPoster(e.DB, os, ledger.NewStore(e.DB))
	p.Page = e.Cfg.Page
	p.Now = func() time.Time { return benchEnd }
	lines0, err := e.lines(ctx)
	if err != nil {
		return err
	}
	stop := e.profile("ledger")
	start, cpu0 := time.Now(), processCPU()
	st, err := p.Run(ctx)
	e.Result.Post, e.Result.PostCPU = time.Since(start), processCPU()-cpu0
	stop()
	if err != nil {
		return err
	}
	lines1, err := e.lines(ctx)
	if err != nil {
		return err
	}
	e.Result.Stats, e.Result.Lines = st, lines1-lines0
	e.Result.PostingsPerSec = float64(st.Postings) / e.Result.Post.Seconds()
	e.posted = true
	return nil
}

func (e *GrowthEnv) lines(ctx context.Context) (int64, error) {
	_, n, err := ledger.NewStore(e.DB).Size(ctx)
	return n, err
}

// TopUp posts synthetic order postings through the ledger's batch until
// the ledger holds Postings postings, spread over Months months: each one
// an order of a random agent, its shares held by the agent and up to two
// ancestors (50%, 10%, 5%), as the poster would post them.
func (e *GrowthEnv) TopUp(ctx context.Context) error {
	if e.topped {
		return nil
	}
	if err := e.Post(ctx); err != nil {
		return err
	}
	e.topped = true
	ls := ledger.NewStore(e.DB)
	have := int64(e.Result.Stats.Postings)
	need := int64(e.Cfg.Postings) - have
	e.Result.TotalPostings = have
	if need <= 0 {
		return ls.Vacuum(ctx)
	}
	rng := rand.New(rand.NewPCG(e.Cfg.Seed, 17))
	from := benchEnd.AddDate(0, -e.Cfg.Months, 0).Unix()
	span := benchEnd.Unix() - from
	start, cpu0 := time.Now(), processCPU()
	const perTx = 20_000
	for done := int64(0); done < need; {
		k := min(need-done, perTx)
		err := e.DB.Atomic(ctx, func(tx *store.Tx) error {
			if err := ls.Lock(ctx, tx); err != nil {
				return err
			}
			b := ls.NewBatch(tx)
			for j := int64(0); j < k; j++ {
				i := done + j
				m := e.agents[rng.IntN(len(e.agents))]
				base := 100 + rng.Int64N(5000)
				var bps []int64
				var who []int64
				for _, share := range []int64{5000, 1000, 500} {
					if m == 0 {
						break
					}
					who, bps = append(who, m), append(bps, share)
					m = e.parent[m]
				}
				shares, _ := ledger.Split(base, bps)
				want := map[ledger.Account]int64{}
				var total int64
				for x, w := range who {
					want[ledger.Account{Kind: ledger.AgentHeld, Member: w}] -= shares[x]
					total += shares[x]
				}
				want[ledger.Account{Kind: ledger.CommissionIncome}] += total
				at := time.Unix(from+rng.Int64N(span), 0)
				if _, err := b.MoveFrom(ctx, "order/bench/"+strconv.FormatInt(i, 10), nil, 0, want, ledger.FromOrder, ledger.Hold, at); err != nil {
					return err
				}
			}
			return b.Flush(ctx)
		})
		if err != nil {
			return err
		}
		done += k
		fmt.Fprintf(e.Cfg.Log, "growth: %d of %d postings topped up\r", done, need)
	}
	e.Result.TopUp, e.Result.TopUpCPU = time.Since(start), processCPU()-cpu0
	e.Result.TopUpPostings = int(need)
	e.Result.TotalPostings = have + need
	fmt.Fprintf(e.Cfg.Log, "\ngrowth: topped up %d postings in %s (CPU %s)\n", need, e.Result.TopUp.Round(time.Millisecond),
		e.Result.TopUpCPU.Round(time.Millisecond))
	return ls.Vacuum(ctx)
}

func growthLedger(ctx context.Context, e *GrowthEnv) ([]string, error) {
	if err := e.Post(ctx); err != nil {
		return nil, err
	}
	r := &e.Result
	return []string{
		fmt.Sprintf("setup: %d agents (3 levels) in %s; %d orders imported and attributed in %s",
			len(e.agents), r.Setup.Round(time.Millisecond), e.Cfg.Orders, r.Import.Round(time.Millisecond)),
		fmt.Sprintf("ledger: poster run over %d orders: %d postings, %d lines in %s = %.0f postings/s (%.0f lines/s; target >= 50,000 postings/s)",
			r.Stats.Orders, r.Stats.Postings, r.Lines, r.Post.Round(time.Millisecond), r.PostingsPerSec, float64(r.Lines)/r.Post.Seconds()),
		fmt.Sprintf("ledger: process CPU %s = %.0f postings per CPU-second (the rate on a core of its own, less the database server's share on PostgreSQL)",
			r.PostCPU.Round(time.Millisecond), float64(r.Stats.Postings)/max(r.PostCPU.Seconds(), 1e-9)),
	}, nil
}

func growthBalance(ctx context.Context, e *GrowthEnv) ([]string, error) {
	if err := e.TopUp(ctx); err != nil {
		return nil, err
	}
	ls := ledger.NewStore(e.DB)
	rng := rand.New(rand.NewPCG(e.Cfg.Seed, 18))
	stop := e.profile("balance")
	var err error
	e.Result.Balance, err = timeCalls(e.Cfg.Calls, func(int) error {
		_, err := ls.Balance(ctx, ledger.Account{Kind: ledger.AgentHeld, Member: e.agents[rng.IntN(len(e.agents))]})
		return err
	})
	if err == nil {
		e.Result.MemberBalances, err = timeCalls(e.Cfg.Calls, func(int) error {
			_, err := ls.Balances(ctx, e.agents[rng.IntN(len(e.agents))])
			return err
		})
	}
	stop()
	if err != nil {
		return nil, err
	}
	r := &e.Result
	return []string{
		fmt.Sprintf("balance at %d postings: one account %s; a member's accounts %s (target p99 <= 10 ms)",
			r.TotalPostings, fmtLatency(r.Balance), fmtLatency(r.MemberBalances)),
	}, nil
}

func growthStatement(ctx context.Context, e *GrowthEnv) ([]string, error) {
	if err := e.TopUp(ctx); err != nil {
		return nil, err
	}
	ls := ledger.NewStore(e.DB)
	rng := rand.New(rand.NewPCG(e.Cfg.Seed, 19))
	var lines, maxLines int
	stop := e.profile("statement")
	var err error
	e.Result.Statement, err = timeCalls(e.Cfg.Calls, func(int) error {
		m := benchEnd.In(shanghai.Zone)
		from := time.Date(m.Year(), m.Month()-time.Month(rng.IntN(e.Cfg.Months)), 1, 0, 0, 0, 0, shanghai.Zone)
		st, err := ls.Statement(ctx, e.agents[rng.IntN(len(e.agents))], from, from.AddDate(0, 1, 0))
		if err == nil {
			lines += len(st.Lines)
			maxLines = max(maxLines, len(st.Lines))
		}
		return err
	})
	stop()
	if err != nil {
		return nil, err
	}
	r := &e.Result
	r.StatementLines, r.StatementMaxLns = float64(lines)/float64(max(1, e.Cfg.Calls)), maxLines
	return []string{
		fmt.Sprintf("statement at %d postings: an agent's month %s, %.0f lines on average, %d at most (target p99 <= 50 ms)",
			r.TotalPostings, fmtLatency(r.Statement), r.StatementLines, r.StatementMaxLns),
	}, nil
}

func fmtLatency(l CallLatency) string {
	return fmt.Sprintf("n=%d p50 %s p99 %s max %s (CPU %s a call)", l.N, l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond),
		l.Max.Round(time.Microsecond), l.CPU.Round(time.Microsecond))
}
