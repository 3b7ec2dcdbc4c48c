package catalog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// A chunk holds a run of one item's observations, oldest first, encoded by
// column so that what repeats costs almost nothing:
//
//	version byte (1)
//	n       uvarint  observations
//	t0      varint   time of the first
//	step    uvarint  t1 - t0 (when n > 1), then a column of n-2 delta-of-deltas
//	sales30, sales2h, coupon remain: first value (zigzag varint), then a
//	        column of n-1 deltas
//	changes uvarint  price-state changes (>= 1: the first observation is a keyframe)
//	units   byte mask, then a uvarint unit for each price field in the mask:
//	        the gcd of that field's change deltas (coupon ends move in whole
//	        days, prices often in whole yuan)
//	  per change: uvarint gap in observations since the previous change,
//	  byte mask of the price fields that changed, then each changed field's
//	  zigzag delta from its previous value, divided by the field's unit
//	  (the keyframe: from zero, undivided).
//
// A column is a mode byte and the zigzagged deltas in whichever form is
// smallest: nothing (all zero), varints with runs of zeros folded, or
// exponential-Golomb bits of order k (see bits.go).
//
// Prices, coupon and commission are thus stored only when they change, while
// every observation's time and counters are kept: decoding gives back every
// observation exactly, so every question is answered as if each had been
// stored whole. A chunk is self-contained (it starts with a keyframe), so a
// reader decodes only the chunks its window touches.
const chunkVersion = 1

// maxChunkObs bounds what a decoder accepts, so a corrupt length cannot make
// it allocate without limit; writers never exceed ChunkCap.
const maxChunkObs = 1 << 16

// price fields, in mask bit order.
const (
	fListPrice = iota
	fCouponAmount
	fCouponThreshold
	fCouponEnd
	fFinalPrice
	fCommissionRate
	fCommissionType
	numPriceFields
)

func priceField(o *Observation, f int) int64 {
	switch f {
	case fListPrice:
		return o.ListPrice
	case fCouponAmount:
		return o.CouponAmount
	case fCouponThreshold:
		return o.CouponThreshold
	case fCouponEnd:
		return o.CouponEnd
	case fFinalPrice:
		return o.FinalPrice
	case fCommissionRate:
		return o.CommissionRate
	default:
		return int64(o.CommissionType)
	}
}

func setPriceField(o *Observation, f int, v int64) {
	switch f {
	case fListPrice:
		o.ListPrice = v
	case fCouponAmount:
		o.CouponAmount = v
	case fCouponThreshold:
		o.CouponThreshold = v
	case fCouponEnd:
		o.CouponEnd = v
	case fFinalPrice:
		o.FinalPrice = v
	case fCommissionRate:
		o.CommissionRate = v
	default:
		o.CommissionType = CommissionType(v)
	}
}

// SamePrice reports whether two observations carry the same price state
// (everything but time and counters).
func SamePrice(a, b *Observation) bool {
	return a.ListPrice == b.ListPrice && a.CouponAmount == b.CouponAmount &&
		a.CouponThreshold == b.CouponThreshold && a.CouponEnd == b.CouponEnd &&
		a.FinalPrice == b.FinalPrice && a.CommissionRate == b.CommissionRate &&
		a.CommissionType == b.CommissionType
}

// appendChunk encodes obs (sorted by At, distinct times) onto dst.
func appendChunk(dst []byte, obs []Observation) []byte {
	n := len(obs)
	dst = append(dst, chunkVersion)
	dst = binary.AppendUvarint(dst, uint64(n))
	if n == 0 {
		return dst
	}
	dst = binary.AppendVarint(dst, obs[0].At)
	zz := make([]uint64, 0, n)
	if n > 1 {
		prev := obs[1].At - obs[0].At
		dst = binary.AppendUvarint(dst, uint64(prev))
		for i := 2; i < n; i++ {
			d := obs[i].At - obs[i-1].At
			zz = append(zz, zigzag(d-prev))
			prev = d
		}
		dst = appendColumn(dst, zz)
	}
	for c := 0; c < 3; c++ {
		dst = binary.AppendVarint(dst, counter(&obs[0], c))
		zz = zz[:0]
		for i := 1; i < n; i++ {
			zz = append(zz, zigzag(counter(&obs[i], c)-counter(&obs[i-1], c)))
		}
		dst = appendColumn(dst, zz)
	}
	changes := 1
	var units [numPriceFields]uint64
	for i := 1; i < n; i++ {
		if SamePrice(&obs[i], &obs[i-1]) {
			continue
		}
		changes++
		for f := 0; f < numPriceFields; f++ {
			if d := priceField(&obs[i], f) - priceField(&obs[i-1], f); d != 0 {
				units[f] = gcd(units[f], uint64(max(d, -d)))
			}
		}
	}
	dst = binary.AppendUvarint(dst, uint64(changes))
	var unitMask byte
	for f := range units {
		if units[f] > 1 {
			unitMask |= 1 << f
		}
	}
	dst = append(dst, unitMask)
	for f := range units {
		if units[f] > 1 {
			dst = binary.AppendUvarint(dst, units[f])
		} else {
			units[f] = 1
		}
	}
	var prev Observation // zero: the keyframe is a delta from zero
	last := 0
	for i := range obs {
		if i > 0 && SamePrice(&obs[i], &obs[i-1]) {
			continue
		}
		var mask byte
		for f := 0; f < numPriceFields; f++ {
			if priceField(&obs[i], f) != priceField(&prev, f) {
				mask |= 1 << f
			}
		}
		dst = binary.AppendUvarint(dst, uint64(i-last))
		dst = append(dst, mask)
		for f := 0; f < numPriceFields; f++ {
			if mask&(1<<f) != 0 {
				d := priceField(&obs[i], f) - priceField(&prev, f)
				if i > 0 {
					d /= int64(units[f])
				}
				dst = binary.AppendVarint(dst, d)
			}
		}
		prev, last = obs[i], i
	}
	return dst
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Column forms.
const (
	colZero   = 0 // every delta is zero
	colVarint = 1 // zigzag varints, runs of zeros folded
	colGolomb = 2 // 2+k: exponential-Golomb bits of order k
)

// appendColumn writes zigzagged deltas in the smallest of the column forms.
func appendColumn(dst []byte, zz []uint64) []byte {
	var most, sum uint64
	for _, v := range zz {
		most = max(most, v)
		sum += v
	}
	if most == 0 {
		return append(dst, colZero)
	}
	mode := byte(colVarint)
	z := zeroRunWriter{dst: append(dst, colVarint)}
	for _, v := range zz {
		z.put(unzigzag(v))
	}
	z.flush()
	best := uint(len(z.dst) - len(dst) - 1)
	if most < 1<<maxCodeBits {
		// Try the orders around the mean's size.
		k0 := bits.Len64(sum / uint64(len(zz)))
		for k := max(0, k0-3); k <= min(maxOrder, k0+1); k++ {
			var nbits uint
			for _, v := range zz {
				nbits += expGolombBits(v, uint(k))
			}
			if size := (nbits + 7) / 8; size < best {
				best, mode = size, byte(colGolomb+k)
			}
		}
	}
	if mode == colVarint {
		return z.dst
	}
	w := bitWriter{dst: append(dst, mode)}
	for _, v := range zz {
		w.expGolomb(v, uint(mode-colGolomb))
	}
	w.flush()
	return w.dst
}

// readColumn reads m deltas written by appendColumn into out.
func readColumn(r *chunkReader, out []int64) {
	if len(r.b) == 0 {
		r.err = errCorruptChunk
		return
	}
	mode := r.b[0]
	r.b = r.b[1:]
	switch {
	case mode == colZero:
		clear(out)
	case mode == colVarint:
		z := zeroRunReader{r: r}
		for i := range out {
			out[i] = z.get()
		}
		if z.zeros != 0 {
			r.err = errCorruptChunk
		}
	case mode <= colGolomb+maxOrder:
		br := bitReader{b: r.b}
		k := uint(mode - colGolomb)
		for i := range out {
			out[i] = unzigzag(br.expGolomb(k))
		}
		if br.err {
			r.err = errCorruptChunk
			r.b = nil
			return
		}
		r.b = br.align()
	default:
		r.err = errCorruptChunk
	}
}

func counter(o *Observation, c int) int64 {
	switch c {
	case 0:
		return o.Sales30
	case 1:
		return o.Sales2h
	default:
		return o.CouponRemain
	}
}

func setCounter(o *Observation, c int, v int64) {
	switch c {
	case 0:
		o.Sales30 = v
	case 1:
		o.Sales2h = v
	default:
		o.CouponRemain = v
	}
}

// zeroRunWriter writes zigzag varints, folding a run of zeros into a 0
// followed by the run's length less one: an unchanged counter costs about
// nothing however long it stays unchanged.
type zeroRunWriter struct {
	dst   []byte
	zeros int
}

func (w *zeroRunWriter) put(v int64) {
	if v == 0 {
		w.zeros++
		return
	}
	w.flush()
	w.dst = binary.AppendVarint(w.dst, v)
}

func (w *zeroRunWriter) flush() {
	if w.zeros > 0 {
		w.dst = binary.AppendVarint(w.dst, 0)
		w.dst = binary.AppendUvarint(w.dst, uint64(w.zeros-1))
		w.zeros = 0
	}
}

type zeroRunReader struct {
	r     *chunkReader
	zeros uint64
}

func (z *zeroRunReader) get() int64 {
	if z.zeros > 0 {
		z.zeros--
		return 0
	}
	v := z.r.varint()
	if v == 0 {
		z.zeros = z.r.uvarint()
	}
	return v
}

var errCorruptChunk = errors.New("catalog: corrupt history chunk")

type chunkReader struct {
	b   []byte
	err error
}

func (r *chunkReader) uvarint() uint64 {
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errCorruptChunk
		r.b = nil
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *chunkReader) varint() int64 {
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.err = errCorruptChunk
		r.b = nil
		return 0
	}
	r.b = r.b[k:]
	return v
}

// decodeChunk appends the chunk's observations to dst.
func decodeChunk(dst []Observation, b []byte) ([]Observation, error) {
	if len(b) == 0 || b[0] != chunkVersion {
		return dst, fmt.Errorf("%w: unknown version", errCorruptChunk)
	}
	r := chunkReader{b: b[1:]}
	n64 := r.uvarint()
	if r.err != nil || n64 > maxChunkObs {
		return dst, errCorruptChunk
	}
	n := int(n64)
	if n == 0 {
		return dst, nil
	}
	base := len(dst)
	dst = append(dst, make([]Observation, n)...)
	obs := dst[base:]
	var stack [ChunkCap]int64
	deltas := stack[:0]
	if n > ChunkCap {
		deltas = make([]int64, 0, n)
	}
	obs[0].At = r.varint()
	if n > 1 {
		d := int64(r.uvarint())
		obs[1].At = obs[0].At + d
		dod := deltas[:n-2]
		readColumn(&r, dod)
		for i := 2; i < n; i++ {
			d += dod[i-2]
			obs[i].At = obs[i-1].At + d
		}
	}
	for c := 0; c < 3; c++ {
		v := r.varint()
		setCounter(&obs[0], c, v)
		col := deltas[:n-1]
		readColumn(&r, col)
		for i := 1; i < n; i++ {
			v += col[i-1]
			setCounter(&obs[i], c, v)
		}
	}
	if r.err != nil {
		return dst[:base], errCorruptChunk
	}
	changes := int(r.uvarint())
	if len(r.b) == 0 {
		return dst[:base], errCorruptChunk
	}
	unitMask := r.b[0]
	r.b = r.b[1:]
	var units [numPriceFields]int64
	for f := range units {
		units[f] = 1
		if unitMask&(1<<f) != 0 {
			units[f] = int64(r.uvarint())
		}
	}
	var state Observation
	pos := 0
	for k := 0; k < changes && r.err == nil; k++ {
		next := pos + int(r.uvarint())
		if len(r.b) == 0 || next >= n || next < pos || (k > 0 && next == pos) {
			return dst[:base], errCorruptChunk
		}
		for i := pos; i < next; i++ {
			copyPrice(&obs[i], &state)
		}
		mask := r.b[0]
		r.b = r.b[1:]
		for f := 0; f < numPriceFields; f++ {
			if mask&(1<<f) != 0 {
				d := r.varint()
				if k > 0 {
					d *= units[f]
				}
				setPriceField(&state, f, priceField(&state, f)+d)
			}
		}
		pos = next
	}
	if r.err != nil || changes == 0 {
		return dst[:base], errCorruptChunk
	}
	for i := pos; i < n; i++ {
		copyPrice(&obs[i], &state)
	}
	return dst, nil
}

func copyPrice(dst, src *Observation) {
	dst.ListPrice, dst.CouponAmount, dst.CouponThreshold = src.ListPrice, src.CouponAmount, src.CouponThreshold
	dst.CouponEnd, dst.FinalPrice = src.CouponEnd, src.FinalPrice
	dst.CommissionRate, dst.CommissionType = src.CommissionRate, src.CommissionType
}
