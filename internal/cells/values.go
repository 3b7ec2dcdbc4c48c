package cells

import "strings"

// Reasons a cell is refused, for the feed and order-report importers alike
// (one table): Chinese first, then English in parentheses, no nested
// parentheses. The problem that carries one names the file, row and column.
const (
	WhyMoney          = "不是有效的金额 (not a valid amount)"
	WhyMoneyPrecision = "金额最多两位小数 (amount has more than 2 decimal places)"
	WhyMoneyNegative  = "金额不能为负 (amount is negative)"
	WhyRate           = "不是有效的比率，应如 1.35% (not a valid rate, expected like 1.35%)"
	WhyRatePrecision  = "比率最多两位小数 (rate has more than 2 decimal places)"
	WhyRateBP         = "佣金比率应为万分比整数，如 1550 表示 15.50% (commission rate must be whole basis points, 1550 = 15.50%)"
	WhyRateNegative   = "比率不能为负 (rate is negative)"
	WhyCount          = "不是有效的整数数量 (not a valid whole quantity)"
	WhyCountNegative  = "数量不能为负 (count is negative)"
	WhyIDScientific   = "编号被 Excel 改成了科学计数法，请把该列设为文本后重新导出 (id was turned into scientific notation by Excel; format the column as text)"
	WhyIDSpace        = "编号含有空白或控制字符 (id contains spaces or control characters)"
	WhyIDLong         = "编号过长 (id too long)"
	WhyTimeRange      = "时间超出合理范围 2000-2199 年 (time out of range 2000-2199)"
)

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
