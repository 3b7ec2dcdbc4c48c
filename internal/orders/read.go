package orders

import (
	"fmt"
	"strings"

	"github.com/qunke/qunke/internal/sheet"
)

// ReadRows reads a report's cells through internal/sheet: .xls, .xlsx
// (first sheet) or .csv (UTF-8 with or without BOM, UTF-16 with BOM,
// GBK/GB18030). encoding names what a CSV was read as ("utf-8", "utf-16le",
// "utf-16be", "gb18030"; "" for spreadsheets). ImportFile does not hold
// every row at once: it reads through openRows.
func ReadRows(path string) (rows [][]string, encoding string, err error) {
	rr, enc, err := openRows(path)
	if err != nil {
		return nil, "", err
	}
	defer rr.Close()
	if rows, err = rr.All(); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return rows, enc, nil
}

// openRows opens a report for reading row by row. Reports as Alimama
// writes them may hold a bare quote in an unquoted field. A BOM does not
// change how the report reads: its encoding is "utf-8".
func openRows(path string) (*sheet.Reader, string, error) {
	rr, err := sheet.Open(path, sheet.Options{LazyQuotes: true})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return rr, strings.TrimSuffix(rr.Encoding(), "-bom"), nil
}
