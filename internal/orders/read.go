package orders

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qunke/qunke/internal/orders/xls"
)

// ReadRows reads a report's cells: .xls (first sheet), .xlsx (first sheet)
// or .csv (UTF-8, with or without BOM, else GBK/GB18030). encoding names
// what a CSV was read as ("utf-8", "gb18030"; "" for spreadsheets).
// ImportFile does not hold every row at once: it reads through openRows.
func ReadRows(path string) (rows [][]string, encoding string, err error) {
	rr, enc, err := openRows(path)
	if err != nil {
		return nil, "", err
	}
	defer rr.Close()
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return rows, enc, nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, append([]string(nil), row...))
	}
}

// rowReader yields a report's rows in order, Excel's numbering kept: a
// missing row of a spreadsheet comes back as an empty row. The slice Next
// returns is valid until the next call.
type rowReader interface {
	Next() ([]string, error) // io.EOF after the last row
	Close() error
}

// openRows opens a report for reading row by row. A .xls file is read whole
// (the format holds at most 65,536 rows); .xlsx and .csv are streamed.
func openRows(path string) (rowReader, string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xls":
		sheets, err := xls.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		if len(sheets) == 0 {
			return nil, "", fmt.Errorf("%s: 工作簿没有工作表 (workbook has no sheets)", path)
		}
		return &sliceRows{rows: sheets[0].Rows}, "", nil
	case ".xlsx":
		rr, err := openXLSX(path)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return rr, "", nil
	case ".csv":
		f, err := os.Open(path)
		if err != nil {
			return nil, "", err
		}
		rr, enc := csvRows(f)
		return rr, enc, nil
	}
	return nil, "", fmt.Errorf("%s: 不支持的文件类型，应为 .xls、.xlsx 或 .csv (unsupported file type, expected .xls, .xlsx or .csv)", path)
}

type sliceRows struct {
	rows [][]string
	i    int
}

func (s *sliceRows) Next() ([]string, error) {
	if s.i >= len(s.rows) {
		return nil, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil
}

func (s *sliceRows) Close() error { return nil }

// csvSniff is how much of a CSV file decides its encoding.
const csvSniff = 256 << 10

// csvRows streams a CSV file the way cells.ReadCSV reads it, deciding the
// encoding on its first 256 KB (the header's Chinese names are already
// invalid UTF-8 when the file is GBK): a BOM or valid UTF-8 is read as
// UTF-8, anything else as GB18030. Should a UTF-8 file go wrong later, the
// row's text fails its check and the row is reported.
func csvRows(f *os.File) (rowReader, string) {
	br := bufio.NewReaderSize(f, 1<<20)
	head, _ := br.Peek(csvSniff)
	var r io.Reader = br
	enc := "utf-8"
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	} else if !validPrefix(head, len(head) == csvSniff) {
		r, enc = simplifiedchinese.GB18030.NewDecoder().Reader(br), "gb18030"
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvReader{r: cr, f: f}, enc
}

// validPrefix reports whether b is valid UTF-8, allowing a rune cut at the
// end when b is only the start of the text.
func validPrefix(b []byte, cut bool) bool {
	if utf8.Valid(b) {
		return true
	}
	for i := 0; cut && i < utf8.UTFMax-1 && len(b) > 0; i++ {
		b = b[:len(b)-1]
		if utf8.Valid(b) {
			return true
		}
	}
	return false
}

type csvReader struct {
	r *csv.Reader
	f *os.File
}

func (c *csvReader) Next() ([]string, error) {
	row, err := c.r.Read()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("CSV 格式错误 (malformed CSV): %w", err)
	}
	return row, err
}

func (c *csvReader) Close() error { return c.f.Close() }

// excelizeRows reads a workbook's first sheet through excelize's streaming
// row iterator, which applies the cells' number formats (dates, percents)
// as Excel shows them. openXLSX uses it for workbooks whose styles could
// change how a value reads.
type excelizeRows struct {
	f    *excelize.File
	rows *excelize.Rows
}

func openExcelize(path string) (rowReader, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	list := f.GetSheetList()
	if len(list) == 0 {
		f.Close()
		return nil, errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	rows, err := f.Rows(list[0])
	if err != nil {
		f.Close()
		return nil, err
	}
	return &excelizeRows{f: f, rows: rows}, nil
}

func (e *excelizeRows) Next() ([]string, error) {
	if !e.rows.Next() {
		if err := e.rows.Error(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	return e.rows.Columns()
}

func (e *excelizeRows) Close() error {
	e.rows.Close()
	return e.f.Close()
}
