package cells

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

const (
	relOfficeDoc = "/officeDocument"
	relWorksheet = "/worksheet"
	relShared    = "/sharedStrings"
	relStyles    = "/styles"
)

// WorkbookParts finds the first worksheet, the shared strings and the
// styles through the package relationships.
func WorkbookParts(files map[string]*zip.File) (sheet, shared, styles string, err error) {
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
		return "", "", "", errors.New("不是有效的 .xlsx 文件：缺少 workbook.xml (not a valid .xlsx file: no workbook)")
	}
	var wb struct {
		Sheets []struct {
			ID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := DecodePart(bf, &wb); err != nil {
		return "", "", "", err
	}
	if len(wb.Sheets) == 0 {
		return "", "", "", errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	dir := path.Dir(book)
	rels, err := readRels(files[path.Join(dir, "_rels", path.Base(book)+".rels")], dir)
	if err != nil {
		return "", "", "", err
	}
	for _, r := range rels {
		switch {
		case r.ID == wb.Sheets[0].ID && strings.HasSuffix(r.Type, relWorksheet):
			sheet = r.Target
		case strings.HasSuffix(r.Type, relShared):
			shared = r.Target
		case strings.HasSuffix(r.Type, relStyles):
			styles = r.Target
		}
	}
	if sheet == "" {
		return "", "", "", errors.New("工作簿没有工作表 (workbook has no sheets)")
	}
	return sheet, shared, styles, nil
}

type rel struct{ ID, Type, Target string }

// readRels reads a relationships part; targets are resolved against dir.
func readRels(f *zip.File, dir string) ([]rel, error) {
	if f == nil {
		return nil, errors.New("不是有效的 .xlsx 文件：缺少关系部件 (not a valid .xlsx file: no relationships)")
	}
	var x struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := DecodePart(f, &x); err != nil {
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

func DecodePart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// ReadSharedStrings reads the shared string table.
func ReadSharedStrings(f *zip.File) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := NewXMLScanner(rc)
	var sst []string
	var text []byte
	depthPh := 0 // inside <rPh> (phonetic runs, not part of the text)
	for {
		tx, tag, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return sst, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sharedStrings: %w", err)
		}
		switch tag.Name {
		case "si":
			text = text[:0]
			if tag.SelfClosing {
				sst = append(sst, "")
			}
		case "/si":
			sst = append(sst, cellString(text))
		case "rPh":
			if !tag.SelfClosing {
				depthPh++
			}
		case "/rPh":
			depthPh--
		case "/t":
			if depthPh == 0 {
				text = AppendXMLText(text, tx)
			}
		}
	}
}

// ColumnOf returns the 0-based column of a cell reference like "AB12".
func ColumnOf(ref []byte) (int, bool) {
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
