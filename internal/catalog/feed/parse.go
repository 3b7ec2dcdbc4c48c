package feed

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/shanghai"
)

// Reasons of the feed's own, message keys; cells' reasons are the others
// (cells.Reason renders both).
const (
	whyScore      = "feed.score"
	whyScoreRange = "feed.score_range"
	whyTime       = "feed.time"
	whyUTF8       = "feed.utf8"
)

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
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, shanghai.Zone).Unix()
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, shanghai.Zone).Unix()
	// Excel's day 0 in the 1900 date system (with its 1900 leap-year bug folded in).
	excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, shanghai.Zone).Unix()
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
		return 0, cells.WhyTimeRange
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
		if t, err := time.ParseInLocation(l, s, shanghai.Zone); err == nil {
			return t.Unix(), true
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, shanghai.Zone); err == nil {
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
	v, why := cells.Money(s[:end])
	return v, why == ""
}
