package feed

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/sheet/xlsxfake"
)

// One invalid byte in an otherwise UTF-8 file must not make the whole file
// decode as GB18030: the bad row is rejected, the rest is read as UTF-8.
func TestSniffOneBadByteStaysUTF8(t *testing.T) {
	text := "goodsId,title,actualPrice\n600000000001,维达抽纸,19.9\n600000000002,bad\xff,9.9\n"
	var rows []Row
	res, err := ScanReader("x.csv", strings.NewReader(text), 0, Options{At: at0, Platform: "taobao"}, func(r Row) error { rows = append(rows, r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != "utf-8" {
		t.Fatalf("encoding %q, want utf-8", res.Encoding)
	}
	if len(rows) != 1 || rows[0].Record.Item.Title != "维达抽纸" {
		t.Fatalf("rows %+v", rows)
	}
	if len(res.Problems) != 1 || res.Problems[0].Line != 3 || res.Problems[0].Reason.Key != whyUTF8 {
		t.Fatalf("problems %+v", res.Problems)
	}
	// A real GBK file is still detected, also one with a single Chinese cell.
	gb, _ := simplifiedchinese.GB18030.NewEncoder().String("goodsId,title,actualPrice\n600000000001,维达抽纸,19.9\n")
	res, err = ScanReader("g.csv", strings.NewReader(gb), 0, Options{At: at0, Platform: "taobao"}, func(r Row) error {
		if r.Record.Item.Title != "维达抽纸" {
			t.Errorf("title %q", r.Record.Item.Title)
		}
		return nil
	}, nil)
	if err != nil || res.Encoding != "gb18030" || len(res.Problems) != 0 || res.Rows != 1 {
		t.Fatalf("gbk: err %v res %+v", err, res)
	}
}

// The header of the rejects file is defused like the cells.
func TestWriteRejectsDefusesHeader(t *testing.T) {
	res := Result{Format: "dataoke/csv", Header: []string{"goodsId", "=cmd|' /C calc'!A0", "@SUM(1)"},
		Problems: []Problem{{File: "x.csv", Line: 2, Reason: msg.New("feed.empty"), Cells: []string{"1", "a", "b"}}}}
	out := filepath.Join(t.TempDir(), "r.csv")
	if err := WriteRejects(out, res); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][3] != "'=cmd|' /C calc'!A0" || recs[0][4] != "'@SUM(1)" {
		t.Fatalf("header %q", recs[0])
	}
}

// Stored problems are capped; the count goes on.
func TestProblemsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("item_id,final_price,platform\n")
	n := maxProblems + 5
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,abc,tb\n", i+1)
	}
	b.WriteString("7,1,tb\n")
	res, err := ScanReader("many.csv", strings.NewReader(b.String()), 0, Options{At: at0}, func(Row) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != maxProblems || res.Rejected != n || res.Rows != n+1 {
		t.Fatalf("stored %d, rejected %d, rows %d", len(res.Problems), res.Rejected, res.Rows)
	}
}

// A bad row's copied cells are capped in number and size.
func TestProblemCellsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("item_id,final_price,platform")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, ",x%d", i)
	}
	b.WriteString("\n1,abc,tb")
	for i := 0; i < 100; i++ {
		b.WriteString("," + strings.Repeat("长", 1000))
	}
	b.WriteString("\n")
	res, err := ScanReader("wide.csv", strings.NewReader(b.String()), 0, Options{At: at0}, func(Row) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 {
		t.Fatalf("problems %+v", res.Problems)
	}
	cells := res.Problems[0].Cells
	if len(cells) != maxProblemCells || cells[0] != "1" || cells[1] != "abc" {
		t.Fatalf("%d cells, first %q", len(cells), cells[:2])
	}
	if c := cells[3]; len(c) > maxCellBytes+len("…") || !strings.HasSuffix(c, "…") || !strings.HasPrefix(c, "长长") {
		t.Fatalf("cell of %d bytes: %.20q", len(c), c)
	}
}

// An unclosed quote, a giant JSON line or a giant JSON element is a file
// error, not unbounded memory.
func TestRecordTooLong(t *testing.T) {
	big := strings.Repeat("x", maxRecordBytes+64<<10)
	cases := []struct{ name, text string }{
		{"q.csv", "item_id,final_price,platform\n1,1,tb\n2,\"unclosed\n" + strings.Repeat(big[:1000]+"\n", maxRecordBytes/1000+10)},
		{"l.csv", "item_id,final_price,platform\n1,1,tb\n2,1," + big + "\n"},
		{"g.jsonl", `{"item_id":"1","final_price":"1","platform":"tb"}` + "\n" + `{"item_id":"2","title":"` + big + `"}` + "\n"},
		{"g.json", `[{"item_id":"1","final_price":"1","platform":"tb"},{"item_id":"2","title":"` + big + `"}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			good := 0
			_, err := ScanReader(tc.name, strings.NewReader(tc.text), 0, Options{At: at0}, func(Row) error { good++; return nil }, nil)
			if err == nil || !strings.Contains(err.Error(), "1 MiB") || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("err %v", err)
			}
			if good != 1 {
				t.Fatalf("good rows %d", good)
			}
		})
	}
	// Just under the limit is fine, and lines below the limit keep coming.
	ok := "item_id,title,final_price,platform\n"
	for i := 0; i < 3; i++ {
		ok += fmt.Sprintf("%d,%s,1,tb\n", i+1, strings.Repeat("y", maxRecordBytes-100))
	}
	res, err := ScanReader("ok.csv", strings.NewReader(ok), 0, Options{At: at0}, func(Row) error { return nil }, nil)
	if err != nil || res.Rows != 3 || len(res.Problems) != 0 {
		t.Fatalf("err %v res rows %d problems %d", err, res.Rows, len(res.Problems))
	}
}

// An XLSX upload larger than the limit is refused with a clear error.
func TestXLSXReaderLimit(t *testing.T) {
	old := sheet.MaxBytes
	sheet.MaxBytes = 1000
	defer func() { sheet.MaxBytes = old }()
	_, err := ScanReader("big.xlsx", io.MultiReader(strings.NewReader("PK"), bytes.NewReader(make([]byte, 5000))), 0, Options{At: at0}, func(Row) error { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("err %v", err)
	}
}

// Numbers are read as stored, not as displayed: a price formatted "0" and a
// commission formatted "0%" keep their value.
func TestXLSXRawValues(t *testing.T) {
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	rows := [][]any{
		{"goodsId", "title", "actualPrice", "commissionRate", "couponEndTime", "shopType", "couponPrice"},
		{651234567890, "抽纸", 19.9, 0.155, 45322, 0, 5},
		{"651234567891", "文本百分比", 9.99, "15.5%", "2024-01-31", 1, 5},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	intFmt, _ := f.NewStyle(&excelize.Style{NumFmt: 1})  // "0"
	pctFmt, _ := f.NewStyle(&excelize.Style{NumFmt: 9})  // "0%"
	idFmt, _ := f.NewStyle(&excelize.Style{NumFmt: 11})  // "0.00E+00"
	dateFmt, _ := f.NewStyle(&excelize.Style{NumFmt: 0}) // General
	f.SetCellStyle(sh, "C2", "C3", intFmt)
	f.SetCellStyle(sh, "D2", "D2", pctFmt)
	f.SetCellStyle(sh, "A2", "A2", idFmt)
	f.SetCellStyle(sh, "E2", "E2", dateFmt)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	var got []Row
	res, err := ScanReader("raw.xlsx", &buf, 0, Options{At: at0}, func(r Row) error { got = append(got, r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("rows %+v problems %+v", got, res.Problems)
	}
	r := got[0].Record
	if r.Item.ItemID != "651234567890" || r.Obs.FinalPrice != 1990 || r.Obs.CommissionRate != 1550 {
		t.Fatalf("row 2 %+v", r)
	}
	if want := cst(2024, 1, 31, 23, 59, 59); r.Obs.CouponEnd != want {
		t.Fatalf("coupon end %d, want %d", r.Obs.CouponEnd, want)
	}
	r = got[1].Record
	if r.Obs.FinalPrice != 999 || r.Obs.CommissionRate != 1550 || r.Obs.CouponEnd != cst(2024, 1, 31, 23, 59, 59) {
		t.Fatalf("row 3 %+v", r)
	}
}

// A whole-number Excel serial as a coupon end means the end of that day.
func TestExcelSerialCouponEndOfDay(t *testing.T) {
	got, why := parseTime("45322", true, true)
	if why != "" || got != cst(2024, 1, 31, 23, 59, 59) {
		t.Fatalf("got %d %q", got, why)
	}
	if got, _ := parseTime("45322", false, true); got != cst(2024, 1, 31, 0, 0, 0) {
		t.Fatalf("start of day: got %d", got)
	}
	if got, _ := parseTime("45322.5", true, true); got != cst(2024, 1, 31, 12, 0, 0) {
		t.Fatalf("with time: got %d", got)
	}
}

// A header two dialects recognise equally well is a file error naming both.
func TestAmbiguousHeader(t *testing.T) {
	text := "item_id,title,zk_final_price,final_price,commission_rate\n1,a,2,1,5\n"
	_, err := ScanReader("amb.csv", strings.NewReader(text), 0, Options{At: at0}, func(Row) error { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "ambiguous header") || !strings.Contains(err.Error(), "alimama") || !strings.Contains(err.Error(), "qunke") {
		t.Fatalf("err %v", err)
	}
}

// The separator is sniffed from the header candidates, not the first line.
func TestTSVWithTitleLine(t *testing.T) {
	text := "2024年6月 商品清单, 大淘客导出\n\ngoodsId\ttitle\tactualPrice\tshopType\n42\t标题, 带逗号\t9.9\t0\n"
	rows, res := scanFile(t, writeFile(t, "export.tsv", []byte(text)), Options{At: at0})
	if len(rows) != 1 || rows[0].Record.Item.Title != "标题, 带逗号" || rows[0].Line != 4 || res.Format != "dataoke/csv" {
		t.Fatalf("rows %+v res %+v", rows, res)
	}
}

// A cell of 64 MiB that zips to 64 KiB is refused with its address, from
// a path and from an upload alike, with memory bounded.
func TestXLSXHugeCell(t *testing.T) {
	for _, shared := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "bomb.xlsx")
		xlsxfake.Write(t, path, xlsxfake.Bomb{Header: []string{"itemid", "itemtitle", "itemendprice"}, Row: []string{"651234567890", "", "9.9"}, Col: 1, Bytes: 64 << 20, Shared: shared})
		for _, via := range []string{"Scan", "ScanReader"} {
			var err error
			alloc := xlsxfake.Allocated(func() {
				if via == "Scan" {
					_, err = Scan(path, Options{At: at0}, func(Row) error { return nil }, nil)
					return
				}
				f, e := os.Open(path)
				if e != nil {
					t.Fatal(e)
				}
				defer f.Close()
				_, err = ScanReader("bomb.xlsx", f, 0, Options{At: at0}, func(Row) error { return nil }, nil)
			})
			if err == nil || !strings.Contains(err.Error(), "Sheet1!B2: ") || !strings.Contains(err.Error(), "1 MiB") {
				t.Errorf("shared %v, %s: %v", shared, via, err)
			}
			if alloc > 24<<20 {
				t.Errorf("shared %v, %s: allocated %d MiB", shared, via, alloc>>20)
			}
		}
	}
}
