package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/advisor/similar"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// AdvisorConfig sets up the advisor benchmark.
type AdvisorConfig struct {
	Dir        string
	Items      int
	Snapshots  int
	Seed       uint64
	Cards      int // cards to time
	Rankings   int // ranking pages to time
	NaiveItems int // items in the naive table (0: skip the naive comparison)
	Searches   int // library searches to time
	// Postgres, a postgres:// URL, runs the benchmark on PostgreSQL: the
	// market is built in a schema of its own there, dropped at the end.
	Postgres string
	// MemProfile, when set, is where a heap profile of the warm advisor
	// is written.
	MemProfile string
	// StartCommand, when set, is the command line that times a start from
	// the snapshot file in a process of its own (see AdvisorStart).
	StartCommand []string
	Log          io.Writer
}

// Latency summarises timed calls.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
	// CPUP99 is the 99th percentile of the CPU time the calls took on
	// their thread (0 where unknown): on a shared machine, the wall-clock
	// tail is mostly waiting for a core.
	CPUP99 time.Duration
}

func latency(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	return Latency{N: len(ds), P50: ds[len(ds)/2], P99: ds[(len(ds)*99)/100], Max: ds[len(ds)-1]}
}

// timer times calls by wall clock and by their thread's CPU time.
type timer struct {
	wall, cpu []time.Duration
	t0        time.Time
	c0        time.Duration
}

func (t *timer) start() { t.c0, t.t0 = threadCPU(), time.Now() }

func (t *timer) stop() time.Duration {
	d := time.Since(t.t0)
	t.wall = append(t.wall, d)
	t.cpu = append(t.cpu, threadCPU()-t.c0)
	return d
}

func (t *timer) latency() Latency {
	l := latency(t.wall)
	if len(t.cpu) > 0 {
		l.CPUP99 = latency(t.cpu).P99
	}
	t.wall, t.cpu = nil, nil
	return l
}

// AdvisorResult is what the advisor benchmark measured.
type AdvisorResult struct {
	Build, Warm time.Duration // building the store (0 when reused), loading the advisor
	// FirstCard and FirstSearch are how long after the advisor is made
	// (a server's start) its first card and its first library search
	// answer, each the first question of a cold advisor.
	FirstCard, FirstSearch time.Duration
	Card, Ranking          Latency
	// RankingBy holds the ranking pages by kind and filter shape
	// (RankShapes), RankingKind and RankingShape the same pages by kind
	// and by shape alone.
	RankingBy    [][]Latency
	RankingKind  []Latency
	RankingShape []Latency
	Search       Latency // a library search for two characters of a title, page of 50
	// CardParts splits the timed cards (advisor.CardTrace): the history
	// read, the substitutes, the rest. CardTail is what the slowest 1 %
	// of cards by CPU had against all of them.
	CardParts    []CardPart
	CardTail     CardTail
	HeapLive     uint64 // Go heap in use after a collection, bytes
	NaiveCard    Latency
	PeakRSS, RSS int64 // bytes, from /proc/self/status
	// RSSAnon and RSSFile split RSS: anonymous memory (the heap, the
	// advisor's arenas, SQLite's page cache) and mapped files.
	RSSAnon, RSSFile int64
	NaiveRows        int64
	Observations     int64
	SubstitutesAvg   float64
	// The snapshot file (issue 17): how long the warm advisor took to
	// write it and its size, and starts from it.
	SnapWrite time.Duration
	SnapSize  int64
	Starts    []StartFigure
}

// CardPart is one part of the timed cards: its percentiles by wall clock
// and by thread CPU, and its mean CPU over all cards and over the slowest
// 1 % (by the card's CPU).
type CardPart struct {
	Name                    string // "history", "substitutes", "rest"
	WallP50, WallP99        time.Duration
	CPUP50, CPUP99          time.Duration
	CPUMean, CPUMeanSlowest time.Duration
}

// CardTail compares the slowest 1 % of cards (by CPU) with all of them:
// mean history length and category size (titles the substitutes search).
type CardTail struct {
	N                             int
	Observations, ObservationsAll float64
	Category, CategoryAll         float64
}

// cardSample is one timed card's breakdown.
type cardSample struct {
	wall, cpu              time.Duration
	hist, subs             advisor.Span
	observations, category int
}

// cardParts summarises the timed cards' breakdown.
func cardParts(cs []cardSample) ([]CardPart, CardTail) {
	if len(cs) == 0 {
		return nil, CardTail{}
	}
	slowest := slices.Clone(cs)
	slices.SortFunc(slowest, func(a, b cardSample) int { return int(b.cpu - a.cpu) })
	slowest = slowest[:max(1, len(cs)/100)]
	parts := []struct {
		name string
		span func(c cardSample) advisor.Span
	}{
		{"history", func(c cardSample) advisor.Span { return c.hist }},
		{"substitutes", func(c cardSample) advisor.Span { return c.subs }},
		{"rest", func(c cardSample) advisor.Span {
			return advisor.Span{Wall: c.wall - c.hist.Wall - c.subs.Wall, CPU: c.cpu - c.hist.CPU - c.subs.CPU}
		}},
	}
	mean := func(cs []cardSample, f func(c cardSample) float64) float64 {
		var sum float64
		for _, c := range cs {
			sum += f(c)
		}
		return sum / float64(len(cs))
	}
	var out []CardPart
	for _, p := range parts {
		var wall, cpu []time.Duration
		for _, c := range cs {
			sp := p.span(c)
			wall, cpu = append(wall, sp.Wall), append(cpu, sp.CPU)
		}
		w, c := latency(wall), latency(cpu)
		cpuOf := func(c cardSample) float64 { return float64(p.span(c).CPU) }
		out = append(out, CardPart{Name: p.name, WallP50: w.P50, WallP99: w.P99, CPUP50: c.P50, CPUP99: c.P99,
			CPUMean: time.Duration(mean(cs, cpuOf)), CPUMeanSlowest: time.Duration(mean(slowest, cpuOf))})
	}
	obs := func(c cardSample) float64 { return float64(c.observations) }
	cat := func(c cardSample) float64 { return float64(c.category) }
	tail := CardTail{N: len(slowest), Observations: mean(slowest, obs), ObservationsAll: mean(cs, obs),
		Category: mean(slowest, cat), CategoryAll: mean(cs, cat)}
	return out, tail
}

// Advisor runs the advisor benchmark: a demo market in the embedded store,
// warm, then decision cards (with 10 substitutes) and ranking pages.
func Advisor(ctx context.Context, cfg AdvisorConfig) (AdvisorResult, error) {
	var res AdvisorResult
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai.Zone)
	m := demo.New(demo.Config{Seed: cfg.Seed, Items: cfg.Items, Snapshots: cfg.Snapshots, Interval: 24 * time.Hour, End: end})
	res.Observations = int64(cfg.Items) * int64(cfg.Snapshots)
	var s *catalog.Store
	dbPath := "" // the SQLite file
	if cfg.Postgres != "" {
		pg, done, err := benchDB(ctx, OrdersConfig{Postgres: cfg.Postgres}, "", true)
		if err != nil {
			return res, err
		}
		defer done()
		s = catalog.NewStore(pg)
		fmt.Fprintf(cfg.Log, "building the market on PostgreSQL: %d items x %d snapshots\n", cfg.Items, cfg.Snapshots)
		if res.Build, err = buildMarket(ctx, s, m); err != nil {
			return res, err
		}
	} else {
		path := filepath.Join(cfg.Dir, fmt.Sprintf("advisor-%d-%d-%d.db", cfg.Items, cfg.Snapshots, cfg.Seed))
		sdb, ss, built, err := openOrBuild(ctx, path, m, cfg.Log)
		if err != nil {
			return res, err
		}
		defer sdb.Close()
		s, res.Build, dbPath = ss, built, path
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 42))
	searchFor := func() string {
		title := []rune(m.Item(rng.IntN(cfg.Items)).Title)
		at := rng.IntN(max(1, len(title)-2))
		return string(title[at : at+2])
	}

	// A server's start: the first card and the first search of a cold
	// advisor, each on its own.
	{
		a := advisor.New(s, advisor.Options{})
		t := time.Now()
		it := m.Item(rng.IntN(cfg.Items))
		if _, err := a.Card(ctx, it.Key()); err != nil {
			return res, err
		}
		res.FirstCard = time.Since(t)
	}
	a := advisor.New(s, advisor.Options{})
	snapPath := snapPathIn(cfg, map[bool]string{true: "postgres", false: "sqlite"}[cfg.Postgres != ""])
	os.Remove(snapPath) // a full load, then the file written afresh
	a.UseSnapshotFile(snapPath, 0, slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t := time.Now()
	if _, _, err := a.Library(ctx, advisor.LibraryQuery{Text: searchFor(), Limit: 50}); err != nil {
		return res, err
	}
	res.FirstSearch = time.Since(t)
	res.Warm = res.FirstSearch // the search loaded every category
	fmt.Fprintf(cfg.Log, "advisor warm in %s\n", res.Warm.Round(time.Millisecond))
	a.WaitSnapshotFile()
	res.SnapSize, res.SnapWrite = a.SnapshotFileWritten()
	fmt.Fprintf(cfg.Log, "snapshot file written in %s, %d bytes\n", res.SnapWrite.Round(time.Millisecond), res.SnapSize)
	{
		it := m.Item(rng.IntN(cfg.Items))
		var err error
		if res.Starts, err = startFigures(ctx, cfg, s, dbPath, snapPath, it.Key(), searchFor()); err != nil {
			return res, err
		}
	}
	// Measure the steady state a server is in once warm, not the collection
	// of the warm-up's garbage.
	runtime.GC()
	var ds []time.Duration
	// Each call's CPU time is its thread's: the calls stay on one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tm timer
	subs := 0
	var samples []cardSample
	for i := 0; i < cfg.Cards; i++ {
		it := m.Item(rng.IntN(cfg.Items))
		key := it.Key()
		tr := advisor.CardTrace{CPU: threadCPU}
		tm.start()
		c, err := a.CardTraced(ctx, key, &tr)
		tm.stop()
		if err != nil {
			return res, err
		}
		subs += len(c.Substitutes)
		samples = append(samples, cardSample{wall: tm.wall[len(tm.wall)-1], cpu: tm.cpu[len(tm.cpu)-1],
			hist: tr.History, subs: tr.Substitutes, observations: tr.Observations, category: tr.Category})
	}
	res.CardParts, res.CardTail = cardParts(samples)
	res.Card = tm.latency()
	res.SubstitutesAvg = float64(subs) / float64(max(1, cfg.Cards))

	cats, err := s.Categories(ctx)
	if err != nil {
		return res, err
	}
	var tops []string
	for c := range cats {
		if top, _, _ := strings.Cut(c, "/"); !slices.Contains(tops, top) {
			tops = append(tops, top)
		}
	}
	slices.Sort(tops)
	nk, ns := len(advisor.RankKinds), len(RankShapes)
	by, byCPU := make([][]time.Duration, nk*ns), make([][]time.Duration, nk*ns)
	for i := 0; i < cfg.Rankings; i++ {
		k, shape := i%nk, (i/nk)%ns
		q := advisor.RankQuery{Kind: advisor.RankKinds[k], Limit: 50}
		switch RankShapes[shape] {
		case "category":
			q.Category = tops[rng.IntN(len(tops))]
		case "band+rate":
			q.MinPrice, q.MaxPrice, q.MinRateBP = 1000, 10000, 1000
		case "category+band":
			q.Category, q.MinPrice, q.MaxPrice = tops[rng.IntN(len(tops))], 2000, 30000
		case "brand":
			q.Brand = m.Item(rng.IntN(cfg.Items)).Brand
		}
		tm.start()
		_, err := a.Rank(ctx, q)
		d := tm.stop()
		if err != nil {
			return res, err
		}
		by[k*ns+shape] = append(by[k*ns+shape], d)
		byCPU[k*ns+shape] = append(byCPU[k*ns+shape], tm.cpu[len(tm.cpu)-1])
	}
	res.Ranking = tm.latency()
	cell := func(cells []int) Latency {
		var t timer
		for _, c := range cells {
			t.wall, t.cpu = append(t.wall, by[c]...), append(t.cpu, byCPU[c]...)
		}
		return t.latency()
	}
	res.RankingBy = make([][]Latency, nk)
	res.RankingKind, res.RankingShape = make([]Latency, nk), make([]Latency, ns)
	for k := range nk {
		var all []int
		for sh := range ns {
			res.RankingBy[k] = append(res.RankingBy[k], cell([]int{k*ns + sh}))
			all = append(all, k*ns+sh)
		}
		res.RankingKind[k] = cell(all)
	}
	for sh := range ns {
		var all []int
		for k := range nk {
			all = append(all, k*ns+sh)
		}
		res.RankingShape[sh] = cell(all)
	}

	for range cfg.Searches {
		q := advisor.LibraryQuery{Text: searchFor(), Limit: 50}
		tm.start()
		_, _, err := a.Library(ctx, q)
		tm.stop()
		if err != nil {
			return res, err
		}
	}
	res.Search = tm.latency()
	res.RSS, res.PeakRSS = rss()
	res.RSSAnon, res.RSSFile = statusBytes("RssAnon:"), statusBytes("RssFile:")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapLive = ms.HeapAlloc
	if cfg.MemProfile != "" {
		f, err := os.Create(cfg.MemProfile)
		if err != nil {
			return res, err
		}
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res, err
		}
	}
	runtime.KeepAlive(a)

	if cfg.NaiveItems > 0 {
		// (naive2: its table is naive_items, not the catalog's items.)
		npath := filepath.Join(cfg.Dir, fmt.Sprintf("advisor-naive2-%d-%d-%d.db", cfg.NaiveItems, cfg.Snapshots, cfg.Seed))
		ndb, err := openOrBuildNaive(ctx, npath, m, cfg)
		if err != nil {
			return res, err
		}
		defer ndb.Close()
		if err := ndb.QueryRowContext(ctx, `SELECT count(*) FROM observations`).Scan(&res.NaiveRows); err != nil {
			return res, err
		}
		ds = ds[:0]
		for i := 0; i < cfg.Cards; i++ {
			it := m.Item(rng.IntN(cfg.NaiveItems))
			key := it.Key()
			t := time.Now()
			if err := naiveCard(ctx, ndb, key); err != nil {
				return res, err
			}
			ds = append(ds, time.Since(t))
		}
		res.NaiveCard = latency(ds)
	}
	return res, nil
}

// RankShapes names the filter shapes the advisor benchmark times each
// ranking with: none, a top-level category, a price band with a minimum
// commission, a category with a price band, one brand.
var RankShapes = []string{"none", "category", "band+rate", "category+band", "brand"}

// buildMarket back-fills m into s.
func buildMarket(ctx context.Context, s *catalog.Store, m *demo.Market) (time.Duration, error) {
	cfg := m.Config()
	write := func(recs []catalog.Record) error { _, err := s.Ingest(ctx, recs); return err }
	compact := func() error { _, err := s.Compact(ctx); return err }
	return run(m, IngestConfig{Items: cfg.Items, Snapshots: cfg.Snapshots, Order: "backfill", Log: io.Discard}, write, compact)
}

// openOrBuild reuses a store built by an earlier run with the same market,
// or builds it by back-filling the market.
func openOrBuild(ctx context.Context, path string, m *demo.Market, log io.Writer) (*store.DB, *catalog.Store, time.Duration, error) {
	cfg := m.Config()
	if _, err := os.Stat(path); err == nil {
		db, err := store.Open(ctx, path)
		if err != nil {
			return nil, nil, 0, err
		}
		s := catalog.NewStore(db)
		items, obs, err := s.Counts(ctx)
		if err != nil { // not a reason to delete a store that took an hour to build
			db.Close()
			return nil, nil, 0, fmt.Errorf("reading %s: %w (delete it to build it again)", path, err)
		}
		if items == int64(cfg.Items) && obs == int64(cfg.Items)*int64(cfg.Snapshots) {
			if _, err := db.Migrate(ctx); err != nil { // a store built by an older qunke
				db.Close()
				return nil, nil, 0, err
			}
			fmt.Fprintf(log, "reusing %s\n", path)
			return db, s, 0, nil
		}
		db.Close()
	}
	removeDB(path)
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, 0, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, 0, err
	}
	s := catalog.NewStore(db)
	fmt.Fprintf(log, "building %s: %d items x %d snapshots\n", path, cfg.Items, cfg.Snapshots)
	t, err := buildMarket(ctx, s, m)
	if err != nil {
		db.Close()
		return nil, nil, 0, err
	}
	return db, s, t, nil
}

func openOrBuildNaive(ctx context.Context, path string, m *demo.Market, cfg AdvisorConfig) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(cfg.Log, "building naive table %s: %d items x %d snapshots\n", path, cfg.NaiveItems, cfg.Snapshots)
		icfg := IngestConfig{Items: cfg.NaiveItems, Snapshots: cfg.Snapshots, Order: "backfill", Log: io.Discard}
		if _, err := naiveIngest(ctx, m, icfg, path, true); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return db.DB, nil
}

// naiveCard computes the decision card's figures with plain SQL over the
// one-row-per-observation table: latest observation, lows over four windows,
// the lowest outside promotions, each promotion's low, the typical price,
// the sales a day and a week ago, the category's DSR average and sales
// percentile, and 10 substitutes (candidates by SQL, scored by title
// similarity in Go).
func naiveCard(ctx context.Context, db *sql.DB, key catalog.Key) error {
	var id int64
	var title, category string
	if err := db.QueryRowContext(ctx, `SELECT id, title, category_path FROM naive_items WHERE platform = $1 AND item_id = $2`,
		string(key.Platform), key.ItemID).Scan(&id, &title, &category); err != nil {
		return fmt.Errorf("naive card %s: %w", key, err)
	}
	var at, final, sales30 int64
	if err := db.QueryRowContext(ctx, `SELECT at, final_price, sales30 FROM observations WHERE item = $1 ORDER BY at DESC LIMIT 1`, id).Scan(&at, &final, &sales30); err != nil {
		return err
	}
	var p, t int64
	for _, from := range []int64{0, at - 30*86400, at - 90*86400, at - 180*86400} {
		if err := db.QueryRowContext(ctx, `SELECT final_price, at FROM observations WHERE item = $1 AND at >= $2 ORDER BY final_price, at LIMIT 1`, id, from).Scan(&p, &t); err != nil {
			return err
		}
	}
	promos := catalog.Promotions(0, at+1)
	var notPromo []string
	for _, pr := range promos {
		notPromo = append(notPromo, fmt.Sprintf("NOT (at >= %d AND at < %d)", pr.Start.Unix(), pr.End.Unix()))
		var low sql.NullInt64
		if err := db.QueryRowContext(ctx, `SELECT min(final_price) FROM observations WHERE item = $1 AND at >= $2 AND at < $3`, id, pr.Start.Unix(), pr.End.Unix()).Scan(&low); err != nil {
			return err
		}
	}
	outside := "1 = 1"
	if len(notPromo) > 0 {
		outside = strings.Join(notPromo, " AND ")
	}
	if err := db.QueryRowContext(ctx, `SELECT final_price, at FROM observations WHERE item = $1 AND `+outside+` ORDER BY final_price, at LIMIT 1`, id).Scan(&p, &t); err != nil && err != sql.ErrNoRows {
		return err
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM observations WHERE item = $1 AND at >= $2 AND `+outside, id, at-90*86400).Scan(&n); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT final_price FROM observations WHERE item = $1 AND at >= $2 AND `+outside+` ORDER BY final_price LIMIT 1 OFFSET $3`, id, at-90*86400, n/2).Scan(&p); err != nil && err != sql.ErrNoRows {
		return err
	}
	for _, ago := range []int64{86400, 7 * 86400} {
		if err := db.QueryRowContext(ctx, `SELECT sales30 FROM observations WHERE item = $1 AND at <= $2 ORDER BY at DESC LIMIT 1`, id, at-ago).Scan(&p); err != nil && err != sql.ErrNoRows {
			return err
		}
	}
	var d1, d2, d3 sql.NullFloat64
	if err := db.QueryRowContext(ctx, `SELECT avg(dsr_desc), avg(dsr_service), avg(dsr_ship) FROM naive_items WHERE category_path = $1 AND dsr_desc > 0`, category).Scan(&d1, &d2, &d3); err != nil {
		return err
	}
	// Candidates: the category's items with their latest price and sales.
	rows, err := db.QueryContext(ctx, `SELECT i.id, i.title, o.final_price, o.sales30 FROM naive_items i
		JOIN observations o ON o.item = i.id AND o.at = (SELECT max(at) FROM observations WHERE item = i.id)
		WHERE i.category_path = $1`, category)
	if err != nil {
		return err
	}
	defer rows.Close()
	x := similar.NewIndex()
	var ids []int64
	below := 0
	for rows.Next() {
		var cid, cprice, csales int64
		var ctitle string
		if err := rows.Scan(&cid, &ctitle, &cprice, &csales); err != nil {
			return err
		}
		if csales < sales30 {
			below++ // the sales percentile
		}
		if cid != id && cprice >= final/2 && cprice <= final*2 {
			x.Add(int32(len(ids)), 0, ctitle)
			ids = append(ids, cid)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	x.Freeze()
	if subs := x.Similar(title, nil, nil, -1, 10); len(ids) >= 10 && len(subs) == 0 {
		return fmt.Errorf("naive card %s: no substitutes among %d candidates (%d sell less)", key, len(ids), below)
	}
	return nil
}

// rss returns the process's resident set size and its peak, in bytes.
func rss() (cur, peak int64) { return statusBytes("VmRSS:"), statusBytes("VmHWM:") }

// statusBytes returns a size /proc/self/status gives in kB (name with its
// colon), in bytes; 0 where there is none.
func statusBytes(name string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == name {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
