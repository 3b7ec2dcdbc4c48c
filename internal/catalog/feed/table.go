package feed

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet"
)

// sheetOptions are how feed CSVs are written: the separator (comma or
// tab) is sniffed from the header candidates, a comma may be followed by
// spaces (`a, "b"`); quotes are strict.
var sheetOptions = sheet.Options{Comma: sniffComma, TrimSpace: true}

// openError is the file error for a file internal/sheet could not open.
func (s *scan) openError(err error) error {
	if s.kind == kindCSV {
		return s.errf("feed.cannot_read", err)
	}
	if errors.Is(err, sheet.ErrTooLarge) {
		return s.at(err)
	}
	return s.errf("feed.cannot_open_workbook", kindNames[s.kind], err)
}

// table reads a CSV file or the first sheet of a workbook. The header is
// the first non-blank row a dialect recognises, within the first few rows.
// A CSV record that does not parse, has not the header's number of cells
// or is not valid UTF-8 is a bad row; a spreadsheet's rows shorter than the
// header are padded and cells beyond it ignored.
func (s *scan) table(r *sheet.Reader, size int64) error {
	if s.kind == kindCSV {
		s.res.Encoding = r.Encoding()
	} else {
		s.res.Encoding = "utf-8"
	}
	if err := s.findHeader(r); err != nil {
		return err
	}
	checkUTF8 := strings.HasPrefix(s.res.Encoding, "utf-8") && s.kind == kindCSV
	for n := 1; ; n++ {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			s.badRow(row.Num, csvReason(pe.Err), nil, nil)
			continue
		case err != nil:
			return s.rowError(row.Num, err)
		case blankRecord(row.Cells):
			continue
		case checkUTF8 && !validRecord(row.Cells):
			s.badRow(row.Num, msg.New(whyUTF8), row.Cells, nil)
		case s.kind == kindCSV && len(row.Cells) != len(s.header):
			s.badRow(row.Num, msg.New("feed.cell_count", len(row.Cells), len(s.header)), row.Cells, nil)
		default:
			if err := s.row(row.Num, row.Cells, nil); err != nil {
				return err
			}
		}
		if s.progress != nil && n%progressRows == 0 {
			s.progress(s.done(r, row.Num), size)
		}
	}
	if s.progress != nil {
		d := s.done(r, s.res.Rows)
		s.progress(d, max(size, d))
	}
	return nil
}

// done is the progress so far: bytes of a CSV file, rows of a workbook.
func (s *scan) done(r *sheet.Reader, rows int) int64 {
	if s.kind == kindCSV {
		return r.Offset()
	}
	return int64(rows)
}

// rowError is the file error for a row the reader could not read.
func (s *scan) rowError(num int, err error) error {
	switch {
	case errors.Is(err, sheet.ErrRecordTooLong):
		return s.at(err)
	case s.kind == kindCSV:
		return s.errf("feed.cannot_read", err)
	}
	return s.errf("feed.row_unreadable", num, err)
}

// findHeader reads up to the header row and sets the dialect.
func (s *scan) findHeader(r *sheet.Reader) error {
	var first []string
	var lastErr error
	for tries := 0; tries < headerSearch; {
		row, err := r.Next()
		var pe *csv.ParseError
		switch {
		case err == io.EOF:
			return s.noHeader(r, first, lastErr)
		case errors.As(err, &pe):
			lastErr = pe
		case err != nil:
			return s.rowError(row.Num, err)
		case blankRecord(row.Cells):
			continue
		default:
			header := make([]string, len(row.Cells))
			for i, c := range row.Cells {
				header[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
			}
			if first == nil {
				first = header
			}
			if ok, err := s.setHeader(header); err != nil || ok {
				return err
			}
		}
		tries++
	}
	return s.noHeader(nil, first, lastErr)
}

// noHeader is the file error when no header was found; r is set when the
// file ended before headerSearch rows.
func (s *scan) noHeader(r *sheet.Reader, first []string, lastErr error) error {
	switch {
	case first != nil:
		return s.unrecognised(first)
	case lastErr != nil:
		return s.errf("feed.csv_start", lastErr)
	case r != nil && s.kind == kindCSV && r.Offset() == 0:
		return s.errf("feed.empty")
	case s.kind == kindCSV:
		return s.errf("feed.no_header")
	}
	return s.errf("feed.empty_sheet")
}
