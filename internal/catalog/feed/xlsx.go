package feed

import (
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxOptions make Excel's built-in date formats (14, 22) display as
// yyyy-mm-dd [hh:mm] instead of the US m/d/yy, which parseTime reads.
var xlsxOptions = excelize.Options{ShortDatePattern: "yyyy-mm-dd"}

func (s *scan) xlsxFile(path string) (err error) {
	defer s.recoverXLSX(&err)
	f, err := excelize.OpenFile(path, xlsxOptions)
	if err != nil {
		return s.errf("无法打开 Excel 文件 (cannot open xlsx): %w", err)
	}
	defer f.Close()
	return s.xlsx(f)
}

func (s *scan) xlsxReader(r io.Reader) (err error) {
	defer s.recoverXLSX(&err)
	f, err := excelize.OpenReader(r, xlsxOptions)
	if err != nil {
		return s.errf("无法打开 Excel 文件 (cannot open xlsx): %w", err)
	}
	defer f.Close()
	return s.xlsx(f)
}

// recoverXLSX turns a panic inside the spreadsheet library on a malformed
// file into an error: Scan must never panic on input.
func (s *scan) recoverXLSX(err *error) {
	if p := recover(); p != nil {
		*err = s.errf("Excel 文件已损坏 (corrupt xlsx: %v)", p)
	}
}

// xlsx reads the first sheet with the streaming row iterator. Cell values
// are read as Excel displays them (number formats applied). Rows shorter
// than the header are padded; cells beyond the header are ignored.
func (s *scan) xlsx(f *excelize.File) error {
	s.res.Encoding = "utf-8"
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return s.errf("Excel 文件中没有工作表 (no sheet in xlsx)")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return s.errf("无法读取工作表 %q (cannot read sheet): %w", sheets[0], err)
	}
	defer rows.Close()

	var first []string
	tries := 0
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return s.errf("第 %d 行无法读取 (row %d unreadable): %w", n, n, err)
		}
		if blankRecord(cells) {
			continue
		}
		if !s.detected {
			header := make([]string, len(cells))
			for i, c := range cells {
				header[i] = strings.TrimSpace(c)
			}
			if first == nil {
				first = header
			}
			if !s.setHeader(header) {
				if tries++; tries >= headerSearch {
					return s.unrecognised(first)
				}
			}
			continue
		}
		if err := s.row(n, cells, nil); err != nil {
			return err
		}
		if s.progress != nil && n%progressRows == 0 {
			s.progress(int64(n), 0)
		}
	}
	if err := rows.Error(); err != nil {
		return s.errf("无法读取工作表 %q (cannot read sheet): %w", sheets[0], err)
	}
	if !s.detected {
		if first == nil {
			return s.errf("工作表 %q 是空的 (sheet is empty)", sheets[0])
		}
		return s.unrecognised(first)
	}
	if s.progress != nil {
		s.progress(int64(s.res.Rows), int64(s.res.Rows))
	}
	return nil
}
