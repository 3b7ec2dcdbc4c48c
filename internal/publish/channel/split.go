package channel

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// UTF16Units is the size of r in UTF-16 code units, the unit Telegram counts message lengths in
// (an emoji outside the Basic Multilingual Plane is a surrogate pair: 2).
func UTF16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// UTF8Bytes is the size of r in UTF-8 bytes, the unit WeCom counts text content in.
func UTF8Bytes(r rune) int {
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return 3 // invalid rune: encoded as U+FFFD
}

// Size returns the size of s measured with size per rune.
func Size(s string, size func(rune) int) int {
	n := 0
	for _, r := range s {
		n += size(r)
	}
	return n
}

// Split cuts plain text into chunks for a platform that limits one message's size: the first chunk
// measures at most first, the others at most limit, each rune measured by size (UTF16Units, UTF8Bytes).
//
// It cuts at the last line break that fits, else at the last space, else between two characters: never
// inside a UTF-8 sequence or a surrogate pair, and not inside an emoji sequence (before a zero-width
// joiner, a variation selector, a skin-tone modifier or a combining mark) when it can avoid it. The line
// break or space cut at is dropped, trailing white space of a chunk is trimmed, leading line breaks of a
// chunk are dropped, and chunks that are only white space are left out, so chunks never start or end with
// a separator. Invalid UTF-8 is replaced by U+FFFD first. The result is empty for text that is empty or
// only white space.
//
// Cutting at a line break keeps a share password (淘口令) or a link, which sit on their own line in deal
// copy, whole whenever its line fits.
//
// Escape the chunks for the platform after splitting (Telegram counts the length after entity parsing, so
// "&amp;" is one character): then no cut can fall inside an entity.
//
// A single rune larger than the limit (only possible with absurd limits) is emitted alone, over the limit.
func Split(text string, first, limit int, size func(rune) int) []string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	var out []string
	max := first
	for {
		text = strings.TrimLeft(text, "\r\n")
		if text == "" {
			return out
		}
		n, end := 0, 0
		lastNL, lastNLw, lastSp, lastSpw := -1, 0, -1, 0
		for i, r := range text {
			w := size(r)
			if n+w > max {
				break
			}
			n += w
			end = i + utf8.RuneLen(r)
			switch {
			case r == '\n':
				lastNL, lastNLw = i, 1
			case unicode.IsSpace(r):
				lastSp, lastSpw = i, utf8.RuneLen(r)
			}
		}
		var chunk string
		switch {
		case end == len(text):
			chunk, text = text, ""
		case end == 0: // one rune larger than max: emit it alone
			_, w := utf8.DecodeRuneInString(text)
			chunk, text = text[:w], text[w:]
		default:
			next, nw := utf8.DecodeRuneInString(text[end:])
			switch {
			case next == '\n' || next == '\r':
				chunk, text = text[:end], text[end+nw:]
			case lastNL > 0:
				chunk, text = text[:lastNL], text[lastNL+lastNLw:]
			case unicode.IsSpace(next):
				chunk, text = text[:end], text[end+nw:]
			case lastSp > 0:
				chunk, text = text[:lastSp], text[lastSp+lastSpw:]
			default:
				cut := graphemeSafe(text, end)
				chunk, text = text[:cut], text[cut:]
			}
		}
		chunk = strings.TrimRightFunc(chunk, unicode.IsSpace)
		if strings.TrimSpace(chunk) != "" {
			out = append(out, chunk)
			max = limit
		}
	}
}

// graphemeSafe moves a cut at byte end of s back so that it does not separate an emoji or a letter from
// what joins or modifies it. It gives up (returns end) rather than cut at 0.
func graphemeSafe(s string, end int) int {
	cut := end
	for range 16 { // emoji ZWJ sequences are short; do not walk back a whole line
		next, _ := utf8.DecodeRuneInString(s[cut:])
		prev, pw := utf8.DecodeLastRuneInString(s[:cut])
		if !joins(prev, next) {
			return cut
		}
		if cut-pw <= 0 {
			return end
		}
		cut -= pw
	}
	return end
}

// joins reports whether a cut between prev and next would split one visible character.
func joins(prev, next rune) bool {
	switch {
	case prev == 0x200D || next == 0x200D: // zero-width joiner
		return true
	case next >= 0xFE00 && next <= 0xFE0F, next >= 0xE0100 && next <= 0xE01EF: // variation selectors
		return true
	case next >= 0x1F3FB && next <= 0x1F3FF: // skin-tone modifiers
		return true
	case next >= 0xE0020 && next <= 0xE007F: // tag characters (flag subdivisions)
		return true
	case next == 0x20E3: // combining enclosing keycap
		return true
	case isRegionalIndicator(prev) && isRegionalIndicator(next):
		return true // may split a flag; conservative
	case unicode.Is(unicode.Mn, next) || unicode.Is(unicode.Me, next):
		return true
	}
	return false
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
