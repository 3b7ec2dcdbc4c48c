package similar

import (
	"unicode"
	"unicode/utf8"
)

// A title is normalised and split into runs, one rune at a time:
//
//   - full-width ASCII (ＡＢＣ１２３！) becomes half-width, the ideographic
//     space a space;
//   - CJK characters (Han, kana, Hangul) form CJK runs;
//   - ASCII letters and digits, and other letters and digits (Latin with
//     accents, Greek, Cyrillic…), form word runs, lower-cased; a '.' between
//     two digits stays in the word ("1.5l", "59.9");
//   - everything else separates runs: spaces, punctuation and brackets
//     (【】[]()（）、，。!！…), symbols (¥, ®, ㎖), emoji and their joiners
//     and variation selectors, and keycap digits ("1️⃣" is an emoji, not a 1).
//
// A CJK run of n ≥ 2 characters gives its n−1 bigrams; a CJK run of one
// character gives that character (a unigram term), so that every character of
// a title is in at least one term. A word run gives one term. Terms never span
// two runs: "保温杯316不锈钢" gives 保温 温杯 316 不锈 锈钢.

const (
	runeBits = 21 // every rune fits in 21 bits
	runeMask = 1<<runeBits - 1
)

// tok is one term of a title: a CJK bigram or unigram, packed into key
// (first rune << 21 | second rune, second rune 0 for a unigram), or, when key
// is 0, a word: wb[ws:we] of the word buffer it was produced with.
type tok struct {
	key    uint64
	ws, we int32
}

func cjkKey(r1, r2 rune) uint64 { return uint64(r1)<<runeBits | uint64(r2) }

// keyString is the text of a CJK term key.
func keyString(key uint64) string {
	r1, r2 := rune(key>>runeBits), rune(key&runeMask)
	if r2 == 0 {
		return string(r1)
	}
	return string([]rune{r1, r2})
}

func isCJK(r rune) bool {
	switch {
	case r < 0x2E80:
		return false
	case 0x4E00 <= r && r <= 0x9FFF: // CJK Unified Ideographs, the common case
		return true
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// fold maps full-width ASCII to ASCII and the ideographic space to a space.
func fold(r rune) rune {
	if 0xFF01 <= r && r <= 0xFF5E {
		return r - 0xFEE0
	}
	if r == 0x3000 {
		return ' '
	}
	return r
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isASCIIAlnum(r rune) bool {
	return isDigit(r) || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
}

// nextRune decodes the folded rune at s[i:], or -1 at the end of s.
func nextRune(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return fold(r), n
}

// appendTokens appends the terms of s to dst in text order, and the words'
// bytes to wb. Duplicates are kept. It allocates only to grow dst and wb.
func appendTokens(dst []tok, wb []byte, s string) ([]tok, []byte) {
	var prev rune // the previous character of the current CJK run
	runLen := 0   // characters in the current CJK run
	wstart := -1  // start of the current word in wb, or -1
	for i := 0; i < len(s); {
		r, n := nextRune(s, i)
		i += n
		cjk := false
		word := false
		switch {
		case r < utf8.RuneSelf:
			if isASCIIAlnum(r) {
				if isDigit(r) {
					// A keycap emoji: digit, optional U+FE0F, U+20E3.
					j := i
					r2, n2 := nextRune(s, j)
					if r2 == 0xFE0F {
						j += n2
						r2, n2 = nextRune(s, j)
					}
					if r2 == 0x20E3 {
						i = j + n2
						break
					}
				}
				word = true
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
			} else if r == '.' && wstart >= 0 && isDigit(rune(wb[len(wb)-1])) {
				if r2, _ := nextRune(s, i); isDigit(r2) {
					wb = append(wb, '.')
					continue
				}
			}
		case isCJK(r):
			cjk = true
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = true
			r = unicode.ToLower(r)
		}
		if !cjk && runLen > 0 {
			if runLen == 1 {
				dst = append(dst, tok{key: cjkKey(prev, 0)})
			}
			runLen = 0
		}
		if !word && wstart >= 0 {
			dst = append(dst, tok{ws: int32(wstart), we: int32(len(wb))})
			wstart = -1
		}
		switch {
		case cjk:
			if runLen > 0 {
				dst = append(dst, tok{key: cjkKey(prev, r)})
			}
			prev = r
			runLen++
		case word:
			if wstart < 0 {
				wstart = len(wb)
			}
			wb = utf8.AppendRune(wb, r)
		}
	}
	if runLen == 1 {
		dst = append(dst, tok{key: cjkKey(prev, 0)})
	}
	if wstart >= 0 {
		dst = append(dst, tok{ws: int32(wstart), we: int32(len(wb))})
	}
	return dst, wb
}

// Terms returns the terms of title in text order, duplicates included: CJK
// bigrams ("保温", "温杯"), single characters of one-character CJK runs, and
// lower-cased words ("316", "iphone15", "1.5l"). The index uses each distinct
// term of a title once.
func Terms(title string) []string {
	toks, wb := appendTokens(nil, nil, title)
	out := make([]string, len(toks))
	for i, t := range toks {
		if t.key != 0 {
			out[i] = keyString(t.key)
		} else {
			out[i] = string(wb[t.ws:t.we])
		}
	}
	return out
}
