package insight

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/sheet"
)

// CostKind is what the money bought.
type CostKind string

const (
	BoughtMembers  CostKind = "bought_members" // 买粉: members × unit price
	RedEnvelopes   CostKind = "red_envelopes"  // 红包
	FissionRewards CostKind = "fission_rewards"
	Ads            CostKind = "ads"
	OtherCost      CostKind = "other"
)

// Kinds are the cost kinds in the order they are shown.
var Kinds = []CostKind{BoughtMembers, RedEnvelopes, FissionRewards, Ads, OtherCost}

// ParseKind reads a kind: its code or its label in either language (买粉,
// 红包, 裂变奖励, 广告, 其他…).
func ParseKind(s string) (CostKind, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "bought_members", "bought", "买粉", "购买粉丝", "买人":
		return BoughtMembers, true
	case "red_envelopes", "red_envelope", "红包":
		return RedEnvelopes, true
	case "fission_rewards", "fission", "裂变", "裂变奖励":
		return FissionRewards, true
	case "ads", "ad", "广告", "投放":
		return Ads, true
	case "other", "其他", "其它":
		return OtherCost, true
	}
	for _, k := range Kinds {
		for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
			if strings.EqualFold(v, msg.In(l, msg.New(k.LabelKey()))) {
				return k, true
			}
		}
	}
	return "", false
}

// LabelKey is the message key of the kind's label.
func (k CostKind) LabelKey() string { return "insight.kind." + string(k) }

// MaxAmountFen bounds one cost (a hundred million yuan): a typo of extra
// digits is refused rather than summed.
const MaxAmountFen = 100_000_000_00

// Cost is one acquisition spend.
type Cost struct {
	ID        int64
	GroupID   int64  // 0: no group (a campaign's)
	Campaign  string // free text: the campaign or channel the spend was for
	Day       time.Time
	Kind      CostKind
	Members   int64 // members it brought, when known (required for bought members)
	UnitFen   int64 // price of one bought member
	AmountFen int64
	Note      string
	Created   time.Time
}

// Field errors of a cost; Normalize returns them wrapped in *FieldError.
var (
	ErrNoTarget     = msg.New("insight.cost_no_target")
	ErrKind         = msg.New("insight.cost_bad_kind")
	ErrAmount       = msg.New("insight.cost_bad_amount")
	ErrMembers      = msg.New("insight.cost_bad_members")
	ErrAmountUnits  = msg.New("insight.cost_amount_mismatch")
	ErrDay          = msg.New("insight.cost_bad_day")
	ErrCampaignLong = msg.New("insight.cost_campaign_long")
)

// FieldError names the field a cost is refused for.
type FieldError struct {
	Field string // group, campaign, day, kind, members, unit, amount, note
	Msg   *msg.Error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg.Error() }

// Unwrap is the message, for errors.Is and for rendering.
func (e *FieldError) Unwrap() error { return e.Msg }

// Normalize checks c and fills what follows: a bought members' amount is
// members × unit price (given both; an amount given too must agree); the
// day is the Shanghai midnight of c.Day.
func (c *Cost) Normalize() error {
	c.Campaign, c.Note = strings.TrimSpace(c.Campaign), strings.TrimSpace(c.Note)
	if c.GroupID <= 0 && c.Campaign == "" {
		return &FieldError{"group", ErrNoTarget}
	}
	if len(c.Campaign) > 200 || len(c.Note) > 2000 {
		return &FieldError{"campaign", ErrCampaignLong}
	}
	if c.Day.IsZero() || c.Day.Year() < 2000 || c.Day.Year() > 2200 {
		return &FieldError{"day", ErrDay}
	}
	d := shanghai.Day(c.Day.Unix())
	c.Day = DayTime(d)
	if _, ok := ParseKind(string(c.Kind)); !ok || !validKind(c.Kind) {
		return &FieldError{"kind", ErrKind.With(string(c.Kind))}
	}
	if c.Members < 0 || c.Members > 100_000_000 {
		return &FieldError{"members", ErrMembers}
	}
	if c.UnitFen < 0 || c.UnitFen > MaxAmountFen {
		return &FieldError{"unit", ErrAmount}
	}
	if c.Kind == BoughtMembers {
		if c.Members == 0 {
			return &FieldError{"members", ErrMembers}
		}
		if c.UnitFen > 0 {
			total := c.Members * c.UnitFen
			if total/c.UnitFen != c.Members || total > MaxAmountFen {
				return &FieldError{"amount", ErrAmount}
			}
			if c.AmountFen != 0 && c.AmountFen != total {
				return &FieldError{"amount", ErrAmountUnits.With(cells.Yuan(c.AmountFen), c.Members, cells.Yuan(c.UnitFen))}
			}
			c.AmountFen = total
		}
	}
	if c.AmountFen <= 0 || c.AmountFen > MaxAmountFen {
		return &FieldError{"amount", ErrAmount}
	}
	return nil
}

func validKind(k CostKind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// DayTime is the Shanghai midnight of day number d.
func DayTime(d int64) time.Time { return time.Unix(d*86400-shanghai.Offset, 0).In(shanghai.Zone) }

// ParseDay reads a date (2026-01-05, 2026/1/5, 20260105) as a Shanghai day.
func ParseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 { // a time after the date
		s = s[:i]
	}
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006.1.2"} {
		if t, err := time.ParseInLocation(layout, s, shanghai.Zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// costColumns maps the header names a cost sheet may use to the fields.
var costColumns = map[string]string{
	"日期": "day", "date": "day", "day": "day",
	"群": "group", "群名": "group", "群名称": "group", "group": "group",
	"活动": "campaign", "渠道": "campaign", "campaign": "campaign",
	"类型": "kind", "类别": "kind", "kind": "kind", "type": "kind",
	"人数": "members", "粉丝数": "members", "members": "members",
	"单价": "unit", "单价(元)": "unit", "unit price": "unit", "unit_price": "unit", "unit": "unit",
	"金额": "amount", "金额(元)": "amount", "amount": "amount",
	"备注": "note", "note": "note",
}

// columnNames are the Chinese header names, for a missing column's message.
var columnNames = map[string]string{"day": "日期", "group": "群", "campaign": "活动", "kind": "类型",
	"members": "人数", "unit": "单价", "amount": "金额", "note": "备注"}

// MaxImportRows bounds a cost sheet.
const MaxImportRows = 100_000

// RowError is a problem with one row of a cost sheet.
type RowError struct {
	Row    int    // the sheet's row (CSV: line) number
	Column string // the header as written; "" for the row as a whole
	Msg    *msg.Error
}

// Text is the problem in lang, naming its row and column.
func (e *RowError) Text(lang i18n.Lang) string {
	if e.Column == "" {
		return msg.In(lang, msg.New("insight.at_row", e.Row, e.Msg))
	}
	return msg.In(lang, msg.New("insight.at_row_column", e.Row, e.Column, e.Msg))
}

func (e *RowError) Error() string { return e.Text(i18n.ZH) + " (" + e.Text(i18n.EN) + ")" }

// ImportError lists every bad row of a sheet; nothing was imported.
type ImportError struct{ Rows []*RowError }

// Text is the error in lang, with the first 20 rows.
func (e *ImportError) Text(lang i18n.Lang) string {
	var b strings.Builder
	b.WriteString(msg.In(lang, msg.New("insight.import_bad_rows", len(e.Rows))))
	for i, r := range e.Rows {
		if i == 20 {
			b.WriteString("\n…")
			break
		}
		b.WriteString("\n" + r.Text(lang))
	}
	return b.String()
}

func (e *ImportError) Error() string { return e.Text(i18n.ZH) + " (" + e.Text(i18n.EN) + ")" }

// ParseSheet reads the costs of a sheet (CSV, XLSX, XLS; the first row names
// the columns: 日期, 群 or 活动, 类型, 金额 or 人数 and 单价, 备注). groups maps
// a group's name (and its id as text) to its id. Every row is checked: any
// bad row and the result is an *ImportError naming each row and column.
func ParseSheet(r *sheet.Reader, groups map[string]int64) ([]Cost, error) {
	head, err := r.Next()
	if errors.Is(err, io.EOF) {
		return nil, msg.New("insight.import_empty")
	}
	if err != nil {
		return nil, err
	}
	cols, names := map[string]int{}, map[string]string{}
	for i, h := range head.Cells {
		key := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if f, ok := costColumns[key]; ok {
			if _, dup := cols[f]; !dup {
				cols[f], names[f] = i, strings.TrimSpace(h)
			}
		}
	}
	for _, need := range []string{"day", "kind"} {
		if _, ok := cols[need]; !ok {
			return nil, msg.New("insight.import_missing_column", columnNames[need])
		}
	}
	_, hasGroup := cols["group"]
	_, hasCampaign := cols["campaign"]
	if !hasGroup && !hasCampaign {
		return nil, msg.New("insight.import_missing_column", columnNames["group"])
	}
	_, hasAmount := cols["amount"]
	_, hasUnit := cols["unit"]
	if !hasAmount && !hasUnit {
		return nil, msg.New("insight.import_missing_column", columnNames["amount"])
	}
	colName := func(f string) string {
		if n, ok := names[f]; ok {
			return n
		}
		return columnNames[f]
	}
	var costs []Cost
	var bad []*RowError
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(costs)+len(bad) >= MaxImportRows {
			return nil, msg.New("insight.import_too_many", MaxImportRows)
		}
		cell := func(f string) string {
			if i, ok := cols[f]; ok && i < len(row.Cells) {
				return strings.TrimSpace(row.Cells[i])
			}
			return ""
		}
		empty := true
		for _, c := range row.Cells {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		c, rerr := parseRow(cell, colName, groups)
		if rerr == nil {
			if err := c.Normalize(); err != nil {
				var fe *FieldError
				if errors.As(err, &fe) {
					rerr = &RowError{Column: colName(fe.Field), Msg: fe.Msg}
				} else {
					rerr = &RowError{Msg: msg.Wrap(err, "insight.cost_invalid", err)}
				}
			}
		}
		if rerr != nil {
			rerr.Row = row.Num
			bad = append(bad, rerr)
			continue
		}
		costs = append(costs, c)
	}
	if len(bad) > 0 {
		return nil, &ImportError{bad}
	}
	if len(costs) == 0 {
		return nil, msg.New("insight.import_empty")
	}
	return costs, nil
}

// parseRow reads one row's cells into a cost (not yet normalized); the
// error's Column is the header as written.
func parseRow(cell, head func(string) string, groups map[string]int64) (Cost, *RowError) {
	var c Cost
	day, ok := ParseDay(cell("day"))
	if !ok {
		return c, &RowError{Column: head("day"), Msg: msg.New("insight.cost_bad_date", cell("day"))}
	}
	c.Day = day
	if g := cell("group"); g != "" {
		id, ok := groups[g]
		if !ok {
			return c, &RowError{Column: head("group"), Msg: msg.New("insight.cost_unknown_group", g)}
		}
		c.GroupID = id
	}
	c.Campaign, c.Note = cell("campaign"), cell("note")
	k, ok := ParseKind(cell("kind"))
	if !ok {
		return c, &RowError{Column: head("kind"), Msg: ErrKind.With(cell("kind"))}
	}
	c.Kind = k
	if v := cell("members"); v != "" {
		n, why := cells.Count(v)
		if why != "" {
			return c, &RowError{Column: head("members"), Msg: cells.Reason(why)}
		}
		c.Members = n
	}
	for _, f := range []struct {
		field string
		dst   *int64
	}{{"unit", &c.UnitFen}, {"amount", &c.AmountFen}} {
		if v := cell(f.field); v != "" {
			fen, why := cells.Money(v)
			if why != "" {
				return c, &RowError{Column: head(f.field), Msg: cells.Reason(why)}
			}
			*f.dst = fen
		}
	}
	return c, nil
}
