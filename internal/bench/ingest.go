// Package bench measures Qunke against the designs it replaces, on the demo
// market. `qunke bench` runs it; docs/BENCHMARKS.md records its figures.
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// IngestConfig sets up an ingest benchmark.
type IngestConfig struct {
	Dir       string // where the databases are written (kept for inspection)
	Items     int
	Snapshots int
	Seed      uint64
	// Feed order writes each snapshot as its own transaction, the way
	// hourly or daily feed imports arrive, compacting every CompactEvery
	// snapshots; backfill order writes item by item, as `qunke demo` does.
	Order        string // "feed" or "backfill"
	CompactEvery int
	Naive        bool // also measure the naive design
	// Postgres, a postgres:// URL, runs both designs on PostgreSQL, each in
	// a schema of its own there, dropped at the end; "" writes SQLite files
	// under Dir.
	Postgres string
	Log      io.Writer
}

// Measure is one design's figures.
type Measure struct {
	Elapsed     time.Duration // store time, generation excluded
	Bytes       int64         // what the run added on disk (dataBytes after the run less before it)
	ObsPerSec   float64
	BytesPerObs float64
}

// IngestResult is what an ingest benchmark measured.
type IngestResult struct {
	Config       IngestConfig
	Observations int64
	Qunke        Measure
	QunkeVacuum  Measure // the same database after VACUUM (VACUUM FULL on PostgreSQL: free pages of compacted frames returned)
	Naive        Measure
	PriceChanges int
	Stored       int64 // observations the Qunke store holds after the run
}

// Ingest runs the benchmark.
func Ingest(ctx context.Context, cfg IngestConfig) (IngestResult, error) {
	res := IngestResult{Config: cfg}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.CompactEvery <= 0 {
		cfg.CompactEvery = 16
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai.Zone)
	m := demo.New(demo.Config{Seed: cfg.Seed, Items: cfg.Items, Snapshots: cfg.Snapshots, Interval: 24 * time.Hour, End: end})
	res.Observations = int64(cfg.Items) * int64(cfg.Snapshots)

	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "qunke.db", true)
	if err != nil {
		return res, err
	}
	defer done()
	empty, err := dataBytes(ctx, db)
	if err != nil {
		return res, err
	}
	s := catalog.NewStore(db)
	var cs catalog.CompactStats
	compact := func() error {
		st, err := s.Compact(ctx)
		cs.Add(st)
		return err
	}
	write := func(recs []catalog.Record) error {
		_, err := s.Ingest(ctx, recs)
		return err
	}
	fmt.Fprintf(cfg.Log, "qunke: %d items x %d snapshots, %s order\n", cfg.Items, cfg.Snapshots, cfg.Order)
	elapsed, err := run(m, cfg, write, compact)
	if err != nil {
		return res, err
	}
	res.PriceChanges = cs.PriceChanges
	if _, res.Stored, err = s.Counts(ctx); err != nil {
		return res, err
	}
	if res.Qunke.Bytes, err = dataBytes(ctx, db); err != nil {
		return res, err
	}
	res.Qunke.Bytes -= empty
	res.Qunke.Elapsed = elapsed
	if err := vacuumFull(ctx, db); err != nil {
		return res, err
	}
	if res.QunkeVacuum.Bytes, err = dataBytes(ctx, db); err != nil {
		return res, err
	}
	res.QunkeVacuum.Bytes -= empty
	res.QunkeVacuum.Elapsed = elapsed
	finish(&res.Qunke, res.Observations)
	finish(&res.QunkeVacuum, res.Observations)
	fmt.Fprintf(cfg.Log, "qunke: %.0f obs/s, %.2f bytes/obs (%.2f after VACUUM)\n", res.Qunke.ObsPerSec, res.Qunke.BytesPerObs, res.QunkeVacuum.BytesPerObs)

	if cfg.Naive {
		fmt.Fprintf(cfg.Log, "naive: one row per observation in an indexed table\n")
		if cfg.Postgres == "" {
			res.Naive, err = naiveIngest(ctx, m, cfg, filepath.Join(cfg.Dir, "naive.db"), false)
		} else {
			var ndb *store.DB
			if ndb, done, err = benchDB(ctx, OrdersConfig{Postgres: cfg.Postgres}, "", true); err != nil {
				return res, err
			}
			defer done()
			res.Naive, err = naiveLoad(ctx, ndb, m, cfg, false)
		}
		if err != nil {
			return res, err
		}
		finish(&res.Naive, res.Observations)
		fmt.Fprintf(cfg.Log, "naive: %.0f obs/s, %.2f bytes/obs\n", res.Naive.ObsPerSec, res.Naive.BytesPerObs)
	}
	return res, nil
}

func finish(m *Measure, obs int64) {
	m.ObsPerSec = float64(obs) / m.Elapsed.Seconds()
	m.BytesPerObs = float64(m.Bytes) / float64(obs)
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// run feeds the market to write in the configured order and returns the time
// spent in write and compact (the generator's time is not counted).
func run(m *demo.Market, cfg IngestConfig, write func([]catalog.Record) error, compact func() error) (time.Duration, error) {
	var spent time.Duration
	timed := func(f func() error) error {
		t := time.Now()
		err := f()
		spent += time.Since(t)
		return err
	}
	if cfg.Order == "backfill" {
		var recs []catalog.Record
		var obs []catalog.Observation
		per := max(1, (1<<20)/max(cfg.Snapshots, 1))
		for i := 0; i < cfg.Items; i++ {
			it := m.Item(i)
			obs = m.History(i, obs)
			for _, o := range obs {
				recs = append(recs, catalog.Record{Item: it, Obs: o})
			}
			if (i+1)%per == 0 || i == cfg.Items-1 {
				if err := timed(func() error { return write(recs) }); err != nil {
					return spent, err
				}
				recs = recs[:0]
				if err := timed(compact); err != nil {
					return spent, err
				}
				fmt.Fprintf(cfg.Log, "  %d/%d items, %s\n", i+1, cfg.Items, spent.Round(time.Millisecond))
			}
		}
		return spent, nil
	}
	err := m.Snapshots(func(snap int, _ int64, recs []catalog.Record) error {
		if err := timed(func() error { return write(recs) }); err != nil {
			return err
		}
		if (snap+1)%cfg.CompactEvery == 0 || snap == cfg.Snapshots-1 {
			if err := timed(compact); err != nil {
				return err
			}
			fmt.Fprintf(cfg.Log, "  %d/%d snapshots, %s\n", snap+1, cfg.Snapshots, spent.Round(time.Millisecond))
		}
		return nil
	})
	return spent, err
}

// naiveIngest stores the same market the way open-source price trackers do:
// one row per observation in a table indexed by (item, time). indexAfter
// builds the index once the rows are in (faster for a one-off load).
func naiveIngest(ctx context.Context, m *demo.Market, cfg IngestConfig, path string, indexAfter bool) (Measure, error) {
	removeDB(path)
	db, err := store.Open(ctx, path)
	if err != nil {
		return Measure{}, err
	}
	defer db.Close()
	return naiveLoad(ctx, db, m, cfg, indexAfter)
}

// naiveLoad is naiveIngest into db (SQLite or PostgreSQL); Bytes is what
// the load added to db.
func naiveLoad(ctx context.Context, db *store.DB, m *demo.Market, cfg IngestConfig, indexAfter bool) (Measure, error) {
	var res Measure
	empty, err := dataBytes(ctx, db)
	if err != nil {
		return res, err
	}
	ddl := func(q string) string { return q }
	if db.Dialect == store.Postgres { // 64-bit columns, generated ids
		ddl = strings.NewReplacer("id INTEGER PRIMARY KEY", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "INTEGER", "BIGINT").Replace
	}
	for _, q := range []string{
		`CREATE TABLE naive_items (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, item_id TEXT NOT NULL, title TEXT NOT NULL,
			short_title TEXT NOT NULL, category_path TEXT NOT NULL, brand TEXT NOT NULL, shop_id TEXT NOT NULL,
			shop_name TEXT NOT NULL, shop_type TEXT NOT NULL, dsr_desc INTEGER, dsr_service INTEGER, dsr_ship INTEGER,
			image_url TEXT NOT NULL, UNIQUE (platform, item_id))`,
		`CREATE TABLE observations (id INTEGER PRIMARY KEY, item INTEGER NOT NULL, at INTEGER NOT NULL,
			list_price INTEGER, coupon_amount INTEGER, coupon_threshold INTEGER, coupon_end INTEGER,
			final_price INTEGER, commission_rate INTEGER, commission_type INTEGER, coupon_remain INTEGER,
			sales30 INTEGER, sales2h INTEGER)`,
		`CREATE INDEX naive_items_category ON naive_items (category_path)`,
	} {
		if _, err := db.ExecContext(ctx, ddl(q)); err != nil {
			return res, err
		}
	}
	const obsIndex = `CREATE INDEX observations_item_at ON observations (item, at)`
	if !indexAfter {
		if _, err := db.ExecContext(ctx, obsIndex); err != nil {
			return res, err
		}
	}
	ids := map[catalog.Key]int64{}
	write := func(recs []catalog.Record) error {
		return db.InTx(ctx, func(tx *sql.Tx) error {
			insItem, err := tx.PrepareContext(ctx, `INSERT INTO naive_items (platform, item_id, title, short_title, category_path,
				brand, shop_id, shop_name, shop_type, dsr_desc, dsr_service, dsr_ship, image_url)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`)
			if err != nil {
				return err
			}
			defer insItem.Close()
			insObs, err := tx.PrepareContext(ctx, `INSERT INTO observations (item, at, list_price, coupon_amount,
				coupon_threshold, coupon_end, final_price, commission_rate, commission_type, coupon_remain, sales30, sales2h)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`)
			if err != nil {
				return err
			}
			defer insObs.Close()
			for i := range recs {
				it, o := &recs[i].Item, &recs[i].Obs
				id, ok := ids[it.Key()]
				if !ok {
					if err := insItem.QueryRowContext(ctx, string(it.Platform), it.ItemID, it.Title, it.ShortTitle,
						it.CategoryPath, it.Brand, it.ShopID, it.ShopName, string(it.ShopType), it.DSRDesc, it.DSRService,
						it.DSRShip, it.ImageURL).Scan(&id); err != nil {
						return err
					}
					ids[it.Key()] = id
				}
				if _, err := insObs.ExecContext(ctx, id, o.At, o.ListPrice, o.CouponAmount, o.CouponThreshold, o.CouponEnd,
					o.FinalPrice, o.CommissionRate, int64(o.CommissionType), o.CouponRemain, o.Sales30, o.Sales2h); err != nil {
					return err
				}
			}
			return nil
		})
	}
	res.Elapsed, err = run(m, cfg, write, func() error { return nil })
	if err != nil {
		return res, err
	}
	if indexAfter {
		if _, err := db.ExecContext(ctx, obsIndex); err != nil {
			return res, err
		}
	}
	res.Bytes, err = dataBytes(ctx, db)
	res.Bytes -= empty
	return res, err
}

// dataBytes is what db takes on disk: the SQLite file (its WAL folded in
// first), or on PostgreSQL the tables of the schema in use with their
// indexes and TOAST (pg_total_relation_size; pg_database_size would count
// every other schema of the database too).
func dataBytes(ctx context.Context, db *store.DB) (int64, error) {
	if db.Dialect != store.Postgres {
		if err := db.Checkpoint(ctx); err != nil {
			return 0, err
		}
		return db.Size(ctx)
	}
	var n int64
	err := db.QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm', 'p')`).Scan(&n)
	return n, err
}

// vacuumFull gives the free pages back: VACUUM on SQLite, VACUUM FULL of
// each table of the schema in use on PostgreSQL (a plain VACUUM there only
// marks them for reuse).
func vacuumFull(ctx context.Context, db *store.DB) error {
	if db.Dialect != store.Postgres {
		_, err := db.ExecContext(ctx, `VACUUM`)
		return err
	}
	var tables sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT string_agg(quote_ident(relname), ', ') FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'`).Scan(&tables); err != nil {
		return err
	}
	if !tables.Valid {
		return nil
	}
	_, err := db.ExecContext(ctx, `VACUUM FULL `+tables.String)
	return err
}
