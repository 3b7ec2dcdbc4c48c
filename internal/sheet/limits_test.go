package sheet_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/sheet/xlsxfake"
)

// readAll reads every row of a sheet, as a file or as an upload.
func readAll(t *testing.T, path string, upload bool) ([][]string, error) {
	t.Helper()
	var r *sheet.Reader
	var err error
	if upload {
		f, e := os.Open(path)
		if e != nil {
			t.Fatal(e)
		}
		defer f.Close()
		r, err = sheet.OpenReader(filepath.Base(path), f, sheet.Options{})
	} else {
		r, err = sheet.Open(path, sheet.Options{})
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.All()
}

// A cell of 64 MiB (64 KiB zipped), inline or shared, styled or not, in a
// file or an upload, is refused with its address while reading no more
// than a few MiB at a time.
func TestHugeCell(t *testing.T) {
	for _, shared := range []bool{false, true} {
		for _, styled := range []bool{false, true} {
			path := filepath.Join(t.TempDir(), "bomb.xlsx")
			xlsxfake.Write(t, path, xlsxfake.Bomb{Header: []string{"a", "b", "c"}, Row: []string{"1", "2", "3"}, Col: 2, Bytes: 64 << 20, Shared: shared, Styled: styled, Sheet: "商品"})
			for _, upload := range []bool{false, true} {
				var err error
				alloc := xlsxfake.Allocated(func() { _, err = readAll(t, path, upload) })
				if !errors.Is(err, sheet.ErrCellTooLong) || !strings.HasPrefix(msg.In(i18n.EN, err), "商品!C2: cell longer than ") || !strings.HasPrefix(msg.In(i18n.ZH, err), "商品!C2: 单元格超过") {
					t.Errorf("shared %v styled %v upload %v: %v", shared, styled, upload, err)
				}
				if alloc > 24<<20 {
					t.Errorf("shared %v styled %v upload %v: allocated %d MiB", shared, styled, upload, alloc>>20)
				}
			}
		}
	}
}

// What a workbook unzips to in all, and what an upload weighs, is bounded.
func TestTotal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.xlsx")
	xlsxfake.Write(t, path, xlsxfake.Bomb{Header: []string{"a"}, Row: []string{"1"}, Bytes: 900 << 10})
	if _, err := readAll(t, path, false); err != nil {
		t.Fatalf("within the limits: %v", err)
	}
	old := sheet.MaxBytes
	defer func() { sheet.MaxBytes = old }()
	sheet.MaxBytes = 512 << 10
	if _, err := readAll(t, path, false); !errors.Is(err, sheet.ErrTooLarge) || !strings.Contains(err.Error(), "unzipped") {
		t.Fatalf("over the total: %v", err)
	}
	sheet.MaxBytes = 1000
	if _, err := readAll(t, path, true); !errors.Is(err, sheet.ErrTooLarge) {
		t.Fatalf("upload over the limit: %v", err)
	}
}

// A shared string table of millions of empty strings (5 bytes each, a
// 366 KiB file for 50 million) is refused: each one costs a reader far more
// memory than its 5 bytes (a Go string slice took 3 GiB).
func TestSharedStringsCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "strings.xlsx")
	xlsxfake.Write(t, path, xlsxfake.Bomb{Header: []string{"a", "b"}, Row: []string{"1", "2"}, Col: 1, Bytes: 1, Shared: true,
		EmptyStrings: sheet.MaxSharedStrings})
	if _, err := readAll(t, path, false); err == nil || !strings.Contains(err.Error(), "xl/sharedStrings.xml") || !strings.Contains(err.Error(), "shared strings") {
		t.Errorf("read: %v", err)
	}
}

// Styles of millions of cell formats (Excel allows 64,000; 5 bytes each,
// 97 KB zipped for 13 million) are refused before they are decoded
// (encoding/xml took 690 MB).
func TestStylesElements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "styles.xlsx")
	xlsxfake.Write(t, path, xlsxfake.Bomb{Header: []string{"a"}, Row: []string{"1"}, Styled: true, Formats: sheet.MaxPartElements})
	var err error
	alloc := xlsxfake.Allocated(func() { _, err = readAll(t, path, false) })
	if err == nil || !strings.Contains(err.Error(), "xl/styles.xml") {
		t.Errorf("read: %v", err)
	}
	if alloc > 64<<20 {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}
