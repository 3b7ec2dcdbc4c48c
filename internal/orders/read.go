package orders

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/orders/xls"
)

// ReadRows reads a report's cells: .xls (first sheet), .xlsx (first sheet)
// or .csv (UTF-8, with or without BOM, else GBK/GB18030). encoding names
// what a CSV was read as ("utf-8", "gb18030"; "" for spreadsheets).
func ReadRows(path string) (rows [][]string, encoding string, err error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xls":
		sheets, err := xls.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		if len(sheets) == 0 {
			return nil, "", fmt.Errorf("%s: 工作簿没有工作表 (workbook has no sheets)", path)
		}
		return sheets[0].Rows, "", nil
	case ".xlsx":
		f, err := excelize.OpenFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		defer f.Close()
		list := f.GetSheetList()
		if len(list) == 0 {
			return nil, "", fmt.Errorf("%s: 工作簿没有工作表 (workbook has no sheets)", path)
		}
		rows, err := f.GetRows(list[0])
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return rows, "", nil
	case ".csv":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		rows, enc, err := ReadCSV(b)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return rows, enc, nil
	}
	return nil, "", fmt.Errorf("%s: 不支持的文件类型，应为 .xls、.xlsx 或 .csv (unsupported file type, expected .xls, .xlsx or .csv)", path)
}

// ReadCSV decodes a CSV report; see cells.ReadCSV.
func ReadCSV(b []byte) (rows [][]string, encoding string, err error) { return cells.ReadCSV(b) }
