package ordersync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/affiliate/jd"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// JD Union orders: jd.union.open.order.row.query, one row per order line,
// queried by update time (type 3) in windows of at most an hour, paged
// from 1 while hasMore.
const (
	JDMethod   = "jd.union.open.order.row.query"
	JDWindow   = time.Hour // the method's limit per query
	JDPageSize = 200       // the method's page size limit
)

// JD validCode values (订单行有效码) the sync tells apart; every other code
// is 无效 (2 拆单, 3 取消, 4 京东帮帮主订单, 13 违规, 14 来源与备案网址不符, …).
const (
	JDUnpaid    = 15 // 待付款
	JDPaid      = 16 // 已付款
	JDCompleted = 17 // 已完成 (received)
	JDSettled   = 18 // 已结算
	JDDeposit   = 24 // 已付定金 (a presale's deposit: paid so far)
)

// JDOrders is what the JD sync needs of a client (*jd.Client has it):
// page (from 1) of the order lines in the query's window (the sync asks by
// update time, type 3), and whether more pages follow (hasMore). Signing,
// throttling retries and keeping credentials out of errors are its job;
// the lines come with money in fen and rates in basis points.
type JDOrders interface {
	OrderPage(ctx context.Context, q jd.OrderQuery, page int) (rows []jd.Order, hasMore bool, err error)
}

// RowSyncer syncs a platform whose order API pages plain rows: JD and
// Pinduoduo. Set options before the first call; it must not run two syncs
// at once.
type RowSyncer struct {
	windowed
	name  string        // the cursor's key
	span  time.Duration // window length
	fetch func(ctx context.Context, s *RowSyncer, w Window, res *Result) error
}

// NewJD returns the JD Union order sync, importing into db through c.
func NewJD(c JDOrders, db *store.DB) *RowSyncer {
	return &RowSyncer{windowed: newWindowed(db), name: "jd.order_rows.update", span: JDWindow,
		fetch: func(ctx context.Context, s *RowSyncer, w Window, res *Result) error {
			return s.jdWindow(ctx, c, w, res)
		}}
}

// CursorName is the sync_cursors key.
func (s *RowSyncer) CursorName() string { return s.name }

// Cursor returns the stored cursor and whether there is one.
func (s *RowSyncer) Cursor(ctx context.Context) (time.Time, bool, error) {
	return s.cursor(ctx, s.name)
}

// Sync fetches and imports every order updated in [from, to), window by
// window (see walk).
func (s *RowSyncer) Sync(ctx context.Context, from, to time.Time) (Result, error) {
	return s.walk(ctx, s.name, fixedWindows(from, to, s.span), func(ctx context.Context, w Window, res *Result) error {
		return s.fetch(ctx, s, w, res)
	})
}

// Resume syncs from the stored cursor (or one window before until when
// there is none) to until.
func (s *RowSyncer) Resume(ctx context.Context, until time.Time) (Result, error) {
	from, err := s.resumeFrom(ctx, s.name, until, s.span)
	if err != nil {
		return Result{}, err
	}
	return s.Sync(ctx, from, until)
}

// fixedWindows splits [from, to) into windows of span, whole seconds.
func fixedWindows(from, to time.Time, span time.Duration) []Window {
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	var ws []Window
	for t := from; t.Before(to); t = t.Add(span) {
		end := t.Add(span)
		if end.After(to) {
			end = to
		}
		ws = append(ws, Window{t, end})
	}
	return ws
}

// maxPages bounds a window's pages: a client that always says "more"
// must not loop forever.
const maxPages = 10000

var errBadRow = errors.New("ordersync: bad order row")

func (s *RowSyncer) jdWindow(ctx context.Context, c JDOrders, w Window, res *Result) error {
	for page := 1; page <= maxPages; page++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		q := jd.OrderQuery{Type: jd.ByUpdateTime, Start: w.Start, End: w.End, PageSize: JDPageSize}
		rows, more, err := c.OrderPage(ctx, q, page)
		if err != nil {
			return err
		}
		res.Pages++
		res.Orders += len(rows)
		list, err := pageOrders(JDMethod, page, rows, jdOrder)
		if err != nil {
			return err
		}
		if err := s.put(ctx, s.name, w, list, !more, res); err != nil || !more {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("%w: %s: hasMore on an empty page %d", errBadPaging, JDMethod, page)
		}
	}
	return fmt.Errorf("%w: %s: more than %d pages", errBadPaging, JDMethod, maxPages)
}

// pageOrders maps a page's rows to orders with conv, leaving out those it
// does not keep; an error names the row.
func pageOrders[R any](method string, page int, rows []R, conv func(*R) (orders.Order, bool, error)) ([]orders.Order, error) {
	list := make([]orders.Order, 0, len(rows))
	for i := range rows {
		o, keep, err := conv(&rows[i])
		if err != nil {
			return nil, fmt.Errorf("%s page %d row %d: %w", method, page, i+1, err)
		}
		if keep {
			list = append(list, o)
		}
	}
	return list, nil
}

// jdOrder maps a JD line to an Order; keep is false for an unpaid line
// (待付款), which comes back, updated, once paid or cancelled.
func jdOrder(r *jd.Order) (o orders.Order, keep bool, err error) {
	if r.ValidCode == JDUnpaid {
		return o, false, nil
	}
	if r.ID == "" {
		return o, false, fmt.Errorf("%w: no id", errBadRow)
	}
	o = orders.Order{Platform: orders.PlatformJD, TradeID: r.ID, ParentID: r.OrderID, OrderType: "京东",
		ItemID: r.SkuID, Title: r.SkuName, Quantity: r.SkuNum, CreatedAt: unix(r.OrderTime), PaidAt: unix(r.OrderTime),
		AdzoneID: r.PositionID, MediaID: r.SiteID, SubID: r.SubUnionID,
		UnitPrice: r.PriceFen, PaidAmount: r.EstimateCosFen, SettledAmount: r.ActualCosFen,
		CommissionRate: r.CommissionRateBP, EstIncome: r.EstimateFeeFen, SettledIncome: r.ActualFeeFen}
	switch r.ValidCode {
	case JDPaid, JDDeposit:
		o.Status = orders.Paid
	case JDCompleted:
		o.Status = orders.Received
	case JDSettled:
		o.Status, o.SettledAt = orders.Settled, unix(r.FinishTime)
	default:
		o.Status = orders.Invalid
	}
	return o, true, nil
}

// unix is t in unix seconds, 0 for the zero time.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
