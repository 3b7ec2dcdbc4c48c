// Package orders reads the Alimama order report (阿里妈妈订单明细: .xls,
// .xlsx or .csv) into Orders and stores them, one row per sub-order
// (淘宝子订单号). Money is int64 fen, rates basis points, times unix seconds
// (the report's naive times are Asia/Shanghai); 0 means none.
package orders

// Status is an order's normalised state.
type Status string

const (
	Paid     Status = "paid"     // 已付款 / 订单付款 (tk_status 12)
	Invalid  Status = "invalid"  // 已失效 / 订单失效 (13)
	Received Status = "received" // 已收货 / 订单成功 (14)
	Settled  Status = "settled"  // 已结算 / 订单结算 (3)
	Refunded Status = "refunded" // 维权标签 says the order is in a refund dispute
)

// PlatformTaobao is the platform of every Alimama report row: Taobao and
// Tmall sub-orders share one id space (订单类型 keeps 天猫/淘宝 apart).
const PlatformTaobao = "taobao"

// The platforms of synced JD and Pinduoduo orders.
const (
	PlatformJD  = "jd"
	PlatformPDD = "pdd"
)

// Order is one sub-order as the report states it.
type Order struct {
	Platform       string
	TradeID        string // 淘宝子订单号
	ParentID       string // 淘宝订单编号
	OrderType      string // 订单类型: 天猫, 淘宝, ...
	ItemID         string
	Title          string
	ShopName       string
	Quantity       int64
	UnitPrice      int64 // fen
	PaidAmount     int64 // fen
	SettledAmount  int64 // fen
	CommissionRate int64 // basis points
	EstIncome      int64 // 付款预估收入, fen
	SettledIncome  int64 // 结算预估收入, fen
	ServiceFeeRate int64 // 技术服务费率, basis points
	Status         Status
	ClickAt        int64
	CreatedAt      int64
	PaidAt         int64
	SettledAt      int64
	MediaID        string
	MediaName      string
	AdzoneID       string // the placement: Alimama adzone, JD positionId, PDD p_id
	AdzoneName     string
	RelationID     string // 渠道关系ID
	SpecialID      string // 会员运营ID
	Dispute        string // 维权标签, "" when none
	// SubID is the person-level id of JD (subUnionId) and Pinduoduo
	// (custom_parameters) orders; Alimama's are RelationID and SpecialID.
	SubID string
}

// parseStatus maps the report's 订单状态 to a Status.
func parseStatus(s string) (Status, bool) {
	switch s {
	case "已付款", "订单付款", "12":
		return Paid, true
	case "已失效", "订单失效", "13":
		return Invalid, true
	case "已收货", "订单成功", "14":
		return Received, true
	case "已结算", "订单结算", "3":
		return Settled, true
	}
	return "", false
}

// progress orders the normal life of an order.
var progress = map[Status]int{Paid: 1, Received: 2, Settled: 3}

// Forward reports whether an order stored as from may move to to. A later
// report moves an order forward (paid → received → settled), paid or
// received may become invalid, and any order may become refunded; invalid
// and refunded are terminal. Anything else is a regression: the report is
// older than what is stored.
func Forward(from, to Status) bool {
	switch {
	case from == to, to == Refunded:
		return true
	case from == Refunded, from == Invalid:
		return false
	case to == Invalid:
		return from == Paid || from == Received
	}
	f, ok1 := progress[from]
	t, ok2 := progress[to]
	return ok1 && ok2 && t >= f
}
