package feed

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/cells"

	"github.com/xuri/excelize/v2"
)

// xlsxOptions make Excel's built-in date formats (14, 22) display as
// yyyy-mm-dd [hh:mm] instead of the US m/d/yy, which parseTime reads, and
// bound what the file may unzip to: maxXLSXBytes in all, and 16 MiB (the
// library's default) of worksheet or shared-string XML held in memory; a
// bigger worksheet is unzipped to a temporary file and streamed.
func xlsxOptions() excelize.Options {
	return excelize.Options{
		ShortDatePattern:  "yyyy-mm-dd",
		UnzipSizeLimit:    maxXLSXBytes,
		UnzipXMLSizeLimit: min(maxXLSXBytes, 16<<20),
	}
}

var errXLSXTooLarge = errors.New("xlsx too large")

// xlsxLimit fails, rather than silently truncating like io.LimitReader,
// once more than maxXLSXBytes are read: excelize reads an upload whole into
// memory.
type xlsxLimit struct {
	r io.Reader
	n int64
}

func (l *xlsxLimit) Read(p []byte) (int, error) {
	if l.n > maxXLSXBytes {
		return 0, errXLSXTooLarge
	}
	if int64(len(p)) > maxXLSXBytes+1-l.n {
		p = p[:maxXLSXBytes+1-l.n]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func (s *scan) xlsxOpenError(err error) error {
	if errors.Is(err, errXLSXTooLarge) || strings.Contains(err.Error(), "unzip size exceeds") {
		return s.errf("Excel 文件过大，上限 %d MiB (xlsx too large: the limit is %d MiB, unzipped)", maxXLSXBytes>>20, maxXLSXBytes>>20)
	}
	return s.errf("无法打开 Excel 文件 (cannot open xlsx): %w", err)
}

// checkXLSX refuses, before excelize reads the workbook, a cell longer
// than cells.MaxCellBytes (excelize holds a cell whole, and a 600 MiB cell
// zips to 600 KiB) and parts that unzip too large.
func (s *scan) checkXLSX(zr *zip.Reader) error {
	if err := cells.CheckXLSX(zr, maxXLSXBytes); err != nil {
		return s.errf("%w", err)
	}
	return nil
}

func (s *scan) xlsxFile(path string) (err error) {
	defer s.recoverXLSX(&err)
	zr, err := zip.OpenReader(path)
	if err != nil {
		return s.xlsxOpenError(err)
	}
	err = s.checkXLSX(&zr.Reader)
	zr.Close()
	if err != nil {
		return err
	}
	f, err := excelize.OpenFile(path, xlsxOptions())
	if err != nil {
		return s.xlsxOpenError(err)
	}
	defer f.Close()
	return s.xlsx(f)
}

func (s *scan) xlsxReader(r io.Reader) (err error) {
	defer s.recoverXLSX(&err)
	b, err := io.ReadAll(&xlsxLimit{r: r})
	if err != nil {
		return s.xlsxOpenError(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return s.xlsxOpenError(err)
	}
	if err := s.checkXLSX(zr); err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), xlsxOptions())
	if err != nil {
		return s.xlsxOpenError(err)
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

// xlsx reads the first sheet with the streaming row iterator. Cells are read
// as stored, not as displayed, so a number format cannot round 19.9 to 20;
// a second iterator in step with the first gives the displayed text, used
// only to read a percent-formatted number (0.155 shown as 16%) as 15.5%.
// Dates come as Excel serial numbers, which parseTime reads. Rows shorter
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
	shown, err := f.Rows(sheets[0])
	if err != nil {
		return s.errf("无法读取工作表 %q (cannot read sheet): %w", sheets[0], err)
	}
	defer shown.Close()
	raw := excelize.Options{RawCellValue: true}

	var first []string
	tries := 0
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(raw)
		if err != nil {
			return s.errf("第 %d 行无法读取 (row %d unreadable): %w", n, n, err)
		}
		var display []string
		if shown.Next() {
			display, _ = shown.Columns()
		}
		for i, c := range cells {
			d := ""
			if i < len(display) {
				d = display[i]
			}
			cells[i] = xlsxCell(c, d)
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
			ok, err := s.setHeader(header)
			if err != nil {
				return err
			}
			if !ok {
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

// xlsxCell returns the text of a cell from its stored value raw and its
// displayed text shown. Numbers are trimmed to the 15 significant digits
// Excel shows (it may store 19.9 as 19.899999999999999); a number shown as
// a percentage becomes the percentage, 0.155 -> "15.5%". Text cells, whose
// stored and displayed values are the same, are left alone, so are whole
// numbers (12-digit ids stay exact).
func xlsxCell(raw, shown string) string {
	if raw == shown || cells.AllDigits(raw) {
		return raw
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return raw
	}
	t := strconv.FormatFloat(f, 'g', 15, 64)
	if f, err = strconv.ParseFloat(t, 64); err != nil {
		return raw
	}
	if strings.HasSuffix(strings.TrimSpace(shown), "%") {
		return shiftPoint(strconv.FormatFloat(f, 'f', -1, 64), 2) + "%"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// shiftPoint multiplies the plain decimal d by 10^n exactly, on the digits.
func shiftPoint(d string, n int) string {
	neg := strings.HasPrefix(d, "-")
	d = strings.TrimPrefix(d, "-")
	intPart, frac, _ := strings.Cut(d, ".")
	for len(frac) < n {
		frac += "0"
	}
	intPart += frac[:n]
	frac = frac[n:]
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if frac != "" {
		intPart += "." + frac
	}
	if neg {
		intPart = "-" + intPart
	}
	return intPart
}
