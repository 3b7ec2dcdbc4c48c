package demo

import (
	"math"
	"math/bits"
)

// rng is a SplitMix64 generator: eight bytes of state, a few nanoseconds a
// draw, and independent streams from any 64-bit seed. Each item owns one so
// that its observations depend on nothing but (seed, index).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// mix64 is the SplitMix64 finaliser, also used to derive seeds.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// intn returns a uniform value in [0, n); n > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between returns a uniform value in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// normal returns a standard normal value (Box–Muller); used when items are
// set up, not per observation.
func (r *rng) normal() float64 {
	u := 1 - r.float() // (0, 1]
	v := r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// chance converts a probability to a threshold for next() < t.
func chance(p float64) uint64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return ^uint64(0)
	}
	return uint64(p * 0x1p64)
}

// permute maps i in [0, m) to a distinct pseudo-random value in [0, m): a
// four-round Feistel network keyed by key on the smallest even number of bits
// that covers m, cycle-walking until the result falls below m. Ids built from
// it are unique by construction yet look random.
func permute(i int, key, m uint64) uint64 {
	x := uint64(i) % m
	half := (bits.Len64(m-1) + 1) / 2
	mask := uint64(1)<<half - 1
	for {
		l, r := x>>half, x&mask
		for round := range uint64(4) {
			l, r = r, l^(mix64(r^key^(round*0x9e3779b97f4a7c15))&mask)
		}
		x = l<<half | r
		if x < m {
			return x
		}
	}
}
