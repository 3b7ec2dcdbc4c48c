package cells_test

import (
	"archive/zip"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/cells/xlsxtest"
)

// A cell of 64 MiB (64 KiB zipped), inline or shared, is refused with its
// address while reading no more than a few MiB at a time.
func TestCheckXLSXHugeCell(t *testing.T) {
	for _, shared := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "bomb.xlsx")
		xlsxtest.Write(t, path, xlsxtest.Bomb{Header: []string{"a", "b", "c"}, Row: []string{"1", "2", "3"}, Col: 2, Bytes: 64 << 20, Shared: shared, Sheet: "商品"})
		var err error
		alloc := xlsxtest.Allocated(func() {
			zr, e := zip.OpenReader(path)
			if e != nil {
				t.Fatal(e)
			}
			defer zr.Close()
			err = cells.CheckXLSX(&zr.Reader, 1<<30)
		})
		if !errors.Is(err, cells.ErrCellTooLong) || !strings.HasPrefix(err.Error(), "商品!C2: ") {
			t.Errorf("shared %v: %v", shared, err)
		}
		if alloc > 16<<20 {
			t.Errorf("shared %v: allocated %d MiB", shared, alloc>>20)
		}
	}
}

// What a workbook unzips to in all is bounded.
func TestCheckXLSXTotal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.xlsx")
	xlsxtest.Write(t, path, xlsxtest.Bomb{Header: []string{"a"}, Row: []string{"1"}, Bytes: 900 << 10})
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if err := cells.CheckXLSX(&zr.Reader, 2<<20); err != nil {
		t.Fatalf("within the limits: %v", err)
	}
	if err := cells.CheckXLSX(&zr.Reader, 512<<10); err == nil || !strings.Contains(err.Error(), "unzipped") {
		t.Fatalf("over the total: %v", err)
	}
}

// A shared string table of millions of empty strings (5 bytes each, a
// 366 KiB file for 50 million) is refused: each one costs a reader far more
// memory than its 5 bytes (excelize 5 GiB, a Go string slice 3 GiB).
func TestSharedStringsCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "strings.xlsx")
	xlsxtest.Write(t, path, xlsxtest.Bomb{Header: []string{"a", "b"}, Row: []string{"1", "2"}, Col: 1, Bytes: 1, Shared: true,
		EmptyStrings: cells.MaxSharedStrings})
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if err := cells.CheckXLSX(&zr.Reader, 1<<30); err == nil || !strings.Contains(err.Error(), "xl/sharedStrings.xml") {
		t.Errorf("check: %v", err)
	}
	var f *zip.File
	for _, zf := range zr.File {
		if zf.Name == "xl/sharedStrings.xml" {
			f = zf
		}
	}
	if _, err := cells.ReadSharedStrings(f, true); err == nil || !strings.Contains(err.Error(), "shared strings") {
		t.Errorf("read: %v", err)
	}
}

// Styles of millions of cell formats (Excel allows 64,000; 5 bytes each,
// 97 KB zipped for 13 million) are refused before a reader decodes them
// (excelize took 5 GB, encoding/xml 690 MB).
func TestStylesElements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "styles.xlsx")
	xlsxtest.Write(t, path, xlsxtest.Bomb{Header: []string{"a"}, Row: []string{"1"}, Styled: true, Formats: cells.MaxPartElements})
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if err := cells.CheckXLSX(&zr.Reader, 1<<30); err == nil || !strings.Contains(err.Error(), "xl/styles.xml") {
		t.Errorf("check: %v", err)
	}
	var st struct{}
	if err := cells.DecodePart(cells.ZipFiles(&zr.Reader)["xl/styles.xml"], &st); err == nil || !strings.Contains(err.Error(), "xl/styles.xml") {
		t.Errorf("decode: %v", err)
	}
}

// Parts of up to 16 MiB, which excelize holds in memory, are bounded in all
// (60 of 15 MiB, a 928 KB file, took the feed import to 2.3 GB).
func TestCheckXLSXHeldParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parts.xlsx")
	xlsxtest.Write(t, path, xlsxtest.Bomb{Header: []string{"a"}, Row: []string{"1"}, Parts: 5})
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if err := cells.CheckXLSX(&zr.Reader, 1<<30); err == nil || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("check: %v", err)
	}
}
