package cells

import (
	"strings"

	"github.com/qunke/qunke/internal/msg"
)

// Reasons a cell is refused, for the feed and order-report importers alike
// (one table). Each is the text of a message key, Chinese then English in
// parentheses, as the order-report importer still takes it; Reason gives
// back the message, to render in the reader's language.
var (
	WhyMoney          = why("cells.money")
	WhyMoneyPrecision = why("cells.money_precision")
	WhyMoneyNegative  = why("cells.money_negative")
	WhyRate           = why("cells.rate")
	WhyRatePrecision  = why("cells.rate_precision")
	WhyRateBP         = why("cells.rate_bp")
	WhyRateNegative   = why("cells.rate_negative")
	WhyCount          = why("cells.count")
	WhyCountNegative  = why("cells.count_negative")
	WhyIDScientific   = why("cells.id_scientific")
	WhyIDSpace        = why("cells.id_space")
	WhyIDLong         = why("cells.id_long")
	WhyTimeRange      = why("cells.time_range")
)

// whyKeys maps each reason's text to its message key.
var whyKeys = map[string]string{}

func why(key string) string {
	s := msg.New(key).Error()
	whyKeys[s] = key
	return s
}

// Reason is the message of a reason of this table (a Why value).
func Reason(why string) *msg.Error {
	if k, ok := whyKeys[why]; ok {
		return msg.New(k)
	}
	return msg.New(why)
}

// Money parses yuan into fen: "19.9" -> 1990, "1,299.00" -> 129900,
// "¥19.9" -> 1990. why is "" when the amount is good.
func Money(s string) (fen int64, why string) {
	return moneyWhy.check(Fixed(StripCurrency(s), 2))
}

// Percent parses a percentage into basis points: "1.35%", "1.35" -> 135.
func Percent(s string) (bp int64, why string) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "%"), "％"))
	return rateWhy.check(Fixed(s, 2))
}

// BasisPoints parses a rate already in basis points: "1550" -> 1550.
func BasisPoints(s string) (bp int64, why string) {
	return basisPointsWhy.check(Fixed(s, 0))
}

// Count parses a whole quantity: "1234", "1,234", "1.2万", "100+".
func Count(s string) (n int64, why string) {
	s = strings.TrimSuffix(s, "+")
	if t, ok := strings.CutSuffix(s, "万"); ok {
		return countWhy.check(Fixed(strings.TrimSpace(t), 4))
	}
	return countWhy.check(Fixed(s, 0))
}

// reasons are why a kind of number is refused.
type reasons struct{ bad, precision, negative string }

var (
	moneyWhy       = reasons{WhyMoney, WhyMoneyPrecision, WhyMoneyNegative}
	rateWhy        = reasons{WhyRate, WhyRatePrecision, WhyRateNegative}
	basisPointsWhy = reasons{WhyRate, WhyRateBP, WhyRateNegative}
	countWhy       = reasons{WhyCount, WhyCount, WhyCountNegative}
)

// check turns Fixed's result into a value or the reason it is refused;
// negative values are refused too.
func (r reasons) check(v int64, e Err) (int64, string) {
	switch {
	case e == TooPrecise:
		return 0, r.precision
	case e != OK:
		return 0, r.bad
	case v < 0:
		return 0, r.negative
	}
	return v, ""
}

// ID reports what is wrong with an id cell, "" if nothing.
func ID(s string) (why string) {
	switch CheckID(s) {
	case IDLong:
		return WhyIDLong
	case IDScientific:
		return WhyIDScientific
	case IDSpace:
		return WhyIDSpace
	}
	return ""
}
