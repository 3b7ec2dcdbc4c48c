package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Taobao share passwords (淘口令) are 8 to 14 (nearly always 11) random
// letters and digits between two markers:
//
//	￥AbCdEfGh123￥  ¥…¥  €…€  $…$  ₳…₳  ₴…₴  ¢…¢  ₤…₤  £…£ …
//	2￥ CZ0001 AbCdEfGh123￥          a 2-letter 4-digit tag inside
//	9￥AbCdEfGh123￥/ CZ0001          a version prefix, a tag after
//	（AbCdEfGh123）  (…)  《…《  《…》  /…/  /…//  啊…啊  👉…👉
//
// Currency signs (strong markers) are trusted: the code needs 8 to 14
// characters of at least two kinds (upper, lower, digit), which no price
// ("¥59.9¥") has. Brackets, slashes and arbitrary repeated symbols (weak
// markers) also enclose ordinary words, so there the code must be 10 to 12
// characters with both upper and lower case, and the line must say
// something about Taobao or copying (淘, 宝, 复制, 打开, 口令, …).
//
// The code-less form "73:/ HU0854 「title」" (a number, ":/", a tag) is a
// share code too when nothing else on its line is: what a parse API resolves
// is the whole line.

const (
	classUpper = 1 << iota
	classLower
	classDigit
)

func classes(s string) (c int, n int) {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case 'A' <= b && b <= 'Z':
			c |= classUpper
		case 'a' <= b && b <= 'z':
			c |= classLower
		case '0' <= b && b <= '9':
			c |= classDigit
		default:
			return 0, 0
		}
	}
	for k := c; k != 0; k &= k - 1 {
		n++
	}
	return c, n
}

// strong reports whether r is a currency-like share-code marker.
func strong(r rune) bool {
	switch r {
	case '￥', '¥', '€', '$', '£', '¢', '¤', '＄', '￡', '￠':
		return true
	}
	return 0x20A0 <= r && r <= 0x20CF // Currency Symbols block: ₳ ₴ ₤ ₰ ₵ ₲ ₭ ₱ ₮ ₩ ₣ ₽ …
}

// weakPair reports whether x … y may enclose a share code given a cue.
func weakPair(x, y rune) bool {
	switch {
	case x == '(' && y == ')', x == '（' && y == '）', x == '《' && (y == '》' || y == '《'):
		return true
	case x != y || x < 0x80 || x == utf8.RuneError:
		return false
	}
	// The same symbol or CJK character on both sides, but not punctuation
	// (“AbCd”, 【…】), spaces, marks or format characters.
	return !unicode.IsSpace(x) && !unicode.IsPunct(x) && !unicode.IsMark(x) && !unicode.Is(unicode.Cf, x) && !unicode.IsDigit(x)
}

// isTag reports whether s is a share tag: two capitals and four digits.
func isTag(s string) bool {
	return len(s) == 6 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' && digits(s[2:], 4, 4) != ""
}

// codes looks for a share code in or around the run text[a:b].
func (f *finder) codes(a, b int) {
	r := f.text[a:b]
	n := len(r)
	if n >= 8 && n <= 14 && f.delimited(a, b) {
		return
	}
	if n >= 12 && n <= 20 && r[n-1] == '/' {
		f.slashed(a, b)
	}
	if n >= 3 && n <= 8 && strings.HasSuffix(r, ":/") {
		f.tagged(a, b)
	}
}

// delimited handles a run that may be a code between markers.
func (f *finder) delimited(a, b int) bool {
	t := f.text
	code := t[a:b]
	cls, kinds := classes(code)
	if kinds == 0 {
		return false
	}
	// Strong: optional space, optional tag and space, marker.
	if kinds >= 2 && cls&(classUpper|classLower) != 0 {
		p := a
		if p > 0 && t[p-1] == ' ' {
			p--
		}
		if p >= 6 && isTag(t[p-6:p]) {
			p -= 6
			if p > 0 && t[p-1] == ' ' {
				p--
			}
		}
		q := b
		if q < len(t) && t[q] == ' ' {
			q++
		}
		x, xs := utf8.DecodeLastRuneInString(t[:p])
		y, ys := utf8.DecodeRuneInString(t[q:])
		if strong(x) && strong(y) {
			f.emitCode(p-xs, q+ys, code, false)
			return true
		}
	}
	// Weak: markers right against the code.
	if len(code) < 10 || len(code) > 12 || cls&classUpper == 0 || cls&classLower == 0 {
		return false
	}
	x, xs := utf8.DecodeLastRuneInString(t[:a])
	y, ys := utf8.DecodeRuneInString(t[b:])
	if weakPair(x, y) && f.cue(a) {
		f.emitCode(a-xs, b+ys, code, false)
		return true
	}
	return false
}

// slashed handles "/AbCdEfGh123/" and "/AbCdEfGh123//", possibly after a
// version number ("9/AbCdEfGh123//").
func (f *finder) slashed(a, b int) {
	r := f.text[a:b]
	i := 0
	for i < len(r) && isDigit(r[i]) {
		i++
	}
	if i >= len(r) || r[i] != '/' {
		return
	}
	j := i + 1
	k := j
	for k < len(r) && isAlnum(r[k]) {
		k++
	}
	if k >= len(r) || r[k] != '/' || (k+1 != len(r) && r[k+1:] != "/") {
		return
	}
	code := r[j:k]
	cls, _ := classes(code)
	if len(code) < 10 || len(code) > 12 || cls&classUpper == 0 || cls&classLower == 0 || !f.cue(a) {
		return
	}
	f.emitCode(a+i, b, code, false)
}

// tagged handles "73:/ HU0854": the run is "73:/".
func (f *finder) tagged(a, b int) {
	t := f.text
	num := t[a : b-2]
	if i := strings.IndexByte(num, '.'); i >= 0 { // "7.3:/"
		if digits(num[:i], 1, 3) == "" || digits(num[i+1:], 1, 2) == "" {
			return
		}
	} else if digits(num, 1, 3) == "" {
		return
	}
	if b+7 > len(t) || t[b] != ' ' || !isTag(t[b+1:b+7]) || (b+7 < len(t) && isAlnum(t[b+7])) {
		return
	}
	f.line(a)
	if f.lineHasCode {
		return // the line's first tag is its reference already
	}
	f.lineCode, f.lineHasCode = clip(strings.TrimSpace(t[f.lineStart:f.lineEnd])), true
	f.emitCode(a, b+7, f.lineCode, true)
}

func (f *finder) emitCode(s, e int, code string, tagForm bool) {
	if tagForm {
		if f.tagForm == nil {
			f.tagForm = make(map[int]bool)
		}
		f.tagForm[s] = true
	}
	f.emit(Ref{Kind: KindShareCode, TaobaoFamily: true, Code: code, Raw: f.text[s:e], Start: s, End: e, NeedsResolve: true})
}

// cueWords are the words that make a weakly marked code believable: share
// texts say to copy them and open Taobao, often in obfuscated characters.
var cueWords = [...]string{"淘", "寳", "宝", "复制", "複制", "復制", "椱", "製", "咑", "打开", "打開", "口令", "tb.cn", "taobao", "TAOBAO", "Taobao"}

// cue reports whether the line holding offset i has a cue word.
func (f *finder) cue(i int) bool {
	f.line(i)
	if !f.lineCueKnown {
		line := f.text[f.lineStart:f.lineEnd]
		f.lineCue = false
		for _, w := range cueWords {
			if strings.Contains(line, w) {
				f.lineCue = true
				break
			}
		}
		f.lineCueKnown = true
	}
	return f.lineCue
}

// line makes the finder's current line the one holding offset i. Lines are
// asked about in increasing order, so each is found (and searched for cues)
// once.
func (f *finder) line(i int) {
	if f.lineKnown && f.lineStart <= i && i <= f.lineEnd {
		return
	}
	t := f.text
	f.lineStart = strings.LastIndexByte(t[:i], '\n') + 1
	if e := strings.IndexByte(t[i:], '\n'); e >= 0 {
		f.lineEnd = i + e
	} else {
		f.lineEnd = len(t)
	}
	f.lineKnown, f.lineCueKnown, f.lineHasCode = true, false, false
}
