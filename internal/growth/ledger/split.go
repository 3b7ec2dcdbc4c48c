package ledger

import "sort"

// Split divides total fen into shares of basis points bps (each 0..10000,
// summing to at most 10000) by the largest remainder: share i is
// total*bps[i]/10000 rounded down, and the fen the rounding left over go one
// each to the parts with the largest remainders, the team's own part (what
// the shares leave of 10000) included, earliest part first on ties. The
// shares and the team's part sum to total exactly; each differs from its
// exact value by less than one fen. A negative total splits as its opposite,
// negated. The second result is the team's part.
func Split(total int64, bps []int64) (shares []int64, team int64) {
	if total < 0 {
		s, t := Split(-total, bps)
		for i := range s {
			s[i] = -s[i]
		}
		return s, -t
	}
	var rest int64 = 10000
	for _, b := range bps {
		rest -= b
	}
	rates := append(append([]int64{}, bps...), rest)
	parts := make([]int64, len(rates))
	rems := make([]int64, len(rates))
	order := make([]int, len(rates))
	left := total
	// total*bps may overflow for huge totals: split total = q*10000 + r.
	q, r := total/10000, total%10000
	for i, b := range rates {
		parts[i] = q*b + r*b/10000
		rems[i] = r * b % 10000
		left -= parts[i]
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := 0; left > 0; k++ {
		parts[order[k]]++
		left--
	}
	return parts[:len(bps)], parts[len(bps)]
}
