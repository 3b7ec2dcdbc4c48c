package ordersync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/cells"
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

// JDRow is one order line as jd.union.open.order.row.query answers it,
// in its documented fields. Money and rates are the decimal text JD sends
// (yuan; percent), so no float rounds them; times are parsed from its
// Asia/Shanghai "yyyy-MM-dd HH:mm:ss" (zero when absent).
type JDRow struct {
	ID               string // id: the line's unique id
	OrderID          string // orderId
	ParentID         string // parentId ("0" when the order was not split)
	SkuID            string // skuId
	SkuName          string // skuName
	SkuNum           int64  // skuNum
	Price            string // price: the item's unit price, yuan
	EstimateCosPrice string // estimateCosPrice: 预估计佣金额, yuan
	ActualCosPrice   string // actualCosPrice: 实际计佣金额, yuan
	CommissionRate   string // commissionRate: 佣金比例, percent
	EstimateFee      string // estimateFee: 推客的预估佣金, yuan
	ActualFee        string // actualFee: 推客的实际佣金, yuan
	ValidCode        int    // validCode
	OrderTime        time.Time
	FinishTime       time.Time
	ModifyTime       time.Time
	PositionID       string // positionId: the placement (third part of the JD PID)
	SiteID           string // siteId
	SubUnionID       string // subUnionId: the person-level id
}

// JDOrders is what the JD sync needs of a client: page (from 1) of the
// order lines updated in [from, to] (orderReq type 3, startTime/endTime),
// pageSize lines a page, and whether more pages follow (hasMore). Signing,
// throttling retries and keeping credentials out of errors are its job.
type JDOrders interface {
	JDOrderRows(ctx context.Context, from, to time.Time, page, pageSize int) (rows []JDRow, hasMore bool, err error)
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
		rows, more, err := c.JDOrderRows(ctx, w.Start, w.End, page, JDPageSize)
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
func jdOrder(r *JDRow) (o orders.Order, keep bool, err error) {
	if r.ValidCode == JDUnpaid {
		return o, false, nil
	}
	if r.ID == "" {
		return o, false, fmt.Errorf("%w: no id", errBadRow)
	}
	o = orders.Order{Platform: orders.PlatformJD, TradeID: r.ID, ParentID: r.OrderID, OrderType: "京东",
		ItemID: r.SkuID, Title: r.SkuName, Quantity: r.SkuNum, CreatedAt: unix(r.OrderTime), PaidAt: unix(r.OrderTime),
		AdzoneID: r.PositionID, MediaID: r.SiteID, SubID: r.SubUnionID}
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
	for _, f := range []struct {
		dst  *int64
		v    string
		name string
		rate bool
	}{
		{&o.UnitPrice, r.Price, "price", false},
		{&o.PaidAmount, r.EstimateCosPrice, "estimateCosPrice", false},
		{&o.SettledAmount, r.ActualCosPrice, "actualCosPrice", false},
		{&o.CommissionRate, r.CommissionRate, "commissionRate", true},
		{&o.EstIncome, r.EstimateFee, "estimateFee", false},
		{&o.SettledIncome, r.ActualFee, "actualFee", false},
	} {
		if f.v == "" {
			continue
		}
		parse := cells.Money
		if f.rate {
			parse = cells.Percent
		}
		v, why := parse(f.v)
		if why != "" {
			return o, false, fmt.Errorf("%w: %s %q: %s", errBadRow, f.name, f.v, why)
		}
		*f.dst = v
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
