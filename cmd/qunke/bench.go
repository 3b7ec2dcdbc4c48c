package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/bench"
	"github.com/qunke/qunke/internal/store"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: g.h("cli.bench.short"),
	}
	var cfg bench.IngestConfig
	var cpuProfile string
	ingest := &cobra.Command{
		Use:   "ingest",
		Short: g.h("cli.bench.ingest.short"),
		Long:  g.h("cli.bench.ingest.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Order != "feed" && cfg.Order != "backfill" {
				return fmt.Errorf("--order %q: use feed or backfill", cfg.Order)
			}
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			printMachine(out)
			res, err := bench.Ingest(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d items x %d snapshots = %d observations, %s order (compact every %d)\n",
				engineName(cfg.Postgres), cfg.Items, cfg.Snapshots, res.Observations, cfg.Order, cfg.CompactEvery)
			fmt.Fprintf(out, "%-28s %12s %14s %14s %10s\n", "design", "time", "obs/s", "bytes on disk", "bytes/obs")
			row := func(name string, m bench.Measure) {
				fmt.Fprintf(out, "%-28s %12s %14.0f %14d %10.2f\n", name, m.Elapsed.Round(time.Millisecond), m.ObsPerSec, m.Bytes, m.BytesPerObs)
			}
			row("qunke (change-only)", res.Qunke)
			vacuum := "qunke after VACUUM"
			if cfg.Postgres != "" {
				vacuum += " FULL"
			}
			row(vacuum, res.QunkeVacuum)
			if cfg.Naive {
				row("naive (row per observation)", res.Naive)
				fmt.Fprintf(out, "qunke is %.1fx smaller (%.1fx after VACUUM) and %.1fx faster than naive\n",
					res.Naive.BytesPerObs/res.Qunke.BytesPerObs, res.Naive.BytesPerObs/res.QunkeVacuum.BytesPerObs,
					res.Qunke.ObsPerSec/res.Naive.ObsPerSec)
			}
			fmt.Fprintf(out, "price changes stored: %d (%.1f%% of observations)\n", res.PriceChanges,
				100*float64(res.PriceChanges)/float64(res.Observations))
			return nil
		},
	}
	ingest.Flags().StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	ingest.Flags().IntVar(&cfg.Items, "items", 200000, g.h("cli.bench.flag.items"))
	ingest.Flags().IntVar(&cfg.Snapshots, "snapshots", 150, g.h("cli.bench.flag.snapshots"))
	ingest.Flags().Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	ingest.Flags().StringVar(&cfg.Order, "order", "feed", g.h("cli.bench.flag.order"))
	ingest.Flags().IntVar(&cfg.CompactEvery, "compact-every", 16, g.h("cli.bench.flag.compact_every"))
	ingest.Flags().BoolVar(&cfg.Naive, "naive", true, g.h("cli.bench.flag.naive"))
	ingest.Flags().StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	ingest.Flags().StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	cmd.AddCommand(ingest, newBenchAdvisorCmd(g), newBenchAPICmd(g), newBenchAPIClientsCmd(g), newBenchAdvisorStartCmd(g), newBenchPublishCmd(g), newBenchOrdersCmd(g),
		newBenchLockWaitCmd(g), newBenchCallbackCmd(g), newBenchMembersCmd(g), newBenchGrowthCmd(g),
		newBenchInsightCmd(g))
	return cmd
}

func newBenchAdvisorCmd(g *globals) *cobra.Command {
	var cfg bench.AdvisorConfig
	var advisorCPU string
	cmd := &cobra.Command{
		Use:   "advisor",
		Short: g.h("cli.bench.advisor.short"),
		Long:  g.h("cli.bench.advisor.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			if cfg.Postgres == "" && (strings.HasPrefix(g.db, "postgres://") || strings.HasPrefix(g.db, "postgresql://")) {
				cfg.Postgres = g.db // --db postgres://...: a schema of its own there, dropped at the end
			}
			engine := "SQLite"
			if cfg.Postgres != "" {
				engine, cfg.NaiveItems = "PostgreSQL", 0 // the naive table is a SQLite file
			}
			stop, err := startProfile(advisorCPU)
			if err != nil {
				return err
			}
			defer stop()
			if exe, err := os.Executable(); err == nil {
				cfg.StartCommand = []string{exe, "bench", "advisor-start"} // starts timed in processes of their own
			}
			printMachine(out)
			res, err := bench.Advisor(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d items x %d snapshots = %d observations", engine, cfg.Items, cfg.Snapshots, res.Observations)
			if res.Build > 0 {
				fmt.Fprintf(out, " (built in %s)", res.Build.Round(time.Millisecond))
			}
			fmt.Fprintf(out, "\nfirst card after start: %s; first library search after start (loads every category): %s\n",
				res.FirstCard.Round(time.Millisecond), res.FirstSearch.Round(time.Millisecond))
			lat := func(name string, l bench.Latency) {
				cpu := ""
				if l.CPUP99 > 0 {
					cpu = "CPU p99 " + l.CPUP99.Round(time.Microsecond).String()
				}
				fmt.Fprintf(out, "%-42s n=%-5d p50 %-10s p99 %-10s max %-10s %s\n", name, l.N, l.P50.Round(time.Microsecond),
					l.P99.Round(time.Microsecond), l.Max.Round(time.Microsecond), cpu)
			}
			fmt.Fprintf(out, "snapshot file: written in %s, %s\n", res.SnapWrite.Round(time.Millisecond), humanBytes(res.SnapSize))
			for _, f := range res.Starts {
				fmt.Fprintf(out, "  start from the file -> first %s: %s (from the file: %v, process RSS %s; then checksums and catch-up %s, RSS %s)\n",
					f.Question, f.Elapsed.Round(time.Microsecond), f.FromFile, humanBytes(f.RSS), f.Background.Round(time.Millisecond), humanBytes(f.RSSChecked))
			}
			lat("decision card (10 substitutes)", res.Card)
			fmt.Fprintf(out, "  substitutes per card: %.1f\n", res.SubstitutesAvg)
			if len(res.CardParts) > 0 {
				us := func(d time.Duration) string { return d.Round(time.Microsecond).String() }
				fmt.Fprintf(out, "  %-12s %-22s %-22s %s\n", "card part", "wall p50 / p99", "CPU p50 / p99", "CPU mean: all / slowest 1 %")
				for _, p := range res.CardParts {
					fmt.Fprintf(out, "  %-12s %-22s %-22s %s\n", p.Name, us(p.WallP50)+" / "+us(p.WallP99),
						us(p.CPUP50)+" / "+us(p.CPUP99), us(p.CPUMean)+" / "+us(p.CPUMeanSlowest))
				}
				t := res.CardTail
				fmt.Fprintf(out, "  slowest 1 %% of cards by CPU (%d): history %.0f observations (all cards %.0f), category %.0f titles (all cards %.0f)\n",
					t.N, t.Observations, t.ObservationsAll, t.Category, t.CategoryAll)
			}
			lat("ranking page of 50", res.Ranking)
			for k, kind := range advisor.RankKinds {
				lat("  ranking "+string(kind), res.RankingKind[k])
			}
			for sh, shape := range bench.RankShapes {
				lat("  filter "+shape, res.RankingShape[sh])
			}
			fmt.Fprintf(out, "  p99 / CPU p99 by ranking (rows) and filter (columns: %s):\n", strings.Join(bench.RankShapes, ", "))
			for k, kind := range advisor.RankKinds {
				fmt.Fprintf(out, "  %-12s", kind)
				for _, l := range res.RankingBy[k] {
					fmt.Fprintf(out, " %21s", l.P99.Round(time.Microsecond).String()+" / "+l.CPUP99.Round(time.Microsecond).String())
				}
				fmt.Fprintln(out)
			}
			lat("library search (2 characters, page of 50)", res.Search)
			fmt.Fprintf(out, "process RSS: %s now (%s anonymous, %s files), %s peak; Go heap in use %s (%s an item)\n", humanBytes(res.RSS),
				humanBytes(res.RSSAnon), humanBytes(res.RSSFile), humanBytes(res.PeakRSS),
				humanBytes(int64(res.HeapLive)), humanBytes(int64(res.HeapLive)/int64(max(1, cfg.Items))))
			if cfg.NaiveItems > 0 {
				lat(fmt.Sprintf("plain SQL card (naive, %d rows)", res.NaiveRows), res.NaiveCard)
				fmt.Fprintf(out, "qunke card is %.1fx faster at p99 (%.1fx at p50)\n",
					float64(res.NaiveCard.P99)/float64(res.Card.P99), float64(res.NaiveCard.P50)/float64(res.Card.P50))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	cmd.Flags().IntVar(&cfg.Items, "items", 1000000, g.h("cli.bench.flag.items"))
	cmd.Flags().IntVar(&cfg.Snapshots, "snapshots", 100, g.h("cli.bench.flag.snapshots"))
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	cmd.Flags().IntVar(&cfg.Cards, "cards", 2000, g.h("cli.bench.flag.cards"))
	cmd.Flags().IntVar(&cfg.Rankings, "rankings", 1000, g.h("cli.bench.flag.rankings"))
	cmd.Flags().IntVar(&cfg.Searches, "searches", 500, g.h("cli.bench.advisor.flag.searches"))
	cmd.Flags().StringVar(&cfg.MemProfile, "memprofile", "", g.h("cli.bench.advisor.flag.memprofile"))
	cmd.Flags().StringVar(&advisorCPU, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	cmd.Flags().StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	cmd.Flags().IntVar(&cfg.NaiveItems, "naive-items", 100000, g.h("cli.bench.flag.naive_items"))
	return cmd
}

// benchPostgres is the PostgreSQL a benchmark runs on: its --postgres, else
// --db when that names a PostgreSQL server (the benchmark makes a schema of
// its own there and drops it at the end); "" runs on SQLite.
func (g *globals) benchPostgres(flag string) string {
	if flag == "" && store.IsPostgres(g.db) {
		return g.db
	}
	return flag
}

// engineName names the engine a benchmark runs on.
func engineName(postgres string) string {
	if postgres != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// printMachine names the machine a benchmark ran on.
func printMachine(w io.Writer) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "machine: %s, %s/%s, %d CPUs, %s\n", host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}

// startProfile writes a CPU profile to path until the returned func is called
// ("" profiles nothing).
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func newBenchAPICmd(g *globals) *cobra.Command {
	var cfg bench.APIConfig
	var cpuProfile string
	var inProcess bool
	cmd := &cobra.Command{
		Use:   "api",
		Short: g.h("cli.bench.api.short"),
		Long:  g.h("cli.bench.api.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			if cpuProfile != "" {
				cfg.Profile = func(phase string) func() {
					stop, err := startProfile(cpuProfile + "." + phase)
					if err != nil {
						fmt.Fprintln(cfg.Log, err)
						return func() {}
					}
					return stop
				}
			}
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			if !inProcess {
				exe, err := os.Executable()
				if err != nil {
					return err
				}
				cfg.ClientCommand = []string{exe, "bench", "api-clients"}
			}
			printMachine(out)
			res, err := bench.API(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d items x %d snapshots, %d concurrent clients on loopback; warm-up %s; a full GC of the warm heap %s\n",
				engineName(cfg.Postgres), cfg.Items, cfg.Snapshots, cfg.Clients, res.Warm.Round(time.Millisecond), res.GCTime.Round(time.Millisecond))
			if res.Build > 0 {
				fmt.Fprintf(out, "market built in %s\n", res.Build.Round(time.Millisecond))
			}
			for _, p := range res.Phases {
				name := map[string]string{"check": "POST /api/v1/check", "search": "GET /api/v1/items?q= (2 chars)"}[p.Name]
				load := "closed loop"
				if p.Offered > 0 {
					load = fmt.Sprintf("%.0f/s offered", p.Offered)
				}
				fmt.Fprintf(out, "%-32s %-16s n=%-6d p50 %-10s p99 %-10s max %-10s %.0f req/s\n", name, load, p.Latency.N,
					p.Latency.P50.Round(time.Microsecond), p.Latency.P99.Round(time.Microsecond), p.Latency.Max.Round(time.Microsecond), p.Rate)
				g, n := p.GC, float64(max(1, p.Latency.N))
				cpu := fmt.Sprintf("server %.0f µs, clients %.0f µs", float64(g.Total.Microseconds())/n, float64(p.ClientCPU.Microseconds())/n)
				if inProcess {
					cpu = fmt.Sprintf("%.0f µs, server and clients", float64(g.Total.Microseconds())/n)
				}
				fmt.Fprintf(out, "    CPU a request: %s; server GC %d cycles (%.0f%% of its CPU), %s allocated (%s a request), live heap %s\n",
					cpu, g.Cycles, 100*g.Share(), humanBytes(int64(g.Alloc)), humanBytes(int64(g.Alloc)/int64(n)), humanBytes(int64(g.LiveHeap)))
			}
			fmt.Fprintf(out, "peak RSS %s\n", humanBytes(res.PeakRSS))
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	apiLoadFlags(g, cmd, &cfg)
	cmd.Flags().BoolVar(&inProcess, "in-process", false, g.h("cli.bench.flag.in_process"))
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.api.flag.cpuprofile"))
	cmd.Flags().StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	return cmd
}

func newBenchPublishCmd(g *globals) *cobra.Command {
	var cfg bench.PublishConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "publish",
		Short: g.h("cli.bench.publish.short"),
		Long:  g.h("cli.bench.publish.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
				return err
			}
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			printMachine(out)
			res, err := bench.Publish(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d products x %d groups\n%s", engineName(cfg.Postgres), cfg.Products, cfg.Groups, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	cmd.Flags().IntVar(&cfg.Products, "products", 30, g.h("cli.bench.flag.products"))
	cmd.Flags().IntVar(&cfg.Groups, "groups", 500, g.h("cli.bench.flag.groups"))
	cmd.Flags().DurationVar(&cfg.Send, "send", 0, g.h("cli.bench.flag.send"))
	cmd.Flags().BoolVar(&cfg.Convert, "convert", false, g.h("cli.bench.flag.convert"))
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.publish.flag.cpuprofile"))
	cmd.Flags().StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	return cmd
}

func newBenchOrdersCmd(g *globals) *cobra.Command {
	var cfg bench.OrdersConfig
	var cpuProfile string
	var skipImport, skipIncome bool
	cmd := &cobra.Command{
		Use:   "orders",
		Short: g.h("cli.bench.orders.short"),
		Long:  g.h("cli.bench.orders.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			if cfg.Postgres == "" && (strings.HasPrefix(g.db, "postgres://") || strings.HasPrefix(g.db, "postgresql://")) {
				cfg.Postgres = g.db // --db postgres://...: a schema of its own there, dropped at the end
			}
			stop, err := startProfile(cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
			printMachine(out)
			if !skipImport {
				res, err := bench.OrdersImport(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "\nimport (%d sent posts to attribute to)\n", res.Posts)
				for _, m := range res.Imports {
					fmt.Fprintf(out, "%-5s %d rows, %s: %s, %.0f orders/s; again %s, %.0f orders/s; attributed %d (to a post %d); peak RSS %s\n",
						m.Format, m.Rows, humanBytes(m.FileBytes), m.Elapsed.Round(time.Millisecond), m.OrdersPerSec,
						m.Again.Round(time.Millisecond), m.AgainPerSec, m.Attributed, m.FromPosts, humanBytes(m.PeakRSS))
					fmt.Fprintf(out, "      CPU: import %s here", m.ClientCPU.Round(time.Millisecond))
					if m.ServerCPU > 0 {
						fmt.Fprintf(out, " + %s PostgreSQL", m.ServerCPU.Round(time.Millisecond))
					}
					fmt.Fprintf(out, "; again %s here", m.AgainClientCPU.Round(time.Millisecond))
					if m.AgainServerCPU > 0 {
						fmt.Fprintf(out, " + %s PostgreSQL", m.AgainServerCPU.Round(time.Millisecond))
					}
					fmt.Fprintln(out)
				}
			}
			if !skipIncome {
				res, err := bench.IncomePage(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "\nincome views over %d orders (database %s, built in %s)\n", res.Orders, humanBytes(res.DatabaseSize), res.Build.Round(time.Second))
				for _, r := range []struct {
					name string
					l    bench.Latency
				}{{"per-group month", res.Month}, {"one month by day", res.Days}, {"settlement forecast", res.Forecast}, {"unattributed", res.Unattributed}} {
					fmt.Fprintf(out, "%-20s n=%-5d p50 %-10s p99 %-10s max %s\n", r.name, r.l.N, r.l.P50.Round(time.Microsecond),
						r.l.P99.Round(time.Microsecond), r.l.Max.Round(time.Microsecond))
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.orders.flag.dir"))
	fl.IntVar(&cfg.Orders, "orders", 1_000_000, g.h("cli.bench.flag.orders"))
	fl.StringSliceVar(&cfg.Formats, "formats", []string{"csv", "xlsx"}, g.h("cli.bench.flag.formats"))
	fl.IntVar(&cfg.Groups, "groups", 200, g.h("cli.bench.flag.groups"))
	fl.IntVar(&cfg.IncomeOrders, "income-orders", 10_000_000, g.h("cli.bench.flag.income_orders"))
	fl.IntVar(&cfg.Months, "months", 36, g.h("cli.bench.flag.months"))
	fl.IntVar(&cfg.Queries, "queries", 200, g.h("cli.bench.flag.queries"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.BoolVar(&skipImport, "skip-import", false, g.h("cli.bench.flag.skip_import"))
	fl.BoolVar(&skipIncome, "skip-income", false, g.h("cli.bench.flag.skip_income"))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.orders.flag.cpuprofile"))
	return cmd
}

// newBenchAPIClientsCmd is the client process of bench api (hidden).
func newBenchAPIClientsCmd(g *globals) *cobra.Command {
	var cfg bench.APIConfig
	var addr string
	cmd := &cobra.Command{
		Use:    "api-clients",
		Short:  g.h("cli.bench.api_clients.short"),
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = cmd.ErrOrStderr()
			return bench.RunAPIClients(cmd.Context(), cfg, addr, os.Getenv(bench.ClientTokenEnv), cmd.OutOrStdout(), cmd.InOrStdin())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", g.h("cli.bench.flag.addr"))
	apiLoadFlags(g, cmd, &cfg)
	return cmd
}

// apiLoadFlags are the flags bench api passes on to its client process.
func apiLoadFlags(g *globals, cmd *cobra.Command, cfg *bench.APIConfig) {
	cmd.Flags().IntVar(&cfg.Items, "items", 1000000, g.h("cli.bench.flag.items"))
	cmd.Flags().IntVar(&cfg.Snapshots, "snapshots", 100, g.h("cli.bench.api.flag.snapshots"))
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	cmd.Flags().IntVar(&cfg.Clients, "clients", 50, g.h("cli.bench.flag.clients"))
	cmd.Flags().IntVar(&cfg.Checks, "checks", 20000, g.h("cli.bench.flag.checks"))
	cmd.Flags().IntVar(&cfg.Searches, "searches", 2000, g.h("cli.bench.flag.searches"))
	cmd.Flags().Float64SliceVar(&cfg.CheckRates, "rate", nil, g.h("cli.bench.flag.rate"))
	cmd.Flags().Float64SliceVar(&cfg.SearchRates, "search-rate", nil, g.h("cli.bench.flag.search_rate"))
}

func newBenchLockWaitCmd(g *globals) *cobra.Command {
	var cfg bench.LockWaitConfig
	cmd := &cobra.Command{
		Use:   "lockwait",
		Short: g.h("cli.bench.lockwait.short"),
		Long:  g.h("cli.bench.lockwait.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			cfg.Postgres = g.benchPostgres(cfg.Postgres)
			printMachine(out)
			res, err := bench.LockWait(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: import of %d rows (%.0f MB), load + compact: %v\n", engineName(cfg.Postgres), res.ImportRows,
				float64(res.FileBytes)/1e6, res.Import.Round(100*time.Millisecond))
			short := "short write (busy timeout " + store.BusyTimeout.String() + ")"
			if cfg.Postgres != "" {
				short = "short write"
			}
			for _, w := range []struct {
				name string
				st   bench.WaitStats
			}{{short, res.Writes}, {"login session start", res.Sessions}, {"job lease, two holders", res.Leases}} {
				fmt.Fprintf(out, "%s: %d started, %d failed, wait p50 %v p99 %v max %v\n", w.name, w.st.N, w.st.Failed,
					w.st.P50.Round(time.Millisecond), w.st.P99.Round(time.Millisecond), w.st.Max.Round(time.Millisecond))
				if w.st.FirstError != "" {
					fmt.Fprintf(out, "  first error: %s\n", w.st.FirstError)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.lockwait.flag.dir"))
	cmd.Flags().IntVar(&cfg.Items, "items", 1000000, g.h("cli.bench.lockwait.flag.items"))
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	cmd.Flags().DurationVar(&cfg.Every, "every", 250*time.Millisecond, g.h("cli.bench.flag.every"))
	cmd.Flags().StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	return cmd
}

func newBenchMembersCmd(g *globals) *cobra.Command {
	var cfg bench.MembersConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "members",
		Short: g.h("cli.bench.members.short"),
		Long:  g.h("cli.bench.members.long"),
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
			res, err := bench.Members(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d groups, %d members, %d join/leave events over %d days\n", engine, res.Groups, res.Members, res.Events, cfg.Days)
			fmt.Fprintf(out, "load through ApplyEvents: %s, %.0f events/s", res.Load.Round(time.Millisecond), res.LoadPerSec)
			if res.DBBytes > 0 {
				fmt.Fprintf(out, ", database %s", humanBytes(res.DBBytes))
			}
			fmt.Fprintln(out)
			if res.Rollup > 0 {
				fmt.Fprintf(out, "health rollup (job's first run, every group's year): %s\n", res.Rollup.Round(time.Millisecond))
			}
			lat := func(name string, l bench.CallLatency) {
				fmt.Fprintf(out, "%-44s n=%-5d p50 %-10s p99 %-10s max %-10s CPU/call %s\n", name, l.N, l.P50.Round(time.Microsecond),
					l.P99.Round(time.Microsecond), l.Max.Round(time.Microsecond), l.CPU.Round(time.Microsecond))
			}
			if res.Board.N > 0 {
				lat(fmt.Sprintf("health board (%d groups)", res.BoardRows), res.Board)
				lat(fmt.Sprintf("group page (%d days)", res.GroupDays), res.Group)
			}
			if res.PlainBoard.N > 0 {
				lat("plain board (30 days from memberships)", res.PlainBoard)
			}
			if res.PlainGroup.N > 0 {
				lat("plain group page (year from memberships)", res.PlainGroup)
			}
			fmt.Fprintf(out, "Go heap %s; process RSS %s now, %s peak\n", humanBytes(int64(res.HeapAlloc)), humanBytes(res.RSS), humanBytes(res.PeakRSS))
			for _, m := range res.Imports {
				fmt.Fprintf(out, "member list import %-4s %d rows (%d joined, %d left), %s: %s, %.0f rows/s, %.0f rows per CPU-second\n",
					m.Format, m.Rows, m.Joined, m.Left, humanBytes(m.FileBytes), m.Elapsed.Round(time.Millisecond), m.PerSec,
					float64(m.Rows)/max(m.CPU.Seconds(), 1e-9))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Dir, "dir", "bench-out", g.h("cli.bench.flag.dir"))
	fl.StringVar(&cfg.Postgres, "postgres", "", g.h("cli.bench.flag.postgres"))
	fl.IntVar(&cfg.Groups, "groups", 1000, g.h("cli.bench.flag.groups"))
	fl.IntVar(&cfg.Members, "members", 1_000_000, g.h("cli.bench.members.flag.members"))
	fl.IntVar(&cfg.Events, "events", 10_000_000, g.h("cli.bench.members.flag.events"))
	fl.IntVar(&cfg.Days, "days", 365, g.h("cli.bench.members.flag.days"))
	fl.IntVar(&cfg.Batch, "batch", 20_000, g.h("cli.bench.members.flag.batch"))
	fl.Uint64Var(&cfg.Seed, "seed", 1, g.h("cli.bench.flag.seed"))
	fl.IntVar(&cfg.Boards, "boards", 200, g.h("cli.bench.members.flag.boards"))
	fl.IntVar(&cfg.GroupPages, "group-pages", 500, g.h("cli.bench.members.flag.group_pages"))
	fl.IntVar(&cfg.PlainBoards, "plain-boards", 3, g.h("cli.bench.members.flag.plain_boards"))
	fl.IntVar(&cfg.PlainPages, "plain-pages", 50, g.h("cli.bench.members.flag.plain_pages"))
	fl.IntVar(&cfg.ImportRows, "import-rows", 100_000, g.h("cli.bench.members.flag.import_rows"))
	fl.StringVar(&cpuProfile, "cpuprofile", "", g.h("cli.bench.flag.cpuprofile"))
	return cmd
}

// newBenchAdvisorStartCmd is the child process of bench advisor's start
// figures (hidden): one cold start from the snapshot file, one question.
func newBenchAdvisorStartCmd(g *globals) *cobra.Command {
	var dbPath, cache, ask, key, text string
	cmd := &cobra.Command{
		Use:    "advisor-start",
		Short:  g.h("cli.bench.advisor_start.short"),
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bench.AdvisorStart(cmd.Context(), dbPath, cache, ask, key, text, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", g.h("cli.bench.advisor_start.short"))
	cmd.Flags().StringVar(&cache, "cache", "", g.h("cli.serve.flag.advisor_cache"))
	cmd.Flags().StringVar(&ask, "ask", "card", g.h("cli.bench.advisor_start.short"))
	cmd.Flags().StringVar(&key, "key", "", g.h("cli.bench.advisor_start.short"))
	cmd.Flags().StringVar(&text, "text", "", g.h("cli.bench.advisor_start.short"))
	return cmd
}
