package apiv1

import (
	"time"

	"github.com/qunke/qunke/internal/orders"
)

// The money views (orders.IncomeReport, orders.Forecast) are already this
// shape: their JSON tags are the contract. These only turn empty lists
// into [].

// NewIncome is rep as sent.
func NewIncome(rep *orders.IncomeReport) *orders.IncomeReport {
	out := *rep
	out.Buckets = nonNil(rep.Buckets)
	for i := range out.Buckets {
		out.Buckets[i].Rows = nonNil(out.Buckets[i].Rows)
	}
	out.Summary = nonNil(rep.Summary)
	return &out
}

// NewForecast is f as sent.
func NewForecast(f *orders.Forecast) *orders.Forecast {
	out := *f
	out.Coming, out.History = nonNil(f.Coming), nonNil(f.History)
	return &out
}

// Order is an order as the API lists it.
type Order struct {
	Platform   string    `json:"platform"`
	TradeID    string    `json:"trade_id"`
	ParentID   string    `json:"parent_id"`
	ItemID     string    `json:"item_id"`
	Title      string    `json:"title"`
	Status     string    `json:"status"`
	PaidAmount int64     `json:"paid_amount_fen"`
	EstIncome  int64     `json:"est_income_fen"`
	PaidAt     time.Time `json:"paid_at"`
	AdzoneID   string    `json:"adzone_id"`
	AdzoneName string    `json:"adzone_name"`
	RelationID string    `json:"relation_id"`
	SpecialID  string    `json:"special_id"`
}

// UnattributedOrders is how many of the latest orders of no group
// Unattributed lists unless asked otherwise.
const UnattributedOrders = 50

// Unattributed is the orders whose placement belongs to no group: by
// placement, and the latest of them.
type Unattributed struct {
	Adzones []orders.AdzoneOrders `json:"adzones"`
	Orders  []Order               `json:"orders"`
}

// NewUnattributed is the placements and the latest orders as sent.
func NewUnattributed(adzones []orders.AdzoneOrders, latest []orders.Order) Unattributed {
	out := Unattributed{Adzones: nonNil(adzones), Orders: []Order{}}
	for _, o := range latest {
		out.Orders = append(out.Orders, Order{Platform: o.Platform, TradeID: o.TradeID, ParentID: o.ParentID,
			ItemID: o.ItemID, Title: o.Title, Status: string(o.Status), PaidAmount: o.PaidAmount, EstIncome: o.EstIncome,
			PaidAt: Unix(o.PaidAt), AdzoneID: o.AdzoneID, AdzoneName: o.AdzoneName,
			RelationID: o.RelationID, SpecialID: o.SpecialID})
	}
	return out
}
