package poster

import "strconv"

// FormatFen formats an amount in fen (1/100 yuan) as yuan with two decimals:
// 3990 -> "¥39.90", -5 -> "-¥0.05". Integer arithmetic only.
func FormatFen(fen int64) string {
	y, f := splitFen(fen)
	return sign(fen) + "¥" + y + "." + f
}

// formatFenShort is FormatFen without ".00" for whole yuan (coupon badges):
// 2000 -> "¥20", 2050 -> "¥20.50".
func formatFenShort(fen int64) string {
	y, f := splitFen(fen)
	if f == "00" {
		return sign(fen) + "¥" + y
	}
	return sign(fen) + "¥" + y + "." + f
}

func sign(fen int64) string {
	if fen < 0 {
		return "-"
	}
	return ""
}

// splitFen returns the yuan and the two-digit fen parts of |fen|.
func splitFen(fen int64) (yuan, cents string) {
	u := uint64(fen)
	if fen < 0 {
		u = -u // two's complement: exact even for math.MinInt64
	}
	c := u % 100
	return strconv.FormatUint(u/100, 10), string([]byte{byte('0' + c/10), byte('0' + c%10)})
}
