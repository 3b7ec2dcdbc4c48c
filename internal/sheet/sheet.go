// Package sheet opens the tables people upload, product feeds and order
// reports alike: CSV (UTF-8 with or without BOM, UTF-16 with BOM,
// GBK/GB18030), .xlsx and .xls (first worksheet). It yields each row as
// text cells with its number (the CSV line where the record starts, the
// Excel row) under one set of limits, so that a small hostile file cannot
// take unbounded memory. What the cells mean is the callers' business
// (internal/cells reads money, rates and ids).
package sheet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet/xls"
)

// Limits shared by every format.
const (
	MaxCellBytes   = 1 << 20  // one cell's text
	MaxRecordBytes = 1 << 20  // one CSV record
	maxRowBytes    = 16 << 20 // the text of one spreadsheet row
)

// MaxBytes bounds what a workbook unzips to in all and what an uploaded
// spreadsheet may weigh (a report of a million rows is a 1.5 GB worksheet).
// A variable so that tests can lower it.
var MaxBytes int64 = 4 << 30

// Kind is a file format.
type Kind string

const (
	CSV  Kind = "csv"
	XLSX Kind = "xlsx"
	XLS  Kind = "xls"
)

// KindOf names the format of a file by its extension: .csv, .txt, .tsv,
// .xlsx, .xlsm or .xls.
func KindOf(name string) (Kind, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".csv", ".txt", ".tsv":
		return CSV, nil
	case ".xlsx", ".xlsm":
		return XLSX, nil
	case ".xls":
		return XLS, nil
	default:
		return "", msg.New("sheet.unsupported_type", ext)
	}
}

// Options are how a caller's CSV files are written; spreadsheets ignore them.
type Options struct {
	// Comma picks the separator from the first 64 KiB of the text
	// (decoded to UTF-8); nil means ','.
	Comma func(head []byte) rune
	// TrimSpace drops the spaces before a field when the separator is ','
	// (`a, "b"`); with tabs it would swallow empty cells. It costs about a
	// third of the reading time.
	TrimSpace bool
	// LazyQuotes lets a quote appear in an unquoted field.
	LazyQuotes bool
}

// Row is one row of a sheet. Cells is valid until the next call of Next.
type Row struct {
	Num   int // CSV: the line where the record starts; spreadsheets: the Excel row (1-based)
	Cells []string
}

// rows is one format's reader: the next row's cells, io.EOF after the
// last; num is the row's number, 0 to count rows one by one.
type rows interface {
	next() (num int, cells []string, err error)
	close() error
}

// Reader reads a sheet row by row.
type Reader struct {
	kind  Kind
	enc   string
	name  string // the worksheet's name, for cell addresses
	rows  rows
	count *Counter // CSV: the bytes read
	num   int
}

// Open opens the first sheet of the file at path. Errors do not name the
// file: the caller does.
func Open(path string, opt Options) (*Reader, error) {
	k, err := KindOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, msg.Wrap(err, "sheet.cannot_open", err)
	}
	r, err := open(k, f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// OpenReader is Open for an upload: name gives the format. A spreadsheet
// (which must be read at random) is first copied to a temporary file that
// is gone once it is closed; it may weigh at most MaxBytes.
func OpenReader(name string, r io.Reader, opt Options) (*Reader, error) {
	k, err := KindOf(name)
	if err != nil {
		return nil, err
	}
	if k == CSV {
		return open(k, readCloser{r}, opt)
	}
	f, err := spool(r)
	if err != nil {
		return nil, err
	}
	sr, err := open(k, f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return sr, nil
}

// ErrTooLarge is a workbook past MaxBytes.
var ErrTooLarge = msg.New("sheet.too_large")

func tooLarge() error {
	return msg.Wrap(ErrTooLarge, "sheet.too_large_limit", MaxBytes>>20)
}

// spool copies an upload to a temporary file, removed at once: the open
// file stays readable until it is closed.
func spool(r io.Reader) (*os.File, error) {
	f, err := os.CreateTemp("", "qunke-sheet-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, io.LimitReader(r, MaxBytes+1))
	if err == nil && n > MaxBytes {
		err = tooLarge()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

type readCloser struct{ io.Reader }

func (readCloser) Close() error { return nil }

// file is what a format reader reads from.
type file interface {
	io.Reader
	io.Closer
}

func open(k Kind, f file, opt Options) (*Reader, error) {
	r := &Reader{kind: k}
	var err error
	switch k {
	case CSV:
		r.count = &Counter{R: f}
		r.rows, r.enc, err = openCSV(r.count, f, opt)
	case XLSX:
		r.rows, r.name, err = openXLSX(f.(*os.File))
	case XLS:
		r.rows, r.name, err = openXLS(f.(*os.File))
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Next returns the next row, io.EOF after the last. A spreadsheet's rows
// come in Excel's numbering: a row the file skips comes back empty. A CSV
// record that does not parse is an error wrapping *csv.ParseError: the
// reader goes on with the next record. Any other error is final.
func (r *Reader) Next() (Row, error) {
	num, cells, err := r.rows.next()
	if num == 0 {
		num = r.num + 1
	}
	if err == nil {
		r.num = num
	}
	return Row{Num: num, Cells: cells}, err
}

// All reads the rest of the rows, each its own copy; a CSV record that
// does not parse ends it with an error.
func (r *Reader) All() ([][]string, error) {
	var all [][]string
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, append([]string(nil), row.Cells...))
	}
}

// Kind is the sheet's format.
func (r *Reader) Kind() Kind { return r.kind }

// Encoding is what a CSV file was read as: "utf-8", "utf-8-bom",
// "utf-16le", "utf-16be" or "gb18030"; "" for spreadsheets.
func (r *Reader) Encoding() string { return r.enc }

// Offset is how many bytes of a CSV file were read (for progress); 0 for
// spreadsheets.
func (r *Reader) Offset() int64 {
	if r.count == nil {
		return 0
	}
	return r.count.N
}

// Address names a cell for messages as Excel does: "Sheet1!C7" for
// spreadsheets, "C7" for CSV; col is 0-based.
func (r *Reader) Address(row, col int) string {
	return cellAddress(r.name, cellRef(col, row))
}

// Close closes the file.
func (r *Reader) Close() error { return r.rows.close() }

// Counter counts the bytes read from R (for progress reports).
type Counter struct {
	R io.Reader
	N int64
}

func (c *Counter) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// sliceRows serves rows held in memory (an .xls sheet: at most 65,536).
type sliceRows struct {
	rows [][]string
	i    int
	f    io.Closer
}

func (s *sliceRows) next() (int, []string, error) {
	if s.i >= len(s.rows) {
		return 0, nil, io.EOF
	}
	s.i++
	return s.i, s.rows[s.i-1], nil
}

func (s *sliceRows) close() error { return s.f.Close() }

// openXLS reads an .xls workbook's first sheet whole: the format holds at
// most 65,536 rows, and the reader bounds what it holds.
func openXLS(f *os.File) (rows, string, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	sheets, err := xls.Read(f, st.Size())
	if err != nil {
		return nil, "", err
	}
	if len(sheets) == 0 {
		return nil, "", msg.New("sheet.no_sheets")
	}
	return &sliceRows{rows: sheets[0].Rows, f: f}, sheets[0].Name, nil
}
