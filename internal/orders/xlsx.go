package orders

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/cells"
)

// A report of a million rows is a 1.5 GB worksheet XML: excelize's reader
// (encoding/xml, a value per cell) takes about a minute and holds every row.
// xlsxReader scans the worksheet bytes itself, a row at a time, one string
// allocation per row. It reads what Excel shows for workbooks whose cells
// carry no number format other than General or Text (a report as Alimama
// exports it; strings inline or shared); any other number format (dates
// stored as serial numbers, percents) could change how a value reads, so
// such a workbook goes through excelize, which applies the formats.

// maxUnzipped bounds a workbook that goes through excelize (a report of a
// million rows is a 1.5 GB worksheet).
const maxUnzipped = 4 << 30

// maxRowBytes bounds the text of one row.
const maxRowBytes = 16 << 20

// openXLSX opens a workbook's first worksheet.
func openXLSX(name string) (rowReader, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("不是有效的 .xlsx 文件 (not a valid .xlsx file): %w", err)
	}
	files := cells.ZipFiles(&zr.Reader)
	p, err := cells.WorkbookParts(files)
	if err != nil {
		zr.Close()
		return nil, err
	}
	if p.Styles != "" {
		plain, err := plainStyles(files[p.Styles])
		if err != nil || !plain {
			// excelize holds a cell whole: check the cells first.
			err = cells.CheckXLSX(&zr.Reader, maxUnzipped)
			zr.Close()
			if err != nil {
				return nil, err
			}
			return openExcelize(name)
		}
	}
	sst, err := cells.ReadSharedStrings(files[p.Shared], true)
	if err != nil {
		zr.Close()
		return nil, err
	}
	f := files[p.Sheet]
	if f == nil {
		zr.Close()
		return nil, errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	rc, err := f.Open()
	if err != nil {
		zr.Close()
		return nil, err
	}
	return &xlsxReader{zr: zr, rc: rc, sc: cells.NewXMLScanner(rc), sheet: p.SheetName, sst: sst, next: 1}, nil
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
	if err := cells.DecodePart(f, &st); err != nil {
		return false, err
	}
	for _, x := range st.Xfs {
		if x.NumFmtID != "" && x.NumFmtID != "0" && x.NumFmtID != "49" {
			return false, nil
		}
	}
	return true, nil
}

// xlsxReader streams the rows of one worksheet.
type xlsxReader struct {
	zr    *zip.ReadCloser
	rc    io.ReadCloser
	sc    *cells.XMLScanner
	sheet string // its name, for cell addresses
	sst   *cells.SharedStrings

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
		_, tag, err := x.sc.Next()
		if err != nil {
			return 0, err
		}
		switch tag.Name {
		case "row":
			num = x.next
			if r := tag.Attr("r"); r != nil {
				n, err := strconv.Atoi(string(r))
				if err != nil || n < x.next || n > 1<<24 {
					return 0, fmt.Errorf("行号 %q 无效 (bad row number)", r)
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
	return fmt.Errorf("%s: %w", cells.CellAddress(x.sheet, cells.CellRef(max(col, 0), row)), err)
}

// readCells reads the cells of row num up to </row>.
func (x *xlsxReader) readCells(num int) error {
	x.buf, x.ends, x.cols, x.refs = x.buf[:0], x.ends[:0], x.cols[:0], x.refs[:0]
	col := -1
	var typ string
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
				c, ok := cells.ColumnOf(r)
				if !ok || c < col {
					return fmt.Errorf("单元格 %q 无效 (bad cell reference)", r)
				}
				col = c
			}
			typ = cellType(tag.Attr("t"))
			v, has = v[:0], false
			if tag.SelfClosing {
				continue
			}
			// Most cells are <is><t>text</t></is></c> or <v>text</v></c>.
			if text, ok := x.sc.SimpleCell(); ok {
				if err := x.addCell(col, typ, cells.AppendXMLText(v, text)); err != nil {
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
				v, has = cells.AppendXMLText(v, tx), true
				if x.sc.Long() || len(v) > cells.MaxCellBytes {
					return x.at(col, num, cells.ErrCellTooLong)
				}
			}
		case "/c":
			if has {
				if err := x.addCell(col, typ, v); err != nil {
					return x.at(col, num, err)
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
		if err != nil {
			return fmt.Errorf("共享字符串 %q 不存在 (no such shared string)", v)
		}
		if ref, err = x.sst.Get(i); err != nil {
			return err
		}
		v = nil
	case "inlineStr", "str", "e", "d":
		if typ == "inlineStr" {
			v = cells.UnescapeBSTR(v)
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
	if len(v) > cells.MaxCellBytes {
		return cells.ErrCellTooLong
	}
	if len(x.buf)+len(v) > maxRowBytes {
		return fmt.Errorf("一行超过 %d MiB (a row longer than %d MiB)", maxRowBytes>>20, maxRowBytes>>20)
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
