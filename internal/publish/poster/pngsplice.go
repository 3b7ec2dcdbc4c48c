package poster

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"image"
	"sync"
)

// A spliced PNG. The poster is split into three horizontal parts: the rows
// above the QR band and the rows below it are the same for every group, the
// band holds the group's QR code. A PNG's pixel data is one zlib stream that
// may be cut into any number of IDAT chunks, and a DEFLATE stream may be cut
// at a sync flush (an empty stored block that ends byte-aligned). So:
//
//	signature IHDR
//	IDAT: zlib header + deflate(top rows), sync-flushed        once per product
//	IDAT: deflate(band rows), fresh compressor, sync-flushed   per group
//	IDAT: deflate(bottom rows), fresh compressor, final block  once per product
//	IDAT: Adler-32 of all filtered rows                        per group (4 bytes)
//	IEND
//
// A fresh compressor emits no back-reference before its own first byte, so
// no segment refers to another's bytes. PNG row filters may refer to the row
// above: the first band row may (the row above it is fixed), but the first
// row after the band must not, so it is filtered with None or Sub. The zlib
// Adler-32 of the whole is combined from the per-part checksums
// (adler32Combine), and each chunk's CRC covers only its own bytes, so the
// fixed chunks are complete, CRC included, before the first group is drawn.
//
// Per group the work is: copy the band's precomputed filtered rows, refilter
// the few columns the QR code covers, update the band's Adler-32 for the
// changed bytes only, and deflate about 200 rows at level 2.

const (
	bpp = 3 // RGB, 8 bits per channel

	// fixedLevel compresses the parts shared by all groups (done once per product).
	fixedLevel = flate.DefaultCompression
	// bandLevel compresses the per-group band.
	bandLevel = 2
)

const (
	ftNone = iota
	ftSub
	ftUp
	ftAvg
	ftPaeth
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// iend is the complete IEND chunk.
var iend = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82}

// appendChunk appends a PNG chunk with its length and CRC.
func appendChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	start := len(dst)
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

func ihdr(w, h int) []byte {
	var b [13]byte
	binary.BigEndian.PutUint32(b[0:], uint32(w))
	binary.BigEndian.PutUint32(b[4:], uint32(h))
	b[8] = 8 // bit depth
	b[9] = 2 // colour type RGB
	// compression 0, filter method 0, no interlace
	return b[:]
}

// rgbRow copies row y of an opaque RGBA image into dst as RGB.
func rgbRow(dst []byte, img *image.RGBA, y int) {
	b := img.Bounds()
	src := img.Pix[img.PixOffset(b.Min.X, y):]
	for x, j := 0, 0; j < len(dst); x, j = x+4, j+3 {
		dst[j], dst[j+1], dst[j+2] = src[x], src[x+1], src[x+2]
	}
}

func abs8(d byte) int {
	if d < 128 {
		return int(d)
	}
	return 256 - int(d)
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := p-int(a), p-int(b), p-int(c)
	if pa < 0 {
		pa = -pa
	}
	if pb < 0 {
		pb = -pb
	}
	if pc < 0 {
		pc = -pc
	}
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

// filterRow writes row cur filtered with ft against prev (nil = zeros) to dst.
func filterRow(dst, cur, prev []byte, ft int) {
	n := len(cur)
	switch ft {
	case ftNone:
		copy(dst, cur)
	case ftSub:
		copy(dst[:bpp], cur[:bpp])
		for i := bpp; i < n; i++ {
			dst[i] = cur[i] - cur[i-bpp]
		}
	case ftUp:
		if prev == nil {
			copy(dst, cur)
			return
		}
		for i := 0; i < n; i++ {
			dst[i] = cur[i] - prev[i]
		}
	case ftAvg:
		for i := 0; i < n; i++ {
			var a, b int
			if i >= bpp {
				a = int(cur[i-bpp])
			}
			if prev != nil {
				b = int(prev[i])
			}
			dst[i] = cur[i] - byte((a+b)/2)
		}
	case ftPaeth:
		for i := 0; i < n; i++ {
			var a, b, c byte
			if i >= bpp {
				a = cur[i-bpp]
				if prev != nil {
					c = prev[i-bpp]
				}
			}
			if prev != nil {
				b = prev[i]
			}
			dst[i] = cur[i] - paeth(a, b, c)
		}
	}
}

// filterBest filters cur with the filter among allowed (a bit set of ft*)
// that minimises the sum of absolute values of the output (the libpng
// heuristic), writing the filter byte and the row to dst.
func filterBest(dst, cur, prev, scratch []byte, allowed int) {
	best, bestSum := -1, 0
	for ft := ftNone; ft <= ftPaeth; ft++ {
		if allowed&(1<<ft) == 0 {
			continue
		}
		filterRow(scratch, cur, prev, ft)
		sum := 0
		for _, v := range scratch {
			sum += abs8(v)
		}
		if best < 0 || sum < bestSum {
			best, bestSum = ft, sum
			dst[0] = byte(ft)
			copy(dst[1:], scratch)
		}
	}
}

const (
	allFilters   = 1<<ftNone | 1<<ftSub | 1<<ftUp | 1<<ftAvg | 1<<ftPaeth
	ownRowFilter = 1<<ftNone | 1<<ftSub // filters that do not read the row above
)

// splicer holds the parts of a poster PNG that do not depend on the group.
// It is immutable once built, and safe for concurrent use.
type splicer struct {
	w, h, y0, y1 int
	win          image.Rectangle // where overlays may draw: inside the band rows
	stride       int             // bytes per RGB row, without the filter byte

	head []byte // signature, IHDR, first IDAT (zlib header, top rows, sync flush)
	tail []byte // IDAT with the bottom rows (final deflate block)

	adlerHead uint32 // Adler-32 of the filtered top rows
	adlerTail uint32 // Adler-32 of the filtered bottom rows
	lenTail   int64

	// band is the RGB of the window's columns in rows y0-1 .. y1-1 as drawn
	// without a QR code: the first row is the row above the band (zeros if
	// y0 == 0). Only the window is kept, to keep a Base small.
	band []byte
	// bandFilt is rows y0 .. y1-1 without a QR code, Up-filtered, each row
	// prefixed by its filter byte: the starting point for every group.
	bandFilt []byte
	// bandA, bandB are the two Adler-32 sums (A = 1 + sum of bytes, B = sum
	// of the A values, both mod 65521) of bandFilt, kept apart so that a
	// group's changed bytes can be applied as deltas.
	bandA, bandB uint32
}

// newSplicer pre-encodes img (opaque, origin 0,0) leaving the rows of win
// (the band) to be encoded per group, with overlays drawn inside win.
func newSplicer(img *image.RGBA, win image.Rectangle) (*splicer, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	y0, y1 := win.Min.Y, win.Max.Y
	if b.Min != (image.Point{}) || win.Empty() || !win.In(b) {
		return nil, fmt.Errorf("poster: bad band window %v of %v", win, b)
	}
	s := &splicer{w: w, h: h, y0: y0, y1: y1, win: win, stride: w * bpp}
	rowLen := 1 + s.stride

	// Rows as RGB.
	rows := make([][]byte, h)
	for y := range rows {
		rows[y] = make([]byte, s.stride)
		rgbRow(rows[y], img, b.Min.Y+y)
	}
	scratch := make([]byte, s.stride)
	filtered := func(from, to int, firstAllowed int) []byte {
		out := make([]byte, 0, (to-from)*rowLen)
		for y := from; y < to; y++ {
			var prev []byte
			if y > 0 {
				prev = rows[y-1]
			}
			allowed := allFilters
			if y == from {
				allowed = firstAllowed
			}
			out = out[:len(out)+rowLen]
			filterBest(out[len(out)-rowLen:], rows[y], prev, scratch, allowed)
		}
		return out
	}

	// Top: zlib header and the rows above the band, sync-flushed.
	top := filtered(0, y0, allFilters)
	s.adlerHead = adler32.Checksum(top)
	var z bytes.Buffer
	z.Write([]byte{0x78, 0x9C})
	if err := deflateInto(&z, top, fixedLevel, false); err != nil {
		return nil, err
	}
	s.head = append(s.head, pngSignature...)
	s.head = appendChunk(s.head, "IHDR", ihdr(w, h))
	s.head = appendChunk(s.head, "IDAT", z.Bytes())

	// Bottom: a fresh compressor, final block. Its first row must not
	// refer to the band, which changes per group.
	bottom := filtered(y1, h, ownRowFilter)
	s.adlerTail = adler32.Checksum(bottom)
	s.lenTail = int64(len(bottom))
	z.Reset()
	if err := deflateInto(&z, bottom, fixedLevel, true); err != nil {
		return nil, err
	}
	s.tail = appendChunk(nil, "IDAT", z.Bytes())

	// Band without QR code, for the per-group fill.
	zeros := make([]byte, s.stride)
	above := zeros
	if y0 > 0 {
		above = rows[y0-1]
	}
	wx0, wx1 := win.Min.X*bpp, win.Max.X*bpp
	s.band = make([]byte, 0, (y1-y0+1)*(wx1-wx0))
	s.band = append(s.band, above[wx0:wx1]...)
	for y := y0; y < y1; y++ {
		s.band = append(s.band, rows[y][wx0:wx1]...)
	}
	s.bandFilt = make([]byte, (y1-y0)*rowLen)
	for y := y0; y < y1; y++ {
		out := s.bandFilt[(y-y0)*rowLen : (y-y0+1)*rowLen]
		out[0] = ftUp
		filterRow(out[1:], rows[y], above, ftUp)
		above = rows[y]
	}
	s.bandA, s.bandB = adlerSums(s.bandFilt)
	return s, nil
}

// bandRow returns the RGB of the window's columns in band row i as drawn
// without overlay (i = -1: the row above the band).
func (s *splicer) bandRow(i int) []byte {
	n := s.win.Dx() * bpp
	o := (i + 1) * n
	return s.band[o : o+n]
}

func deflateInto(dst *bytes.Buffer, data []byte, level int, final bool) error {
	zw, err := flate.NewWriter(dst, level)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if final {
		return zw.Close()
	}
	return zw.Flush()
}

// overlay describes what a group draws into the band: a rectangle r (image
// coordinates, inside the band), and paint, which draws image row y into
// row, the RGB of columns r.Min.X .. r.Max.X-1 as drawn without the overlay.
type overlay struct {
	r     image.Rectangle
	paint func(y int, row []byte)
}

// bandScratch is per-call working memory, pooled.
type bandScratch struct {
	filt      []byte
	prev, cur []byte // RGB of the overlay columns
	z         bytes.Buffer
	zw        *flate.Writer
}

var scratchPool sync.Pool

func getScratch() (*bandScratch, error) {
	if v := scratchPool.Get(); v != nil {
		return v.(*bandScratch), nil
	}
	sc := &bandScratch{}
	zw, err := flate.NewWriter(&sc.z, bandLevel)
	if err != nil {
		return nil, err
	}
	sc.zw = zw
	return sc, nil
}

// appendPNG appends the complete PNG for one overlay to dst.
func (s *splicer) appendPNG(dst []byte, ov overlay) ([]byte, error) {
	sc, err := getScratch()
	if err != nil {
		return nil, err
	}
	defer scratchPool.Put(sc)
	rowLen := 1 + s.stride

	// Start from the band without QR, then refilter the overlay columns of
	// the overlay rows and of the row just below it (its Up filter reads the
	// overlay's last row), tracking the Adler-32 change.
	r := ov.r
	if !r.In(s.win) {
		return nil, fmt.Errorf("poster: overlay %v outside the band window %v", r, s.win)
	}
	sc.filt = append(sc.filt[:0], s.bandFilt...)
	A, B := s.bandA, s.bandB
	if !r.Empty() {
		n := len(s.bandFilt)
		x0, x1 := r.Min.X*bpp, r.Max.X*bpp   // in the image row
		wx0 := (r.Min.X - s.win.Min.X) * bpp // in the window row
		width := x1 - x0
		if cap(sc.prev) < width {
			sc.prev, sc.cur = make([]byte, width), make([]byte, width)
		}
		prev, cur := sc.prev[:width], sc.cur[:width]
		i0 := r.Min.Y - s.y0
		copy(prev, s.bandRow(i0 - 1)[wx0:wx0+width])
		last := r.Max.Y - s.y0 // band row after the overlay, if any
		if last >= s.y1-s.y0 {
			last = s.y1 - s.y0 - 1
		}
		var dA, dB int64
		for i := i0; i <= last; i++ {
			copy(cur, s.bandRow(i)[wx0:wx0+width])
			if y := s.y0 + i; y < r.Max.Y {
				ov.paint(y, cur)
			}
			row := sc.filt[i*rowLen+1+x0 : i*rowLen+1+x1]
			// Position of row[0] in the band stream, for the Adler-32 B sum,
			// which weighs byte k (0-based) of an n-byte stream by n-k.
			k := int64(i*rowLen + 1 + x0)
			for j := range row {
				nv := cur[j] - prev[j]
				if d := int64(nv) - int64(row[j]); d != 0 {
					dA += d
					dB += d * (int64(n) - k - int64(j))
					row[j] = nv
				}
			}
			prev, cur = cur, prev
		}
		A = modAdd(A, dA)
		B = modAdd(B, dB)
	}
	adlerBand := B<<16 | A

	sc.z.Reset()
	sc.zw.Reset(&sc.z)
	if _, err := sc.zw.Write(sc.filt); err != nil {
		return nil, err
	}
	if err := sc.zw.Flush(); err != nil {
		return nil, err
	}

	adler := adler32Combine(s.adlerHead, adlerBand, int64(len(sc.filt)))
	adler = adler32Combine(adler, s.adlerTail, s.lenTail)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], adler)

	dst = append(dst, s.head...)
	dst = appendChunk(dst, "IDAT", sc.z.Bytes())
	dst = append(dst, s.tail...)
	dst = appendChunk(dst, "IDAT", sum[:])
	dst = append(dst, iend...)
	return dst, nil
}

// sizeHint is a generous estimate of a poster's PNG size, for allocation.
func (s *splicer) sizeHint() int {
	return len(s.head) + len(s.tail) + len(s.bandFilt)/4 + 64
}

const adlerMod = 65521

// adlerSums returns the Adler-32 sums A and B of data (reduced mod 65521).
func adlerSums(data []byte) (a, b uint32) {
	sum := adler32.Checksum(data)
	return sum & 0xffff, sum >> 16
}

// modAdd returns (v + d) mod 65521 for v < 65521 and any d.
func modAdd(v uint32, d int64) uint32 {
	r := (int64(v) + d%adlerMod) % adlerMod
	if r < 0 {
		r += adlerMod
	}
	return uint32(r)
}

// adler32Combine returns the Adler-32 of the concatenation of two byte
// sequences given their checksums and the length of the second (the same
// arithmetic as zlib's adler32_combine).
func adler32Combine(adler1, adler2 uint32, len2 int64) uint32 {
	if len2 < 0 {
		return 0xffffffff
	}
	rem := uint32(len2 % adlerMod)
	sum1 := adler1 & 0xffff
	sum2 := rem * sum1 % adlerMod
	sum1 += (adler2 & 0xffff) + adlerMod - 1
	sum2 += (adler1 >> 16) + (adler2 >> 16) + adlerMod - rem
	if sum1 >= adlerMod {
		sum1 -= adlerMod
	}
	if sum1 >= adlerMod {
		sum1 -= adlerMod
	}
	if sum2 >= adlerMod<<1 {
		sum2 -= adlerMod << 1
	}
	if sum2 >= adlerMod {
		sum2 -= adlerMod
	}
	return sum2<<16 | sum1
}
