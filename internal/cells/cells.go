// Package cells reads the text of spreadsheet and feed cells exactly: money
// and rates as scaled integers (never through float), ids, and the many ways
// a cell says "nothing". The feed and order-report importers share it.
package cells

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Err says why a decimal string did not parse.
type Err uint8

const (
	OK         Err = iota
	Bad            // not a number
	TooPrecise     // non-zero digits beyond the allowed decimals
)

// maxIntDigits bounds the integer part so that value*10^4 fits in int64.
const maxIntDigits = 14

// Fixed parses a decimal string exactly and returns value*10^scale. A leading
// sign is allowed; the integer part may use correctly grouped thousands
// separators ("1,299"). Digits beyond scale must be zeros. No floats involved.
func Fixed(s string, scale int) (int64, Err) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, Bad
	}
	var v int64
	digits := 0
	group := -1 // digits since the last comma; -1 = no comma seen yet
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 || c != '0' {
				digits++
			}
			if digits > maxIntDigits {
				return 0, Bad
			}
			v = v*10 + int64(c-'0')
			if group >= 0 {
				group++
			}
		case c == ',':
			// first group 1..3 digits, later groups exactly 3
			if group == -1 {
				if i == 0 || i > 3 {
					return 0, Bad
				}
			} else if group != 3 {
				return 0, Bad
			}
			group = 0
		default:
			return 0, Bad
		}
	}
	if group >= 0 && group != 3 {
		return 0, Bad
	}
	tooPrecise := false
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, Bad
		}
		if i < scale {
			v = v*10 + int64(c-'0')
		} else if c != '0' {
			tooPrecise = true
		}
	}
	for i := len(frac); i < scale; i++ {
		v *= 10
	}
	if tooPrecise {
		return 0, TooPrecise
	}
	if neg {
		v = -v
	}
	return v, OK
}

// StripCurrency removes a yuan sign prefix and a 元 suffix.
func StripCurrency(s string) string {
	for _, p := range []string{"￥", "¥", "RMB", "CNY"} {
		if strings.HasPrefix(s, p) {
			s = strings.TrimSpace(s[len(p):])
			break
		}
	}
	if strings.HasSuffix(s, "元") {
		s = strings.TrimSpace(s[:len(s)-len("元")])
	}
	return s
}

// Absent reports whether a trimmed cell means "no value".
func Absent(s string) bool {
	switch s {
	case "", "-", "--", "—", "null", "NULL", "Null", "None", "nil", "undefined":
		return true
	}
	return false
}

// Clip truncates s to about 60 characters for messages.
func Clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// IsScientific matches "6.51234E+11", "6.5e11": what Excel does to long numbers.
func IsScientific(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToLower(s), "e")
	if !ok || mant == "" || exp == "" {
		return false
	}
	exp = strings.TrimPrefix(strings.TrimPrefix(exp, "+"), "-")
	return AllDigits(exp) && LooksDecimal(mant)
}

func AllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func LooksDecimal(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return s != "."
}

// IDProblem is what is wrong with an id cell.
type IDProblem uint8

const (
	IDOK         IDProblem = iota
	IDLong                 // over 128 bytes
	IDScientific           // Excel turned it into 6.5E+11
	IDSpace                // spaces or control characters
)

// CheckID reports what is wrong with an id cell.
func CheckID(s string) IDProblem {
	if len(s) > 128 {
		return IDLong
	}
	if IsScientific(s) {
		return IDScientific
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return IDSpace
		}
	}
	return IDOK
}
