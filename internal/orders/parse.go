package orders

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// Problem is one bad cell (or row, or file) of a report.
type Problem struct {
	File   string
	Row    int        // 1-based, the header is row 1; 0 for file-level problems
	Column string     // header name as in the file, "" for whole-row problems
	Value  string     // offending raw value, cut to about 60 characters
	Reason *msg.Error // what is wrong, rendered in the reader's language (Text, Why)
}

// Text is the problem in lang, naming where it is:
//
//	r.csv 第 3 行 列 付款金额 值 "abc": 不是有效的金额
//	r.csv row 3, column 付款金额, value "abc": not a valid amount
func (p Problem) Text(lang i18n.Lang) string {
	where := p.File
	if p.Row > 0 {
		where = t(lang, "orders.at_row", p.File, p.Row)
	}
	switch {
	case p.Column != "" && p.Value != "":
		where = t(lang, "orders.at_column_value", where, p.Column, p.Value)
	case p.Column != "":
		where = t(lang, "orders.at_column", where, p.Column)
	}
	return strings.TrimSpace(where) + ": " + p.Why(lang)
}

// Why is the reason in lang.
func (p Problem) Why(lang i18n.Lang) string {
	if p.Reason == nil {
		return ""
	}
	return msg.In(lang, p.Reason)
}

// Error, for logs, is the problem in Chinese, then in English in brackets.
func (p Problem) Error() string {
	return p.Text(i18n.ZH) + " (" + p.Text(i18n.EN) + ")"
}

// t renders a message key in lang.
func t(lang i18n.Lang, key string, args ...any) string { return msg.In(lang, msg.New(key, args...)) }

// Parsed is what Parse made of a report.
type Parsed struct {
	Orders   []Order // the good rows, in file order
	Rows     int     // data rows read (good + bad; blank rows are not counted)
	Rejected int     // bad rows
	Problems []Problem
}

// MaxProblems bounds Parsed.Problems; Rejected still counts every bad row.
const MaxProblems = 1000

// Reasons, as message keys.
const (
	whyTime     = "orders.why_time"
	whyStatus   = "orders.why_status"
	whyMissing  = "orders.why_missing"
	whyNoHeader = "orders.why_no_header"
	whyEmpty    = "orders.why_empty"
	whyUTF8     = "orders.why_utf8"
)

// Column names of the Alimama report (推广者订单明细).
const (
	colClickAt        = "点击时间"
	colCreatedAt      = "创建时间"
	colPaidAt         = "付款时间"
	colSettledAt      = "结算时间"
	colItemID         = "商品ID"
	colTitle          = "商品标题"
	colShopName       = "店铺名称"
	colQuantity       = "商品数量"
	colUnitPrice      = "商品单价"
	colParentID       = "淘宝订单编号"
	colTradeID        = "淘宝子订单号"
	colStatus         = "订单状态"
	colOrderType      = "订单类型"
	colPaidAmount     = "付款金额"
	colSettledAmount  = "结算金额"
	colCommissionRate = "佣金比率"
	colEstIncome      = "付款预估收入"
	colSettledIncome  = "结算预估收入"
	colServiceFeeRate = "技术服务费率"
	colMediaID        = "媒体ID"
	colMediaName      = "媒体名称"
	colAdzoneID       = "推广位ID"
	colAdzoneName     = "推广位名称"
	colDispute        = "维权标签"
	colRelationID     = "渠道关系ID"
	colSpecialID      = "会员运营ID"
)

// Parse turns a report's rows (rows[0] is the header) into Orders. Columns
// are found by name, in any order; unknown columns are ignored. Empty cells
// and "--" mean none. A missing 淘宝子订单号 or 订单状态 column is a
// file-level problem (returned as the only Problem, Rows 0).
func Parse(file string, rows [][]string) Parsed {
	var res Parsed
	if len(rows) == 0 {
		res.Problems = []Problem{{File: file, Reason: msg.New(whyEmpty)}}
		return res
	}
	h, pr := newHeader(file, rows[0])
	if pr != nil {
		res.Problems = []Problem{*pr}
		return res
	}
	for i, cells := range rows[1:] {
		if o, ok := res.row(h, i+2, cells); ok {
			res.Orders = append(res.Orders, o)
		}
	}
	return res
}

// header maps a report's column names to their positions.
type header struct {
	file string
	col  map[string]int
}

// newHeader reads a report's header row; a missing required column is a
// file-level problem.
func newHeader(file string, names []string) (*header, *Problem) {
	h := &header{file: file, col: map[string]int{}}
	for i, n := range names {
		n = strings.TrimSpace(strings.TrimPrefix(n, "\uFEFF"))
		if _, dup := h.col[n]; !dup && n != "" {
			h.col[n] = i
		}
	}
	for _, need := range []string{colTradeID, colStatus} {
		if _, ok := h.col[need]; !ok {
			return nil, &Problem{File: file, Row: 1, Column: need, Reason: msg.New(whyNoHeader)}
		}
	}
	return h, nil
}

// row parses data row number n (1-based, the header is row 1) into res's
// counts and problems; ok is false for a blank or bad row.
func (res *Parsed) row(h *header, n int, cells []string) (Order, bool) {
	if blank(cells) {
		return Order{}, false
	}
	res.Rows++
	p := rowParser{file: h.file, row: n, cells: cells, col: h.col}
	o := p.order()
	if len(p.problems) > 0 {
		res.Rejected++
		for _, pr := range p.problems {
			if len(res.Problems) < MaxProblems {
				res.Problems = append(res.Problems, pr)
			}
		}
		return Order{}, false
	}
	return o, true
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

type rowParser struct {
	file     string
	row      int
	cells    []string
	col      map[string]int
	problems []Problem
}

// get returns the trimmed cell under name, "" when the column is missing
// or the cell means none.
func (p *rowParser) get(name string) string {
	i, ok := p.col[name]
	if !ok || i >= len(p.cells) {
		return ""
	}
	s := strings.TrimSpace(p.cells[i])
	if cells.Absent(s) {
		return ""
	}
	return s
}

func (p *rowParser) fail(name, value, why string) {
	p.problems = append(p.problems, Problem{File: p.file, Row: p.row, Column: name, Value: cells.Clip(value), Reason: msg.New(why)})
}

func (p *rowParser) text(name string) string {
	s := p.get(name)
	if !utf8.ValidString(s) {
		p.fail(name, s, whyUTF8)
		return ""
	}
	return s
}

func (p *rowParser) id(name string, required bool) string {
	s := p.get(name)
	if s == "" {
		if required {
			p.fail(name, "", whyMissing)
		}
		return ""
	}
	if why := cells.ID(s); why != "" {
		p.fail(name, s, why)
		return ""
	}
	return s
}

func (p *rowParser) money(name string) int64 { return p.number(name, cells.Money) }

func (p *rowParser) rate(name string) int64 { return p.number(name, cells.Percent) }

func (p *rowParser) count(name string) int64 { return p.number(name, cells.Count) }

// number parses the cell under name with parse; an absent cell is 0.
func (p *rowParser) number(name string, parse func(string) (int64, string)) int64 {
	s := p.get(name)
	if s == "" {
		return 0
	}
	v, why := parse(s)
	if why != "" {
		p.fail(name, s, why)
	}
	return v
}

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, shanghai.Zone).Unix()
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, shanghai.Zone).Unix()
)

var timeLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
}

func (p *rowParser) time(name string) int64 {
	s := p.get(name)
	if s == "" {
		return 0
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, shanghai.Zone); err == nil {
			if u := t.Unix(); u < minTime || u >= maxTime {
				p.fail(name, s, cells.WhyTimeRange)
				return 0
			}
			return t.Unix()
		}
	}
	p.fail(name, s, whyTime)
	return 0
}

func (p *rowParser) order() Order {
	o := Order{
		Platform:       PlatformTaobao,
		TradeID:        p.id(colTradeID, true),
		ParentID:       p.id(colParentID, false),
		OrderType:      p.text(colOrderType),
		ItemID:         p.id(colItemID, false),
		Title:          p.text(colTitle),
		ShopName:       p.text(colShopName),
		Quantity:       p.count(colQuantity),
		UnitPrice:      p.money(colUnitPrice),
		PaidAmount:     p.money(colPaidAmount),
		SettledAmount:  p.money(colSettledAmount),
		CommissionRate: p.rate(colCommissionRate),
		EstIncome:      p.money(colEstIncome),
		SettledIncome:  p.money(colSettledIncome),
		ServiceFeeRate: p.rate(colServiceFeeRate),
		ClickAt:        p.time(colClickAt),
		CreatedAt:      p.time(colCreatedAt),
		PaidAt:         p.time(colPaidAt),
		SettledAt:      p.time(colSettledAt),
		MediaID:        p.id(colMediaID, false),
		MediaName:      p.text(colMediaName),
		AdzoneID:       p.id(colAdzoneID, false),
		AdzoneName:     p.text(colAdzoneName),
		RelationID:     p.id(colRelationID, false),
		SpecialID:      p.id(colSpecialID, false),
		Dispute:        p.text(colDispute),
	}
	if s := p.get(colStatus); s == "" {
		p.fail(colStatus, "", whyMissing)
	} else if st, ok := parseStatus(s); !ok {
		p.fail(colStatus, s, whyStatus)
	} else {
		o.Status = st
	}
	if isRefundTag(o.Dispute) {
		o.Status = Refunded
	}
	return o
}

// isRefundTag reports whether a 维权标签 marks a refund dispute ("维权订单",
// "维权创建", "1"); "", "--", "0", "无" and "非维权" do not.
func isRefundTag(s string) bool {
	switch s {
	case "", "0", "无", "否", "非维权":
		return false
	}
	return true
}
