package pdd

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Limits of pdd.ddk.order.list.increment.get.
const (
	MaxWindow       = 24 * time.Hour // end_update_time - start_update_time
	MaxPageSize     = 100            // page_size is 10..100
	MinPageSize     = 10
	maxPages        = 1000 // 100,000 orders per window: a bound far above real traffic
	DefaultPageSize = 50   // the doc's advice (40–50) against time-outs
)

// order_status values.
const (
	StatusPaid      = 0  // 已支付
	StatusGrouped   = 1  // 已成团
	StatusReceived  = 2  // 确认收货
	StatusApproved  = 3  // 审核成功
	StatusRejected  = 4  // 审核失败（不可提现）
	StatusSettled   = 5  // 已经结算
	StatusNoCommiss = 8  // 非多多进宝商品（无佣金订单）
	StatusPenalised = 10 // 已处罚
	StatusUnpaid    = -1 // 未支付
)

// Order is one promotion order as the platform reports it: money in fen
// (as sent), promotion_rate (千分比) turned into basis points, ids as
// strings, times in UTC (zero when not given).
type Order struct {
	OrderSN          string
	GoodsID          string
	GoodsSign        string
	GoodsName        string
	GoodsQuantity    int64
	GoodsPriceFen    int64
	OrderAmountFen   int64 // what the buyer paid
	PromotionFen     int64 // promotion_amount: the commission
	PromotionRateBP  int64 // promotion_rate ‰ × 10
	Status           int
	StatusDesc       string
	CreateTime       time.Time
	PayTime          time.Time
	GroupTime        time.Time
	ReceiveTime      time.Time
	VerifyTime       time.Time
	SettleTime       time.Time
	ModifyTime       time.Time // order_modify_at: what the increment window filters on
	PID              string    // p_id: the placement
	CustomParameters string    // person-level id
	FailReason       string
}

type rawOrder struct {
	OrderSN          string      `json:"order_sn"`
	GoodsID          json.Number `json:"goods_id"`
	GoodsSign        string      `json:"goods_sign"`
	GoodsName        string      `json:"goods_name"`
	GoodsQuantity    int64       `json:"goods_quantity"`
	GoodsPrice       int64       `json:"goods_price"`
	OrderAmount      int64       `json:"order_amount"`
	PromotionAmount  int64       `json:"promotion_amount"`
	PromotionRate    int64       `json:"promotion_rate"`
	OrderStatus      int         `json:"order_status"`
	OrderStatusDesc  string      `json:"order_status_desc"`
	CreateTime       int64       `json:"order_create_time"`
	PayTime          int64       `json:"order_pay_time"`
	GroupTime        int64       `json:"order_group_success_time"`
	ReceiveTime      int64       `json:"order_receive_time"`
	VerifyTime       int64       `json:"order_verify_time"`
	SettleTime       int64       `json:"order_settle_time"`
	ModifyAt         int64       `json:"order_modify_at"`
	PID              string      `json:"p_id"`
	CustomParameters string      `json:"custom_parameters"`
	FailReason       string      `json:"fail_reason"`
}

func unix(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func (r rawOrder) order() Order {
	return Order{OrderSN: r.OrderSN, GoodsID: string(r.GoodsID), GoodsSign: r.GoodsSign, GoodsName: r.GoodsName,
		GoodsQuantity: r.GoodsQuantity, GoodsPriceFen: r.GoodsPrice, OrderAmountFen: r.OrderAmount,
		PromotionFen: r.PromotionAmount, PromotionRateBP: r.PromotionRate * 10, Status: r.OrderStatus,
		StatusDesc: r.OrderStatusDesc, CreateTime: unix(r.CreateTime), PayTime: unix(r.PayTime),
		GroupTime: unix(r.GroupTime), ReceiveTime: unix(r.ReceiveTime), VerifyTime: unix(r.VerifyTime),
		SettleTime: unix(r.SettleTime), ModifyTime: unix(r.ModifyAt), PID: r.PID,
		CustomParameters: r.CustomParameters, FailReason: r.FailReason}
}

// OrderPage is one page of the increment query.
type OrderPage struct {
	Orders []Order
	Total  int // total_count of the window
}

// Page reads one page (from 1) of the orders updated in [start, end).
func (c *Client) Page(ctx context.Context, start, end time.Time, page, size int) (OrderPage, error) {
	biz := map[string]string{
		"start_update_time": strconv.FormatInt(start.Unix(), 10),
		"end_update_time":   strconv.FormatInt(end.Unix(), 10),
		"page":              strconv.Itoa(page),
		"page_size":         strconv.Itoa(size),
		"return_count":      "true",
	}
	var resp struct {
		List  []rawOrder `json:"order_list"`
		Total int        `json:"total_count"`
	}
	if err := c.call(ctx, MethodOrders, "order_list_get_response", biz, &resp); err != nil {
		return OrderPage{}, err
	}
	p := OrderPage{Total: resp.Total, Orders: make([]Order, 0, len(resp.List))}
	for i, r := range resp.List {
		if r.OrderSN == "" {
			return OrderPage{}, fmt.Errorf("%w: %s: page %d row %d: no order_sn", ErrBadResponse, MethodOrders, page, i+1)
		}
		p.Orders = append(p.Orders, r.order())
	}
	return p, nil
}

// Orders reads every order updated in [start, end) (at most MaxWindow),
// pages of size (0: DefaultPageSize). As the platform's doc requires for
// the update-time increment, pages are read from the last to the first:
// one call learns total_count, then pages n … 1 (the first call's page is
// the answer when everything fits on it). An order met twice is kept once,
// in its latest state.
func (c *Client) Orders(ctx context.Context, start, end time.Time, size int) ([]Order, error) {
	if !end.After(start) || end.Sub(start) > MaxWindow {
		return nil, fmt.Errorf("pdd: order window %s .. %s must be longer than 0 and at most %s", start, end, MaxWindow)
	}
	if size == 0 {
		size = DefaultPageSize
	}
	size = min(max(size, MinPageSize), MaxPageSize)
	first, err := c.Page(ctx, start, end, 1, size)
	if err != nil {
		return nil, err
	}
	pages := (first.Total + size - 1) / size
	if pages <= 1 {
		return first.Orders, nil
	}
	if pages > maxPages {
		return nil, fmt.Errorf("pdd: %d orders in one window, more than %d pages; use a shorter window", first.Total, maxPages)
	}
	seen := map[string]int{}
	var all []Order
	for page := pages; page >= 1; page-- {
		p, err := c.Page(ctx, start, end, page, size)
		if err != nil {
			return nil, err
		}
		for _, o := range p.Orders {
			if i, ok := seen[o.OrderSN]; ok {
				if o.ModifyTime.After(all[i].ModifyTime) {
					all[i] = o
				}
				continue
			}
			seen[o.OrderSN] = len(all)
			all = append(all, o)
		}
	}
	return all, nil
}
