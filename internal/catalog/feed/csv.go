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
	if looksGB18030(valid, len(head) == sniffSize) {
		s.res.Encoding = "gb18030"
		return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), head, nil
	}
	// UTF-8, or mostly UTF-8 with some bad bytes: the rows holding them
	// are rejected one by one.
	s.res.Encoding = "utf-8"
	return br, head, nil
}

// looksGB18030 says whether sample (not valid UTF-8 as a whole) is GBK /
// GB18030 text. GB18030 accepts almost any bytes, so that alone proves
// nothing: the sample must have more invalid UTF-8 sequences than valid
// multi-byte ones, and must decode as GB18030 without errors. (Read as
// UTF-8, GBK text gives about one valid sequence by chance, such as CE AC
// for 维, per two invalid bytes; UTF-8 text with a stray bad byte is almost
// all valid sequences.) cut says the sample may end in
// the middle of a character.
func looksGB18030(sample []byte, cut bool) bool {
	var multi, invalid int
	for i := 0; i < len(sample); {
		if sample[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(sample[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			multi++
		}
		i += n
	}
	if invalid <= multi {
		return false
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(sample)
	if err != nil {
		return false
	}
	if cut {
		text = bytes.TrimSuffix(text, []byte("\ufffd"))
	}
	// The decoder turns bytes that are not GB18030 into U+FFFD.
	return !bytes.Contains(text, []byte("\ufffd"))
}

// sniffComma picks the separator. The header may sit below a title line,
// so the first headerSearch non-blank lines of head (UTF-8 text) are tried
// in turn, split at tabs and at commas, and the first split a dialect
// recognises wins. Failing that, tab is picked when the first line has
// more tabs than commas.
func sniffComma(head []byte) rune {
	var first []byte
	seen := 0
	for len(head) > 0 && seen < headerSearch {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		seen++
		if first == nil {
			first = line
		}
		tab, comma := splitHeader(line, '\t'), splitHeader(line, ',')
		_, tabOK, _ := detect(tab)
		_, commaOK, _ := detect(comma)
		switch {
		case tabOK && (!commaOK || len(tab) > len(comma)):
			return '\t'
		case commaOK:
			return ','
		}
	}
	if bytes.Count(first, []byte{'\t'}) > bytes.Count(first, []byte{','}) {
		return '\t'
	}
	return ','
}

// splitHeader splits a would-be header line for sniffComma.
func splitHeader(line []byte, sep byte) []string {
	cells := strings.Split(strings.TrimPrefix(string(line), "\ufeff"), string(sep))
	for i, c := range cells {
		cells[i] = strings.Trim(strings.TrimSpace(c), `"`)
	}
	return cells
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
	budget := &recordBudget{r: text}
	r := csv.NewReader(budget)
	if s.res.Encoding == "gb18030" {
		if t, err := simplifiedchinese.GB18030.NewDecoder().Bytes(head); err == nil {
			head = t
		}
	}
	r.Comma = sniffComma(head)
	r.TrimLeadingSpace = r.Comma == ',' // allows `a, "b"`; with tabs it would swallow empty cells
	r.FieldsPerRecord = -1
	r.ReuseRecord = true

	// The header is the first non-blank row a dialect recognises, within
	// the first few rows.
	var first []string
	var lastErr error
	lastLine := 0 // where the last record read starts
search:
	for tries := 0; ; {
		budget.allow(r.InputOffset())
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
		case errors.Is(err, errRecordTooLong):
			return s.tooLong(lastLine)
		case err != nil:
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return s.errf("无法读取文件 (cannot read file): %w", err)
			}
			lastErr = err
			lastLine = pe.StartLine
		case blankRecord(rec):
			continue
		default:
			lastLine, _ = r.FieldPos(0)
			header := make([]string, len(rec))
			for i, c := range rec {
				header[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
			}
			if first == nil {
				first = header
			}
			if ok, err := s.setHeader(header); err != nil {
				return err
			} else if ok {
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
		budget.allow(r.InputOffset())
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errRecordTooLong) {
			return s.tooLong(lastLine)
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return s.errf("无法读取文件 (cannot read file): %w", err)
			}
			lastLine = pe.StartLine
			s.badRow(pe.StartLine, csvReason(pe.Err), nil, nil)
			continue
		}
		line, _ := r.FieldPos(0)
		lastLine = line
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

// tooLong is the file error for a CSV record past maxRecordBytes; after is
// the line where the record before it starts.
func (s *scan) tooLong(after int) error {
	return s.errf("第 %d 行之后有一条记录超过 1 MiB，可能是引号没有闭合 (a record after line %d is longer than 1 MiB: unclosed quote?)", after, after)
}
