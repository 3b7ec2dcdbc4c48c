package ledger

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// The parts of a split sum to the whole fen, each within one fen of its
// exact value, and the fen left over by rounding go to the largest
// remainders.
func TestSplitProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		var total int64
		switch n % 4 {
		case 0:
			total = rng.Int64N(100)
		case 1:
			total = rng.Int64N(10_000_000)
		case 2:
			total = -rng.Int64N(100_000)
		default:
			total = rng.Int64N(1 << 60)
		}
		levels := 1 + rng.IntN(3)
		bps := make([]int64, levels)
		left := int64(10000)
		for i := range bps {
			bps[i] = rng.Int64N(left + 1)
			left -= bps[i]
		}
		shares, team := Split(total, bps)
		sum := new(big.Int).SetInt64(team)
		exact := func(b int64) *big.Rat {
			return new(big.Rat).SetFrac(big.NewInt(0).Mul(big.NewInt(total), big.NewInt(b)), big.NewInt(10000))
		}
		check := func(got, b int64) {
			d := new(big.Rat).Sub(new(big.Rat).SetInt64(got), exact(b))
			if d.Abs(d).Cmp(big.NewRat(1, 1)) >= 0 {
				t.Fatalf("Split(%d, %v) = %v, %d: part %d is a fen or more from %s", total, bps, shares, team, got, exact(b).FloatString(4))
			}
		}
		for i, s := range shares {
			sum.Add(sum, big.NewInt(s))
			check(s, bps[i])
		}
		check(team, left)
		if sum.Cmp(big.NewInt(total)) != 0 {
			t.Fatalf("Split(%d, %v) = %v, %d: sums to %s", total, bps, shares, team, sum)
		}
	}
}

func TestSplitLargestRemainder(t *testing.T) {
	cases := []struct {
		total int64
		bps   []int64
		want  []int64
		team  int64
	}{
		{100, []int64{5000, 1000}, []int64{50, 10}, 40},
		{1, []int64{5000, 1000}, []int64{1, 0}, 0},          // remainders .5, .1, .4: the agent's .5 wins
		{3, []int64{3333, 3333}, []int64{1, 1}, 1},          // .9999 .9999 1.0002 → 0+0+1, then the two .9999 get one each
		{7, []int64{5000, 5000}, []int64{4, 3}, 0},          // a tie: the earlier part
		{-1, []int64{5000, 1000}, []int64{-1, 0}, 0},        // a reversal splits as the original, negated
		{999, []int64{}, []int64{}, 999},                    // nobody shares
		{10, []int64{10000}, []int64{10}, 0},                // all to the agent
		{1 << 62, []int64{5000}, []int64{1 << 61}, 1 << 61}, // no overflow
	}
	for _, c := range cases {
		s, team := Split(c.total, c.bps)
		if len(s) != len(c.want) || team != c.team {
			t.Fatalf("Split(%d, %v) = %v, %d; want %v, %d", c.total, c.bps, s, team, c.want, c.team)
		}
		for i := range s {
			if s[i] != c.want[i] {
				t.Fatalf("Split(%d, %v) = %v, %d; want %v, %d", c.total, c.bps, s, team, c.want, c.team)
			}
		}
	}
}
