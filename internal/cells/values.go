package cells

import (
	"strings"

	"github.com/qunke/qunke/internal/msg"
)

// Reasons a cell is refused, for the feed and order-report importers alike
// (one table): message keys of the catalogs; Reason gives the message, to
// render in the reader's language.
const (
	WhyMoney          = "cells.money"
	WhyMoneyPrecision = "cells.money_precision"
	WhyMoneyNegative  = "cells.money_negative"
	WhyRate           = "cells.rate"
	WhyRatePrecision  = "cells.rate_precision"
	WhyRateBP         = "cells.rate_bp"
	WhyRateNegative   = "cells.rate_negative"
	WhyCount          = "cells.count"
	WhyCountNegative  = "cells.count_negative"
	WhyIDScientific   = "cells.id_scientific"
	WhyIDSpace        = "cells.id_space"
	WhyIDLong         = "cells.id_long"
	WhyTimeRange      = "cells.time_range"
)

// Reason is the message of a reason of this table (a Why value).
func Reason(why string) *msg.Error { return msg.New(why) }

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
