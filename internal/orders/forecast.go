package orders

// The settlement forecast (结算预测): when the commission of the orders
// still open will arrive, and how far estimates were from what was paid.
//
// Alimama pays once a month: around the 20th (ForecastOptions.PayDay) of
// month M+1 it pays the commission of the orders whose receipt was
// confirmed (确认收货, the order's 结算时间) in month M. So:
//
//   - a settled order (已结算) was confirmed at its settled time: its
//     settled income arrives on the pay day of the next month; once that
//     day has passed it has been paid out and leaves the forecast;
//   - a received order (已收货/订单成功) is confirmed but the report gives
//     no time for it: it is taken as confirmed ReceiptDays (7) after
//     payment, or today if that is still to come: min(paid + ReceiptDays,
//     today);
//   - a paid order (已付款) is expected to be confirmed ReceiptDays after
//     payment (Taobao confirms receipt by itself 10 days after shipping;
//     most members confirm sooner), and not before today:
//     max(paid + ReceiptDays, today). Its estimate may still fail (invalid,
//     refunded), so it is shown apart (Pending) and discounted by the
//     share of estimates that failed recently (Likely);
//   - invalid and refunded orders bring nothing.
//
// An amount whose pay day would already be past (a received order not yet
// settled in time) is expected on the next pay day.
//
// The history compares, for each past month of payments, the estimates
// made at payment (付款预估收入 of every order, failed ones included) with
// the settled income: the gap is what estimates promised and did not pay.

import (
	"context"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// dayTotals adds every group's orders up per day of payment in [from, to)
// (day numbers), through the (paid_day, status, ...) index.
func (s *Store) dayTotals(ctx context.Context, from, to int64) (map[int64]IncomeRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT paid_day, status, sum(orders), sum(est_income), sum(settled_income)
		FROM order_days WHERE paid_day >= $1 AND paid_day < $2 GROUP BY paid_day, status`, from, to)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	defer rows.Close()
	out := map[int64]IncomeRow{}
	for rows.Next() {
		var d, n, est, settled int64
		var status string
		if err := rows.Scan(&d, &status, &n, &est, &settled); err != nil {
			return nil, err
		}
		r := out[d]
		r.Orders += n
		r.estAll += est
		switch Status(status) {
		case Invalid, Refunded:
			r.Failed += n
		case Paid, Received:
			r.open += n
			r.EstIncome += est
		case Settled:
			r.SettledIncome += settled
			r.EstIncome += est
		default:
			r.EstIncome += est
		}
		out[d] = r
	}
	return out, rows.Err()
}

// ForecastOptions tunes the forecast; zero fields take the defaults.
type ForecastOptions struct {
	PayDay      int // day of month M+1 on which month M's settlement arrives; default 20
	ReceiptDays int // days from payment to confirmed receipt when the report does not say; default 7
	Months      int // coming pay days to list (more when money is expected later); default 3
	History     int // past months of payments to compare; default 6
	Now         time.Time
}

// Defaults of ForecastOptions.
const (
	DefaultPayDay      = 20
	DefaultReceiptDays = 7
)

// PayoutMonth is the money expected on one pay day. Money is fen.
type PayoutMonth struct {
	Month   string    `json:"month"`    // 2026-12: the month the money arrives
	PayDate time.Time `json:"pay_date"` // its pay day
	Orders  int64     `json:"orders"`
	// Confirmed is the settled or received orders' income: it will come.
	Confirmed       int64 `json:"confirmed_fen"`
	ConfirmedOrders int64 `json:"confirmed_orders"`
	// Pending is the paid orders' estimate: it comes if they are received.
	Pending       int64 `json:"pending_fen"`
	PendingOrders int64 `json:"pending_orders"`
	Expected      int64 `json:"expected_fen"` // Confirmed + Pending
	Likely        int64 `json:"likely_fen"`   // Confirmed + Pending less the recent failure rate
}

// SettledMonth compares a past month's estimates with what was settled.
type SettledMonth struct {
	Month     string `json:"month"` // 2026-09: the month the orders were paid
	Orders    int64  `json:"orders"`
	Failed    int64  `json:"failed_orders"` // invalid or refunded
	Open      int64  `json:"open_orders"`   // still paid or received: not all settled yet
	Estimated int64  `json:"estimated_fen"` // 付款预估收入 of every order
	Settled   int64  `json:"settled_fen"`   // 结算预估收入 of the settled orders
	Gap       int64  `json:"gap_fen"`       // Estimated − Settled
	GapBP     int64  `json:"gap_bp"`        // Gap / Estimated
	Complete  bool   `json:"complete"`      // no open orders left
}

// Forecast is the settlement forecast.
type Forecast struct {
	PayDay      int `json:"pay_day"`
	ReceiptDays int `json:"receipt_days"`
	// FailRateBP is the share of the estimates of the history's months but
	// the last (still settling) that failed (invalid, refunded): Likely
	// discounts Pending by it.
	FailRateBP int64          `json:"fail_rate_bp"`
	Coming     []PayoutMonth  `json:"coming"`
	History    []SettledMonth `json:"history"` // oldest first
}

func (o *ForecastOptions) normalize() {
	if o.PayDay <= 0 {
		o.PayDay = DefaultPayDay
	}
	o.PayDay = min(o.PayDay, 28)
	if o.ReceiptDays <= 0 {
		o.ReceiptDays = DefaultReceiptDays
	}
	if o.Months <= 0 {
		o.Months = 3
	}
	if o.History <= 0 {
		o.History = 6
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

// Forecast computes the settlement forecast.
func (s *Store) Forecast(ctx context.Context, opt ForecastOptions) (*Forecast, error) {
	opt.normalize()
	now := opt.Now.Unix()
	today := dayOf(now)
	payday := func(month int64) int64 { return month + int64(opt.PayDay-1)*daySeconds }
	first := monthStart(now) // the first pay day still to come
	if now >= payday(first) {
		first = addMonths(first, 1)
	}
	f := &Forecast{PayDay: opt.PayDay, ReceiptDays: opt.ReceiptDays}
	coming := map[int64]*PayoutMonth{}
	month := func(confirmedDay int64) *PayoutMonth {
		m := max(addMonths(monthStart(dayStart(confirmedDay)), 1), first)
		p := coming[m]
		if p == nil {
			p = &PayoutMonth{Month: time.Unix(m, 0).In(shanghai.Zone).Format("2006-01"), PayDate: time.Unix(payday(m), 0).In(shanghai.Zone)}
			coming[m] = p
		}
		return p
	}
	for i := range opt.Months {
		month(dayOf(addMonths(first, i-1)))
	}

	// Settled orders confirmed since the month before the first pay day to come.
	rows, err := s.db.QueryContext(ctx, `SELECT settled_day, orders, settled_income FROM order_settle_days
		WHERE settled_day >= $1`, dayOf(addMonths(first, -1)))
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	for rows.Next() {
		var d, n, amount int64
		if err := rows.Scan(&d, &n, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		p := month(d)
		p.ConfirmedOrders += n
		p.Confirmed += amount
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Open orders: received (confirmed, time unknown) and paid (not yet).
	rows, err = s.db.QueryContext(ctx, `SELECT status, paid_day, sum(orders), sum(est_income)
		FROM order_days WHERE status IN ('paid', 'received') GROUP BY status, paid_day`)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	for rows.Next() {
		var status string
		var d, n, amount int64
		if err := rows.Scan(&status, &d, &n, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		confirmed := d + int64(opt.ReceiptDays)
		if Status(status) == Received {
			p := month(min(confirmed, today))
			p.ConfirmedOrders += n
			p.Confirmed += amount
		} else {
			p := month(max(confirmed, today))
			p.PendingOrders += n
			p.Pending += amount
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// History: the past months of payments, and from them (all but the
	// last, still settling) the failure rate of estimates.
	hfrom := addMonths(monthStart(now), -opt.History)
	days, err := s.dayTotals(ctx, dayOf(hfrom), dayOf(monthStart(now)))
	if err != nil {
		return nil, err
	}
	hist := map[int64]*SettledMonth{}
	for m := hfrom; m < monthStart(now); m = addMonths(m, 1) {
		hist[m] = &SettledMonth{Month: time.Unix(m, 0).In(shanghai.Zone).Format("2006-01")}
	}
	var estAll, estFailed int64
	lastMonth := addMonths(monthStart(now), -1)
	for d, r := range days {
		m := monthStart(dayStart(d))
		h := hist[m]
		if h == nil {
			continue
		}
		h.Orders += r.Orders
		h.Failed += r.Failed
		h.Open += r.open
		h.Estimated += r.estAll
		h.Settled += r.SettledIncome
		if m < lastMonth {
			estAll += r.estAll
			estFailed += r.estAll - r.EstIncome
		}
	}
	if estAll > 0 {
		f.FailRateBP = estFailed * 10000 / estAll
	}
	for m := hfrom; m < monthStart(now); m = addMonths(m, 1) {
		h := hist[m]
		h.Gap = h.Estimated - h.Settled
		if h.Estimated > 0 {
			h.GapBP = h.Gap * 10000 / h.Estimated
		}
		h.Complete = h.Open == 0
		f.History = append(f.History, *h)
	}
	for m := first; ; m = addMonths(m, 1) {
		p := coming[m]
		if p == nil {
			break
		}
		p.Orders = p.ConfirmedOrders + p.PendingOrders
		p.Expected = p.Confirmed + p.Pending
		p.Likely = p.Confirmed + p.Pending*(10000-f.FailRateBP)/10000
		f.Coming = append(f.Coming, *p)
		delete(coming, m)
	}
	// Amounts past a gap of empty months (not possible with the rules
	// above, kept for safety) are listed too.
	for len(coming) > 0 {
		var m int64 = 1 << 62
		for k := range coming {
			m = min(m, k)
		}
		p := coming[m]
		p.Orders = p.ConfirmedOrders + p.PendingOrders
		p.Expected = p.Confirmed + p.Pending
		p.Likely = p.Confirmed + p.Pending*(10000-f.FailRateBP)/10000
		f.Coming = append(f.Coming, *p)
		delete(coming, m)
	}

	return f, nil
}
