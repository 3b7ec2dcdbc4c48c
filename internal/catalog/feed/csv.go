package feed

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

const (
	sniffSize = 64 << 10
	// headerSearch is how many non-blank rows may precede the header (a
	// title line above the table, say).
	headerSearch = 10
	// progressRows is how often (in rows) progress is reported.
	progressRows = 8192
)

// sniffEncoding decides a CSV file's text encoding from its first bytes and
// returns a reader of UTF-8 text.
func (s *scan) sniffEncoding(br *bufio.Reader) (io.Reader, []byte, error) {
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, nil, s.errf("无法读取文件 (cannot read file): %w", err)
	}
	if len(head) == 0 {
		return nil, nil, s.errf("文件为空 (empty file)")
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		s.res.Encoding = "utf-8-bom"
		return br, head[3:], nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, nil, s.errf("不支持 UTF-16 编码，请在 Excel 中另存为“CSV UTF-8”(UTF-16 is not supported: save as CSV UTF-8)")
	}
	valid := head
	if len(head) == sniffSize {
		// Do not judge a character cut in half by the sniff window.
		for i := len(valid) - 1; i >= 0 && i >= len(valid)-utf8.UTFMax; i-- {
			if utf8.RuneStart(valid[i]) {
				if !utf8.FullRune(valid[i:]) {
					valid = valid[:i]
				}
				break
			}
		}
	}
	if utf8.Valid(valid) {
		s.res.Encoding = "utf-8"
		return br, head, nil
	}
	s.res.Encoding = "gb18030"
	return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), head, nil
}

// sniffComma picks tab when the first line has more tabs than commas.
func sniffComma(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	if bytes.Count(head, []byte{'\t'}) > bytes.Count(head, []byte{','}) {
		return '\t'
	}
	return ','
}

func blankRecord(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func validRecord(rec []string) bool {
	for _, c := range rec {
		if !utf8.ValidString(c) {
			return false
		}
	}
	return true
}

func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `CSV 格式错误：未加引号的字段中出现了引号 (malformed CSV: bare " in a non-quoted field)`
	case errors.Is(err, csv.ErrQuote):
		return `CSV 格式错误：引号没有闭合 (malformed CSV: extraneous or missing " in a quoted field)`
	}
	return "CSV 格式错误 (malformed CSV: " + noParens(err.Error()) + ")"
}

func (s *scan) csv(cr *countReader, size int64) error {
	br := bufio.NewReaderSize(cr, sniffSize)
	text, head, err := s.sniffEncoding(br)
	if err != nil {
		return err
	}
	checkUTF8 := s.res.Encoding != "gb18030"
	r := csv.NewReader(text)
	r.Comma = sniffComma(head)
	r.TrimLeadingSpace = r.Comma == ',' // allows `a, "b"`; with tabs it would swallow empty cells
	r.FieldsPerRecord = -1
	r.ReuseRecord = true

	// The header is the first non-blank row a dialect recognises, within
	// the first few rows.
	var first []string
	var lastErr error
search:
	for tries := 0; ; {
		rec, err := r.Read()
		switch {
		case err == io.EOF:
			if first == nil {
				if lastErr != nil {
					return s.errf("无法把文件开头解析为 CSV (cannot parse the start of the file as CSV): %v", lastErr)
				}
				return s.errf("文件没有表头 (no header row)")
			}
			return s.unrecognised(first)
		case err != nil:
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return s.errf("无法读取文件 (cannot read file): %w", err)
			}
			lastErr = err
		case blankRecord(rec):
			continue
		default:
			header := make([]string, len(rec))
			for i, c := range rec {
				header[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
			}
			if first == nil {
				first = header
			}
			if s.setHeader(header) {
				break search
			}
		}
		if tries++; tries >= headerSearch {
			if first == nil {
				return s.errf("无法把文件开头解析为 CSV (cannot parse the start of the file as CSV): %v", lastErr)
			}
			return s.unrecognised(first)
		}
	}

	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return s.errf("无法读取文件 (cannot read file): %w", err)
			}
			s.badRow(pe.StartLine, csvReason(pe.Err), nil, nil)
			continue
		}
		line, _ := r.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		switch {
		case checkUTF8 && !validRecord(rec):
			s.badRow(line, whyUTF8, rec, nil)
		case len(rec) != len(s.header):
			s.badRow(line, fmt.Sprintf("本行有 %d 列，表头有 %d 列 (row has %d cells, header has %d)", len(rec), len(s.header), len(rec), len(s.header)), rec, nil)
		default:
			if err := s.row(line, rec, nil); err != nil {
				return err
			}
		}
		if s.progress != nil && n%progressRows == 0 {
			s.progress(cr.n, size)
		}
	}
}
