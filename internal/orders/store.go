package orders

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// Store keeps orders in the database.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

// Stats counts what Import did, one count per order given.
type Stats struct {
	New       int
	Updated   int
	Unchanged int
	// Regressed orders would have moved their status backwards (an older
	// report): they were not applied and are flagged status_regressed.
	Regressed    int
	RegressedIDs []string // their trade ids, the first 100
}

// Add accumulates b into s.
func (s *Stats) Add(b Stats) {
	s.New += b.New
	s.Updated += b.Updated
	s.Unchanged += b.Unchanged
	s.Regressed += b.Regressed
	for _, id := range b.RegressedIDs {
		if len(s.RegressedIDs) < 100 {
			s.RegressedIDs = append(s.RegressedIDs, id)
		}
	}
}

const orderCols = `parent_id, order_type, item_id, title, shop_name, quantity, unit_price,
	paid_amount, settled_amount, commission_rate, est_income, settled_income, service_fee_rate,
	status, click_at, created_at, paid_at, settled_at, media_id, media_name, adzone_id,
	adzone_name, relation_id, special_id, dispute`

// fields returns o's values in orderCols order.
func (o *Order) fields() []any {
	return []any{o.ParentID, o.OrderType, o.ItemID, o.Title, o.ShopName, o.Quantity, o.UnitPrice,
		o.PaidAmount, o.SettledAmount, o.CommissionRate, o.EstIncome, o.SettledIncome, o.ServiceFeeRate,
		string(o.Status), o.ClickAt, o.CreatedAt, o.PaidAt, o.SettledAt, o.MediaID, o.MediaName, o.AdzoneID,
		o.AdzoneName, o.RelationID, o.SpecialID, o.Dispute}
}

// scanTargets returns pointers to o's fields in orderCols order.
func (o *Order) scanTargets(status *string) []any {
	return []any{&o.ParentID, &o.OrderType, &o.ItemID, &o.Title, &o.ShopName, &o.Quantity, &o.UnitPrice,
		&o.PaidAmount, &o.SettledAmount, &o.CommissionRate, &o.EstIncome, &o.SettledIncome, &o.ServiceFeeRate,
		status, &o.ClickAt, &o.CreatedAt, &o.PaidAt, &o.SettledAt, &o.MediaID, &o.MediaName, &o.AdzoneID,
		&o.AdzoneName, &o.RelationID, &o.SpecialID, &o.Dispute}
}

// Import upserts orders by (platform, trade id) in one transaction. An order
// equal to the stored one is unchanged (nothing written), so re-importing
// an overlapping report is idempotent. An order whose status would move
// backwards (see Forward) is not applied: the stored row keeps its values
// and gets status_regressed = 1. Orders are applied in the given order, so
// a trade id repeated in one batch is still one row.
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
	var st Stats
	now := s.now().Unix()
	err := func() error {
		for i := range orders {
			o := &orders[i]
			if o.Platform == "" {
				o.Platform = PlatformTaobao
			}
			old, regressed, found, err := get(ctx, tx, o.Platform, o.TradeID)
			if err != nil {
				return err
			}
			switch {
			case !found:
				args := append([]any{o.Platform, o.TradeID}, o.fields()...)
				args = append(args, now)
				_, err = tx.ExecContext(ctx, `INSERT INTO orders (platform, trade_id, `+orderCols+`, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
				$19, $20, $21, $22, $23, $24, $25, $26, $27, $28)`, args...)
				st.New++
			case !Forward(old.Status, o.Status):
				st.Regressed++
				if len(st.RegressedIDs) < 100 {
					st.RegressedIDs = append(st.RegressedIDs, o.TradeID)
				}
				if !regressed {
					_, err = tx.ExecContext(ctx, `UPDATE orders SET status_regressed = 1, updated_at = $1
					WHERE platform = $2 AND trade_id = $3`, now, o.Platform, o.TradeID)
				}
			case old == *o:
				st.Unchanged++
			default:
				args := append(o.fields(), now, o.Platform, o.TradeID)
				_, err = tx.ExecContext(ctx, `UPDATE orders SET parent_id = $1, order_type = $2, item_id = $3,
				title = $4, shop_name = $5, quantity = $6, unit_price = $7, paid_amount = $8,
				settled_amount = $9, commission_rate = $10, est_income = $11, settled_income = $12,
				service_fee_rate = $13, status = $14, click_at = $15, created_at = $16, paid_at = $17,
				settled_at = $18, media_id = $19, media_name = $20, adzone_id = $21, adzone_name = $22,
				relation_id = $23, special_id = $24, dispute = $25, updated_at = $26
				WHERE platform = $27 AND trade_id = $28`, args...)
				st.Updated++
			}
			if err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		return Stats{}, err
	}
	return st, nil
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
var ErrBadRows = errors.New("订单文件有错误行，未导入 (the order file has bad rows; nothing imported)")

// FileResult describes one imported file.
type FileResult struct {
	Encoding string // CSV: "utf-8" or "gb18030"; "" for spreadsheets
	Parsed   Parsed
	Stats    Stats
}

// ImportFile reads, parses and imports one report. With bad rows it imports
// nothing and returns ErrBadRows unless skipBad is set, in which case the
// good rows are imported. A file-level problem (unreadable, no header) is
// returned as an error.
func (s *Store) ImportFile(ctx context.Context, path string, skipBad bool) (FileResult, error) {
	var res FileResult
	rows, enc, err := ReadRows(path)
	if err != nil {
		return res, err
	}
	res.Encoding = enc
	res.Parsed = Parse(path, rows)
	p := res.Parsed
	if p.Rows == 0 && len(p.Problems) > 0 {
		return res, p.Problems[0]
	}
	if p.Rejected > 0 && !skipBad {
		return res, ErrBadRows
	}
	res.Stats, err = s.Import(ctx, p.Orders)
	return res, err
}
