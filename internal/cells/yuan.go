package cells

import "strconv"

// Yuan shows fen as yuan with two decimals: 1990 -> "19.90", -5 ->
// "-0.05". Integer arithmetic only, exact for every int64. Every place that
// prints money uses it.
func Yuan(fen int64) string {
	u, sign := uint64(fen), ""
	if fen < 0 {
		u, sign = -u, "-" // two's complement: exact even for math.MinInt64
	}
	c := u % 100
	return sign + strconv.FormatUint(u/100, 10) + "." + string([]byte{byte('0' + c/10), byte('0' + c%10)})
}

// PercentBP shows basis points as a percentage with two decimals: 5000 ->
// "50.00%" (the same hundredths as Yuan).
func PercentBP(bp int64) string { return Yuan(bp) + "%" }
