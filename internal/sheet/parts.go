package sheet

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/msg"
)

// Limits of the .xlsx reader, so that a small hostile file (a cell of
// 600 MiB zips to 600 KiB) cannot take the memory of the machine. The
// worksheet itself is streamed; MaxBytes bounds the whole workbook.
const (
	MaxSharedStringsBytes = 256 << 20 // the shared strings part, unzipped
	MaxSharedStrings      = 4 << 20   // its strings: each costs a reader far more than its 5 bytes (<si/>)
	MaxPartBytes          = 64 << 20  // any other part read whole (workbook, styles, …)
	MaxPartElements       = 1 << 18   // the elements of a part read whole (Excel allows 64,000 cell formats)
	maxRawText            = 2 << 20   // XML text between two tags, before entities are decoded
	maxXMLBuffer          = 32 << 20  // the scanner's buffer: the longest tag or comment
)

const (
	relOfficeDoc = "/officeDocument"
	relWorksheet = "/worksheet"
	relShared    = "/sharedStrings"
	relStyles    = "/styles"
)

// workbook names a workbook's parts: its first worksheet (and the sheet's
// name), the shared strings and the styles ("" when absent).
type workbook struct {
	Sheet, SheetName, Shared, Styles string
}

// zipFiles indexes a package's parts by name.
func zipFiles(zr *zip.Reader) map[string]*zip.File {
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return files
}

// workbookParts finds the first worksheet, the shared strings and the
// styles through the package relationships.
func workbookParts(files map[string]*zip.File) (p workbook, err error) {
	book := "xl/workbook.xml"
	if rels, err := readRels(files["_rels/.rels"], ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.Type, relOfficeDoc) {
				book = r.Target
			}
		}
	}
	bf := files[book]
	if bf == nil {
		return workbook{}, msg.New("sheet.no_workbook")
	}
	var wb struct {
		Sheets []struct {
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
			Name string `xml:"name,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(bf, &wb); err != nil {
		return workbook{}, err
	}
	if len(wb.Sheets) == 0 {
		return workbook{}, msg.New("sheet.no_sheets")
	}
	dir := path.Dir(book)
	rels, err := readRels(files[path.Join(dir, "_rels", path.Base(book)+".rels")], dir)
	if err != nil {
		return workbook{}, err
	}
	for _, r := range rels {
		switch {
		case r.ID == wb.Sheets[0].ID && strings.HasSuffix(r.Type, relWorksheet):
			p.Sheet = r.Target
		case strings.HasSuffix(r.Type, relShared):
			p.Shared = r.Target
		case strings.HasSuffix(r.Type, relStyles):
			p.Styles = r.Target
		}
	}
	if p.Sheet == "" {
		return workbook{}, msg.New("sheet.no_sheets")
	}
	p.SheetName = wb.Sheets[0].Name
	return p, nil
}

type rel struct{ ID, Type, Target string }

// readRels reads a relationships part; targets are resolved against dir.
func readRels(f *zip.File, dir string) ([]rel, error) {
	if f == nil {
		return nil, msg.New("sheet.no_relationships")
	}
	var x struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(f, &x); err != nil {
		return nil, err
	}
	out := make([]rel, 0, len(x.Rels))
	for _, r := range x.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		out = append(out, rel{r.ID, r.Type, t})
	}
	return out, nil
}

// decodePart decodes a small part (up to MaxPartBytes unzipped and
// MaxPartElements elements) whole.
func decodePart(f *zip.File, v any) error {
	if err := checkPart(f); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// sharedStrings is a workbook's shared string table. A string longer than
// MaxCellBytes is not kept: a cell that uses it is refused.
type sharedStrings struct {
	s    []string
	n    int
	long map[int]bool
}

// Get returns shared string i.
func (t *sharedStrings) Get(i int) (string, error) {
	switch {
	case i < 0 || i >= t.n:
		return "", msg.New("sheet.no_shared_string", i)
	case t.long[i]:
		return "", ErrCellTooLong
	case i < len(t.s):
		return t.s[i], nil
	}
	return "", nil
}

func (t *sharedStrings) add(text []byte, long, keep bool) {
	if long {
		if t.long == nil {
			t.long = map[int]bool{}
		}
		t.long[t.n] = true
	}
	if keep {
		s := ""
		if !long {
			s = cellString(text)
		}
		t.s = append(t.s, s)
	}
	t.n++
}

// readSharedStrings reads the shared string table (f may be nil), which
// may be up to MaxSharedStringsBytes unzipped. Unless keep, only which
// strings exist and which are too long is kept.
func readSharedStrings(f *zip.File, keep bool) (*sharedStrings, error) {
	t := &sharedStrings{}
	if f == nil {
		return t, nil
	}
	if f.UncompressedSize64 > MaxSharedStringsBytes {
		return nil, partTooLarge(f, MaxSharedStringsBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	var text []byte
	long := false
	depthPh := 0 // inside <rPh> (phonetic runs, not part of the text)
	for {
		tx, tag, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sharedStrings: %w", err)
		}
		switch tag.Name {
		case "si":
			if t.n == MaxSharedStrings {
				return nil, msg.New("sheet.too_many_shared_strings", f.Name, MaxSharedStrings)
			}
			text, long = text[:0], false
			if tag.SelfClosing {
				t.add(nil, false, keep)
			}
		case "/si":
			t.add(text, long, keep)
		case "rPh":
			if !tag.SelfClosing {
				depthPh++
			}
		case "/rPh":
			depthPh--
		case "/t":
			if depthPh == 0 && !long {
				text = appendXMLText(text, tx)
				if long = sc.Long() || len(text) > MaxCellBytes; long {
					text = text[:0]
				}
			}
		}
	}
}

// ErrCellTooLong is a cell longer than MaxCellBytes.
var ErrCellTooLong = msg.New("sheet.cell_too_long", MaxCellBytes>>20)

// cellAddress is a cell's address as Excel writes it: "Sheet1!C7".
func cellAddress(sheet, ref string) string {
	if sheet == "" {
		return ref
	}
	return sheet + "!" + ref
}

// cellRef is the reference of the cell at 0-based column col of row
// (1-based): "C7".
func cellRef(col, row int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name + strconv.Itoa(row)
}

// checkPart refuses a part read whole that is too large to hold decoded:
// over MaxPartBytes, or MaxPartElements elements (each costs a decoder
// some hundred bytes, so 64 MiB of <xf/> would take gigabytes).
func checkPart(f *zip.File) error {
	if f.UncompressedSize64 > MaxPartBytes {
		return partTooLarge(f, MaxPartBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := &xmlScanner{r: rc, buf: make([]byte, min(XMLBufferSize, 64<<10))} // grows for a long tag
	for n := 0; ; {
		_, tag, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if !strings.HasPrefix(tag.Name, "/") {
			if n++; n > MaxPartElements {
				return msg.New("sheet.too_many_elements", f.Name, MaxPartElements)
			}
		}
	}
}

func partTooLarge(f *zip.File, limit int64) error {
	return msg.New("sheet.part_too_large", f.Name, limit>>20)
}

// columnOf returns the 0-based column of a cell reference like "AB12".
func columnOf(ref []byte) (int, bool) {
	c := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		c = c*26 + int(ref[i]-'A'+1)
		if c > 16384 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return c - 1, true
}
