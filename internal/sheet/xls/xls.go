// Package xls is a small reader for legacy Excel 97-2003 workbooks (BIFF8,
// "Workbook" stream inside an OLE compound file), written from Microsoft's
// published [MS-XLS] specification. It extracts cell values as text only.
//
// Supported records: BOF/EOF (nested sub-streams such as embedded charts are
// skipped), CODEPAGE, BOUNDSHEET8, SST + CONTINUE (strings split across
// CONTINUE boundaries, rich-text runs and phonetic/extended data skipped),
// LABELSST, LABEL, RSTRING, NUMBER, RK, MULRK, BOOLERR, FORMULA (cached
// number/boolean/error/empty results, and string results from the following
// STRING record, which may itself be continued), BLANK/MULBLANK (empty).
// FILEPASS (encrypted workbooks) is reported as an error. BIFF5 workbooks
// (version 0x0500, usually in a "Book" stream) are read with 8-bit strings
// decoded via CODEPAGE (e.g. 936 = GBK).
//
// Not supported: number formats (XF/FORMAT). Numbers, including dates and
// times stored as numbers, are returned as their plain value text, e.g. an
// Excel date serial "43995.5"; percentages as "0.0135"; "12.90" as "12.9".
// Integral values are rendered as integers; other values are rounded to 15
// significant digits as Excel displays them ("0.1+0.2" gives "0.3").
//
// Rows[i] is Excel row i+1 and Rows[i][j] is column j; all rows have the
// width of the rightmost non-empty cell, trailing empty rows are dropped and
// empty cells are "". Formatting-only cells (BLANK) do not extend the grid.
package xls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Sheet is one worksheet's cells as text, row-major; empty cells are "".
type Sheet struct {
	Name string
	Rows [][]string
}

// Limits protecting against hostile input.
const (
	maxStreamSize = 256 << 20 // Workbook stream bytes
	maxRows       = 65536     // BIFF8 row limit
	maxCols       = 256       // BIFF8 column limit
	maxCells      = 8 << 20   // materialised cells (incl. padding "") per workbook
)

// Record types ([MS-XLS] 2.3).
const (
	rtFormula    = 0x0006
	rtEOF        = 0x000A
	rtFilePass   = 0x002F
	rtContinue   = 0x003C
	rtCodePage   = 0x0042
	rtBoundSheet = 0x0085
	rtMulRK      = 0x00BD
	rtMulBlank   = 0x00BE
	rtRString    = 0x00D6
	rtSST        = 0x00FC
	rtLabelSST   = 0x00FD
	rtDimensions = 0x0200
	rtBlank      = 0x0201
	rtNumber     = 0x0203
	rtLabel      = 0x0204
	rtBoolErr    = 0x0205
	rtString     = 0x0207
	rtRK         = 0x027E
	rtBOF        = 0x0809
)

// ReadFile is Read on a file path.
func ReadFile(path string) ([]Sheet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Read(f, st.Size())
}

// Read parses a BIFF8 workbook (r must be the whole .xls file) and returns its
// worksheets in order.
func Read(r io.ReaderAt, size int64) (sheets []Sheet, err error) {
	defer func() {
		if p := recover(); p != nil { // mscfb is not guaranteed panic-free
			sheets, err = nil, fmt.Errorf("xls: corrupt compound file: %v", p)
		}
	}()
	stream, err := workbookStream(r, size)
	if err != nil {
		return nil, err
	}
	return parseStream(stream)
}

func workbookStream(r io.ReaderAt, size int64) ([]byte, error) {
	if size < 512 {
		return nil, errors.New("xls: file too small to be a compound file")
	}
	doc, err := mscfb.New(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("xls: not an OLE compound file: %w", err)
	}
	var book *mscfb.File
	for f, err := doc.Next(); err == nil; f, err = doc.Next() {
		if len(f.Path) != 0 {
			continue
		}
		if f.Name == "Workbook" {
			book = f
			break
		}
		if f.Name == "Book" && book == nil {
			book = f
		}
	}
	if book == nil {
		return nil, errors.New("xls: no Workbook stream (not an Excel 97-2003 file?)")
	}
	if book.Size <= 0 || book.Size > maxStreamSize || book.Size > size {
		return nil, fmt.Errorf("xls: %s stream has implausible size %d", book.Name, book.Size)
	}
	buf := make([]byte, book.Size)
	if _, err := io.ReadFull(book, buf); err != nil {
		return nil, fmt.Errorf("xls: reading %s stream: %w", book.Name, err)
	}
	return buf, nil
}

// record is one BIFF record: type and data (without the 4-byte header).
type record struct {
	typ  uint16
	data []byte
	off  int // offset of the record header in the stream
}

// nextRecord reads the record at pos and returns it with the offset after it.
func nextRecord(b []byte, pos int) (record, int, error) {
	if pos < 0 || pos+4 > len(b) {
		return record{}, 0, fmt.Errorf("xls: truncated record header at offset %d", pos)
	}
	typ := binary.LittleEndian.Uint16(b[pos:])
	n := int(binary.LittleEndian.Uint16(b[pos+2:]))
	if pos+4+n > len(b) {
		return record{}, 0, fmt.Errorf("xls: record 0x%04X at offset %d: length %d exceeds stream", typ, pos, n)
	}
	return record{typ, b[pos+4 : pos+4+n], pos}, pos + 4 + n, nil
}

// withContinues returns rec's data followed by the data of all CONTINUE
// records directly after it, and the offset after the last one.
func withContinues(b []byte, rec record, next int) ([][]byte, int, error) {
	frags := [][]byte{rec.data}
	for next+4 <= len(b) && binary.LittleEndian.Uint16(b[next:]) == rtContinue {
		c, n, err := nextRecord(b, next)
		if err != nil {
			return nil, 0, err
		}
		frags = append(frags, c.data)
		next = n
	}
	return frags, next, nil
}

type boundSheet struct {
	name string
	pos  int
	typ  byte
}

type workbook struct {
	biff5    bool
	codepage uint16
	sst      []string
	cells    int // materialised cells so far
}

// parseStream parses the raw Workbook stream.
func parseStream(b []byte) ([]Sheet, error) {
	wb := &workbook{codepage: 1252}
	rec, pos, err := nextRecord(b, 0)
	if err != nil {
		return nil, err
	}
	if rec.typ != rtBOF || len(rec.data) < 4 {
		return nil, errors.New("xls: Workbook stream does not start with a BOF record")
	}
	switch vers := binary.LittleEndian.Uint16(rec.data); vers {
	case 0x0600:
	case 0x0500:
		wb.biff5 = true
	default:
		return nil, fmt.Errorf("xls: unsupported BIFF version 0x%04X (only BIFF8 and BIFF5)", vers)
	}
	if dt := binary.LittleEndian.Uint16(rec.data[2:]); dt != 0x0005 {
		return nil, fmt.Errorf("xls: first substream has type 0x%04X, want workbook globals 0x0005", dt)
	}

	var bs []boundSheet
	for {
		if pos >= len(b) {
			return nil, errors.New("xls: workbook globals: missing EOF record")
		}
		rec, pos, err = nextRecord(b, pos)
		if err != nil {
			return nil, err
		}
		switch rec.typ {
		case rtEOF:
			goto sheets
		case rtFilePass:
			return nil, errors.New("xls: workbook is encrypted (FILEPASS), not supported")
		case rtCodePage:
			if len(rec.data) < 2 {
				return nil, errors.New("xls: CODEPAGE record too short")
			}
			wb.codepage = binary.LittleEndian.Uint16(rec.data)
		case rtBoundSheet:
			s, err := wb.parseBoundSheet(rec.data)
			if err != nil {
				return nil, err
			}
			bs = append(bs, s)
		case rtSST:
			var frags [][]byte
			frags, pos, err = withContinues(b, rec, pos)
			if err != nil {
				return nil, err
			}
			if wb.sst, err = parseSST(frags); err != nil {
				return nil, err
			}
		}
	}
sheets:
	var out []Sheet
	for _, s := range bs {
		if s.typ != 0 { // 0 = worksheet (or dialog); charts, macro sheets skipped
			continue
		}
		rows, err := wb.parseSheet(b, s)
		if err != nil {
			return nil, fmt.Errorf("sheet %q: %w", s.name, err)
		}
		out = append(out, Sheet{Name: s.name, Rows: rows})
	}
	return out, nil
}

func (wb *workbook) parseBoundSheet(d []byte) (boundSheet, error) {
	if len(d) < 7 {
		return boundSheet{}, errors.New("xls: BOUNDSHEET8 record too short")
	}
	s := boundSheet{pos: int(binary.LittleEndian.Uint32(d)), typ: d[5]}
	cch := int(d[6])
	var err error
	if wb.biff5 {
		if 7+cch > len(d) {
			return s, errors.New("xls: BOUNDSHEET name exceeds record")
		}
		s.name = decode8(d[7:7+cch], wb.codepage)
	} else {
		c := &contReader{frags: [][]byte{d[7:]}}
		s.name, err = c.chars(cch)
		if err != nil {
			return s, fmt.Errorf("xls: BOUNDSHEET8 name: %w", err)
		}
	}
	if uint32(s.pos) >= uint32(maxStreamSize) {
		return s, fmt.Errorf("xls: sheet %q: stream offset out of range", s.name)
	}
	return s, nil
}

// parseSST decodes the shared string table from the SST record data and its
// CONTINUE records.
func parseSST(frags [][]byte) ([]string, error) {
	if len(frags[0]) < 8 {
		return nil, errors.New("xls: SST record too short")
	}
	unique := int64(int32(binary.LittleEndian.Uint32(frags[0][4:])))
	if unique < 0 {
		return nil, fmt.Errorf("xls: SST: negative string count %d", unique)
	}
	total := 0
	for _, f := range frags {
		total += len(f)
	}
	// every string takes at least 3 bytes, so cap the pre-allocation
	out := make([]string, 0, min(unique, int64(total/3)+1))
	c := &contReader{frags: frags, p: 8}
	for i := int64(0); i < unique; i++ {
		if c.eof() {
			break // lenient: fewer strings than announced; LABELSST will check indices
		}
		s, err := c.richString()
		if err != nil {
			return nil, fmt.Errorf("xls: SST string %d: %w", i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

var errTrunc = errors.New("truncated data")

// contReader reads a structure split over a record and its CONTINUE records.
type contReader struct {
	frags [][]byte
	i, p  int // current fragment and position in it
}

func (c *contReader) eof() bool {
	for c.i < len(c.frags) && c.p >= len(c.frags[c.i]) {
		c.i, c.p = c.i+1, 0
	}
	return c.i >= len(c.frags)
}

func (c *contReader) byte() (byte, error) {
	if c.eof() {
		return 0, errTrunc
	}
	v := c.frags[c.i][c.p]
	c.p++
	return v, nil
}

func (c *contReader) u16() (uint16, error) {
	lo, err := c.byte()
	if err != nil {
		return 0, err
	}
	hi, err := c.byte()
	return uint16(lo) | uint16(hi)<<8, err
}

func (c *contReader) u32() (uint32, error) {
	lo, err := c.u16()
	if err != nil {
		return 0, err
	}
	hi, err := c.u16()
	return uint32(lo) | uint32(hi)<<16, err
}

func (c *contReader) skip(n int) error {
	for n > 0 {
		if c.eof() {
			return errTrunc
		}
		k := min(n, len(c.frags[c.i])-c.p)
		c.p += k
		n -= k
	}
	return nil
}

// chars reads an option-flags byte and cch characters. When the character
// array crosses into the next fragment (CONTINUE), that fragment starts with
// a fresh option-flags byte whose bit 0 selects 1- or 2-byte characters.
func (c *contReader) chars(cch int) (string, error) {
	flags, err := c.byte()
	if err != nil {
		return "", err
	}
	return c.charsFlags(cch, flags&1 != 0)
}

func (c *contReader) charsFlags(cch int, high bool) (string, error) {
	u := make([]uint16, 0, min(cch, 4096))
	for len(u) < cch {
		if c.i >= len(c.frags) {
			return "", errTrunc
		}
		f := c.frags[c.i]
		if c.p >= len(f) { // continue in the next fragment, which starts with flags
			c.i, c.p = c.i+1, 0
			if c.i >= len(c.frags) {
				return "", errTrunc
			}
			if len(c.frags[c.i]) == 0 {
				return "", errors.New("empty CONTINUE record inside a string")
			}
			high = c.frags[c.i][0]&1 != 0
			c.p = 1
			continue
		}
		if high {
			if c.p+2 > len(f) {
				return "", errors.New("2-byte character split across records")
			}
			u = append(u, binary.LittleEndian.Uint16(f[c.p:]))
			c.p += 2
		} else {
			u = append(u, uint16(f[c.p]))
			c.p++
		}
	}
	return string(utf16.Decode(u)), nil
}

// richString reads an XLUnicodeRichExtendedString, skipping formatting runs
// and phonetic (extended) data.
func (c *contReader) richString() (string, error) {
	cch, err := c.u16()
	if err != nil {
		return "", err
	}
	flags, err := c.byte()
	if err != nil {
		return "", err
	}
	var runs, ext uint32
	if flags&0x08 != 0 {
		r, err := c.u16()
		if err != nil {
			return "", err
		}
		runs = uint32(r)
	}
	if flags&0x04 != 0 {
		if ext, err = c.u32(); err != nil {
			return "", err
		}
		if ext > maxStreamSize {
			return "", fmt.Errorf("extended data size %d out of range", ext)
		}
	}
	s, err := c.charsFlags(int(cch), flags&1 != 0)
	if err != nil {
		return "", err
	}
	if err := c.skip(int(runs) * 4); err != nil {
		return "", fmt.Errorf("formatting runs: %w", err)
	}
	if err := c.skip(int(ext)); err != nil {
		return "", fmt.Errorf("extended data: %w", err)
	}
	return s, nil
}

// unicodeString reads an XLUnicodeString (cch uint16, flags, chars) from
// frags; in BIFF5 it is cch uint16 and 8-bit characters in the code page.
func (wb *workbook) unicodeString(frags [][]byte) (string, error) {
	c := &contReader{frags: frags}
	cch, err := c.u16()
	if err != nil {
		return "", err
	}
	if wb.biff5 {
		d := frags[0][2:]
		if int(cch) > len(d) {
			return "", errTrunc
		}
		return decode8(d[:cch], wb.codepage), nil
	}
	return c.chars(int(cch))
}

// decode8 decodes 8-bit text in a Windows code page (BIFF5 only).
func decode8(b []byte, cp uint16) string {
	var enc encoding.Encoding
	switch cp {
	case 936:
		enc = simplifiedchinese.GBK
	case 950:
		enc = traditionalchinese.Big5
	case 932:
		enc = japanese.ShiftJIS
	case 949:
		enc = korean.EUCKR
	case 874:
		enc = charmap.Windows874
	case 1250, 1251, 1253, 1254, 1255, 1256, 1257, 1258:
		enc = []encoding.Encoding{charmap.Windows1250, charmap.Windows1251, nil, charmap.Windows1253,
			charmap.Windows1254, charmap.Windows1255, charmap.Windows1256, charmap.Windows1257,
			charmap.Windows1258}[cp-1250]
	case 437:
		enc = charmap.CodePage437
	case 10000, 0x8000:
		enc = charmap.Macintosh
	case 1200, 65001:
		return string(b)
	default: // 1252, 367 (ASCII) and unknown
		enc = charmap.Windows1252
	}
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// rk decodes an RK number ([MS-XLS] 2.5.217): bit 0 = value ×100,
// bit 1 = 30-bit signed integer, otherwise the upper 30 bits of a double.
func rk(v uint32) float64 {
	var f float64
	if v&2 != 0 {
		f = float64(int32(v) >> 2)
	} else {
		f = math.Float64frombits(uint64(v&0xFFFFFFFC) << 32)
	}
	if v&1 != 0 {
		f /= 100
	}
	return f
}

// formatNumber renders a cell number without float artefacts.
func formatNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64) // exact integer digits
	}
	// round to the 15 significant digits Excel displays
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

var boolErr = map[byte]string{
	0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!",
	0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA",
}

func boolErrText(val, isErr byte) string {
	if isErr != 0 {
		if s, ok := boolErr[val]; ok {
			return s
		}
		return "#ERR"
	}
	if val != 0 {
		return "TRUE"
	}
	return "FALSE"
}

// grid accumulates a sheet's cells.
type grid struct {
	wb   *workbook
	rows [][]string
}

func (g *grid) set(row, col int, v string) error {
	if row >= maxRows || col >= maxCols {
		return fmt.Errorf("cell (%d,%d) out of range", row, col)
	}
	if v == "" {
		if row < len(g.rows) && col < len(g.rows[row]) {
			g.rows[row][col] = ""
		}
		return nil
	}
	if row >= len(g.rows) {
		g.rows = append(g.rows, make([][]string, row+1-len(g.rows))...)
	}
	r := g.rows[row]
	if col >= len(r) {
		g.wb.cells += col + 1 - len(r)
		if g.wb.cells > maxCells {
			return fmt.Errorf("more than %d cells", maxCells)
		}
		r = append(r, make([]string, col+1-len(r))...)
		g.rows[row] = r
	}
	r[col] = v
	return nil
}

// finish drops trailing empty rows and pads every row with "" to the width
// of the widest row, so that Rows is rectangular.
func (g *grid) finish() ([][]string, error) {
	width := 0
	for i, r := range g.rows {
		n := len(r)
		for n > 0 && r[n-1] == "" { // cells overwritten with ""
			n--
		}
		g.rows[i] = r[:n]
		width = max(width, n)
	}
	n := len(g.rows)
	for n > 0 && len(g.rows[n-1]) == 0 {
		n--
	}
	rows := g.rows[:n]
	if n*width > maxCells {
		return nil, fmt.Errorf("xls: %d rows x %d columns exceeds %d cells", n, width, maxCells)
	}
	for i, r := range rows {
		if len(r) < width {
			g.wb.cells += width - len(r)
			if g.wb.cells > maxCells {
				return nil, fmt.Errorf("xls: workbook has more than %d cells", maxCells)
			}
			rows[i] = append(r, make([]string, width-len(r))...)
		}
	}
	return rows, nil
}

func (wb *workbook) parseSheet(b []byte, s boundSheet) ([][]string, error) {
	if s.pos >= len(b) {
		return nil, fmt.Errorf("xls: substream offset %d beyond stream size %d", s.pos, len(b))
	}
	rec, pos, err := nextRecord(b, s.pos)
	if err != nil {
		return nil, err
	}
	if rec.typ != rtBOF || len(rec.data) < 4 {
		return nil, fmt.Errorf("xls: no BOF record at substream offset %d", s.pos)
	}
	if dt := binary.LittleEndian.Uint16(rec.data[2:]); dt != 0x0010 {
		return nil, fmt.Errorf("xls: substream at offset %d has type 0x%04X, want worksheet 0x0010", s.pos, dt)
	}
	g := &grid{wb: wb}
	depth := 1
	pendingRow, pendingCol := -1, -1 // FORMULA awaiting its STRING record
	for depth > 0 {
		if pos >= len(b) {
			return nil, errors.New("xls: worksheet substream: missing EOF record")
		}
		next := 0
		rec, next, err = nextRecord(b, pos)
		if err != nil {
			return nil, err
		}
		pos = next
		switch rec.typ {
		case rtBOF:
			depth++
			continue
		case rtEOF:
			depth--
			continue
		}
		if depth != 1 {
			continue // inside an embedded chart etc.
		}
		if err := wb.cell(g, b, rec, &pos, &pendingRow, &pendingCol); err != nil {
			return nil, err
		}
	}
	return g.finish()
}

func need(rec record, n int, name string) error {
	if len(rec.data) < n {
		return fmt.Errorf("xls: %s record at offset %d: length %d, need %d", name, rec.off, len(rec.data), n)
	}
	return nil
}

func (wb *workbook) cell(g *grid, b []byte, rec record, pos, pendingRow, pendingCol *int) error {
	d := rec.data
	rc := func() (int, int) {
		return int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:]))
	}
	wrap := func(name string, err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("xls: %s record at offset %d: %w", name, rec.off, err)
	}
	switch rec.typ {
	case rtLabelSST:
		if err := need(rec, 10, "LABELSST"); err != nil {
			return err
		}
		r, c := rc()
		i := binary.LittleEndian.Uint32(d[6:])
		if uint64(i) >= uint64(len(wb.sst)) {
			return fmt.Errorf("xls: LABELSST record at offset %d: string index %d out of range (SST has %d)", rec.off, i, len(wb.sst))
		}
		return wrap("LABELSST", g.set(r, c, wb.sst[i]))
	case rtLabel, rtRString:
		if err := need(rec, 8, "LABEL"); err != nil {
			return err
		}
		r, c := rc()
		s, err := wb.unicodeString([][]byte{d[6:]})
		if err != nil {
			return wrap("LABEL", err)
		}
		return wrap("LABEL", g.set(r, c, s))
	case rtNumber:
		if err := need(rec, 14, "NUMBER"); err != nil {
			return err
		}
		r, c := rc()
		v := math.Float64frombits(binary.LittleEndian.Uint64(d[6:]))
		return wrap("NUMBER", g.set(r, c, formatNumber(v)))
	case rtRK:
		if err := need(rec, 10, "RK"); err != nil {
			return err
		}
		r, c := rc()
		return wrap("RK", g.set(r, c, formatNumber(rk(binary.LittleEndian.Uint32(d[6:])))))
	case rtMulRK:
		if len(d) < 12 || (len(d)-6)%6 != 0 {
			return fmt.Errorf("xls: MULRK record at offset %d: bad length %d", rec.off, len(d))
		}
		r, c := rc()
		n := (len(d) - 6) / 6
		if last := int(binary.LittleEndian.Uint16(d[len(d)-2:])); last != c+n-1 {
			return fmt.Errorf("xls: MULRK record at offset %d: colLast %d, want %d", rec.off, last, c+n-1)
		}
		for k := 0; k < n; k++ {
			v := rk(binary.LittleEndian.Uint32(d[4+6*k+2:]))
			if err := g.set(r, c+k, formatNumber(v)); err != nil {
				return wrap("MULRK", err)
			}
		}
	case rtBoolErr:
		if err := need(rec, 8, "BOOLERR"); err != nil {
			return err
		}
		r, c := rc()
		return wrap("BOOLERR", g.set(r, c, boolErrText(d[6], d[7])))
	case rtBlank, rtMulBlank:
		// empty cells: nothing to record
	case rtFormula:
		if err := need(rec, 20, "FORMULA"); err != nil {
			return err
		}
		r, c := rc()
		v := d[6:14]
		if v[6] != 0xFF || v[7] != 0xFF {
			return wrap("FORMULA", g.set(r, c, formatNumber(math.Float64frombits(binary.LittleEndian.Uint64(v)))))
		}
		switch v[0] {
		case 0: // string result in the following STRING record
			*pendingRow, *pendingCol = r, c
			return wrap("FORMULA", g.set(r, c, ""))
		case 1:
			return wrap("FORMULA", g.set(r, c, boolErrText(v[2], 0)))
		case 2:
			return wrap("FORMULA", g.set(r, c, boolErrText(v[2], 1)))
		default: // 3 = empty string
			return wrap("FORMULA", g.set(r, c, ""))
		}
	case rtString:
		frags, next, err := withContinues(b, rec, *pos)
		if err != nil {
			return err
		}
		*pos = next
		s, err := wb.unicodeString(frags)
		if err != nil {
			return wrap("STRING", err)
		}
		if *pendingRow < 0 {
			return nil // stray STRING record: ignore
		}
		r, c := *pendingRow, *pendingCol
		*pendingRow, *pendingCol = -1, -1
		return wrap("STRING", g.set(r, c, s))
	}
	return nil
}
