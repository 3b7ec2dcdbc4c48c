package feed

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/cells"
)

// China has not used daylight saving time since 1991, so a fixed zone is
// exact for feed data and needs no tzdata on the host.
var shanghai = time.FixedZone("CST", 8*3600)

// Reasons are Chinese first, then English in parentheses (no nested parentheses).
const (
	whyMoney          = "不是有效的金额 (not a valid amount)"
	whyMoneyPrecision = "金额最多两位小数 (amount has more than 2 decimal places)"
	whyMoneyNegative  = "金额不能为负 (amount is negative)"
	whyRate           = "不是有效的佣金比率 (not a valid commission rate)"
	whyRatePrecision  = "佣金比率最多两位小数 (commission rate has more than 2 decimal places)"
	whyRateBP         = "佣金比率应为万分比整数，如 1550 表示 15.50% (commission rate must be whole basis points, 1550 = 15.50%)"
	whyRateNegative   = "佣金比率不能为负 (commission rate is negative)"
	whyCount          = "不是有效的数量 (not a valid count)"
	whyCountFraction  = "数量应为整数 (count is not a whole number)"
	whyCountNegative  = "数量不能为负 (count is negative)"
	whyScore          = "不是有效的店铺评分 (not a valid shop score)"
	whyScoreRange     = "店铺评分应在 0 到 5 之间 (shop scores must be between 0 and 5)"
	whyTime           = "不是有效的时间，应为 2006-01-02 15:04:05、2006-01-02、RFC3339 或 Unix 秒 (not a valid time)"
	whyTimeRange      = "时间超出合理范围 2000-2199 年 (time out of range 2000-2199)"
	whyIDScientific   = "商品ID被 Excel 改成了科学计数法，请把该列设为文本后重新导出 (item id was turned into scientific notation by Excel; format the column as text)"
	whyIDSpace        = "商品ID含有空白或控制字符 (item id contains spaces or control characters)"
	whyIDLong         = "商品ID过长 (item id too long)"
	whyUTF8           = "不是有效的 UTF-8 文本，文件可能混用了编码 (invalid UTF-8 text: mixed encodings?)"
)

// parseMoney parses yuan into fen: "19.9" -> 1990, "1,299.00" -> 129900, "¥19.9" -> 1990.
func parseMoney(s string) (int64, string) {
	v, e := cells.Fixed(cells.StripCurrency(s), 2)
	switch {
	case e == cells.TooPrecise:
		return 0, whyMoneyPrecision
	case e != cells.OK:
		return 0, whyMoney
	case v < 0:
		return 0, whyMoneyNegative
	}
	return v, ""
}

// parsePercent parses a percentage into basis points: "15.5" or "15.5%" -> 1550.
func parsePercent(s string) (int64, string) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "%"), "％"))
	v, e := cells.Fixed(s, 2)
	switch {
	case e == cells.TooPrecise:
		return 0, whyRatePrecision
	case e != cells.OK:
		return 0, whyRate
	case v < 0:
		return 0, whyRateNegative
	}
	return v, ""
}

// parseBasisPoints parses a rate already in basis points: "1550" -> 1550.
func parseBasisPoints(s string) (int64, string) {
	v, e := cells.Fixed(s, 0)
	switch {
	case e == cells.TooPrecise:
		return 0, whyRateBP
	case e != cells.OK:
		return 0, whyRate
	case v < 0:
		return 0, whyRateNegative
	}
	return v, ""
}

// parseCount parses a counter: "1234", "1,234", "1.2万", "100+".
func parseCount(s string) (int64, string) {
	s = strings.TrimSuffix(s, "+")
	var v int64
	var e cells.Err
	if strings.HasSuffix(s, "万") {
		v, e = cells.Fixed(strings.TrimSpace(strings.TrimSuffix(s, "万")), 4)
	} else {
		v, e = cells.Fixed(s, 0)
	}
	switch {
	case e == cells.TooPrecise:
		return 0, whyCountFraction
	case e != cells.OK:
		return 0, whyCount
	case v < 0:
		return 0, whyCountNegative
	}
	return v, ""
}

// parseScore parses a DSR score into hundredths: "4.8" -> 480. Scores are
// not money: extra decimals are rounded half up ("4.8765" -> 488).
func parseScore(s string) (int, string) {
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 3 {
		if !cells.AllDigits(s[i+1:]) {
			return 0, whyScore
		}
		s = s[:i+4]
	}
	v, e := cells.Fixed(s, 3)
	switch {
	case e != cells.OK:
		return 0, whyScore
	case v < 0 || v > 5000:
		return 0, whyScoreRange
	}
	return int(v+5) / 10, ""
}

var timeLayouts = []string{
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006-1-2T15:04:05",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15:04",
}

var dateLayouts = []string{
	"2006-1-2",
	"2006/1/2",
	"2006.1.2",
	"2006年1月2日",
}

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, shanghai).Unix()
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, shanghai).Unix()
	// Excel's day 0 in the 1900 date system (with its 1900 leap-year bug folded in).
	excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, shanghai).Unix()
)

// parseTime parses a time into unix seconds. Accepted: unix seconds, unix
// milliseconds, RFC3339, and naive "2006-01-02 15:04:05" / "2006-01-02"
// style times in Asia/Shanghai. A date without a time means the start of the
// day, or its last second when endOfDay is set (coupon end dates). With
// excel set a small decimal is an Excel serial date. "0" returns 0 (absent).
func parseTime(s string, endOfDay, excel bool) (int64, string) {
	t, ok := parseTimeValue(s, endOfDay, excel)
	if !ok {
		return 0, whyTime
	}
	if t == 0 {
		return 0, ""
	}
	if t < minTime || t >= maxTime {
		return 0, whyTimeRange
	}
	return t, ""
}

func parseTimeValue(s string, endOfDay, excel bool) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if cells.AllDigits(s) {
		if len(s) > 15 {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		switch {
		case n == 0:
			return 0, true
		case n >= 1e11: // milliseconds
			return n / 1000, true
		case n >= 1e8:
			return n, true
		case excel && n < 1e6:
			// A whole serial is a date without a time: as a coupon
			// end it means the end of that day, like "2024-01-31".
			if endOfDay {
				return excelSerial(float64(n)) + 86399, true
			}
			return excelSerial(float64(n)), true
		}
		return 0, false
	}
	if excel && cells.LooksDecimal(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && f > 0 && f < 1e6 {
			return excelSerial(f), true
		}
		return 0, false
	}
	if len(s) > 40 {
		return 0, false
	}
	if strings.IndexByte(s, 'T') >= 0 {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.Unix(), true
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, shanghai); err == nil {
			return t.Unix(), true
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, shanghai); err == nil {
			if endOfDay {
				return t.Unix() + 86399, true
			}
			return t.Unix(), true
		}
	}
	return 0, false
}

func excelSerial(days float64) int64 {
	return excelEpoch + int64(math.Round(days*86400))
}

// checkID reports what is wrong with an item id, "" if nothing.
func checkID(s string) string {
	switch cells.CheckID(s) {
	case cells.IDLong:
		return whyIDLong
	case cells.IDScientific:
		return whyIDScientific
	case cells.IDSpace:
		return whyIDSpace
	}
	return ""
}

// normURL turns protocol-relative image links into https ones.
func normURL(s string) string {
	if strings.HasPrefix(s, "//") {
		return "https:" + s
	}
	return s
}

// normPath cleans a "/" separated category path.
func normPath(s string) string {
	if !strings.Contains(s, "/") {
		return s
	}
	parts := strings.Split(s, "/")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// couponText extracts threshold and amount from text like
// "满99元减10元" or "单笔满99元可用". Unparsable parts are reported as absent.
func couponText(s string) (threshold int64, hasThreshold bool, amount int64, hasAmount bool) {
	if i := strings.Index(s, "满"); i >= 0 {
		if v, ok := leadingYuan(s[i+len("满"):]); ok {
			threshold, hasThreshold = v, true
		}
	}
	if i := strings.Index(s, "减"); i >= 0 {
		if v, ok := leadingYuan(s[i+len("减"):]); ok {
			amount, hasAmount = v, true
		}
	}
	return
}

// leadingYuan parses the amount at the start of s ("99元可用" -> 9900). A
// number of pieces ("满2件") is not an amount.
func leadingYuan(s string) (int64, bool) {
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	if end == 0 {
		return 0, false
	}
	for _, unit := range []string{"件", "个", "份", "张", "瓶", "盒", "袋"} {
		if strings.HasPrefix(s[end:], unit) {
			return 0, false
		}
	}
	v, why := parseMoney(s[:end])
	return v, why == ""
}
