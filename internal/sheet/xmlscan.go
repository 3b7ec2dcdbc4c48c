package sheet

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
)

// cellString is a shared string's text.
func cellString(b []byte) string { return string(unescapeBSTR(b)) }

// unescapeBSTR decodes Excel's _xHHHH_ escapes of characters XML cannot
// carry (_x005F_ is a literal underscore).
func unescapeBSTR(b []byte) []byte {
	if !bytes.Contains(b, []byte("_x")) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] == '_' && i+7 <= len(b) && b[i+1] == 'x' && b[i+6] == '_' {
			if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				if n == 0x5F {
					out = append(out, '_')
				} else {
					out = utf8.AppendRune(out, rune(n))
				}
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}

// xmlScanner is a minimal XML tokenizer for spreadsheet parts: it returns
// each tag with the text before it, both slices of its own buffer (no
// copying: a worksheet of a million rows is some 3 GB of XML). It skips
// the prolog, comments and processing instructions and reads CDATA
// sections as text.
type xmlScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int // unread data is buf[pos:end]
	eof      bool
	acc      []byte // text gathered across a comment or CDATA section
	long     bool   // the text before the tag was cut: see Long
	t        xmlTag // the tag next returns, reused
}

// xmlTag is one tag; its slices are valid until the next call of next.
type xmlTag struct {
	Name        string // "c", "/c", ...; namespace prefixes dropped
	SelfClosing bool
	nattr       int
	attrs       [4]struct{ key, val []byte } // the first four attributes
}

// XMLBufferSize is the scanner's buffer size (tests make it tiny).
var XMLBufferSize = 4 << 20

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, XMLBufferSize)}
}

// fill reads more data, keeping buf[keep:end] (moved to the start). It
// reports false at the end of the input.
func (s *xmlScanner) fill(keep int) (shift int, ok bool, err error) {
	if s.eof {
		return 0, false, nil
	}
	n := copy(s.buf, s.buf[keep:s.end])
	shift, s.pos, s.end = keep, s.pos-keep, n
	if s.end == len(s.buf) { // one token fills the buffer: grow it
		if len(s.buf) >= maxXMLBuffer {
			return 0, false, errTokenTooLong
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		if errors.Is(err, io.EOF) {
			s.eof = true
			return shift, m > 0, nil
		}
		if err != nil {
			return shift, false, err
		}
		if m > 0 {
			return shift, true, nil
		}
	}
}

// index finds c in the unread data from i, reading more as needed; keep
// is the start of what must stay in the buffer. It returns the positions
// after any move, or -1 at the end of the input.
func (s *xmlScanner) index(c byte, i, keep int) (at, newI, newKeep int, err error) {
	for {
		if j := bytes.IndexByte(s.buf[i:s.end], c); j >= 0 {
			return i + j, i, keep, nil
		}
		searched := s.end
		if searched-keep > maxRawText { // text too long to keep: drop it
			keep, s.long = searched, true
		}
		shift, ok, err := s.fill(keep)
		if err != nil {
			return -1, i, keep, err
		}
		i, keep = searched-shift, keep-shift
		if !ok {
			return -1, i, keep, nil
		}
	}
}

// Long reports whether the text before the tag Next last returned ran past
// maxRawText bytes and was dropped: a cell too long to read.
func (s *xmlScanner) Long() bool { return s.long }

var errTokenTooLong = msg.New("sheet.token_too_long", maxXMLBuffer>>20)

// Next returns the text before the next tag (raw, entities not decoded)
// and the tag, both valid until the next call.
func (s *xmlScanner) Next() ([]byte, *xmlTag, error) {
	s.acc, s.long = s.acc[:0], false
	gathered := false
	for {
		start := s.pos
		lt, _, start, err := s.index('<', start, start)
		if err != nil {
			return nil, nil, err
		}
		if lt < 0 {
			if gathered || len(bytes.TrimSpace(s.buf[start:s.end])) > 0 {
				return nil, nil, io.ErrUnexpectedEOF
			}
			return nil, nil, io.EOF
		}
		// Make sure the tag's first bytes are here.
		for lt+9 > s.end && !s.eof {
			shift, _, err := s.fill(start)
			if err != nil {
				return nil, nil, err
			}
			lt, start = lt-shift, start-shift
		}
		if lt+1 < s.end && (s.buf[lt+1] == '!' || s.buf[lt+1] == '?') {
			s.acc = append(s.acc, s.buf[start:lt]...)
			gathered = true
			if len(s.acc) > maxRawText {
				s.acc, s.long = s.acc[:0], true
			}
			if err := s.skipSpecial(lt); err != nil {
				return nil, nil, err
			}
			continue
		}
		textStart, textEnd, end, err := s.tag(lt, start)
		if err != nil {
			return nil, nil, err
		}
		text := s.buf[textStart:textEnd]
		s.pos = end
		if gathered {
			s.acc = append(s.acc, text...)
			text = s.acc
		}
		return text, &s.t, nil
	}
}

var (
	inlineOpen     = []byte("<is><t>")
	inlineOpenPre  = []byte(`<is><t xml:space="preserve">`)
	inlineClose    = []byte("</t></is></c>")
	valueOpen      = []byte("<v>")
	valueClose     = []byte("</v></c>")
	simpleLookback = 64
)

// SimpleCell reads the rest of a cell that is plainly an inline string or
// a value, through its </c>: the text and true; false (nothing read) for
// any other shape, which the tag-by-tag path reads. Nine in ten cells of a
// report take this path, some five tags for the price of one.
func (s *xmlScanner) SimpleCell() ([]byte, bool) {
	b := s.buf[s.pos:s.end]
	if len(b) < simpleLookback {
		return nil, false
	}
	var open, closer []byte
	switch {
	case bytes.HasPrefix(b, inlineOpen):
		open, closer = inlineOpen, inlineClose
	case bytes.HasPrefix(b, inlineOpenPre):
		open, closer = inlineOpenPre, inlineClose
	case bytes.HasPrefix(b, valueOpen):
		open, closer = valueOpen, valueClose
	default:
		return nil, false
	}
	lt := bytes.IndexByte(b[len(open):], '<')
	if lt < 0 {
		return nil, false
	}
	lt += len(open)
	if !bytes.HasPrefix(b[lt:], closer) {
		return nil, false
	}
	s.pos += lt + len(closer)
	return b[len(open):lt], true
}

// tag parses the tag opening at lt into s.t; text starts at start. It
// returns where the text before the tag is and the position after the
// tag, after any move of the buffer.
func (s *xmlScanner) tag(lt, start int) (textStart, textEnd, end int, err error) {
	t := &s.t
	t.nattr, t.SelfClosing = 0, false
	i := lt + 1
	for {
		// The name, then attributes up to '>' (which may sit in a value).
		j := i
		if j < s.end && s.buf[j] == '/' {
			j++
		}
		for j < s.end && !isNameEnd(s.buf[j]) {
			j++
		}
		if j == s.end {
			if s.eof {
				return 0, 0, 0, io.ErrUnexpectedEOF
			}
			shift, _, err := s.fill(start)
			if err != nil {
				return 0, 0, 0, err
			}
			lt, start, i = lt-shift, start-shift, i-shift
			continue
		}
		name := s.buf[i:j]
		closing := len(name) > 0 && name[0] == '/'
		if closing {
			name = name[1:]
		}
		for k, c := range name { // a namespace prefix
			if c == ':' {
				name = name[k+1:]
				break
			}
		}
		t.Name = internName(name, closing)
		// Attributes.
		k := j
		complete := true
		for complete {
			for k < s.end && isSpace(s.buf[k]) {
				k++
			}
			if k >= s.end {
				complete = false
				break
			}
			switch c := s.buf[k]; {
			case c == '>':
				return start, lt, k + 1, nil
			case c == '/' && k+1 < s.end && s.buf[k+1] == '>':
				t.SelfClosing = true
				return start, lt, k + 2, nil
			case c == '/' && k+1 < s.end:
				return 0, 0, 0, msg.New("sheet.malformed_tag", clipBytes(s.buf[lt:k+2]))
			case c == '/':
				complete = false
				continue
			}
			eq := bytes.IndexByte(s.buf[k:s.end], '=')
			if eq < 0 {
				complete = false
				break
			}
			key := bytes.TrimSpace(s.buf[k : k+eq])
			v := k + eq + 1
			for v < s.end && isSpace(s.buf[v]) {
				v++
			}
			if v >= s.end {
				complete = false
				break
			}
			q := s.buf[v]
			if q != '"' && q != '\'' {
				return 0, 0, 0, msg.New("sheet.unquoted_attribute", clipBytes(s.buf[lt:v+1]))
			}
			e := bytes.IndexByte(s.buf[v+1:s.end], q)
			if e < 0 {
				complete = false
				break
			}
			if t.nattr < len(t.attrs) {
				t.attrs[t.nattr].key, t.attrs[t.nattr].val = key, s.buf[v+1:v+1+e]
				t.nattr++
			}
			k = v + 1 + e + 1
		}
		// The tag runs past the buffered data: read more and parse again.
		if s.eof {
			return 0, 0, 0, io.ErrUnexpectedEOF
		}
		shift, _, err := s.fill(start)
		if err != nil {
			return 0, 0, 0, err
		}
		lt, start, i = lt-shift, start-shift, lt-shift+1
		t.nattr, t.SelfClosing = 0, false
	}
}

// skipSpecial skips the comment, processing instruction, declaration or
// CDATA section opening at lt; a CDATA section's text goes to acc.
func (s *xmlScanner) skipSpecial(lt int) error {
	closer, cdata := []byte(">"), false
	switch rest := s.buf[lt+1 : s.end]; {
	case bytes.HasPrefix(rest, []byte("!--")):
		closer = []byte("-->")
	case bytes.HasPrefix(rest, []byte("?")):
		closer = []byte("?>")
	case bytes.HasPrefix(rest, []byte("![CDATA[")):
		closer, cdata = []byte("]]>"), true
	}
	from := lt + 1
	for {
		if j := bytes.Index(s.buf[from:s.end], closer); j >= 0 {
			if cdata {
				s.acc = append(s.acc, escapeText(s.buf[lt+len("<![CDATA["):from+j])...)
			}
			s.pos = from + j + len(closer)
			return nil
		}
		if s.eof {
			return io.ErrUnexpectedEOF
		}
		searched := s.end
		shift, _, err := s.fill(lt)
		if err != nil {
			return err
		}
		lt -= shift
		from = max(lt+1, searched-shift-len(closer)+1)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameEnd(c byte) bool { return isSpace(c) || c == '>' || c == '/' }

func clipBytes(b []byte) []byte {
	if len(b) > 60 {
		return b[len(b)-60:]
	}
	return b
}

// internName avoids an allocation for the tags a worksheet is made of.
func internName(b []byte, closing bool) string {
	if len(b) == 1 && b[0] == 'c' { // most tags
		if closing {
			return "/c"
		}
		return "c"
	}
	if closing {
		switch string(b) {
		case "c":
			return "/c"
		case "v":
			return "/v"
		case "row":
			return "/row"
		case "t":
			return "/t"
		case "is":
			return "/is"
		case "f":
			return "/f"
		case "r":
			return "/r"
		case "si":
			return "/si"
		case "rPh":
			return "/rPh"
		case "sheetData":
			return "/sheetData"
		}
		return "/" + string(b)
	}
	switch string(b) {
	case "c":
		return "c"
	case "v":
		return "v"
	case "row":
		return "row"
	case "t":
		return "t"
	case "is":
		return "is"
	case "f":
		return "f"
	case "r":
		return "r"
	case "si":
		return "si"
	case "rPh":
		return "rPh"
	}
	return string(b)
}

// Attr returns an attribute's raw value, nil when absent. Cell
// attributes (r, t) never need entity decoding.
func (t *xmlTag) Attr(name string) []byte {
	for i := range t.nattr {
		if string(t.attrs[i].key) == name {
			return t.attrs[i].val
		}
	}
	return nil
}

// appendXMLText appends text with its entities decoded.
func appendXMLText(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		j := bytes.IndexByte(b, ';')
		if j < 0 {
			return append(dst, b...)
		}
		ent := string(b[1:j])
		switch {
		case ent == "lt":
			dst = append(dst, '<')
		case ent == "gt":
			dst = append(dst, '>')
		case ent == "amp":
			dst = append(dst, '&')
		case ent == "quot":
			dst = append(dst, '"')
		case ent == "apos":
			dst = append(dst, '\'')
		case strings.HasPrefix(ent, "#x") || strings.HasPrefix(ent, "#X"):
			n, err := strconv.ParseUint(ent[2:], 16, 32)
			if err != nil {
				dst = append(dst, b[:j+1]...)
			} else {
				dst = utf8.AppendRune(dst, rune(n))
			}
		case strings.HasPrefix(ent, "#"):
			n, err := strconv.ParseUint(ent[1:], 10, 32)
			if err != nil {
				dst = append(dst, b[:j+1]...)
			} else {
				dst = utf8.AppendRune(dst, rune(n))
			}
		default:
			dst = append(dst, b[:j+1]...)
		}
		b = b[j+1:]
	}
}

func escapeText(b []byte) []byte {
	if !bytes.ContainsAny(b, "&<") {
		return b
	}
	var out []byte
	for _, c := range b {
		switch c {
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		default:
			out = append(out, c)
		}
	}
	return out
}
