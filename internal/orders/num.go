package orders

import "strings"

// Exact decimal parsing, after internal/catalog/feed/parse.go: no floats.

// numErr says why a decimal string did not parse.
type numErr uint8

const (
	numOK         numErr = iota
	numBad               // not a number
	numTooPrecise        // non-zero digits beyond the allowed decimals
)

// maxIntDigits bounds the integer part so that value*10^4 fits in int64.
const maxIntDigits = 14

// fixed parses a decimal string exactly and returns value*10^scale. A leading
// sign is allowed; the integer part may use correctly grouped thousands
// separators ("1,299"). Digits beyond scale must be zeros. No floats involved.
func fixed(s string, scale int) (int64, numErr) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, numBad
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
				return 0, numBad
			}
			v = v*10 + int64(c-'0')
			if group >= 0 {
				group++
			}
		case c == ',':
			// first group 1..3 digits, later groups exactly 3
			if group == -1 {
				if i == 0 || i > 3 {
					return 0, numBad
				}
			} else if group != 3 {
				return 0, numBad
			}
			group = 0
		default:
			return 0, numBad
		}
	}
	if group >= 0 && group != 3 {
		return 0, numBad
	}
	tooPrecise := false
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, numBad
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
		return 0, numTooPrecise
	}
	if neg {
		v = -v
	}
	return v, numOK
}

// stripCurrency removes a yuan sign prefix and a 元 suffix.
func stripCurrency(s string) string {
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
