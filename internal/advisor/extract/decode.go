package extract

import "strings"

// decode undoes the escapes pasted URLs come wrapped in — percent-encoding
// (once, and "%25XX" double encoding), the HTML entities for & " ' < > and
// JSON's "\/" and "\u00XX" — in the run text[a:b]. It returns the decoded
// text and, unless nothing changed (then off is nil), off: off[i] is the
// offset in the run of the escape decoded byte i came from, and
// off[len(decoded)] is the run's length.
func (f *finder) decode(a, b int) (string, []int) {
	r := f.text[a:b]
	if strings.IndexAny(r, "%&\\") < 0 {
		return r, nil
	}
	buf, off := f.buf[:0], f.off[:0]
	if cap(buf) < len(r) {
		buf, off = make([]byte, 0, len(r)), make([]int, 0, len(r)+1)
	}
	for i := 0; i < len(r); {
		c, n := r[i], 1
		switch c {
		case '%':
			if v, ok := unhex(r, i+1); ok {
				c, n = v, 3
				if v == '%' {
					if w, ok := unhex(r, i+3); ok {
						c, n = w, 5
					}
				}
			}
		case '&':
			c, n = entity(r[i:])
		case '\\':
			if i+1 < len(r) && r[i+1] == '/' {
				c, n = '/', 2
			} else if strings.HasPrefix(r[i+1:], "u00") {
				if v, ok := unhex(r, i+4); ok {
					c, n = v, 6
				}
			}
		}
		buf = append(buf, c)
		off = append(off, i)
		i += n
	}
	off = append(off, len(r))
	f.buf, f.off = buf, off
	return string(buf), off
}

func unhex(s string, i int) (byte, bool) {
	if i+2 > len(s) {
		return 0, false
	}
	h, ok1 := hexVal(s[i])
	l, ok2 := hexVal(s[i+1])
	return h<<4 | l, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c|0x20 && c|0x20 <= 'f':
		return (c | 0x20) - 'a' + 10, true
	}
	return 0, false
}

var entities = [...]struct {
	name string
	c    byte
}{
	{"&amp;", '&'}, {"&#38;", '&'}, {"&#x26;", '&'},
	{"&quot;", '"'}, {"&#34;", '"'}, {"&#39;", '\''}, {"&apos;", '\''},
	{"&lt;", '<'}, {"&gt;", '>'},
}

// entity decodes the HTML entity s starts with ("&amp;amp;" — escaped
// twice — counts as one), or returns '&' and 1 when it is none.
func entity(s string) (byte, int) {
	for _, e := range entities {
		if len(s) >= len(e.name) && strings.EqualFold(s[:len(e.name)], e.name) {
			n := len(e.name)
			if e.c == '&' {
				for len(s) >= n+4 && strings.EqualFold(s[n:n+4], "amp;") {
					n += 4
				}
			}
			return e.c, n
		}
	}
	return '&', 1
}
