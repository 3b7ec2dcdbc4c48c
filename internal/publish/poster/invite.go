package poster

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// Invite is what a fission campaign's personal poster shows: the
// campaign's name, the inviter's name, a few lines (the rewards) and a QR
// code of the inviter's personal link.
type Invite struct {
	Campaign string
	Headline string // e.g. "小红 邀请你进群"
	Lines    []string
}

// InvitePNG renders iv's poster with a QR code of link, in the posters'
// frame and size (Width x Height), with the same fonts.
func (r *Renderer) InvitePNG(iv Invite, link string) ([]byte, error) {
	m, err := encodeQR(link)
	if err != nil {
		return nil, err
	}
	fc := newFaceCache(r.fonts)
	dst := image.NewRGBA(image.Rect(0, 0, Width, Height))
	fill(dst, dst.Bounds(), colBackground)
	roundRect(dst, image.Rect(cardMargin, cardMargin, Width-cardMargin, Height-cardMargin), cardRadius, colCard)
	y := 140
	for _, line := range fc.wrap(fc.cleanText(iv.Campaign), true, 48, Width-2*padX, 2) {
		w := fc.measurePx(line, true, 48)
		fc.draw(dst, (Width-w)/2, y, line, true, 48, colPrice)
		y += 70
	}
	y += 20
	for _, line := range fc.wrap(fc.cleanText(iv.Headline), true, 32, Width-2*padX, 2) {
		w := fc.measurePx(line, true, 32)
		fc.draw(dst, (Width-w)/2, y, line, true, 32, colTitle)
		y += 48
	}
	y += 16
	for _, l := range iv.Lines {
		if y > 560 {
			break
		}
		line := fc.fit(fc.cleanText(l), false, 26, Width-2*padX)
		w := fc.measurePx(line, false, 26)
		fc.draw(dst, (Width-w)/2, y, line, false, 26, colAccent)
		y += 42
	}
	// The code, centred below, black modules on a white box.
	const side = 360
	box := image.Rect((Width-side)/2, 590, (Width+side)/2, 590+side)
	roundRect(dst, box.Inset(-6), 12, colLine)
	roundRect(dst, box.Inset(-4), 10, colWhite)
	scale := max(side/(m.n+2*qrQuiet), 1)
	at := image.Pt(box.Min.X+(side-scale*m.n)/2, box.Min.Y+(side-scale*m.n)/2)
	black := color.RGBA{0, 0, 0, 0xFF}
	for my := range m.n {
		for mx := range m.n {
			if m.at(mx, my) {
				fill(dst, image.Rect(at.X+mx*scale, at.Y+my*scale, at.X+(mx+1)*scale, at.Y+(my+1)*scale), black)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
