package poster

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/vector"
)

// Poster geometry, in pixels. The QR band (rows bandY0..bandY1-1) is the only
// part that differs between groups; see pngsplice.go.
const (
	Width  = 750
	Height = 1000

	cardMargin = 20
	cardRadius = 24
	padX       = 44 // content left/right edge

	titleSize   = 30
	titleLine   = 44
	titleLines  = 2
	titleBase0  = 592 // first title baseline
	badgeTop    = 654
	badgeHeight = 34
	badgeSize   = 20
	maxBadges   = 3
	dividerY    = 708

	qrBoxSize  = 200
	qrQuiet    = 4 // modules of quiet zone, at least
	bandY0     = 724
	bandY1     = bandY0 + qrBoxSize
	captionY   = 952
	captionSz  = 18
	priceRight = Width - padX - qrBoxSize - 20 // price block's right edge
)

var (
	imageBox = image.Rect(padX, padX, Width-padX, 544)
	qrBox    = image.Rect(Width-padX-qrBoxSize, bandY0, Width-padX, bandY1)
)

var (
	colBackground = color.RGBA{0xF5, 0x4A, 0x2E, 0xFF} // warm red frame
	colCard       = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
	colPanel      = color.RGBA{0xF6, 0xF6, 0xF6, 0xFF} // image box behind the photo
	colTitle      = color.RGBA{0x22, 0x22, 0x22, 0xFF}
	colPrice      = color.RGBA{0xEE, 0x24, 0x1A, 0xFF} // 券后价 red
	colAccent     = color.RGBA{0xFF, 0x50, 0x00, 0xFF} // badge orange
	colAccentBG   = color.RGBA{0xFF, 0xF2, 0xEB, 0xFF}
	colCouponBG   = color.RGBA{0xFF, 0xEF, 0xEA, 0xFF}
	colMuted      = color.RGBA{0x99, 0x99, 0x99, 0xFF}
	colFaint      = color.RGBA{0xC4, 0xC4, 0xC4, 0xFF}
	colLine       = color.RGBA{0xEB, 0xEB, 0xEB, 0xFF}
	colWhite      = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
)

// platformInfo is the label and brand colour of a platform tag.
func platformInfo(p string) (label string, c color.RGBA) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "taobao", "tb", "淘宝":
		return "淘宝", color.RGBA{0xFF, 0x50, 0x00, 0xFF}
	case "tmall", "tm", "天猫":
		return "天猫", color.RGBA{0xFF, 0x00, 0x36, 0xFF}
	case "jd", "jingdong", "京东":
		return "京东", color.RGBA{0xE1, 0x25, 0x1B, 0xFF}
	case "pdd", "pinduoduo", "拼多多":
		return "拼多多", color.RGBA{0xE0, 0x2E, 0x24, 0xFF}
	}
	return "", color.RGBA{}
}

// renderCanvas draws everything but the QR code. img is the product image
// already scaled to fit imageBox, or nil for the placeholder.
func renderCanvas(fc *faceCache, p Product, img *image.RGBA) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, Width, Height))
	fill(dst, dst.Bounds(), colBackground)
	roundRect(dst, image.Rect(cardMargin, cardMargin, Width-cardMargin, Height-cardMargin), cardRadius, colCard)

	drawProductImage(fc, dst, p, img)
	drawTitle(fc, dst, p.Title)
	drawBadges(fc, dst, p.Badges)
	for x := padX; x < Width-padX; x += 12 { // dashed divider, like a coupon's tear line
		fill(dst, image.Rect(x, dividerY, min(x+6, Width-padX), dividerY+2), colLine)
	}
	drawPrices(fc, dst, p)

	// QR box: white, with a faint frame; the code itself is drawn per group.
	roundRect(dst, qrBox.Inset(-6), 12, colLine)
	roundRect(dst, qrBox.Inset(-4), 10, colWhite)
	caption := "长按识别二维码 · scan"
	cw := fc.measurePx(caption, false, captionSz)
	fc.draw(dst, (qrBox.Min.X+qrBox.Max.X-cw)/2, captionY, caption, false, captionSz, colMuted)
	return dst
}

func drawProductImage(fc *faceCache, dst *image.RGBA, p Product, img *image.RGBA) {
	const radius = 16
	roundRect(dst, imageBox, radius, colPanel)
	if img != nil {
		b := img.Bounds()
		at := image.Point{
			X: imageBox.Min.X + (imageBox.Dx()-b.Dx())/2,
			Y: imageBox.Min.Y + (imageBox.Dy()-b.Dy())/2,
		}
		// Clip the photo to the panel's rounded corners.
		mask := roundRectMask(imageBox.Dx(), imageBox.Dy(), radius)
		r := image.Rectangle{Min: at, Max: at.Add(b.Size())}
		draw.DrawMask(dst, r, img, b.Min, mask, r.Min.Sub(imageBox.Min), draw.Over)
	} else {
		// Placeholder: platform name and 暂无图片 on the grey panel.
		label, _ := platformInfo(p.Platform)
		cx, cy := (imageBox.Min.X+imageBox.Max.X)/2, (imageBox.Min.Y+imageBox.Max.Y)/2
		y := cy + 14
		if label != "" {
			lw := fc.measurePx(label, false, 56)
			fc.draw(dst, cx-lw/2, cy-8, label, false, 56, colFaint)
			y = cy + 48
		}
		const none = "暂无图片"
		nw := fc.measurePx(none, false, 28)
		fc.draw(dst, cx-nw/2, y, none, false, 28, colFaint)
	}
	if label, c := platformInfo(p.Platform); label != "" {
		const size, h, padIn = 22, 36, 14
		w := fc.measurePx(label, false, size) + 2*padIn
		r := image.Rect(imageBox.Min.X+14, imageBox.Min.Y+14, imageBox.Min.X+14+w, imageBox.Min.Y+14+h)
		roundRect(dst, r, h/2, c)
		fc.draw(dst, r.Min.X+padIn, centredBaseline(r, size), label, false, size, colWhite)
	}
}

// centredBaseline returns the baseline that vertically centres CJK text of
// the given size in r (the ideographic em box sits about 0.12 em below the
// baseline and 0.88 em above it).
func centredBaseline(r image.Rectangle, size float64) int {
	return (r.Min.Y+r.Max.Y)/2 + int(size*0.38+0.5)
}

func drawTitle(fc *faceCache, dst *image.RGBA, title string) {
	t := fc.cleanText(title)
	if t == "" {
		return
	}
	lines := fc.wrap(t, false, titleSize, Width-2*padX, titleLines)
	for i, l := range lines {
		fc.draw(dst, padX, titleBase0+i*titleLine, l, false, titleSize, colTitle)
	}
}

func drawBadges(fc *faceCache, dst *image.RGBA, badges []string) {
	const padIn, gap, maxRunes = 12, 10, 10
	x, n := padX, 0
	for _, b := range badges {
		if n == maxBadges {
			break
		}
		t := fc.cleanText(b)
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > maxRunes {
			t = string([]rune(t)[:maxRunes-1]) + "…"
		}
		w := fc.measurePx(t, false, badgeSize) + 2*padIn
		if x+w > Width-padX {
			break
		}
		r := image.Rect(x, badgeTop, x+w, badgeTop+badgeHeight)
		roundRect(dst, r, 8, colAccent)
		roundRect(dst, r.Inset(2), 6, colAccentBG)
		fc.draw(dst, x+padIn, centredBaseline(r, badgeSize), t, false, badgeSize, colAccent)
		x += w + gap
		n++
	}
}

// finalPrice is the price after coupon: FinalPrice, or ListPrice - Coupon
// when FinalPrice is not set.
func finalPrice(p Product) int64 {
	if p.FinalPrice > 0 {
		return p.FinalPrice
	}
	return max(p.ListPrice-max(p.Coupon, 0), 0)
}

func drawPrices(fc *faceCache, dst *image.RGBA, p Product) {
	final := finalPrice(p)
	label := "到手价"
	if p.Coupon > 0 {
		label = "券后价"
	}
	sym, yuan, frac := priceParts(final)

	// Row 1: [券后价] ¥39.90 with a large integer part. Shrink if too wide.
	maxW := priceRight - padX
	const labelSize, labelH, labelPad, gap = 24, 36, 10, 12
	big := 84.0
	small := 42.0
	var lw, total int
	for {
		lw = fc.measurePx(label, true, labelSize) + 2*labelPad
		total = lw + gap + fc.measurePx(sym, true, small) + fc.measurePx(yuan, true, big) + fc.measurePx(frac, true, small)
		if total <= maxW || big <= 30 {
			break
		}
		big -= 4
		small = big / 2
	}
	const base1 = 810
	lr := image.Rect(padX, base1-labelH, padX+lw, base1)
	roundRect(dst, lr, 8, colPrice)
	fc.draw(dst, padX+labelPad, centredBaseline(lr, labelSize), label, true, labelSize, colWhite)
	x := padX + lw + gap
	x = fc.draw(dst, x, base1, sym, true, small, colPrice)
	x = fc.draw(dst, x, base1, yuan, true, big, colPrice)
	fc.draw(dst, x-2, base1, frac, true, small, colPrice)

	// Row 2: list price, struck through, when it is above the final price.
	const base2, size2 = 860, 26
	if p.ListPrice > final {
		t := "原价 " + FormatFen(p.ListPrice)
		w := fc.draw(dst, padX, base2, t, false, size2, colMuted) - padX
		ly := base2 - size2*34/100
		fill(dst, image.Rect(padX-2, ly, padX+w+2, ly+2), colMuted)
	}

	// Row 3: coupon ticket [券 | ¥20].
	if p.Coupon > 0 {
		const top, h, size3 = 884, 48, 26
		amount := formatFenShort(p.Coupon)
		leftW := fc.measurePx("券", false, size3) + 24
		rightW := fc.measurePx(amount, true, size3+2) + 32
		r := image.Rect(padX, top, padX+leftW+rightW, top+h)
		roundRect(dst, r, 8, colPrice)
		inner := image.Rect(padX+leftW, top+2, r.Max.X-2, top+h-2)
		roundRect(dst, inner, 6, colCouponBG)
		fill(dst, image.Rect(inner.Min.X, inner.Min.Y, inner.Min.X+6, inner.Max.Y), colCouponBG)
		// Ticket notches where the two halves meet.
		circle(dst, float32(padX+leftW), float32(top), 6, colCard)
		circle(dst, float32(padX+leftW), float32(top+h), 6, colCard)
		fc.draw(dst, padX+12, centredBaseline(r, size3), "券", false, size3, colWhite)
		fc.draw(dst, padX+leftW+16, centredBaseline(r, size3+2)-1, amount, true, size3+2, colPrice)
	}
}

// Drawing primitives.

func fill(dst draw.Image, r image.Rectangle, c color.RGBA) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// roundRectPath adds a rounded rectangle w x h at (0, 0) to z.
func roundRectPath(z *vector.Rasterizer, w, h, rad float32) {
	rad = min(rad, w/2, h/2)
	const kappa = 0.5522848 // cubic Bézier approximation of a quarter circle
	k := rad * kappa
	z.MoveTo(rad, 0)
	z.LineTo(w-rad, 0)
	z.CubeTo(w-rad+k, 0, w, rad-k, w, rad)
	z.LineTo(w, h-rad)
	z.CubeTo(w, h-rad+k, w-rad+k, h, w-rad, h)
	z.LineTo(rad, h)
	z.CubeTo(rad-k, h, 0, h-rad+k, 0, h-rad)
	z.LineTo(0, rad)
	z.CubeTo(0, rad-k, rad-k, 0, rad, 0)
	z.ClosePath()
}

// roundRect fills r with rounded corners (anti-aliased).
func roundRect(dst draw.Image, r image.Rectangle, radius int, c color.RGBA) {
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	roundRectPath(z, float32(r.Dx()), float32(r.Dy()), float32(radius))
	z.Draw(dst, r, image.NewUniform(c), image.Point{})
}

// roundRectMask returns an alpha mask of a w x h rounded rectangle.
func roundRectMask(w, h, radius int) *image.Alpha {
	z := vector.NewRasterizer(w, h)
	roundRectPath(z, float32(w), float32(h), float32(radius))
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	z.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	return m
}

// circle fills a circle of radius rad centred at (cx, cy).
func circle(dst draw.Image, cx, cy, rad float32, c color.RGBA) {
	x0, y0 := int(cx-rad)-1, int(cy-rad)-1
	size := int(2*rad) + 3
	z := vector.NewRasterizer(size, size)
	ox, oy := cx-float32(x0), cy-float32(y0)
	const kappa = 0.5522848
	k := rad * kappa
	z.MoveTo(ox+rad, oy)
	z.CubeTo(ox+rad, oy+k, ox+k, oy+rad, ox, oy+rad)
	z.CubeTo(ox-k, oy+rad, ox-rad, oy+k, ox-rad, oy)
	z.CubeTo(ox-rad, oy-k, ox-k, oy-rad, ox, oy-rad)
	z.CubeTo(ox+k, oy-rad, ox+rad, oy-k, ox+rad, oy)
	z.ClosePath()
	z.Draw(dst, image.Rect(x0, y0, x0+size, y0+size), image.NewUniform(c), image.Point{})
}

// qrGeometry places an n-module code in qrBox: module size in pixels and the
// code's top-left corner. The quiet zone is at least qrQuiet modules.
func qrGeometry(n int) (scale int, at image.Point) {
	scale = qrBoxSize / (n + 2*qrQuiet)
	if scale < 1 {
		scale = 1
	}
	side := scale * n
	return scale, image.Point{X: qrBox.Min.X + (qrBoxSize-side)/2, Y: qrBox.Min.Y + (qrBoxSize-side)/2}
}

// qrOverlay returns the band overlay that draws m: black modules on the white
// QR box.
func qrOverlay(m *qrMatrix) overlay {
	scale, at := qrGeometry(m.n)
	side := scale * m.n
	return overlay{
		r: image.Rectangle{Min: at, Max: at.Add(image.Pt(side, side))},
		paint: func(y int, row []byte) {
			my := (y - at.Y) / scale
			dark := m.dark[my*m.n : (my+1)*m.n]
			for mx, d := range dark {
				if d != 0 {
					clear(row[mx*scale*bpp : (mx+1)*scale*bpp])
				}
			}
		},
	}
}
