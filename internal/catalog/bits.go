package catalog

import "math/bits"

// Exponential-Golomb coding of order k: with u = v + 2^k of bit length m+1,
// write m-k zero bits then u in m+1 bits. Small values cost k+1 bits and the
// cost grows with the logarithm of v, so an outlier never costs much.
// Values are below 2^maxCodeBits (counters are capped, see MaxCounter) and k
// is at most maxOrder, so every code fits in one 64-bit window.
const (
	maxCodeBits = 44
	maxOrder    = 40
)

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	dst []byte
	acc uint64 // pending bits, right-aligned (fewer than 8 between calls)
	n   uint
}

// write appends the low width bits of v (width <= 56).
func (w *bitWriter) write(v uint64, width uint) {
	w.acc = w.acc<<width | v&(1<<width-1)
	w.n += width
	for w.n >= 8 {
		w.n -= 8
		w.dst = append(w.dst, byte(w.acc>>w.n))
	}
}

func (w *bitWriter) expGolomb(v uint64, k uint) {
	u := v + 1<<k
	m := uint(bits.Len64(u)) - 1
	w.write(0, m-k)
	w.write(u, m+1)
}

// flush pads the last byte with zeros.
func (w *bitWriter) flush() {
	if w.n > 0 {
		w.dst = append(w.dst, byte(w.acc<<(8-w.n)))
		w.n, w.acc = 0, 0
	}
}

// expGolombBits is the size of v's code of order k.
func expGolombBits(v uint64, k uint) uint {
	m := uint(bits.Len64(v+1<<k)) - 1
	return 2*m - k + 1
}

// bitReader reads what bitWriter wrote, through a 64-bit window.
type bitReader struct {
	b   []byte
	i   int    // next byte to load
	acc uint64 // loaded bits, left-aligned
	n   uint   // how many
	err bool
}

func (r *bitReader) refill() {
	for r.n <= 56 && r.i < len(r.b) {
		r.acc |= uint64(r.b[r.i]) << (56 - r.n)
		r.i++
		r.n += 8
	}
}

func (r *bitReader) read(width uint) uint64 {
	if width == 0 {
		return 0
	}
	if r.n < width {
		r.refill()
		if r.n < width {
			r.err = true
			return 0
		}
	}
	v := r.acc >> (64 - width)
	r.acc <<= width
	r.n -= width
	return v
}

func (r *bitReader) expGolomb(k uint) uint64 {
	r.refill()
	z := uint(bits.LeadingZeros64(r.acc))
	m := z + k
	if z >= r.n || m >= maxCodeBits+1 {
		r.err = true
		return 0
	}
	r.acc <<= z
	r.n -= z
	return r.read(m+1) - 1<<k
}

// align drops the padding bits up to the next byte boundary and returns the
// bytes not yet consumed.
func (r *bitReader) align() []byte {
	r.n -= r.n % 8
	return r.b[r.i-int(r.n/8):]
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
