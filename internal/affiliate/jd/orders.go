package jd

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/affiliate/apicall"
	"github.com/qunke/qunke/internal/shanghai"
)

// Order query types (orderReq.type): which time the window filters on.
const (
	ByOrderTime  = 1 // 下单时间
	ByFinishTime = 2 // 完成时间
	ByUpdateTime = 3 // 更新时间
)

// Limits of jd.union.open.order.row.query.
const (
	MaxWindow   = time.Hour // endTime - startTime
	MaxPageSize = 200
	maxPages    = 500 // 100,000 rows per window: a bound, far above real traffic
	timeLayout  = "2006-01-02 15:04:05"
)

// validCode values (订单行有效码).
const (
	ValidPendingPay = 15 // 待付款
	ValidPaid       = 16 // 已付款
	ValidFinished   = 17 // 已完成
	ValidSettled    = 18 // 已结算
)

// Valid reports whether a validCode counts (15..18); the others (2, 3,
// 4, … 13, 14 …) mean the row is invalid (拆单, 取消, 风控, 退款…).
func Valid(code int) bool { return code >= ValidPendingPay && code <= ValidSettled }

// Order is one order row (one sku of one order) as JD reports it; money in
// fen, rates in basis points, ids as strings, times in UTC (JD gives
// Beijing time; zero when empty).
type Order struct {
	ID               string // the row's unique id (order + sku)
	OrderID          string
	ParentID         string
	SkuID            string
	SkuName          string
	SkuNum           int64
	PriceFen         int64 // unit price
	EstimateCosFen   int64 // estimateCosPrice: the amount commission is computed on
	EstimateFeeFen   int64 // estimated commission
	ActualCosFen     int64
	ActualFeeFen     int64 // actual commission
	CommissionRateBP int64 // commissionRate (a percent) in basis points
	FinalRateBP      int64 // finalRate (a percent) in basis points
	ValidCode        int
	OrderTime        time.Time
	FinishTime       time.Time
	ModifyTime       time.Time
	PayMonth         string // yyyyMMdd of the settlement, "0" before
	UnionID          string
	PositionID       string // the placement: third part of the group's JD PID
	SiteID           string
	SubUnionID       string // person-level id
}

// OrderQuery asks for the rows of one window.
type OrderQuery struct {
	Type       int       // ByOrderTime, ByFinishTime or ByUpdateTime (default)
	Start, End time.Time // End - Start ≤ MaxWindow
	PageSize   int       // ≤ MaxPageSize; 0 means MaxPageSize
}

type orderReq struct {
	PageIndex int    `json:"pageIndex"`
	PageSize  int    `json:"pageSize"`
	Type      int    `json:"type"`
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
}

// Orders reads every row of the window, page by page until hasMore is
// false (at most maxPages pages).
func (c *Client) Orders(ctx context.Context, q OrderQuery) ([]Order, error) {
	if q.Type == 0 {
		q.Type = ByUpdateTime
	}
	if q.PageSize <= 0 || q.PageSize > MaxPageSize {
		q.PageSize = MaxPageSize
	}
	if !q.End.After(q.Start) || q.End.Sub(q.Start) > MaxWindow {
		return nil, fmt.Errorf("jd: order window %s .. %s must be longer than 0 and at most %s", q.Start, q.End, MaxWindow)
	}
	var all []Order
	for page := 1; ; page++ {
		rows, more, err := c.OrderPage(ctx, q, page)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
		if !more {
			return all, nil
		}
		if page == maxPages {
			return nil, fmt.Errorf("jd: more than %d pages in one window; use a shorter window", maxPages)
		}
	}
}

// OrderPage reads page (from 1) of the window and says whether more follow.
func (c *Client) OrderPage(ctx context.Context, q OrderQuery, page int) ([]Order, bool, error) {
	req := map[string]orderReq{"orderReq": {
		PageIndex: page, PageSize: q.PageSize, Type: q.Type,
		StartTime: q.Start.In(shanghai.Zone).Format(timeLayout), EndTime: q.End.In(shanghai.Zone).Format(timeLayout),
	}}
	env, err := c.call(ctx, MethodOrderRows, "queryResult", req)
	if err != nil {
		return nil, false, err
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil, false, nil
	}
	var raw []rawOrder
	if err := json.Unmarshal(env.Data, &raw); err != nil {
		return nil, false, fmt.Errorf("%w: %s: data: %v", ErrBadResponse, MethodOrderRows, err)
	}
	rows := make([]Order, len(raw))
	for i, r := range raw {
		if rows[i], err = r.order(); err != nil {
			return nil, false, fmt.Errorf("%w: %s: row %d (id %s): %v", ErrBadResponse, MethodOrderRows, i+1, r.ID, err)
		}
	}
	return rows, env.HasMore, nil
}

// rawOrder is a row as JD sends it: numbers stay json.Number so that
// money is parsed exactly.
type rawOrder struct {
	ID               text        `json:"id"`
	OrderID          json.Number `json:"orderId"`
	ParentID         json.Number `json:"parentId"`
	SkuID            json.Number `json:"skuId"`
	SkuName          string      `json:"skuName"`
	SkuNum           json.Number `json:"skuNum"`
	Price            json.Number `json:"price"`
	EstimateCosPrice json.Number `json:"estimateCosPrice"`
	EstimateFee      json.Number `json:"estimateFee"`
	ActualCosPrice   json.Number `json:"actualCosPrice"`
	ActualFee        json.Number `json:"actualFee"`
	CommissionRate   json.Number `json:"commissionRate"`
	FinalRate        json.Number `json:"finalRate"`
	ValidCode        int         `json:"validCode"`
	OrderTime        string      `json:"orderTime"`
	FinishTime       string      `json:"finishTime"`
	ModifyTime       string      `json:"modifyTime"`
	PayMonth         json.Number `json:"payMonth"`
	UnionID          json.Number `json:"unionId"`
	PositionID       json.Number `json:"positionId"`
	SiteID           json.Number `json:"siteId"`
	SubUnionID       string      `json:"subUnionId"`
}

func (r rawOrder) order() (Order, error) {
	o := Order{ID: string(r.ID), OrderID: string(r.OrderID), ParentID: string(r.ParentID), SkuID: string(r.SkuID),
		SkuName: r.SkuName, ValidCode: r.ValidCode, PayMonth: string(r.PayMonth), UnionID: string(r.UnionID),
		PositionID: string(r.PositionID), SiteID: string(r.SiteID), SubUnionID: r.SubUnionID}
	if o.ID == "" || o.OrderID == "" {
		return o, fmt.Errorf("no id or orderId")
	}
	var err error
	for _, f := range []struct {
		dst    *int64
		src    json.Number
		places int
		name   string
	}{
		{&o.SkuNum, r.SkuNum, 0, "skuNum"}, {&o.PriceFen, r.Price, 2, "price"},
		{&o.EstimateCosFen, r.EstimateCosPrice, 2, "estimateCosPrice"}, {&o.EstimateFeeFen, r.EstimateFee, 2, "estimateFee"},
		{&o.ActualCosFen, r.ActualCosPrice, 2, "actualCosPrice"}, {&o.ActualFeeFen, r.ActualFee, 2, "actualFee"},
		{&o.CommissionRateBP, r.CommissionRate, 2, "commissionRate"}, {&o.FinalRateBP, r.FinalRate, 2, "finalRate"},
	} {
		if f.src == "" {
			continue
		}
		if *f.dst, err = apicall.Decimal(string(f.src), f.places); err != nil {
			return o, fmt.Errorf("%s: %v", f.name, err)
		}
	}
	for _, t := range []struct {
		dst  *time.Time
		src  string
		name string
	}{{&o.OrderTime, r.OrderTime, "orderTime"}, {&o.FinishTime, r.FinishTime, "finishTime"}, {&o.ModifyTime, r.ModifyTime, "modifyTime"}} {
		if t.src == "" {
			continue
		}
		v, err := time.ParseInLocation(timeLayout, t.src, shanghai.Zone)
		if err != nil {
			return o, fmt.Errorf("%s %q: not yyyy-MM-dd HH:mm:ss", t.name, t.src)
		}
		*t.dst = v.UTC()
	}
	return o, nil
}

// text reads a JSON string or number as its text (JD documents id as a
// string; a number is taken as well).
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*t = text(n)
	return nil
}
