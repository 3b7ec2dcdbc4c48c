package poster

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Text layout is deliberately simple: one font family, left-to-right, no
// kerning, no shaping (none is needed for Chinese, Latin and digits), so that
// measuring and drawing always agree and output is reproducible.

// glyphFace returns the face that draws r and its advance: the bold subset
// when asked for bold and it has the glyph, else the regular font. ok is
// false when neither font has r: the caller draws a box (missingBox), since
// the font's own .notdef glyph is blank.
func (c *faceCache) glyphFace(bold bool, size float64, r rune) (f font.Face, adv fixed.Int26_6, ok bool) {
	if bold {
		f = c.face(true, size)
		if adv, ok = f.GlyphAdvance(r); ok {
			return f, adv, true
		}
	}
	f = c.face(false, size)
	if adv, ok = f.GlyphAdvance(r); ok {
		return f, adv, true
	}
	return f, fixed.I(int(size + 0.5)), false
}

// missingBox draws the stand-in for a rune no embedded font has: an outlined
// box one em wide, like the "tofu" browsers show.
func missingBox(dst draw.Image, dot fixed.Point26_6, size float64, col color.Color) {
	em := int(size + 0.5)
	x0 := dot.X.Round() + em/8
	x1 := dot.X.Round() + em - em/8
	y0 := dot.Y.Round() - em*4/5
	y1 := dot.Y.Round() + em/10
	t := max(1, em/16)
	src := image.NewUniform(col)
	for _, r := range []image.Rectangle{
		image.Rect(x0, y0, x1, y0+t), image.Rect(x0, y1-t, x1, y1),
		image.Rect(x0, y0, x0+t, y1), image.Rect(x1-t, y0, x1, y1),
	} {
		draw.Draw(dst, r, src, image.Point{}, draw.Over)
	}
}

// hasGlyph reports whether the regular font has a real glyph for r.
func (c *faceCache) hasGlyph(r rune) bool {
	_, ok := c.face(false, 16).GlyphAdvance(r)
	return ok
}

// measure returns the advance width of s in pixels (26.6 fixed point).
func (c *faceCache) measure(s string, bold bool, size float64) fixed.Int26_6 {
	var w fixed.Int26_6
	for _, r := range s {
		_, adv, _ := c.glyphFace(bold, size, r)
		w += adv
	}
	return w
}

// measurePx returns the advance width of s rounded up to whole pixels.
func (c *faceCache) measurePx(s string, bold bool, size float64) int {
	return c.measure(s, bold, size).Ceil()
}

// draw draws s with its baseline origin at (x, y) and returns the x where the
// next text would start.
func (c *faceCache) draw(dst draw.Image, x, y int, s string, bold bool, size float64, col color.Color) int {
	src := image.NewUniform(col)
	dot := fixed.P(x, y)
	for _, r := range s {
		f, adv, ok := c.glyphFace(bold, size, r)
		if !ok {
			missingBox(dst, dot, size, col)
		} else if dr, mask, maskp, _, ok := f.Glyph(dot, r); ok && !dr.Empty() {
			draw.DrawMask(dst, dr, src, image.Point{}, mask, maskp, draw.Over)
		}
		dot.X += adv
	}
	return dot.X.Ceil()
}

// invisible reports runes that are dropped from text rather than drawn as a
// box when the font lacks them: emoji and their modifiers, variation
// selectors, joiners, bidi controls, tags, private use, the replacement
// character (invalid UTF-8).
func invisible(r rune) bool {
	switch {
	case r == utf8.RuneError, r == 0xFEFF:
		return true
	case r >= 0x200B && r <= 0x200F, r >= 0x2028 && r <= 0x202E, r >= 0x2060 && r <= 0x206F:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0000 && r <= 0xE01EF: // variation selectors, tags
		return true
	case r >= 0x1F000 && r <= 0x1FAFF: // emoji, pictographs, flags, modifiers
		return true
	case r >= 0x2300 && r <= 0x23FF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF: // symbols often shown as emoji
		return true
	case r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000: // private use
		return true
	}
	return false
}

// cleanText makes user text safe to lay out: control characters and runs of
// white space become one space, emoji and invisible runes the font lacks are
// dropped, and the result is trimmed. Other runes the font lacks are kept and
// drawn as a box (missingBox), so a rare character is visibly missing
// rather than silently gone.
func (c *faceCache) cleanText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == 0x3000 {
			space = true
			continue
		}
		if !c.hasGlyph(r) && invisible(r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// noLineStart are runes that must not begin a line (Chinese line-breaking
// rules, 避头标点).
const noLineStart = "，。、；：？！）》」』】〉〕”’…—～%,.;:!?)]}·"

func isWordRune(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-+%/'&_#", r))
}

// tokens splits text into break units: a run of Latin letters and digits is
// one unit, a space is one unit, every other rune is its own unit.
func tokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			j := i + n
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r2) {
					break
				}
				j += n2
			}
			out = append(out, s[i:j])
			i = j
			continue
		}
		out = append(out, s[i:i+n])
		i += n
	}
	return out
}

// wrap breaks s into at most maxLines lines no wider than maxW pixels. When s
// does not fit, the last line ends with an ellipsis.
func (c *faceCache) wrap(s string, bold bool, size float64, maxW, maxLines int) []string {
	width := func(t string) int { return c.measurePx(t, bold, size) }
	toks := tokens(s)
	var lines [][]string
	var cur []string
	curW := 0
	flush := func() {
		for len(cur) > 0 && cur[len(cur)-1] == " " {
			cur = cur[:len(cur)-1]
		}
		lines = append(lines, cur)
		cur, curW = nil, 0
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t == " " && len(cur) == 0 {
			continue
		}
		w := width(t)
		if curW+w <= maxW {
			cur = append(cur, t)
			curW += w
			continue
		}
		if t == " " {
			flush()
			continue
		}
		if w > maxW && utf8.RuneCountInString(t) > 1 {
			// A word longer than a line: break it between runes.
			var parts []string
			for _, r := range t {
				parts = append(parts, string(r))
			}
			toks = append(toks[:i], append(parts, toks[i+1:]...)...)
			i--
			continue
		}
		var carry []string
		if strings.Contains(noLineStart, t) && len(cur) > 1 {
			// Take the previous unit along so the punctuation does not start the line.
			carry = []string{cur[len(cur)-1]}
			cur = cur[:len(cur)-1]
		}
		flush()
		cur = append(carry, t)
		for _, ct := range cur {
			curW += width(ct)
		}
	}
	if len(cur) > 0 {
		flush()
	}
	out := make([]string, 0, maxLines)
	for i, l := range lines {
		if i == maxLines {
			break
		}
		out = append(out, strings.Join(l, ""))
	}
	if len(lines) > maxLines {
		out[maxLines-1] = c.ellipsize(out[maxLines-1], bold, size, maxW)
	}
	return out
}

// fit is s if it fits maxW, else s ellipsized.
func (c *faceCache) fit(s string, bold bool, size float64, maxW int) string {
	if c.measurePx(s, bold, size) <= maxW {
		return s
	}
	return c.ellipsize(s, bold, size, maxW)
}

// ellipsize shortens s rune by rune until s+"…" fits maxW.
func (c *faceCache) ellipsize(s string, bold bool, size float64, maxW int) string {
	const ell = "…"
	rs := []rune(strings.TrimRight(s, " "))
	for len(rs) > 0 && c.measurePx(string(rs)+ell, bold, size) > maxW {
		rs = rs[:len(rs)-1]
	}
	for len(rs) > 0 && (rs[len(rs)-1] == ' ' || strings.ContainsRune("，、,;；:：", rs[len(rs)-1])) {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + ell
}
