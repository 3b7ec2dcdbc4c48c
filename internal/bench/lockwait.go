package bench

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	feedload "github.com/qunke/qunke/internal/catalog/load"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/store"
)

// LockWaitConfig sets up the lock-wait benchmark: how long short writes
// (a post marked sent, a login's session, a job's lease) wait while a large
// feed import runs. On SQLite the import holds the single write lock; on
// PostgreSQL writers wait only for each other on the same rows, so the
// same writes measure what row locks and the import's load cost them.
type LockWaitConfig struct {
	Dir   string // where the feed file and the SQLite database are written
	Items int    // rows of the feed file
	Seed  uint64
	Every time.Duration // a short write starts this often
	// Postgres, a postgres:// URL, runs on PostgreSQL in a schema of its
	// own there, dropped at the end.
	Postgres string
	Log      io.Writer
}

// LockWaitResult is what the benchmark measured.
type LockWaitResult struct {
	Config    LockWaitConfig
	FileBytes int64
	Import    time.Duration // the import, one transaction, and the compaction after it
	Writes    WaitStats     // plain short writes, waiting up to store.BusyTimeout
	Sessions  WaitStats     // logins' session starts (kept in memory when the lock is held)
	// Leases: two holders (two servers) both asking for the same job
	// lease at each tick: one takes or renews it, the other is refused;
	// both wait for the row (and on SQLite for the write lock).
	Leases     WaitStats
	ImportRows int
}

// WaitStats summarises the short writes started during the import.
type WaitStats struct {
	N, Failed     int
	P50, P99, Max time.Duration
	FirstError    string
}

// LockWait runs the benchmark: it writes a Qunke CSV of cfg.Items rows,
// imports it (as the console does: load, then compact) on one connection
// pool while another pool, as a second process would, starts a short write
// every cfg.Every, and reports how long those waited and how many failed.
func LockWait(ctx context.Context, cfg LockWaitConfig) (LockWaitResult, error) {
	res := LockWaitResult{Config: cfg}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Every <= 0 {
		cfg.Every = 250 * time.Millisecond
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	feedPath, dbPath := filepath.Join(cfg.Dir, "lockwait.csv"), filepath.Join(cfg.Dir, "lockwait.db")
	t := time.Now()
	size, err := writeFeedCSV(feedPath, cfg.Items, cfg.Seed)
	if err != nil {
		return res, err
	}
	res.FileBytes = size
	fmt.Fprintf(cfg.Log, "feed file %s: %d rows, %.0f MB (%v)\n", feedPath, cfg.Items, float64(size)/1e6, time.Since(t).Round(time.Second))

	importer, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "lockwait.db", true)
	if err != nil {
		return res, err
	}
	defer done()
	// The short writes come from another pool, as a second process's
	// would: on SQLite a second handle on the file; on PostgreSQL every
	// connection of a pool is a server session of its own already.
	other := importer
	if cfg.Postgres == "" {
		if other, err = store.Open(ctx, dbPath); err != nil {
			return res, err
		}
		defer other.Close()
	}
	users := auth.New(other)
	users.Params = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	u, err := users.CreateUser(ctx, auth.NewUser{Name: "bench", Role: auth.Operator, Password: "bench password"})
	if err != nil {
		return res, err
	}

	var mu sync.Mutex
	var writes, sessions, leases []sample
	holders := [2]string{store.Holder(), store.Holder()}
	f, err := os.Open(feedPath)
	if err != nil {
		return res, err
	}
	var wg sync.WaitGroup
	timed := func(into *[]sample, write func() error) {
		wg.Go(func() {
			start := time.Now()
			err := write()
			mu.Lock()
			*into = append(*into, sample{time.Since(start), err})
			mu.Unlock()
		})
	}
	// A round of short writes at once, then one every cfg.Every until the
	// import is done.
	stop, ticking := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ticking)
		tick := time.NewTicker(cfg.Every)
		defer tick.Stop()
		for {
			for _, h := range holders { // two servers asking for one job's lease
				timed(&leases, func() error { _, err := other.Lease(ctx, "bench.lockwait", h, time.Second); return err })
			}
			timed(&writes, func() error { // a post marked sent, a callback: one short UPDATE
				return users.SetDisplayName(ctx, u.ID, "bench "+strconv.FormatInt(time.Now().UnixNano()%1000, 10))
			})
			timed(&sessions, func() error { _, _, err := users.NewSession(ctx, u.ID); return err }) // a login's one write
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t = time.Now()
	cs := catalog.NewStore(importer)
	lres, err := feedload.Reader(ctx, cs, feedPath, bufio.NewReaderSize(f, 1<<20), size, feedload.Options{})
	f.Close()
	if err == nil {
		_, err = cs.Compact(ctx)
	}
	res.Import = time.Since(t)
	close(stop)
	<-ticking
	wg.Wait()
	users.Wait() // sessions kept in memory during the import are written
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	res.ImportRows = lres.Good
	res.Writes, res.Sessions, res.Leases = summarise(writes), summarise(sessions), summarise(leases)
	return res, nil
}

type sample struct {
	wait time.Duration
	err  error
}

func summarise(ss []sample) WaitStats {
	var st WaitStats
	waits := make([]time.Duration, 0, len(ss))
	for _, s := range ss {
		st.N++
		if s.err != nil {
			st.Failed++
			if st.FirstError == "" {
				st.FirstError = s.err.Error()
			}
		}
		waits = append(waits, s.wait)
	}
	if len(waits) == 0 {
		return st
	}
	slices.Sort(waits)
	st.P50, st.P99, st.Max = waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1]
	return st
}

// writeFeedCSV writes one snapshot of an n-item demo market as a Qunke CSV.
func writeFeedCSV(path string, n int, seed uint64) (int64, error) {
	out, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(bw)
	w.Write([]string{"platform", "item_id", "title", "short_title", "category", "brand", "shop_id", "shop_name", "at",
		"list_price", "final_price", "commission_rate", "sales30"})
	m := demo.New(demo.Config{Seed: seed, Items: n, Snapshots: 1, Interval: 24 * time.Hour, End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	row := make([]string, 13)
	err = m.Snapshots(func(_ int, at int64, recs []catalog.Record) error {
		for i := range recs {
			it, o := &recs[i].Item, &recs[i].Obs
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = string(it.Platform), it.ItemID, it.Title,
				it.ShortTitle, it.CategoryPath, it.Brand, it.ShopID, it.ShopName
			row[8] = strconv.FormatInt(at, 10)
			row[9], row[10] = cells.Yuan(int64(o.ListPrice)), cells.Yuan(int64(o.FinalPrice))
			row[11] = cells.Yuan(o.CommissionRate)
			row[12] = strconv.Itoa(int(max(o.Sales30, 0)))
			if err := w.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
