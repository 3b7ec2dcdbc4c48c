package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/bench"
	"github.com/qunke/qunke/internal/store"
)

func newBenchCmd(_ *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "性能基准测试 (benchmarks; figures go to docs/BENCHMARKS.md)",
	}
	var cfg bench.IngestConfig
	var cpuProfile string
	ingest := &cobra.Command{
		Use:   "ingest",
		Short: "商品历史写入基准：群客 vs 逐条存储 (ingest the demo market: Qunke vs one row per observation)",
		Long: `把演示市场写入一个新的嵌入式数据库，报告每秒写入的观测数和每条观测占用的磁盘字节；
--naive 在同一次运行中用"每条观测一行、带索引"的朴素设计再写一遍作对比。数据库写在 --dir，不碰 --db。

Ingest a demo market into a fresh embedded database and report observations/s and bytes on
disk per observation; with --naive, also the naive design (one row per observation in an
indexed table) in the same run. Databases are written under --dir, never to --db.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Order != "feed" && cfg.Order != "backfill" {
				return fmt.Errorf("--order %q: use feed or backfill", cfg.Order)
			}
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
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
			fmt.Fprintf(out, "\n%d items x %d snapshots = %d observations, %s order (compact every %d)\n",
				cfg.Items, cfg.Snapshots, res.Observations, cfg.Order, cfg.CompactEvery)
			fmt.Fprintf(out, "%-28s %12s %14s %14s %10s\n", "design", "time", "obs/s", "bytes on disk", "bytes/obs")
			row := func(name string, m bench.Measure) {
				fmt.Fprintf(out, "%-28s %12s %14.0f %14d %10.2f\n", name, m.Elapsed.Round(time.Millisecond), m.ObsPerSec, m.Bytes, m.BytesPerObs)
			}
			row("qunke (change-only)", res.Qunke)
			row("qunke after VACUUM", res.QunkeVacuum)
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
	ingest.Flags().StringVar(&cfg.Dir, "dir", "bench-out", "写数据库的目录 (folder for the benchmark databases)")
	ingest.Flags().IntVar(&cfg.Items, "items", 200000, "商品数 (items)")
	ingest.Flags().IntVar(&cfg.Snapshots, "snapshots", 150, "每个商品的快照数 (snapshots per item, daily)")
	ingest.Flags().Uint64Var(&cfg.Seed, "seed", 1, "随机种子 (seed)")
	ingest.Flags().StringVar(&cfg.Order, "order", "feed", "feed: 每个快照一个事务 (one transaction per snapshot); backfill: 按商品 (item by item)")
	ingest.Flags().IntVar(&cfg.CompactEvery, "compact-every", 16, "feed 顺序下每几个快照整理一次 (compact every N snapshots, feed order)")
	ingest.Flags().BoolVar(&cfg.Naive, "naive", true, "同时测量朴素设计 (also measure the naive design)")
	ingest.Flags().StringVar(&cpuProfile, "cpuprofile", "", "写 CPU 剖析文件 (write a CPU profile to this file)")
	cmd.AddCommand(ingest, newBenchAdvisorCmd(), newBenchAPICmd(), newBenchAPIClientsCmd(), newBenchPublishCmd(), newBenchOrdersCmd(), newBenchLockWaitCmd(), newBenchCallbackCmd())
	return cmd
}

func newBenchAdvisorCmd() *cobra.Command {
	var cfg bench.AdvisorConfig
	cmd := &cobra.Command{
		Use:   "advisor",
		Short: "决策卡与榜单基准 (decision cards and rankings on a large demo market, against plain SQL)",
		Long: `在 --dir 里建一个演示市场（建好后重复使用），预热选品顾问，然后计时：完整决策卡（含 10 个替代品）和 50 条的榜单页，
报告 p50/p99 与进程内存；--naive-items 用"每条观测一行"的朴素表和纯 SQL 算同样的卡作对比。

Build (once; later runs reuse it) a demo market under --dir, warm the advisor, then time full decision cards
(with 10 substitutes) and ranking pages of 50, reporting p50/p99 and process memory; with --naive-items, also
the same card computed by plain SQL over a one-row-per-observation table of that many items.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			printMachine(out)
			res, err := bench.Advisor(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%d items x %d snapshots = %d observations", cfg.Items, cfg.Snapshots, res.Observations)
			if res.Build > 0 {
				fmt.Fprintf(out, " (built in %s)", res.Build.Round(time.Millisecond))
			}
			fmt.Fprintf(out, "\nadvisor warm-up (every category loaded): %s\n", res.Warm.Round(time.Millisecond))
			lat := func(name string, l bench.Latency) {
				fmt.Fprintf(out, "%-40s n=%-5d p50 %-10s p99 %-10s max %s\n", name, l.N, l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond), l.Max.Round(time.Microsecond))
			}
			lat("decision card (10 substitutes)", res.Card)
			fmt.Fprintf(out, "  substitutes per card: %.1f\n", res.SubstitutesAvg)
			lat("ranking page of 50", res.Ranking)
			fmt.Fprintf(out, "process RSS: %s now, %s peak\n", humanBytes(res.RSS), humanBytes(res.PeakRSS))
			if cfg.NaiveItems > 0 {
				lat(fmt.Sprintf("plain SQL card (naive, %d rows)", res.NaiveRows), res.NaiveCard)
				fmt.Fprintf(out, "qunke card is %.1fx faster at p99 (%.1fx at p50)\n",
					float64(res.NaiveCard.P99)/float64(res.Card.P99), float64(res.NaiveCard.P50)/float64(res.Card.P50))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", "写数据库的目录 (folder for the benchmark databases)")
	cmd.Flags().IntVar(&cfg.Items, "items", 1000000, "商品数 (items)")
	cmd.Flags().IntVar(&cfg.Snapshots, "snapshots", 100, "每个商品的快照数 (snapshots per item, daily)")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "随机种子 (seed)")
	cmd.Flags().IntVar(&cfg.Cards, "cards", 2000, "计时的决策卡数 (cards to time)")
	cmd.Flags().IntVar(&cfg.Rankings, "rankings", 400, "计时的榜单页数 (ranking pages to time)")
	cmd.Flags().IntVar(&cfg.NaiveItems, "naive-items", 100000, "朴素表的商品数，0 不比较 (items in the naive table; 0 skips it)")
	return cmd
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

func newBenchAPICmd() *cobra.Command {
	var cfg bench.APIConfig
	var cpuProfile string
	var inProcess bool
	cmd := &cobra.Command{
		Use:   "api",
		Short: "JSON API 基准：并发客户端经本机回环调用 (the JSON API under concurrent clients on loopback)",
		Long: `用 --dir 里的演示市场（与 bench advisor 共用）启动真正的服务，在 127.0.0.1 上用并发客户端调用
POST /api/v1/check 和 GET /api/v1/items?q=（两字搜索），报告 p50/p99 与吞吐。请求数有上限，只访问本机。

Serve the demo market under --dir (shared with bench advisor) through the real server and call
POST /api/v1/check and GET /api/v1/items?q= (2-character searches) from concurrent clients on
127.0.0.1, reporting p50/p99 and throughput. The number of requests is bounded; only loopback.`,
		Args: cobra.NoArgs,
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
			fmt.Fprintf(out, "\n%d items x %d snapshots, %d concurrent clients on loopback; warm-up %s; a full GC of the warm heap %s\n",
				cfg.Items, cfg.Snapshots, cfg.Clients, res.Warm.Round(time.Millisecond), res.GCTime.Round(time.Millisecond))
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
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", "写数据库的目录 (folder for the benchmark databases)")
	apiLoadFlags(cmd, &cfg)
	cmd.Flags().BoolVar(&inProcess, "in-process", false, "客户端与服务同一进程（默认另起进程）(run the clients in the server's process; by default they run in their own)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "写服务端每个阶段的 CPU 剖析：<文件>.check-0 等，不含预热 (write the server's CPU profile of each phase to FILE.check-0 and so on, warm-up excluded)")
	return cmd
}

func newBenchPublishCmd() *cobra.Command {
	var cfg bench.PublishConfig
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "发单基准：早间批次排期与海报，可选按平台限速发送 (posting: plan and render a morning batch, optionally send it)",
		Long: `为 --groups 个企业微信群排 --products 个商品（规则、文案、每条一行记录），再按发送方式渲染每条的海报
（商品部分每个商品一次，商品图来自本机 HTTP 服务）。--send 大于 0 时再运行发送进程，对本机的企业微信模拟服务
（每个机器人每分钟 20 条）发送这么长时间，统计每个机器人收到的消息、是否超限（45009）与限速利用率。

Plan --products items into --groups WeCom groups (rules, copy, one durable row per post), then render
every post's poster as the worker does (product parts once per product; product images from a local
HTTP server). With --send > 0, run the delivery worker that long against the local WeCom stand-in
(20 messages a minute per robot) and report what each robot received, any 45009 refusals and how
busy the limiters were kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
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
			fmt.Fprintf(out, "\n%d products x %d groups\n%s", cfg.Products, cfg.Groups, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", "写数据库的目录 (folder for the benchmark databases)")
	cmd.Flags().IntVar(&cfg.Products, "products", 30, "商品数 (products)")
	cmd.Flags().IntVar(&cfg.Groups, "groups", 500, "群数 (groups)")
	cmd.Flags().DurationVar(&cfg.Send, "send", 0, "发送时长，0 为不发送 (how long to send; 0 = plan and render only)")
	cmd.Flags().BoolVar(&cfg.Convert, "convert", false, "经按平台限速的模拟转链接口转链：淘宝 10 次/秒（每次 20 个商品）、京东和拼多多各 10 次/秒 (convert through stand-ins limited like the platforms: TOP 10 calls/s of 20 items, JD and PDD 10 calls/s)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "CPU profile 输出文件 (write a CPU profile)")
	return cmd
}

func newBenchOrdersCmd() *cobra.Command {
	var cfg bench.OrdersConfig
	var cpuProfile string
	var skipImport, skipIncome bool
	cmd := &cobra.Command{
		Use:   "orders",
		Short: "订单基准：导入阿里妈妈报表（csv/xlsx）与收入页查询 (orders: report import and the income views)",
		Long: `生成 --orders 行的阿里妈妈订单明细（52 列、真实中文表头，csv 与 xlsx），导入（含归属到群和发单）并再导入一次；
然后在 --income-orders 笔订单上计时收入页的查询（每群月度、按日、结算预测、未归属）。报表和数据库保存在 --dir 以便复用。

Write an Alimama order report of --orders rows (52 columns, the real Chinese headers, csv and xlsx),
import it (attributing orders to groups and posts) and import it again; then time the income views
(per-group month, by day, settlement forecast, unattributed) over --income-orders orders. Reports and
databases are kept in --dir and reused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
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
	fl.StringVar(&cfg.Dir, "dir", "bench-out", "报表与数据库目录 (folder for reports and databases)")
	fl.IntVar(&cfg.Orders, "orders", 1_000_000, "导入报表的行数 (rows of the imported reports)")
	fl.StringSliceVar(&cfg.Formats, "formats", []string{"csv", "xlsx"}, "报表格式 (report formats)")
	fl.IntVar(&cfg.Groups, "groups", 200, "群数 (groups)")
	fl.IntVar(&cfg.IncomeOrders, "income-orders", 10_000_000, "收入查询的订单数 (orders behind the income views)")
	fl.IntVar(&cfg.Months, "months", 36, "订单跨越的月数 (months the orders span)")
	fl.IntVar(&cfg.Queries, "queries", 200, "每种查询的次数 (timed queries of each kind)")
	fl.StringVar(&cfg.Postgres, "postgres", "", "在此 PostgreSQL 上运行（默认 SQLite）(run on this PostgreSQL; default SQLite)")
	fl.BoolVar(&skipImport, "skip-import", false, "跳过导入基准 (skip the import benchmark)")
	fl.BoolVar(&skipIncome, "skip-income", false, "跳过收入查询基准 (skip the income views benchmark)")
	fl.StringVar(&cpuProfile, "cpuprofile", "", "CPU profile 输出文件 (write a CPU profile)")
	return cmd
}

// newBenchAPIClientsCmd is the client process of bench api (hidden).
func newBenchAPIClientsCmd() *cobra.Command {
	var cfg bench.APIConfig
	var addr string
	cmd := &cobra.Command{
		Use:    "api-clients",
		Short:  "bench api 的客户端进程 (the client process of bench api)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = cmd.ErrOrStderr()
			return bench.RunAPIClients(cmd.Context(), cfg, addr, os.Getenv(bench.ClientTokenEnv), cmd.OutOrStdout(), cmd.InOrStdin())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "服务地址 (server address)")
	apiLoadFlags(cmd, &cfg)
	return cmd
}

// apiLoadFlags are the flags bench api passes on to its client process.
func apiLoadFlags(cmd *cobra.Command, cfg *bench.APIConfig) {
	cmd.Flags().IntVar(&cfg.Items, "items", 1000000, "商品数 (items)")
	cmd.Flags().IntVar(&cfg.Snapshots, "snapshots", 100, "每个商品的快照数 (snapshots per item)")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "随机种子 (seed)")
	cmd.Flags().IntVar(&cfg.Clients, "clients", 50, "并发客户端 (concurrent clients)")
	cmd.Flags().IntVar(&cfg.Checks, "checks", 20000, "check 请求数 (check requests)")
	cmd.Flags().IntVar(&cfg.Searches, "searches", 2000, "搜索请求数 (search requests)")
	cmd.Flags().Float64SliceVar(&cfg.CheckRates, "rate", nil, "check 的负载，可多个：所有客户端合计每秒请求数（泊松到达，开环）；0 为闭环、不停顿 (check loads, one phase each: requests a second from all clients together, Poisson arrivals; 0: closed loop, no pause)")
	cmd.Flags().Float64SliceVar(&cfg.SearchRates, "search-rate", nil, "搜索的负载，同上 (search loads, as --rate)")
}

func newBenchLockWaitCmd() *cobra.Command {
	var cfg bench.LockWaitConfig
	cmd := &cobra.Command{
		Use:   "lockwait",
		Short: "导入期间的短写入：SQLite 写锁被大文件导入占用时，标记已发送、登录等写入等多久 (short writes during a large import on SQLite)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			cfg.Log = cmd.ErrOrStderr()
			printMachine(out)
			res, err := bench.LockWait(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "import of %d rows (%.0f MB), load + compact: %v\n", res.ImportRows, float64(res.FileBytes)/1e6, res.Import.Round(100*time.Millisecond))
			for _, w := range []struct {
				name string
				st   bench.WaitStats
			}{{"short write (busy timeout " + store.BusyTimeout.String() + ")", res.Writes}, {"login session start", res.Sessions}} {
				fmt.Fprintf(out, "%s: %d started, %d failed, wait p50 %v p99 %v max %v\n", w.name, w.st.N, w.st.Failed,
					w.st.P50.Round(time.Millisecond), w.st.P99.Round(time.Millisecond), w.st.Max.Round(time.Millisecond))
				if w.st.FirstError != "" {
					fmt.Fprintf(out, "  first error: %s\n", w.st.FirstError)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "bench-out", "写文件和数据库的目录 (folder for the feed file and the database)")
	cmd.Flags().IntVar(&cfg.Items, "items", 1000000, "导入文件的行数 (rows of the imported file)")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "随机种子 (seed)")
	cmd.Flags().DurationVar(&cfg.Every, "every", 250*time.Millisecond, "每隔多久开始一次短写入 (start a short write this often)")
	return cmd
}
