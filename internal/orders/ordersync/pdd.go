package ordersync

import (
	"context"
	"fmt"
	"time"

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

// PDD order_status values.
const (
	PDDUnpaid       = -1 // 未支付
	PDDPaid         = 0  // 已支付
	PDDGrouped      = 1  // 已成团
	PDDReceived     = 2  // 确认收货
	PDDVerified     = 3  // 审核成功
	PDDRejected     = 4  // 审核失败（不可提现）
	PDDSettled      = 5  // 已经结算
	PDDNoCommission = 8  // 非多多进宝商品（无佣金订单）
	PDDPunished     = 10 // 已处罚
)

// PDDRow is one order as pdd.ddk.order.list.increment.get answers it, in
// its documented fields: amounts in fen and the rate in per mille (千分比)
// as PDD sends them, times from its unix seconds (zero when absent).
type PDDRow struct {
	OrderSN          string // order_sn
	GoodsID          string // goods_id
	GoodsName        string // goods_name
	GoodsQuantity    int64  // goods_quantity
	GoodsPrice       int64  // goods_price, fen
	OrderAmount      int64  // order_amount, fen
	PromotionRate    int64  // promotion_rate, per mille
	PromotionAmount  int64  // promotion_amount, fen
	OrderStatus      int    // order_status
	CreateTime       time.Time
	PayTime          time.Time
	ReceiveTime      time.Time
	SettleTime       time.Time
	ModifyAt         time.Time
	PID              string // p_id: the placement
	CustomParameters string // custom_parameters: the person-level id
}

// PDDOrders is what the PDD sync needs of a client: page (from 1) of the
// orders updated in [from, to] (start_update_time/end_update_time, unix
// seconds), pageSize a page, with return_count so that total is
// total_count. Signing, throttling retries and keeping credentials out of
// errors are its job.
type PDDOrders interface {
	PDDOrderPage(ctx context.Context, from, to time.Time, page, pageSize int) (rows []PDDRow, total int, err error)
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
	_, total, err := c.PDDOrderPage(ctx, w.Start, w.End, 1, PDDPageSize)
	if err != nil {
		return err
	}
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
		rows, _, err := c.PDDOrderPage(ctx, w.Start, w.End, page, PDDPageSize)
		if err != nil {
			return err
		}
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
func pddOrder(r *PDDRow) (o orders.Order, keep bool, err error) {
	if r.OrderStatus == PDDUnpaid {
		return o, false, nil
	}
	if r.OrderSN == "" {
		return o, false, fmt.Errorf("%w: no order_sn", errBadRow)
	}
	o = orders.Order{Platform: orders.PlatformPDD, TradeID: r.OrderSN, ParentID: r.OrderSN, OrderType: "拼多多",
		ItemID: r.GoodsID, Title: r.GoodsName, Quantity: r.GoodsQuantity, UnitPrice: r.GoodsPrice,
		PaidAmount: r.OrderAmount, CommissionRate: r.PromotionRate * 10, EstIncome: r.PromotionAmount,
		CreatedAt: unix(r.CreateTime), PaidAt: unix(r.PayTime), AdzoneID: r.PID, SubID: r.CustomParameters}
	switch r.OrderStatus {
	case PDDPaid, PDDGrouped:
		o.Status = orders.Paid
	case PDDReceived, PDDVerified:
		o.Status = orders.Received
	case PDDSettled:
		o.Status, o.SettledAt = orders.Settled, unix(r.SettleTime)
		o.SettledAmount, o.SettledIncome = r.OrderAmount, r.PromotionAmount
	case PDDRejected, PDDNoCommission, PDDPunished:
		o.Status = orders.Invalid
	default:
		return o, false, fmt.Errorf("%w: order_status %d", errBadRow, r.OrderStatus)
	}
	return o, true, nil
}
