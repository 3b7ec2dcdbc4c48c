// Package xlsxfake builds hostile .xlsx files for the tests of the
// spreadsheet readers: small zipped, huge unzipped.
package xlsxfake

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// Bomb says what the hostile workbook holds.
type Bomb struct {
	Header []string // row 1, inline strings
	Row    []string // row 2, inline strings; the cell at Col is replaced
	Col    int      // 0-based column of the huge cell in row 2
	Bytes  int      // its length
	Shared bool     // the huge text is a shared string the cell refers to
	Styled bool     // a date format in the styles (readers that apply formats)
	Sheet  string   // the sheet's name, "Sheet1" when empty
	// Formats adds that many cell formats (<xf/>) to the styles (with
	// Styled).
	Formats int
	// Parts adds that many other parts of 15 MiB each (xl/extraN.xml).
	Parts int
	// EmptyStrings adds that many empty shared strings (<si/>, 5 bytes
	// each) after the huge one (with Shared).
	EmptyStrings int
}

// Write writes the workbook to path.
func Write(t testing.TB, path string, b Bomb) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := b.write(f); err != nil {
		t.Fatal(err)
	}
}

func (b Bomb) write(w io.Writer) error {
	if b.Sheet == "" {
		b.Sheet = "Sheet1"
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	rels := `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
	ctypes := `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`
	if b.Shared {
		rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
		ctypes += `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`
	}
	if b.Styled {
		rels += `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`
		ctypes += `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`
	}
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` + ctypes + `</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` + b.Sheet + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels + `</Relationships>`},
	}
	for _, p := range parts {
		if err := writePart(zw, p.name, strings.NewReader(p.body)); err != nil {
			return err
		}
	}
	for i := range b.Parts {
		if err := writePart(zw, fmt.Sprintf("xl/extra%d.xml", i), io.LimitReader(&pattern{text: "<a/>"}, 15<<20)); err != nil {
			return err
		}
	}
	if b.Styled {
		styles := io.MultiReader(strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>`),
			io.LimitReader(&pattern{text: "<xf/>"}, 5*int64(b.Formats)), strings.NewReader(`</cellXfs></styleSheet>`))
		if err := writePart(zw, "xl/styles.xml", styles); err != nil {
			return err
		}
	}
	huge := io.LimitReader(repeat('x'), int64(b.Bytes))
	if b.Shared {
		sst := io.MultiReader(strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`), huge, strings.NewReader(`</t></si>`),
			io.LimitReader(&pattern{text: "<si/>"}, 5*int64(b.EmptyStrings)), strings.NewReader(`</sst>`))
		if err := writePart(zw, "xl/sharedStrings.xml", sst); err != nil {
			return err
		}
	}
	var before, after bytes.Buffer
	before.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	writeRow(&before, 1, b.Header)
	var cell io.Reader
	before.WriteString(`<row r="2">`)
	for i, v := range b.Row {
		ref := colName(i) + "2"
		if i != b.Col {
			fmt.Fprintf(&before, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
			continue
		}
		if b.Shared {
			fmt.Fprintf(&before, `<c r="%s" t="s"><v>0</v></c>`, ref)
			continue
		}
		fmt.Fprintf(&before, `<c r="%s" t="inlineStr"><is><t>`, ref)
		cell, after = huge, bytes.Buffer{}
		after.WriteString(`</t></is></c>`)
		for j := i + 1; j < len(b.Row); j++ {
			fmt.Fprintf(&after, `<c r="%s2" t="inlineStr"><is><t>%s</t></is></c>`, colName(j), b.Row[j])
		}
		break
	}
	if cell == nil {
		cell = strings.NewReader("")
	}
	after.WriteString(`</row></sheetData></worksheet>`)
	if err := writePart(zw, "xl/worksheets/sheet1.xml", io.MultiReader(&before, cell, &after)); err != nil {
		return err
	}
	return zw.Close()
}

func writeRow(w *bytes.Buffer, r int, cells []string) {
	fmt.Fprintf(w, `<row r="%d">`, r)
	for i, v := range cells {
		fmt.Fprintf(w, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, colName(i), r, v)
	}
	w.WriteString(`</row>`)
}

func writePart(zw *zip.Writer, name string, r io.Reader) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// pattern repeats a text for ever.
type pattern struct {
	text string
	at   int
}

func (r *pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.text[r.at]
		r.at = (r.at + 1) % len(r.text)
	}
	return len(p), nil
}

// Allocated runs fn and returns the bytes it allocated (TotalAlloc).
func Allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
