package poster

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"sync"

	"rsc.io/qr/coding"
)

// QR codes are made with rsc.io/qr/coding (BSD-3-Clause, pure Go), at
// error-correction level M. rsc.io/qr's own Encode always uses mask 0; like
// other encoders we try all eight masks and keep the one with the lowest
// ISO/IEC 18004 penalty, which avoids large blank or dark areas and
// finder-like patterns that make phone scanners hesitate. Plans (the module
// layout for a version and mask) are built once and shared: Plan.Encode only
// reads its plan.

// ErrLinkTooLong is returned when a link does not fit in the largest QR code.
var ErrLinkTooLong = errors.New("poster: link too long for a QR code")

// ErrEmptyLink is returned when a poster is asked for without a link.
var ErrEmptyLink = errors.New("poster: empty link")

const qrLevel = coding.M

var (
	planMu sync.Mutex
	plans  [coding.MaxVersion + 1][8]*coding.Plan
)

func qrPlan(v coding.Version, mask int) (*coding.Plan, error) {
	planMu.Lock()
	defer planMu.Unlock()
	if p := plans[v][mask]; p != nil {
		return p, nil
	}
	p, err := coding.NewPlan(v, qrLevel, coding.Mask(mask))
	if err != nil {
		return nil, err
	}
	plans[v][mask] = p
	return p, nil
}

// qrMatrix is a square grid of modules without quiet zone.
type qrMatrix struct {
	n    int
	dark []byte // n*n, row-major, 1 = dark
}

func (m *qrMatrix) at(x, y int) bool { return m.dark[y*m.n+x] != 0 }

// encodeQR encodes text at level M with the best mask.
func encodeQR(text string) (*qrMatrix, error) {
	if text == "" {
		return nil, ErrEmptyLink
	}
	var enc coding.Encoding
	switch {
	case coding.Num(text).Check() == nil:
		enc = coding.Num(text)
	case coding.Alpha(text).Check() == nil:
		enc = coding.Alpha(text)
	default:
		enc = coding.String(text)
	}
	v := coding.Version(coding.MinVersion)
	for ; ; v++ {
		if v > coding.MaxVersion {
			return nil, fmt.Errorf("%w (%d bytes)", ErrLinkTooLong, len(text))
		}
		if enc.Bits(v) <= v.DataBytes(qrLevel)*8 {
			break
		}
	}
	var best *qrMatrix
	bestScore := -1
	for mask := 0; mask < 8; mask++ {
		p, err := qrPlan(v, mask)
		if err != nil {
			return nil, fmt.Errorf("poster: qr plan: %w", err)
		}
		c, err := p.Encode(enc)
		if err != nil {
			return nil, fmt.Errorf("poster: qr encode: %w", err)
		}
		m := &qrMatrix{n: c.Size, dark: make([]byte, c.Size*c.Size)}
		for y := 0; y < c.Size; y++ {
			row := c.Bitmap[y*c.Stride:]
			for x := 0; x < c.Size; x++ {
				m.dark[y*c.Size+x] = row[x/8] >> uint(7-x&7) & 1
			}
		}
		if s := m.penalty(); best == nil || s < bestScore {
			best, bestScore = m, s
		}
	}
	return best, nil
}

// penalty is the ISO/IEC 18004:2015 section 7.8.3 mask penalty score
// (finder-like patterns are counted once per side with four light modules,
// as ZXing does). It runs eight times per poster, so it works on bytes.
func (m *qrMatrix) penalty() int {
	n := m.n
	grid := make([]byte, 2*n*n) // rows, then columns (the transpose)
	cols := grid[n*n:]
	copy(grid, m.dark)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			cols[x*n+y] = m.dark[y*n+x]
		}
	}
	score := 0
	// N1: runs of five or more same-colour modules in a row or column.
	// N3: dark-light-dark-dark-dark-light-dark with four light modules on
	// either side, found with an 11-module window over the row padded by
	// the (light) quiet zone.
	const (
		finderLeft  = 0b00001011101
		finderRight = 0b10111010000
		window      = 1<<11 - 1
	)
	for line := 0; line < 2*n; line++ {
		row := grid[line*n : (line+1)*n]
		// A run of length L >= 5 scores L-2: 3 when it reaches 5, then 1
		// per further module. Branch-free, as module colours are random.
		run := 1
		for x := 1; x < n; x++ {
			same := int(row[x] ^ row[x-1] ^ 1)
			run = run*same + 1
			score += runScore[min(run, 6)]
		}
		bits := 0
		for x := 0; x < n+4; x++ {
			bits <<= 1
			if x < n {
				bits |= int(row[x])
			}
			bits &= window
			if x >= 6 && (bits == finderLeft || bits == finderRight) {
				score += 40
			}
		}
	}
	// N2: 2x2 blocks of one colour.
	for y := 0; y+1 < n; y++ {
		a, b := grid[y*n:(y+1)*n], grid[(y+1)*n:(y+2)*n]
		for x := 0; x+1 < n; x++ {
			score += block2x2[a[x]+a[x+1]+b[x]+b[x+1]]
		}
	}
	// N4: proportion of dark modules away from 50%.
	dark := 0
	for _, d := range grid[:n*n] {
		dark += int(d)
	}
	dev := dark*100/(n*n) - 50
	if dev < 0 {
		dev = -dev
	}
	return score + dev/5*10
}

var (
	runScore = [7]int{5: 3, 6: 1} // N1 score added as a run reaches length i
	block2x2 = [5]int{0: 3, 4: 3} // N2 score by the number of dark modules in a 2x2 block
)

// QRPNG is text as a QR code alone: a PNG of scale pixels a module (at
// least 1) with the standard 4-module quiet zone, black on white. The demo
// makes its groups' QR images with it.
func QRPNG(text string, scale int) ([]byte, error) {
	m, err := encodeQR(text)
	if err != nil {
		return nil, err
	}
	scale = max(scale, 1)
	side := (m.n + 8) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < m.n; y++ {
		for x := 0; x < m.n; x++ {
			if !m.at(x, y) {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				row := img.Pix[((y+4)*scale+dy)*img.Stride:]
				for dx := 0; dx < scale; dx++ {
					row[(x+4)*scale+dx] = 0
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("poster: QR image: %w", err)
	}
	return buf.Bytes(), nil
}
