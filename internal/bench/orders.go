package bench

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// OrdersConfig sets up the order benchmarks: importing Alimama reports
// (OrdersImport) and the money views over many orders (IncomePage).
type OrdersConfig struct {
	Dir     string   // report files and SQLite databases (reused by later runs)
	Orders  int      // rows of each report OrdersImport imports
	Formats []string // report formats: "csv", "xlsx"
	Groups  int      // groups, each with its own placement and posts
	Seed    uint64
	// Postgres, a postgres:// URL, runs the benchmarks on PostgreSQL in a
	// schema of their own, dropped at the end; "" uses SQLite under Dir.
	Postgres string

	IncomeOrders int // orders in the money views' database
	Months       int // months they span
	Queries      int // timed queries of each kind
	Log          io.Writer
}

func (c *OrdersConfig) defaults() {
	if c.Dir == "" {
		c.Dir = "bench-out"
	}
	if c.Orders <= 0 {
		c.Orders = 1_000_000
	}
	if len(c.Formats) == 0 {
		c.Formats = []string{"csv", "xlsx"}
	}
	if c.Groups <= 0 {
		c.Groups = 200
	}
	if c.IncomeOrders <= 0 {
		c.IncomeOrders = 10_000_000
	}
	if c.Months <= 0 {
		c.Months = 36
	}
	if c.Queries <= 0 {
		c.Queries = 200
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// ImportMeasure is one report's import.
type ImportMeasure struct {
	Format       string
	FileBytes    int64
	Rows         int
	Elapsed      time.Duration // reading, parsing, attributing and storing, one transaction
	OrdersPerSec float64
	// Again is the same file imported a second time: every order unchanged.
	Again       time.Duration
	AgainPerSec float64
	// ClientCPU and AgainClientCPU are this process's CPU time during each
	// import; ServerCPU and AgainServerCPU the PostgreSQL backends' (0 on
	// SQLite, or when the server is on another machine).
	ClientCPU, AgainClientCPU time.Duration
	ServerCPU, AgainServerCPU time.Duration
	Attributed                int // orders credited to a group
	FromPosts                 int // and to a post
	PeakRSS                   int64
	DatabaseSize              int64
}

// OrdersImportResult is what OrdersImport measured.
type OrdersImportResult struct {
	Posts   int // sent posts in the database, for attribution
	Imports []ImportMeasure
}

// OrdersImport writes a report of cfg.Orders rows in the Alimama layout (52
// columns, the real Chinese headers) per format, then imports each into a
// fresh database that has cfg.Groups groups and a month of their posts,
// and imports it again (every order unchanged). Reports are kept in Dir
// and reused.
func OrdersImport(ctx context.Context, cfg OrdersConfig) (OrdersImportResult, error) {
	cfg.defaults()
	var res OrdersImportResult
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	gen := newOrderGen(cfg.Seed, cfg.Groups, cfg.Orders, benchEnd.AddDate(0, -1, 0).Unix(), benchEnd.Unix(), 24)
	for _, format := range cfg.Formats {
		path := filepath.Join(cfg.Dir, fmt.Sprintf("orders-%d-%d-%d.%s", cfg.Orders, cfg.Groups, cfg.Seed, format))
		if _, err := os.Stat(path); err != nil {
			t := time.Now()
			fmt.Fprintf(cfg.Log, "writing %s\n", path)
			if err := writeReport(path, format, gen); err != nil {
				return res, err
			}
			fmt.Fprintf(cfg.Log, "  written in %s\n", time.Since(t).Round(time.Millisecond))
		}
		fi, err := os.Stat(path)
		if err != nil {
			return res, err
		}
		m := ImportMeasure{Format: format, FileBytes: fi.Size()}
		err = func() error {
			db, done, err := benchDB(ctx, cfg, "orders-import.db", true)
			if err != nil {
				return err
			}
			defer done()
			if res.Posts, err = gen.setup(ctx, db); err != nil {
				return err
			}
			s := orders.NewStore(db)
			fmt.Fprintf(cfg.Log, "importing %s (%s)\n", path, humanSize(fi.Size()))
			server, client := serverCPU(ctx, db), processCPU()
			t := time.Now()
			fr, err := s.ImportFile(ctx, path, false)
			m.Elapsed = time.Since(t)
			if err != nil {
				return err
			}
			m.ClientCPU, m.ServerCPU = processCPU()-client, serverCPU(ctx, db)-server
			if fr.Parsed.Rows != cfg.Orders || fr.Stats.New != cfg.Orders {
				return fmt.Errorf("%s: %d rows, %d new, %d rejected (%v), want %d new", path, fr.Parsed.Rows, fr.Stats.New,
					fr.Parsed.Rejected, fr.Parsed.Problems[:min(3, len(fr.Parsed.Problems))], cfg.Orders)
			}
			m.Rows, m.Attributed, m.FromPosts = fr.Parsed.Rows, fr.Stats.Attributed, fr.Stats.FromPosts
			m.OrdersPerSec = float64(m.Rows) / m.Elapsed.Seconds()
			fmt.Fprintf(cfg.Log, "  %s: %.0f orders/s; again\n", m.Elapsed.Round(time.Millisecond), m.OrdersPerSec)
			server, client = serverCPU(ctx, db), processCPU()
			t = time.Now()
			fr, err = s.ImportFile(ctx, path, false)
			m.Again = time.Since(t)
			if err != nil {
				return err
			}
			m.AgainClientCPU, m.AgainServerCPU = processCPU()-client, serverCPU(ctx, db)-server
			if fr.Stats.Unchanged != cfg.Orders {
				return fmt.Errorf("re-import: %+v", fr.Stats)
			}
			m.AgainPerSec = float64(m.Rows) / m.Again.Seconds()
			_, m.PeakRSS = rss()
			if err := db.Checkpoint(ctx); err != nil {
				return err
			}
			m.DatabaseSize, err = db.Size(ctx)
			return err
		}()
		if err != nil {
			return res, err
		}
		res.Imports = append(res.Imports, m)
	}
	return res, nil
}

// IncomeResult is what IncomePage measured.
type IncomeResult struct {
	Orders       int64
	Build        time.Duration // building the database (0 when reused)
	DatabaseSize int64
	// Month is the per-group income of one month (every group and the
	// unattributed, one row each): the console's table.
	Month Latency
	// Days is one month day by day: the console's chart.
	Days         Latency
	Forecast     Latency
	Unattributed Latency
}

// IncomePage times the money views over cfg.IncomeOrders orders spread over
// cfg.Months months and cfg.Groups groups: the per-group income of a month
// (a random month each time), the same month by day, the settlement
// forecast and the unattributed placements. A SQLite database is kept in
// Dir and reused by later runs with the same settings.
func IncomePage(ctx context.Context, cfg OrdersConfig) (IncomeResult, error) {
	cfg.defaults()
	var res IncomeResult
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	end := benchEnd.Unix()
	start := benchEnd.AddDate(0, -cfg.Months, 0).Unix()
	gen := newOrderGen(cfg.Seed, cfg.Groups, cfg.IncomeOrders, start, end, 6)
	name := fmt.Sprintf("income-%d-%d-%d-%d.db", cfg.IncomeOrders, cfg.Months, cfg.Groups, cfg.Seed)
	db, done, err := benchDB(ctx, cfg, name, false)
	if err != nil {
		return res, err
	}
	defer done()
	s := orders.NewStore(db)
	if res.Orders, err = s.Count(ctx); err != nil {
		return res, err
	}
	if res.Orders != int64(cfg.IncomeOrders) {
		if res.Orders != 0 {
			return res, fmt.Errorf("%s holds %d orders, not %d: remove it", name, res.Orders, cfg.IncomeOrders)
		}
		t := time.Now()
		if _, err := gen.setup(ctx, db); err != nil {
			return res, err
		}
		fmt.Fprintf(cfg.Log, "building %s: %d orders over %d months\n", name, cfg.IncomeOrders, cfg.Months)
		const per = 100_000
		batch := make([]orders.Order, 0, per)
		for i := 0; i < cfg.IncomeOrders; i++ {
			batch = append(batch, gen.order(i))
			if len(batch) == per || i == cfg.IncomeOrders-1 {
				if _, err := s.Import(ctx, batch); err != nil {
					return res, err
				}
				batch = batch[:0]
				if (i+1)%(10*per) == 0 || i == cfg.IncomeOrders-1 {
					fmt.Fprintf(cfg.Log, "  %d orders, %s\n", i+1, time.Since(t).Round(time.Second))
				}
				if err := ctx.Err(); err != nil {
					return res, err
				}
			}
		}
		res.Build = time.Since(t)
		res.Orders = int64(cfg.IncomeOrders)
		// What autovacuum does soon after a load on PostgreSQL.
		if err := s.Vacuum(ctx); err != nil {
			return res, err
		}
	}
	if err := db.Checkpoint(ctx); err != nil {
		return res, err
	}
	if res.DatabaseSize, err = db.Size(ctx); err != nil {
		return res, err
	}
	months := cfg.Months
	now := time.Unix(end, 0)
	month := func(i int) (time.Time, time.Time) {
		m := benchEnd.AddDate(0, -1-int(gen.mix(uint64(i), 99)%uint64(months)), 0)
		from := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, shanghai.Zone)
		return from, from.AddDate(0, 1, 0)
	}
	time1 := func(f func(i int) error) (Latency, error) {
		var ds []time.Duration
		for i := 0; i < cfg.Queries; i++ {
			t := time.Now()
			if err := f(i); err != nil {
				return Latency{}, err
			}
			ds = append(ds, time.Since(t))
		}
		return latency(ds), nil
	}
	fmt.Fprintf(cfg.Log, "timing %d queries of each kind\n", cfg.Queries)
	if res.Month, err = time1(func(i int) error {
		from, to := month(i)
		rep, err := s.Income(ctx, orders.IncomeQuery{By: orders.Month, From: from, To: to, Now: now})
		if err == nil && rep.Total.Orders == 0 {
			err = fmt.Errorf("no orders in %s", from.Format("2006-01"))
		}
		return err
	}); err != nil {
		return res, err
	}
	if res.Days, err = time1(func(i int) error {
		from, to := month(i + 1)
		_, err := s.Income(ctx, orders.IncomeQuery{By: orders.Day, From: from, To: to, Now: now})
		return err
	}); err != nil {
		return res, err
	}
	if res.Forecast, err = time1(func(int) error {
		_, err := s.Forecast(ctx, orders.ForecastOptions{Now: now})
		return err
	}); err != nil {
		return res, err
	}
	res.Unattributed, err = time1(func(i int) error {
		from, to := month(i + 2)
		_, err := s.Unattributed(ctx, from, to)
		return err
	})
	return res, err
}

// benchEnd is the benchmarks' "now".
var benchEnd = time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai.Zone)

// benchDB opens a migrated database: a SQLite file under cfg.Dir (removed
// first when fresh), or a new schema on cfg.Postgres, dropped by done.
func benchDB(ctx context.Context, cfg OrdersConfig, name string, fresh bool) (*store.DB, func(), error) {
	if cfg.Postgres == "" {
		path := filepath.Join(cfg.Dir, name)
		if fresh {
			removeDB(path)
		}
		db, err := store.Open(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	admin, err := store.Open(ctx, cfg.Postgres)
	if err != nil {
		return nil, nil, err
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "qunke_bench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, nil, err
	}
	drop := func() {
		admin.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	}
	u, err := url.Parse(cfg.Postgres)
	if err != nil {
		drop()
		return nil, nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema) // its backends, for serverCPU
	u.RawQuery = q.Encode()
	db, err := store.Open(ctx, u.String())
	if err == nil {
		_, err = db.Migrate(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		drop()
		return nil, nil, err
	}
	return db, func() { db.Close(); drop() }, nil
}

// serverCPU is the CPU time used so far by the PostgreSQL backends serving
// db (a benchDB: its connections carry the schema's name), read from
// /proc/<pid>/stat, so only when the server runs on this machine (Linux);
// 0 otherwise. The pool keeps its connections between two calls, so the
// difference is what the server spent in between.
func serverCPU(ctx context.Context, db *store.DB) time.Duration {
	if db.Dialect != store.Postgres {
		return 0
	}
	rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = current_setting('application_name')`)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return 0
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		// After the command name in parentheses: utime and stime are the
		// 12th and 13th fields, in clock ticks (100 a second on Linux).
		_, after, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(after)
		if !ok || len(f) < 13 {
			return 0
		}
		u, err1 := strconv.ParseInt(f[11], 10, 64)
		st, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0
		}
		total += time.Duration(u+st) * 10 * time.Millisecond
	}
	return total
}

// orderGen generates the benchmark's orders: order i depends on (seed, i)
// alone. Groups post postsPerDay items a day; an order follows one of its
// group's posts by minutes to hours; 5% come through placements no group
// has. Orders are in time order.
type orderGen struct {
	seed       uint64
	groups     int
	n          int
	start, end int64
	perDay     int // posts a day per group: 24 / step
}

func newOrderGen(seed uint64, groups, n int, start, end int64, perDay int) *orderGen {
	return &orderGen{seed: seed, groups: groups, n: n, start: start, end: end, perDay: perDay}
}

func (g *orderGen) mix(i, stream uint64) uint64 {
	z := g.seed*0x9e3779b97f4a7c15 + i*0xbf58476d1ce4e5b9 + stream*0x94d049bb133111eb
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (g *orderGen) adzone(group int) string { return strconv.Itoa(300_000_000 + group) }

// postItem is the item group posts in slot k of day d.
func (g *orderGen) postItem(group int, day int64, k int) string {
	return strconv.FormatUint(600_000_000_000+g.mix(uint64(group)<<32^uint64(day)<<8^uint64(k), 1)%5000, 10)
}

// postAt is when slot k of Asia/Shanghai day number d goes out: from
// 08:00 (d*86400 in unix seconds), every half hour.
func postAt(day int64, k int) int64 { return day*86400 + int64(k)*1800 }

var benchTitles = []string{
	"【官方旗舰】保温杯316不锈钢大容量男女学生便携水杯", "加厚抽纸12包整箱家用纸巾卫生纸餐巾纸",
	"云南白药牙膏180g×3支装清新口气护龈", "儿童保温水杯带吸管幼儿园宝宝防摔水壶",
	"舒肤佳沐浴露薰衣草舒缓呵护720ml留香", "蓝牙耳机真无线降噪超长续航运动入耳式",
	"洗衣凝珠持久留香家庭装50颗装 & 赠品", "女士纯棉内裤抗菌裆中腰透气5条装",
}

// order is order i.
func (g *orderGen) order(i int) orders.Order {
	r := func(stream uint64) uint64 { return g.mix(uint64(i), stream) }
	span := g.end - g.start
	t := g.start + int64(float64(span)*float64(i)/float64(g.n)) // time order
	// Bigger groups sell more: a skewed pick.
	group := int(math.Pow(float64(r(2)%1_000_000)/1e6, 1.6) * float64(g.groups))
	day := shanghai.Day(t)
	k := int(r(3)%uint64(g.perDay)) * (24 / g.perDay)
	postT := postAt(day, k)
	if postT > t {
		day--
		postT = postAt(day, k)
	}
	item := g.postItem(group, day, k)
	adzone := g.adzone(group)
	if r(4)%100 < 5 {
		adzone = strconv.Itoa(900_000_000 + int(r(5)%20)) // no group has it
	}
	click := postT + int64(r(6)%uint64(min(6*3600, t-postT+1)))
	created := click + 60 + int64(r(7)%600)
	paid := created + 5 + int64(r(8)%60)
	qty := int64(1 + r(9)%3/2)
	unit := int64(990 + r(10)%20000)
	paidAmount := unit*qty - int64(r(11)%300)
	rate := int64(100 + r(12)%2900)
	fee := int64(1000)
	est := paidAmount * rate / 10000 * (10000 - fee) / 10000
	o := orders.Order{
		Platform: orders.PlatformTaobao, TradeID: strconv.FormatUint(1_200_000_000_000_000_000+uint64(i)*7919+g.seed, 10),
		OrderType: []string{"天猫", "淘宝"}[r(13)%2], ItemID: item, Title: benchTitles[r(14)%uint64(len(benchTitles))],
		ShopName: "好物专营店" + strconv.Itoa(int(r(15)%500)), Quantity: qty, UnitPrice: unit, PaidAmount: paidAmount,
		CommissionRate: rate, EstIncome: est, ServiceFeeRate: fee, Status: orders.Paid,
		ClickAt: click, CreatedAt: created, PaidAt: paid, MediaID: "43474861", MediaName: "群客社群",
		AdzoneID: adzone, AdzoneName: "社群" + adzone[len(adzone)-3:],
	}
	o.ParentID = o.TradeID
	if r(16)%5 == 0 {
		o.RelationID = strconv.FormatUint(2_000_000_000+r(17)%1_000_000, 10)
	}
	age := g.end - paid
	x := r(18) % 100
	switch {
	case x < 9:
		o.Status = orders.Invalid
	case x < 11 && age > 10*86400:
		o.Status, o.Dispute = orders.Refunded, "维权订单"
	case age > 12*86400 || (age > 3*86400 && x > 60):
		o.Status = orders.Settled
		o.SettledAt = min(paid+int64(3+r(19)%8)*86400, g.end-3600)
		o.SettledAmount, o.SettledIncome = paidAmount, est
	case age > 3*86400:
		o.Status = orders.Received
	}
	return o
}

// setup registers the groups and perDay posts a day for each over the
// generator's time span (and the month before it) and returns the posts.
func (g *orderGen) setup(ctx context.Context, db *store.DB) (int, error) {
	gs := community.NewStore(db)
	ids := make([]int64, g.groups)
	for i := range g.groups {
		grp := &community.Group{Name: fmt.Sprintf("福利群%03d", i+1), Channel: community.Manual,
			PIDTaobao: "mm_120033_2841001_" + g.adzone(i), Members: 100 + int64(g.mix(uint64(i), 20)%400), Active: true}
		if err := gs.Save(ctx, grp); err != nil {
			return 0, err
		}
		ids[i] = grp.ID
	}
	ps := publish.NewStore(db)
	n := 0
	first, last := shanghai.Day(g.start)-31, shanghai.Day(g.end)
	for gi, id := range ids {
		var posts []publish.Post
		for day := first; day <= last; day++ {
			for k := 0; k < 24; k += 24 / g.perDay {
				at := postAt(day, k)
				if at > g.end {
					continue
				}
				platform := "tmall"
				if k%3 == 0 {
					platform = "taobao"
				}
				posts = append(posts, publish.Post{GroupID: id, Platform: platform, ItemID: g.postItem(gi, day, k),
					Status: publish.Sent, SlotAt: at, SentAt: at + 2})
			}
		}
		if err := ps.RecordPosts(ctx, posts); err != nil {
			return n, err
		}
		n += len(posts)
	}
	return n, nil
}

// The Alimama order report's 52 columns, in its order.
var reportHeader = []string{"点击时间", "创建时间", "付款时间", "结算时间", "淘宝付款时间", "商品ID", "商品图片", "商品标题",
	"掌柜旺旺", "店铺名称", "商品数量", "商品单价", "类目名称", "淘宝订单编号", "淘宝子订单号", "订单状态", "订单类型", "付款金额",
	"结算金额", "佣金比率", "佣金金额", "补贴比率", "补贴金额", "补贴类型", "收入比率", "分成比率", "提成", "技术服务费率",
	"技术服务费", "付款预估收入", "结算预估收入", "产品类型", "推广者身份", "媒体ID", "媒体名称", "推广位ID", "推广位名称",
	"成交平台", "维权标签", "内容专项服务费率", "预估内容专项服务费", "结算内容专项服务费", "渠道关系ID", "会员运营ID",
	"定金付款时间", "定金淘宝付款时间", "定金付款金额", "口碑父订单号", "口碑子订单号", "渠道专项服务费率", "预估渠道专项服务费",
	"结算渠道专项服务费"}

func reportTime(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).In(shanghai.Zone).Format("2006-01-02 15:04:05")
}

// reportRow is order o as the report states it.
func reportRow(o *orders.Order, row []string) []string {
	status := map[orders.Status]string{orders.Paid: "已付款", orders.Invalid: "已失效", orders.Received: "已收货",
		orders.Settled: "已结算", orders.Refunded: "已结算"}[o.Status]
	dispute := "--"
	if o.Dispute != "" {
		dispute = o.Dispute
	}
	settledAmount, settledIncome := "", "0.00"
	if o.SettledAt > 0 {
		settledAmount, settledIncome = cells.Yuan(o.SettledAmount), cells.Yuan(o.SettledIncome)
	}
	commission := o.PaidAmount * o.CommissionRate / 10000
	return append(row[:0], reportTime(o.ClickAt), reportTime(o.CreatedAt), reportTime(o.PaidAt), reportTime(o.SettledAt),
		reportTime(o.PaidAt-10), o.ItemID, "//img.alicdn.com/bao/uploaded/i1/"+o.ItemID+".jpg", o.Title,
		o.ShopName, o.ShopName, strconv.FormatInt(o.Quantity, 10), cells.Yuan(o.UnitPrice), "居家日用", o.ParentID, o.TradeID,
		status, o.OrderType, cells.Yuan(o.PaidAmount), settledAmount, catalog.Percent(o.CommissionRate), cells.Yuan(commission), "0.00%", "0.00", "--",
		catalog.Percent(o.CommissionRate), "100.00%", catalog.Percent(o.CommissionRate), catalog.Percent(o.ServiceFeeRate), cells.Yuan(commission-o.EstIncome),
		cells.Yuan(o.EstIncome), settledIncome, "--", "二方", o.MediaID, o.MediaName, o.AdzoneID, o.AdzoneName, "无线", dispute,
		"0.00%", "0.00", "0.00", o.RelationID, o.SpecialID, "--", "--", "0.00", "", "", "", "", "")
}

// writeReport writes the generator's orders as an Alimama report: a CSV
// (UTF-8 with a BOM) or an .xlsx (inline strings, as streaming writers
// such as Alimama's exporter make them).
func writeReport(path, format string, g *orderGen) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<20)
	row := make([]string, 0, len(reportHeader))
	switch format {
	case "csv":
		bw.WriteString("\uFEFF")
		w := csv.NewWriter(bw)
		w.Write(reportHeader)
		for i := 0; i < g.n; i++ {
			o := g.order(i)
			row = reportRow(&o, row)
			if err := w.Write(row); err != nil {
				f.Close()
				return err
			}
		}
		w.Flush()
		err = w.Error()
	case "xlsx":
		err = writeXLSX(bw, func(yield func([]string) bool) {
			if !yield(reportHeader) {
				return
			}
			for i := 0; i < g.n; i++ {
				o := g.order(i)
				row = reportRow(&o, row)
				if !yield(row) {
					return
				}
			}
		})
	default:
		err = fmt.Errorf("unknown report format %q (csv or xlsx)", format)
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeXLSX writes a one-sheet workbook of text cells.
func writeXLSX(w io.Writer, rows func(yield func([]string) bool)) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Page1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		pw, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return err
		}
	}
	sw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(sw, 1<<20)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	n := 0
	var cols []string
	var werr error
	rows(func(row []string) bool {
		n++
		num := strconv.Itoa(n)
		bw.WriteString(`<row r="` + num + `">`)
		for c, v := range row {
			if v == "" {
				continue
			}
			for len(cols) <= c {
				cols = append(cols, columnName(len(cols)))
			}
			bw.WriteString(`<c r="` + cols[c] + num + `" t="inlineStr"><is><t>`)
			xmlEscape(bw, v)
			bw.WriteString(`</t></is></c>`)
		}
		_, werr = bw.WriteString(`</row>`)
		return werr == nil
	})
	if werr != nil {
		return werr
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

func columnName(c int) string {
	s := ""
	for c++; c > 0; c = (c - 1) / 26 {
		s = string(rune('A'+(c-1)%26)) + s
	}
	return s
}

func xmlEscape(w *bufio.Writer, s string) {
	if !strings.ContainsAny(s, "&<>") {
		w.WriteString(s)
		return
	}
	for _, r := range s {
		switch r {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		default:
			w.WriteRune(r)
		}
	}
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
