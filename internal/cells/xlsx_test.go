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
