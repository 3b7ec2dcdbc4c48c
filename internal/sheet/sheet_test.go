package sheet_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/sheet/xlsfake"
)

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// One encoding rule: a BOM says UTF-8 or UTF-16 (either order); without
// one, GBK text reads as GB18030 and the rest as UTF-8.
func TestCSVEncodings(t *testing.T) {
	const text = "商品ID,标题\n1,维达抽纸\n"
	utf16 := func(e unicode.Endianness) []byte {
		b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		enc  string
		data []byte
	}{
		{"utf-8", []byte(text)},
		{"utf-8-bom", append([]byte("\xEF\xBB\xBF"), text...)},
		{"utf-16le", utf16(unicode.LittleEndian)},
		{"utf-16be", utf16(unicode.BigEndian)},
		{"gb18030", gbk},
	} {
		r, err := sheet.Open(write(t, "f.csv", tc.data), sheet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.enc, err)
			}
			got = append(got, append([]string(nil), row.Cells...))
		}
		r.Close()
		if r.Encoding() != tc.enc || !reflect.DeepEqual(got, [][]string{{"商品ID", "标题"}, {"1", "维达抽纸"}}) {
			t.Errorf("%s: read as %s: %q", tc.enc, r.Encoding(), got)
		}
	}
}

// A CSV record past 1 MiB (an unclosed quote) is an error naming the line
// after which it starts; a malformed record is an error the reader goes
// on after, with the record's line.
func TestCSVRecords(t *testing.T) {
	data := "a,b\n1,x\"y\n2,\"ok\"\n3,\"" + strings.Repeat("z", sheet.MaxRecordBytes+64<<10)
	r, err := sheet.OpenReader("f.csv", strings.NewReader(data), sheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var nums []int
	var last error
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("no error for the long record")
		}
		nums = append(nums, row.Num)
		if err != nil && !strings.Contains(err.Error(), "malformed CSV") {
			last = err
			break
		}
	}
	if !reflect.DeepEqual(nums, []int{1, 2, 3, 4}) || !errors.Is(last, sheet.ErrRecordTooLong) || msg.In(i18n.EN, last) != "a record after line 3 is longer than 1 MiB: unclosed quote?" {
		t.Fatalf("rows %v, err %v", nums, last)
	}
}

// An .xls workbook reads like the others: rows numbered, cells addressed
// on its sheet.
func TestXLS(t *testing.T) {
	path := write(t, "f.xls", xlsfake.Workbook("商品", [][]string{{"商品ID", "券后价"}, {"1", "9.9"}}))
	r, err := sheet.Open(path, sheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Next()
	row, err := r.Next()
	if err != nil || row.Num != 2 || !reflect.DeepEqual(row.Cells, []string{"1", "9.9"}) || r.Kind() != sheet.XLS {
		t.Fatalf("row %+v, err %v", row, err)
	}
	if a := r.Address(row.Num, 1); a != "商品!B2" {
		t.Fatalf("address %q", a)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last row: %v", err)
	}
	if _, err := sheet.OpenReader("f.xls", bytes.NewReader([]byte("not a workbook")), sheet.Options{}); err == nil {
		t.Fatal("garbage read as .xls")
	}
}

// The Alimama order report (a real .xls) reads through the same reader.
func TestXLSFixture(t *testing.T) {
	const fixture = "../../../shared/fixtures/alimama/OrderDetail-2020-06-13.xls"
	if _, err := os.Stat(fixture); err != nil {
		t.Skip("fixture not present")
	}
	r, err := sheet.Open(fixture, sheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head, err := r.Next()
	if err != nil || !strings.Contains(strings.Join(head.Cells, ","), "淘宝子订单号") {
		t.Fatalf("header %q, %v", head.Cells, err)
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]sheet.Kind{"a.CSV": sheet.CSV, "a.tsv": sheet.CSV, "a.xlsx": sheet.XLSX, "a.xls": sheet.XLS} {
		if k, err := sheet.KindOf(name); k != want || err != nil {
			t.Errorf("%s: %s, %v", name, k, err)
		}
	}
	if _, err := sheet.KindOf("a.pdf"); err == nil || msg.In(i18n.EN, err) != `unsupported file type ".pdf", expected .csv, .txt, .xlsx or .xls` {
		t.Errorf("pdf: %v", err)
	}
}

// A file named .xlsx that is no workbook is said to be one in plain words,
// in one language, without the unzipper's own message.
func TestNotAWorkbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.xlsx")
	os.WriteFile(path, []byte("garbage"), 0o644)
	_, err := sheet.Open(path, sheet.Options{})
	if err == nil {
		t.Fatal("garbage read as .xlsx")
	}
	for _, l := range i18n.Langs {
		if got := msg.In(l, err); strings.Contains(got, "zip:") || !strings.Contains(got, ".xlsx") {
			t.Errorf("%s: %q", l, got)
		}
	}
}
