package ordersync

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/affiliate/pdd"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// Pinduoduo orders: pdd.ddk.order.list.increment.get, by last update time
// in windows of at most 24 hours. The doc requires paging an update-time
// range from the last page back to the first, so that orders updated while
// it pages (which move to the end) are not skipped.
const (
	PDDMethod   = "pdd.ddk.order.list.increment.get"
	PDDWindow   = 24 * time.Hour // the method's limit per query
	PDDPageSize = 50             // 10 to 100; the doc advises 40-50
)

// PDDOrders is what the PDD sync needs of a client (*pdd.Client has it):
// page (from 1) of the orders updated in [start, end) (start_update_time/
// end_update_time, unix seconds), size a page, with return_count so that
// Total is total_count. Signing, throttling retries and keeping
// credentials out of errors are its job; orders come with money in fen
// and the rate in basis points.
type PDDOrders interface {
	Page(ctx context.Context, start, end time.Time, page, size int) (pdd.OrderPage, error)
}

// NewPDD returns the Pinduoduo order sync, importing into db through c.
func NewPDD(c PDDOrders, db *store.DB) *RowSyncer {
	return &RowSyncer{windowed: newWindowed(db), name: "pdd.order_list.update", span: PDDWindow,
		fetch: func(ctx context.Context, s *RowSyncer, w Window, res *Result) error {
			return s.pddWindow(ctx, c, w, res)
		}}
}

func (s *RowSyncer) pddWindow(ctx context.Context, c PDDOrders, w Window, res *Result) error {
	// The first page tells how many pages there are; then last to first.
	first, err := c.Page(ctx, w.Start, w.End, 1, PDDPageSize)
	if err != nil {
		return err
	}
	total := first.Total
	res.Pages++
	pages := (total + PDDPageSize - 1) / PDDPageSize
	if total < 0 || pages > maxPages {
		return fmt.Errorf("%w: %s: total_count %d", errBadPaging, PDDMethod, total)
	}
	if pages == 0 {
		return s.put(ctx, s.name, w, nil, true, res)
	}
	for page := pages; page >= 1; page-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := c.Page(ctx, w.Start, w.End, page, PDDPageSize)
		if err != nil {
			return err
		}
		rows := p.Orders
		res.Pages++
		res.Orders += len(rows)
		list, err := pageOrders(PDDMethod, page, rows, pddOrder)
		if err != nil {
			return err
		}
		if err := s.put(ctx, s.name, w, list, page == 1, res); err != nil {
			return err
		}
	}
	return nil
}

// pddOrder maps a PDD order to an Order; keep is false for an unpaid one
// (未支付), which comes back, updated, once paid.
func pddOrder(r *pdd.Order) (o orders.Order, keep bool, err error) {
	if r.Status == pdd.StatusUnpaid {
		return o, false, nil
	}
	if r.OrderSN == "" {
		return o, false, fmt.Errorf("%w: no order_sn", errBadRow)
	}
	o = orders.Order{Platform: orders.PlatformPDD, TradeID: r.OrderSN, ParentID: r.OrderSN, OrderType: "拼多多",
		ItemID: r.GoodsID, Title: r.GoodsName, Quantity: r.GoodsQuantity, UnitPrice: r.GoodsPriceFen,
		PaidAmount: r.OrderAmountFen, CommissionRate: r.PromotionRateBP, EstIncome: r.PromotionFen,
		CreatedAt: unix(r.CreateTime), PaidAt: unix(r.PayTime), AdzoneID: r.PID, SubID: r.CustomParameters}
	switch r.Status {
	case pdd.StatusPaid, pdd.StatusGrouped:
		o.Status = orders.Paid
	case pdd.StatusReceived, pdd.StatusApproved:
		o.Status = orders.Received
	case pdd.StatusSettled:
		o.Status, o.SettledAt = orders.Settled, unix(r.SettleTime)
		o.SettledAmount, o.SettledIncome = r.OrderAmountFen, r.PromotionFen
	case pdd.StatusRejected, pdd.StatusNoCommiss, pdd.StatusPenalised:
		o.Status = orders.Invalid
	default:
		return o, false, fmt.Errorf("%w: order_status %d", errBadRow, r.Status)
	}
	return o, true, nil
}
