package orders

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/sheet/xlsxfake"
)

// trimRows drops trailing empty cells and rows, as spreadsheets do not
// agree on them.
func trimRows(rows [][]string) [][]string {
	var out [][]string
	for _, r := range rows {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		out = append(out, r)
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func excelizeGetRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return trimRows(rows)
}

// The streaming reader reads what excelize reads: shared strings, numbers,
// booleans, skipped rows and cells, entities.
func TestXLSXReaderMatchesExcelize(t *testing.T) {
	f := excelize.NewFile()
	f.NewSheet("第二页")
	set := func(cell string, v any) {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "淘宝子订单号")
	set("B1", "订单状态")
	set("D1", "付款金额 & <税>")
	set("A2", "1054723971619972844")
	set("B2", "已付款")
	set("D2", 15.9)
	set("A5", "3")
	set("C5", true)
	set("D5", 1.0547239716199729e18)
	set("E5", "  空格  ")
	set("A6", 0.1+0.2)
	set("B6", 12)
	if err := f.SetCellRichText("Sheet1", "B7", []excelize.RichTextRun{{Text: "已"}, {Text: "结算"}}); err != nil {
		t.Fatal(err)
	}
	f.SetCellValue("第二页", "A1", "不读这一页")
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := excelizeGetRows(t, path)
	if !reflect.DeepEqual(trimRows(got), want) {
		t.Fatalf("rows\n got %q\nwant %q", trimRows(got), want)
	}
}

// A workbook whose cells carry number formats reads as Excel shows them: a
// percent as the percentage, a date-time (here Excel's own m/d/yy h:mm) as
// 2006-01-02 15:04:05.
func TestXLSXWithFormats(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"淘宝子订单号", "订单状态", "佣金比率", "付款时间"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"1", "已付款", 0.0135, 43993.3875})
	style, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStyle("Sheet1", "C2", "C2", style)
	dateTime, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStyle("Sheet1", "D2", "D2", dateTime)
	path := filepath.Join(t.TempDir(), "f.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rows, _, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	p := Parse(path, rows)
	if len(p.Orders) != 1 || p.Orders[0].CommissionRate != 135 || p.Orders[0].PaidAt != sh("2020-06-11 09:18:00") {
		t.Fatalf("parsed %+v from %q", p, rows)
	}
}

// A hand-made workbook as streaming writers make them: inline strings,
// escapes, a CDATA section, a comment, no cell references, no styles.
func TestXLSXInlineStrings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inline.xlsx")
	writeZip(t, path, map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="订单" sheetId="1" r:id="rId7"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/></Relationships>`,
		"xl/worksheets/data.xml": `<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row><x:c t="inlineStr"><x:is><x:t>淘宝子订单号</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>订单状态</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>商品标题</x:t></x:is></x:c></x:row>
<!-- a comment with <tags> -->
<x:row r="3"><x:c t="inlineStr"><x:is><x:t>42</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t><![CDATA[已结算]]></x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t xml:space="preserve">A&amp;B &#x4E2D;_x000D_x_x005F_x0041_</x:t></x:is></x:c></x:row>
<x:row r="4"/>
</x:sheetData></x:worksheet>`,
	})
	rows, _, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"淘宝子订单号", "订单状态", "商品标题"}, nil, {"42", "已结算", "A&B 中\rx_x0041_"}, nil}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows\n got %q\nwant %q", rows, want)
	}
	p := Parse(path, rows)
	if len(p.Orders) != 1 || p.Orders[0].Status != Settled || p.Orders[0].Title != "A&B 中\rx_x0041_" {
		t.Fatalf("parsed %+v", p)
	}
	// Broken parts are errors, not panics.
	for name, body := range map[string]string{
		"xl/worksheets/data.xml": `<worksheet><sheetData><row><c t="s"><v>9</v></c></row></sheetData></worksheet>`,
	} {
		bad := filepath.Join(t.TempDir(), "bad.xlsx")
		files := map[string]string{}
		for k, v := range map[string]string{
			"_rels/.rels":                `<Relationships><Relationship Id="rId1" Type="x/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
			"xl/workbook.xml":            `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/data.xml"/></Relationships>`,
		} {
			files[k] = v
		}
		files[name] = body
		writeZip(t, bad, files)
		if _, _, err := ReadRows(bad); err == nil || !strings.Contains(err.Error(), "shared string") {
			t.Errorf("bad shared string index: %v", err)
		}
	}
}

func writeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// Every token may straddle the scanner's buffer: the result is the same
// whatever its size.
func TestXLSXBufferBoundaries(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	for r := 1; r <= 30; r++ {
		for c := 1; c <= 7; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			f.SetCellValue("Sheet1", cell, strings.Repeat("订单&<>", r%4)+fmt.Sprint(r*c))
		}
	}
	shared := filepath.Join(dir, "shared.xlsx")
	if err := f.SaveAs(shared); err != nil {
		t.Fatal(err)
	}
	inline := filepath.Join(dir, "inline.xlsx")
	writeZip(t, inline, map[string]string{
		"_rels/.rels":                `<Relationships><Relationship Id="rId1" Type="x/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/data.xml"/></Relationships>`,
		"xl/worksheets/data.xml": `<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is></c>` +
			`<!-- x > y --><c r="C1" t="inlineStr" s="0"><is><t><![CDATA[<cd>]]>尾</t></is></c></row><row r="2" spans="1:3" custom='a>b'><c r="B2"><v>12.50</v></c></row></sheetData></worksheet>`,
	})
	want := map[string][][]string{}
	for _, p := range []string{shared, inline} {
		rows, _, err := ReadRows(p)
		if err != nil {
			t.Fatal(err)
		}
		want[p] = rows
	}
	if !reflect.DeepEqual(want[inline], [][]string{{"a&b", "", "<cd>尾"}, {"", "12.5"}}) {
		t.Fatalf("inline rows %q", want[inline])
	}
	defer func(n int) { sheet.XMLBufferSize = n }(sheet.XMLBufferSize)
	for size := 1; size <= 400; size += 1 + size/40 {
		sheet.XMLBufferSize = size
		for _, p := range []string{shared, inline} {
			rows, _, err := ReadRows(p)
			if err != nil || !reflect.DeepEqual(rows, want[p]) {
				t.Fatalf("buffer %d, %s: %v\n got %q\nwant %q", size, filepath.Base(p), err, rows, want[p])
			}
		}
	}
}

// A cell of 64 MiB that zips to 64 KiB is refused with its address, in a
// workbook with number formats or without, with memory bounded.
func TestXLSXHugeCell(t *testing.T) {
	for _, styled := range []bool{false, true} {
		for _, shared := range []bool{false, true} {
			path := filepath.Join(t.TempDir(), "bomb.xlsx")
			xlsxfake.Write(t, path, xlsxfake.Bomb{Header: []string{"订单状态", "商品信息", "付款金额"}, Row: []string{"已付款", "", "15.90"}, Col: 1, Bytes: 64 << 20, Shared: shared, Styled: styled})
			var err error
			alloc := xlsxfake.Allocated(func() { _, _, err = ReadRows(path) })
			if !errors.Is(err, sheet.ErrCellTooLong) || !strings.Contains(err.Error(), "Sheet1!B2: ") {
				t.Errorf("styled %v, shared %v: %v", styled, shared, err)
			}
			if alloc > 24<<20 {
				t.Errorf("styled %v, shared %v: allocated %d MiB", styled, shared, alloc>>20)
			}
		}
	}
}
