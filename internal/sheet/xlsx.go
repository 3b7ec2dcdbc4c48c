package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/msg"
)

// A report of a million rows is a 1.5 GB worksheet XML: a reader built on
// encoding/xml (a value per cell) takes about a minute and holds every row.
// xlsxReader scans the worksheet bytes itself, a row at a time, one string
// allocation per row. A number reads as stored (to Excel's 15 significant
// digits), whatever format shows it, except that a percent format makes
// it a percentage (0.155 -> "15.5%") and a date or time format a time
// ("2024-01-31 08:30:00", or "2024-01-31" for a date alone).

// openXLSX opens a workbook's first worksheet.
func openXLSX(f *os.File) (rows, string, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, "", msg.Wrap(err, "sheet.not_zip")
	}
	var total uint64
	for _, zf := range zr.File {
		if total += zf.UncompressedSize64; total > uint64(MaxBytes) {
			return nil, "", tooLarge()
		}
	}
	files := zipFiles(zr)
	p, err := workbookParts(files)
	if err != nil {
		return nil, "", err
	}
	formats, err := readFormats(files[p.Styles])
	if err != nil {
		return nil, "", err
	}
	sst, err := readSharedStrings(files[p.Shared], true)
	if err != nil {
		return nil, "", err
	}
	sf := files[p.Sheet]
	if sf == nil {
		return nil, "", msg.New("sheet.no_sheets")
	}
	rc, err := sf.Open()
	if err != nil {
		return nil, "", err
	}
	return &xlsxReader{f: f, rc: rc, sc: newXMLScanner(rc), sheet: p.SheetName, sst: sst, formats: formats, nextNum: 1}, p.SheetName, nil
}

// xlsxReader streams the rows of one worksheet.
type xlsxReader struct {
	f       io.Closer
	rc      io.ReadCloser
	sc      *xmlScanner
	sheet   string // its name, for cell addresses
	sst     *sharedStrings
	formats []numFormat // by cell style index

	nextNum int // Excel number of the next row Next returns
	held    []string
	heldAt  int // Excel number of held, 0 when none
	done    bool

	buf  []byte   // the row's cell texts, one after another
	ends []int    // end of each cell's text in buf
	cols []int    // each cell's column
	refs []string // per cell: its shared string, or "" when its text is in buf
	out  []string
}

func (x *xlsxReader) close() error {
	x.rc.Close()
	return x.f.Close()
}

// next returns the next row; rows the sheet skips come back empty.
func (x *xlsxReader) next() (int, []string, error) {
	if x.heldAt == 0 && !x.done {
		num, err := x.readRow()
		if errors.Is(err, io.EOF) {
			x.done = true
		} else if err != nil {
			return 0, nil, err
		} else {
			x.heldAt = num
		}
	}
	if x.heldAt == 0 {
		return 0, nil, io.EOF
	}
	if x.nextNum < x.heldAt {
		x.nextNum++
		return x.nextNum - 1, nil, nil
	}
	x.nextNum = x.heldAt + 1
	x.heldAt = 0
	return x.nextNum - 1, x.out, nil
}

// readRow reads the next <row> into x.out and returns its number.
func (x *xlsxReader) readRow() (int, error) {
	num := 0
	for {
		_, tag, err := x.sc.Next()
		if err != nil {
			return 0, err
		}
		switch tag.Name {
		case "row":
			num = x.nextNum
			if r := tag.Attr("r"); r != nil {
				n, err := strconv.Atoi(string(r))
				if err != nil || n < x.nextNum || n > 1<<24 {
					return 0, msg.New("sheet.bad_row_number", r)
				}
				num = n
			}
			if tag.SelfClosing {
				x.out = x.out[:0]
				return num, nil
			}
			return num, x.readCells(num)
		case "/sheetData":
			return 0, io.EOF
		}
	}
}

// at names the cell where err happened: "Sheet1!C7: …".
func (x *xlsxReader) at(col, row int, err error) error {
	return fmt.Errorf("%s: %w", cellAddress(x.sheet, cellRef(max(col, 0), row)), err)
}

// readCells reads the cells of row num up to </row>.
func (x *xlsxReader) readCells(num int) error {
	x.buf, x.ends, x.cols, x.refs = x.buf[:0], x.ends[:0], x.cols[:0], x.refs[:0]
	col := -1
	var typ string
	var nf numFormat
	inIS, inPh := false, false
	var v []byte
	has := false
	for {
		tx, tag, err := x.sc.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return x.at(col, num, err)
		}
		switch tag.Name {
		case "c":
			col++
			if r := tag.Attr("r"); r != nil {
				c, ok := columnOf(r)
				if !ok || c < col {
					return msg.New("sheet.bad_cell_ref", r)
				}
				col = c
			}
			typ = cellType(tag.Attr("t"))
			nf = x.format(tag.Attr("s"))
			v, has = v[:0], false
			if tag.SelfClosing {
				continue
			}
			// Most cells are <is><t>text</t></is></c> or <v>text</v></c>.
			if text, ok := x.sc.SimpleCell(); ok {
				if err := x.addCell(col, typ, nf, appendXMLText(v, text)); err != nil {
					return x.at(col, num, err)
				}
			}
		case "is":
			inIS = !tag.SelfClosing
		case "/is":
			inIS = false
		case "rPh":
			inPh = !tag.SelfClosing
		case "/rPh":
			inPh = false
		case "/t", "/v":
			if tag.Name == "/t" && inIS && !inPh || tag.Name == "/v" && !inIS {
				v, has = appendXMLText(v, tx), true
				if x.sc.Long() || len(v) > MaxCellBytes {
					return x.at(col, num, ErrCellTooLong)
				}
			}
		case "/c":
			if has {
				if err := x.addCell(col, typ, nf, v); err != nil {
					return x.at(col, num, err)
				}
			}
		case "/row":
			return x.finishRow()
		}
	}
}

func (x *xlsxReader) addCell(col int, typ string, nf numFormat, v []byte) error {
	if col > 16383 {
		return msg.New("sheet.too_many_columns")
	}
	var ref string
	switch typ {
	case "s":
		i, err := strconv.Atoi(string(v))
		if err != nil {
			return msg.New("sheet.no_shared_string", strconv.Quote(string(v)))
		}
		if ref, err = x.sst.Get(i); err != nil {
			return err
		}
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
	default: // a number
		v = showNumber(v, nf)
	}
	if len(v) > MaxCellBytes {
		return ErrCellTooLong
	}
	if len(x.buf)+len(v) > maxRowBytes {
		return msg.New("sheet.row_too_long", maxRowBytes>>20)
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
