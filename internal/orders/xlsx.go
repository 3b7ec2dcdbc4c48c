package orders

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A report of a million rows is a 1.5 GB worksheet XML: excelize's reader
// (encoding/xml, a value per cell) takes about a minute and holds every row.
// xlsxReader scans the worksheet bytes itself, a row at a time, one string
// allocation per row. It reads what Excel shows for workbooks whose cells
// carry no number format other than General or Text (a report as Alimama
// exports it; strings inline or shared); any other number format (dates
// stored as serial numbers, percents) could change how a value reads, so
// such a workbook goes through excelize, which applies the formats.

const (
	relOfficeDoc = "/officeDocument"
	relWorksheet = "/worksheet"
	relShared    = "/sharedStrings"
	relStyles    = "/styles"
)

// openXLSX opens a workbook's first worksheet.
func openXLSX(name string) (rowReader, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("不是有效的 .xlsx 文件 (not a valid .xlsx file): %w", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheet, shared, styles, err := workbookParts(files)
	if err != nil {
		zr.Close()
		return nil, err
	}
	if styles != "" {
		plain, err := plainStyles(files[styles])
		if err != nil || !plain {
			zr.Close()
			return openExcelize(name)
		}
	}
	var sst []string
	if f := files[shared]; shared != "" && f != nil {
		if sst, err = readSharedStrings(f); err != nil {
			zr.Close()
			return nil, err
		}
	}
	f := files[sheet]
	if f == nil {
		zr.Close()
		return nil, errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	rc, err := f.Open()
	if err != nil {
		zr.Close()
		return nil, err
	}
	return &xlsxReader{zr: zr, rc: rc, sc: newXMLScanner(rc), sst: sst, next: 1}, nil
}

// workbookParts finds the first worksheet, the shared strings and the
// styles through the package relationships.
func workbookParts(files map[string]*zip.File) (sheet, shared, styles string, err error) {
	book := "xl/workbook.xml"
	if rels, err := readRels(files["_rels/.rels"], ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.Type, relOfficeDoc) {
				book = r.Target
			}
		}
	}
	bf := files[book]
	if bf == nil {
		return "", "", "", errors.New("不是有效的 .xlsx 文件：缺少 workbook.xml (not a valid .xlsx file: no workbook)")
	}
	var wb struct {
		Sheets []struct {
			ID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(bf, &wb); err != nil {
		return "", "", "", err
	}
	if len(wb.Sheets) == 0 {
		return "", "", "", errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	dir := path.Dir(book)
	rels, err := readRels(files[path.Join(dir, "_rels", path.Base(book)+".rels")], dir)
	if err != nil {
		return "", "", "", err
	}
	for _, r := range rels {
		switch {
		case r.ID == wb.Sheets[0].ID && strings.HasSuffix(r.Type, relWorksheet):
			sheet = r.Target
		case strings.HasSuffix(r.Type, relShared):
			shared = r.Target
		case strings.HasSuffix(r.Type, relStyles):
			styles = r.Target
		}
	}
	if sheet == "" {
		return "", "", "", errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	return sheet, shared, styles, nil
}

type rel struct{ ID, Type, Target string }

// readRels reads a relationships part; targets are resolved against dir.
func readRels(f *zip.File, dir string) ([]rel, error) {
	if f == nil {
		return nil, errors.New("不是有效的 .xlsx 文件：缺少关系部件 (not a valid .xlsx file: no relationships)")
	}
	var x struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(f, &x); err != nil {
		return nil, err
	}
	out := make([]rel, 0, len(x.Rels))
	for _, r := range x.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		out = append(out, rel{r.ID, r.Type, t})
	}
	return out, nil
}

func decodePart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// plainStyles reports whether every cell format of a workbook shows
// numbers as they are stored: General (0) or Text (49).
func plainStyles(f *zip.File) (bool, error) {
	if f == nil {
		return true, nil
	}
	var st struct {
		Xfs []struct {
			NumFmtID string `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := decodePart(f, &st); err != nil {
		return false, err
	}
	for _, x := range st.Xfs {
		if x.NumFmtID != "" && x.NumFmtID != "0" && x.NumFmtID != "49" {
			return false, nil
		}
	}
	return true, nil
}

// readSharedStrings reads the shared string table.
func readSharedStrings(f *zip.File) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	var sst []string
	var text []byte
	depthPh := 0 // inside <rPh> (phonetic runs, not part of the text)
	for {
		tx, tag, err := sc.next()
		if errors.Is(err, io.EOF) {
			return sst, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sharedStrings: %w", err)
		}
		switch tag.name {
		case "si":
			text = text[:0]
			if tag.selfClosing {
				sst = append(sst, "")
			}
		case "/si":
			sst = append(sst, cellString(text))
		case "rPh":
			if !tag.selfClosing {
				depthPh++
			}
		case "/rPh":
			depthPh--
		case "/t":
			if depthPh == 0 {
				text = appendXMLText(text, tx)
			}
		}
	}
}

// xlsxReader streams the rows of one worksheet.
type xlsxReader struct {
	zr  *zip.ReadCloser
	rc  io.ReadCloser
	sc  *xmlScanner
	sst []string

	next   int // Excel number of the next row Next returns
	held   []string
	heldAt int // Excel number of held, 0 when none
	done   bool

	buf  []byte   // the row's cell texts, one after another
	ends []int    // end of each cell's text in buf
	cols []int    // each cell's column
	refs []string // per cell: its shared string, or "" when its text is in buf
	out  []string
}

func (x *xlsxReader) Close() error {
	x.rc.Close()
	return x.zr.Close()
}

// Next returns the next row; rows the sheet skips come back empty.
func (x *xlsxReader) Next() ([]string, error) {
	if x.heldAt == 0 && !x.done {
		num, err := x.readRow()
		if errors.Is(err, io.EOF) {
			x.done = true
		} else if err != nil {
			return nil, err
		} else {
			x.heldAt = num
		}
	}
	if x.heldAt == 0 {
		return nil, io.EOF
	}
	if x.next < x.heldAt {
		x.next++
		return nil, nil
	}
	x.next = x.heldAt + 1
	x.heldAt = 0
	return x.out, nil
}

// readRow reads the next <row> into x.out and returns its number.
func (x *xlsxReader) readRow() (int, error) {
	num := 0
	for {
		_, tag, err := x.sc.next()
		if err != nil {
			return 0, err
		}
		switch tag.name {
		case "row":
			num = x.next
			if r := tag.attrRaw("r"); r != nil {
				n, err := strconv.Atoi(string(r))
				if err != nil || n < x.next || n > 1<<24 {
					return 0, fmt.Errorf("行号 %q 无效 (bad row number)", r)
				}
				num = n
			}
			if tag.selfClosing {
				x.out = x.out[:0]
				return num, nil
			}
			return num, x.readCells()
		case "/sheetData":
			return 0, io.EOF
		}
	}
}

// readCells reads the cells of a row up to </row>.
func (x *xlsxReader) readCells() error {
	x.buf, x.ends, x.cols, x.refs = x.buf[:0], x.ends[:0], x.cols[:0], x.refs[:0]
	col := -1
	var typ string
	inIS, inPh := false, false
	var v []byte
	has := false
	for {
		tx, tag, err := x.sc.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch tag.name {
		case "c":
			col++
			if r := tag.attrRaw("r"); r != nil {
				c, ok := columnOf(r)
				if !ok || c < col {
					return fmt.Errorf("单元格 %q 无效 (bad cell reference)", r)
				}
				col = c
			}
			typ = cellType(tag.attrRaw("t"))
			v, has = v[:0], false
			if tag.selfClosing {
				continue
			}
			// Most cells are <is><t>text</t></is></c> or <v>text</v></c>.
			if text, ok := x.sc.simpleCell(); ok {
				if err := x.addCell(col, typ, appendXMLText(v, text)); err != nil {
					return err
				}
			}
		case "is":
			inIS = !tag.selfClosing
		case "/is":
			inIS = false
		case "rPh":
			inPh = !tag.selfClosing
		case "/rPh":
			inPh = false
		case "/t":
			if inIS && !inPh {
				v, has = appendXMLText(v, tx), true
			}
		case "/v":
			if !inIS {
				v, has = appendXMLText(v, tx), true
			}
		case "/c":
			if has {
				if err := x.addCell(col, typ, v); err != nil {
					return err
				}
			}
		case "/row":
			return x.finishRow()
		}
	}
}

func (x *xlsxReader) addCell(col int, typ string, v []byte) error {
	if col > 16383 {
		return errors.New("列数超过 Excel 上限 (more columns than Excel allows)")
	}
	var ref string
	switch typ {
	case "s":
		i, err := strconv.Atoi(string(v))
		if err != nil || i < 0 || i >= len(x.sst) {
			return fmt.Errorf("共享字符串 %q 不存在 (no such shared string)", v)
		}
		ref = x.sst[i]
		v = nil
	case "inlineStr", "str", "e", "d":
		if typ == "inlineStr" {
			v = unescapeBSTR(v)
		}
	case "b":
		switch string(v) {
		case "1":
			v = []byte("TRUE")
		case "0":
			v = []byte("FALSE")
		}
	default: // a number, shown as excelize's General format shows it
		v = generalNumber(v)
	}
	x.buf = append(x.buf, v...)
	x.ends = append(x.ends, len(x.buf))
	x.cols = append(x.cols, col)
	x.refs = append(x.refs, ref)
	return nil
}

func (x *xlsxReader) finishRow() error {
	width := 0
	if n := len(x.cols); n > 0 {
		width = x.cols[n-1] + 1
	}
	if cap(x.out) < width {
		x.out = make([]string, width)
	}
	x.out = x.out[:width]
	clear(x.out)
	s := string(x.buf)
	start := 0
	for i, c := range x.cols {
		if x.refs[i] != "" {
			x.out[c] = x.refs[i]
		} else {
			x.out[c] = s[start:x.ends[i]]
		}
		start = x.ends[i]
	}
	return nil
}

// cellType names a cell's t attribute without allocating.
func cellType(t []byte) string {
	switch string(t) {
	case "":
		return ""
	case "s":
		return "s"
	case "inlineStr":
		return "inlineStr"
	case "str":
		return "str"
	case "n":
		return "n"
	case "b":
		return "b"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return "?"
}

// columnOf returns the 0-based column of a cell reference like "AB12".
func columnOf(ref []byte) (int, bool) {
	c := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		c = c*26 + int(ref[i]-'A'+1)
		if c > 16384 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return c - 1, true
}

// generalNumber renders a stored number as excelize does for General:
// plain digits, rounded to 15 significant digits past Excel's precision.
func generalNumber(v []byte) []byte {
	if len(v) == 0 {
		return v
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return v
	}
	plain := strconv.FormatFloat(f, 'f', -1, 64)
	digits := len(plain) - strings.Count(plain, ".")
	within := !bytes.ContainsAny(v, ".Ee") && len(bytes.TrimRight(bytes.TrimLeft(v, "+-0"), "0")) <= 15
	if digits > 15 && !within {
		return []byte(strconv.FormatFloat(f, 'G', 15, 64))
	}
	return []byte(plain)
}

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
	t        xmlTag // the tag next returns, reused
}

// xmlTag is one tag; its slices are valid until the next call of next.
type xmlTag struct {
	name        string // "c", "/c", ...; namespace prefixes dropped
	selfClosing bool
	nattr       int
	attrs       [4]struct{ key, val []byte } // the first four attributes
}

// xmlBuffer is the scanner's buffer size (tests make it tiny).
var xmlBuffer = 4 << 20

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, xmlBuffer)}
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

// next returns the text before the next tag (raw, entities not decoded)
// and the tag, both valid until the next call.
func (s *xmlScanner) next() ([]byte, *xmlTag, error) {
	s.acc = s.acc[:0]
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

// simpleCell reads the rest of a cell that is plainly an inline string or
// a value, through its </c>: the text and true; false (nothing read) for
// any other shape, which the tag-by-tag path reads. Nine in ten cells of a
// report take this path, some five tags for the price of one.
func (s *xmlScanner) simpleCell() ([]byte, bool) {
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
	t.nattr, t.selfClosing = 0, false
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
		t.name = internName(name, closing)
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
				t.selfClosing = true
				return start, lt, k + 2, nil
			case c == '/' && k+1 < s.end:
				return 0, 0, 0, fmt.Errorf("标签格式错误 (malformed tag) near %q", clipBytes(s.buf[lt:k+2]))
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
				return 0, 0, 0, fmt.Errorf("属性值缺少引号 (attribute value without quotes) near %q", clipBytes(s.buf[lt:v+1]))
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
		t.nattr, t.selfClosing = 0, false
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

// attrRaw returns an attribute's raw value, nil when absent. Cell
// attributes (r, t) never need entity decoding.
func (t *xmlTag) attrRaw(name string) []byte {
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
