package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
)

// Store keeps orders in the database.
type Store struct {
	db     *store.DB
	now    func() time.Time
	groups *community.Store // the groups orders are attributed to (their adzones, names and members)
	posts  *publish.Store   // the posts orders are attributed to
	// Window is how long after a post an order may still be credited to it
	// (attribution, see Attribute); 0 means DefaultWindow.
	Window time.Duration
	// pgBatch is how many orders a PostgreSQL import writes at once; 0
	// means pgBatch (tests set it to see batch boundaries move).
	pgBatch int
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, now: time.Now, groups: community.NewStore(db), posts: publish.NewStore(db)}
}

// Stats counts what Import did, one count per order given.
type Stats struct {
	New       int
	Updated   int
	Unchanged int
	// Regressed orders would have moved their status backwards (an older
	// report): they were not applied and are flagged status_regressed.
	Regressed    int
	RegressedIDs []string // their trade ids, the first 100
	// Attributed of the applied orders (not regressed) came from a
	// registered group's placement; FromPosts of those were credited to a
	// post (see Attribute).
	Attributed int
	FromPosts  int
	// ToMembers of the applied orders carry a person-level id bound to a
	// member (see Attribute).
	ToMembers int
}

// Add accumulates b into s.
func (s *Stats) Add(b Stats) {
	s.New += b.New
	s.Updated += b.Updated
	s.Unchanged += b.Unchanged
	s.Regressed += b.Regressed
	s.Attributed += b.Attributed
	s.FromPosts += b.FromPosts
	s.ToMembers += b.ToMembers
	for _, id := range b.RegressedIDs {
		if len(s.RegressedIDs) < 100 {
			s.RegressedIDs = append(s.RegressedIDs, id)
		}
	}
}

const orderCols = `parent_id, order_type, item_id, title, shop_name, quantity, unit_price,
	paid_amount, settled_amount, commission_rate, est_income, settled_income, service_fee_rate,
	status, click_at, created_at, paid_at, settled_at, media_id, media_name, adzone_id,
	adzone_name, relation_id, special_id, dispute, sub_id`

// nOrderCols is the number of orderCols.
const nOrderCols = 26

// appendFields appends o's values in orderCols order.
func (o *Order) appendFields(dst []any) []any {
	return append(dst, o.ParentID, o.OrderType, o.ItemID, o.Title, o.ShopName, o.Quantity, o.UnitPrice,
		o.PaidAmount, o.SettledAmount, o.CommissionRate, o.EstIncome, o.SettledIncome, o.ServiceFeeRate,
		string(o.Status), o.ClickAt, o.CreatedAt, o.PaidAt, o.SettledAt, o.MediaID, o.MediaName, o.AdzoneID,
		o.AdzoneName, o.RelationID, o.SpecialID, o.Dispute, o.SubID)
}

// scanTargets returns pointers to o's fields in orderCols order.
func (o *Order) scanTargets(status *string) []any {
	return []any{&o.ParentID, &o.OrderType, &o.ItemID, &o.Title, &o.ShopName, &o.Quantity, &o.UnitPrice,
		&o.PaidAmount, &o.SettledAmount, &o.CommissionRate, &o.EstIncome, &o.SettledIncome, &o.ServiceFeeRate,
		status, &o.ClickAt, &o.CreatedAt, &o.PaidAt, &o.SettledAt, &o.MediaID, &o.MediaName, &o.AdzoneID,
		&o.AdzoneName, &o.RelationID, &o.SpecialID, &o.Dispute, &o.SubID}
}

// Count returns how many orders are stored.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n)
	return n, err
}

// Vacuum does after a bulk load what PostgreSQL's autovacuum does soon
// after: the statistics the planner needs and the visibility map that
// index-only scans need (nothing on SQLite).
func (s *Store) Vacuum(ctx context.Context) error {
	return s.db.VacuumAnalyze(ctx, "orders")
}

// Import upserts orders by (platform, trade id) in one transaction. An order
// equal to the stored one is unchanged (nothing written), so re-importing
// an overlapping report is idempotent. An order whose status would move
// backwards (see Forward) is not applied: the stored row keeps its values
// and gets status_regressed = 1. Orders are applied in the given order, so
// a trade id repeated in one batch is still one row. Every applied order is
// attributed (see Attribute) in the same transaction.
func (s *Store) Import(ctx context.Context, orders []Order) (Stats, error) {
	var st Stats
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = s.ImportTx(ctx, tx, orders)
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	return st, nil
}

// ImportTx is Import inside the caller's transaction, so that what the
// caller records with the orders (a sync cursor, say) commits with them.
func (s *Store) ImportTx(ctx context.Context, tx *sql.Tx, orders []Order) (Stats, error) {
	im, err := s.newImporter(ctx, tx)
	if err != nil {
		return Stats{}, err
	}
	defer im.close()
	if err := im.attr.need(ctx, orders); err != nil {
		return Stats{}, err
	}
	if err := im.add(orders); err != nil {
		return Stats{}, err
	}
	if err := im.finish(); err != nil {
		return Stats{}, err
	}
	return im.st, nil
}

func get(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, platform, tradeID string) (o Order, regressed, found bool, err error) {
	var status string
	var flag int
	o.Platform, o.TradeID = platform, tradeID
	targets := append(o.scanTargets(&status), &flag)
	err = q.QueryRowContext(ctx, `SELECT `+orderCols+`, status_regressed FROM orders
		WHERE platform = $1 AND trade_id = $2`, platform, tradeID).Scan(targets...)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, false, false, nil
	}
	if err != nil {
		return Order{}, false, false, err
	}
	o.Status = Status(status)
	return o, flag != 0, true, nil
}

// Get returns one stored order and whether a report tried to move its
// status backwards; ok is false when there is none.
func (s *Store) Get(ctx context.Context, platform, tradeID string) (o Order, regressed, ok bool, err error) {
	return get(ctx, s.db, platform, tradeID)
}

// ErrBadRows means a file had bad rows and, without SkipBad, nothing from it
// was imported.
var ErrBadRows = msg.New("orders.err_bad_rows")

// FileResult describes one imported file.
type FileResult struct {
	Encoding string // CSV: "utf-8" or "gb18030"; "" for spreadsheets
	// Parsed counts the rows and keeps the problems; its Orders is empty:
	// ImportFile streams the orders into the database as it reads them.
	Parsed Parsed
	Stats  Stats
}

// ImportFile reads, parses and imports one report in one transaction,
// streaming: a report of a million rows is never held in memory. With bad
// rows it imports nothing and returns ErrBadRows unless skipBad is set, in
// which case the good rows are imported. A file-level problem (unreadable,
// no header) is returned as an error.
func (s *Store) ImportFile(ctx context.Context, path string, skipBad bool) (FileResult, error) {
	var res FileResult
	rr, enc, err := openRows(path)
	if err != nil {
		return res, err
	}
	defer rr.Close()
	res.Encoding = enc
	row, err := rr.Next()
	if errors.Is(err, io.EOF) {
		pr := Problem{File: path, Reason: msg.New(whyEmpty)}
		res.Parsed.Problems = []Problem{pr}
		return res, pr
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	h, pr := newHeader(path, row.Cells)
	if pr != nil {
		res.Parsed.Problems = []Problem{*pr}
		return res, *pr
	}
	p := &res.Parsed
	// One goroutine reads and parses, a batch at a time, while this one
	// stores the batch before: on two cores the file costs little beyond
	// the database's own time. p belongs to the reader until it closes
	// batches.
	batches := make(chan []Order, 2)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var readErr error
	go func() {
		defer close(batches)
		batch := make([]Order, 0, fileBatch)
		send := func() bool {
			select {
			case batches <- batch:
				batch = make([]Order, 0, fileBatch)
				return true
			case <-rctx.Done():
				return false
			}
		}
		for n := 2; ; n++ {
			row, err := rr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				readErr = msg.Wrap(err, "orders.at_row_error", path, n, err)
				return
			}
			// Once a row is bad and bad rows are not skipped, nothing will
			// be imported: read on only to report every problem.
			if o, ok := p.row(h, n, row.Cells); ok && (skipBad || p.Rejected == 0) {
				batch = append(batch, o)
			}
			if len(batch) == fileBatch && !send() {
				return
			}
		}
		if len(batch) > 0 {
			send()
		}
	}()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		im, err := s.newImporter(ctx, tx)
		if err != nil {
			return err
		}
		defer im.close()
		for batch := range batches {
			if err := im.attr.need(ctx, batch); err != nil {
				return err
			}
			if err := im.add(batch); err != nil {
				return err
			}
		}
		// The reader is done: p and readErr are ours.
		if readErr != nil {
			return readErr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.Rejected > 0 && !skipBad {
			return ErrBadRows
		}
		res.Stats = im.st
		return im.finish()
	})
	// Stop the reader and wait for it before the file is closed.
	stop()
	for range batches {
	}
	if err != nil {
		res.Stats = Stats{}
		return res, err
	}
	return res, nil
}

// fileBatch is how many parsed orders ImportFile hands the importer at once.
const fileBatch = 5000
