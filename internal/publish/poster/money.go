package poster

import (
	"strings"

	"github.com/qunke/qunke/internal/cells"
)

// FormatFen formats an amount in fen (1/100 yuan) as yuan with two decimals:
// 3990 -> "¥39.90", -5 -> "-¥0.05". Integer arithmetic only.
func FormatFen(fen int64) string { return withYuanSign(cells.Yuan(fen)) }

// formatFenShort is FormatFen without ".00" for whole yuan (coupon badges):
// 2000 -> "¥20", 2050 -> "¥20.50".
func formatFenShort(fen int64) string {
	return withYuanSign(strings.TrimSuffix(cells.Yuan(fen), ".00"))
}

// withYuanSign puts ¥ after the minus sign: "-0.05" -> "-¥0.05".
func withYuanSign(yuan string) string {
	if abs, neg := strings.CutPrefix(yuan, "-"); neg {
		return "-¥" + abs
	}
	return "¥" + yuan
}

// priceParts splits FormatFen's text for drawing: "-¥", "39", ".90".
func priceParts(fen int64) (sym, yuan, frac string) {
	s := FormatFen(fen)
	dot := strings.LastIndexByte(s, '.')
	n := strings.Index(s, "¥") + len("¥")
	return s[:n], s[n:dot], s[dot:]
}
