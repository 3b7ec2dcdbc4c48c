package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/qunke/qunke/internal/msg"
)

// sniffSize is how much of a CSV file decides its encoding (the header's
// Chinese names are already invalid UTF-8 when the file is GBK).
const sniffSize = 64 << 10

// detectEncoding is the one rule for CSV text: a BOM says UTF-8 or UTF-16 (LE or
// BE); without one, text is UTF-8 unless its first 64 KiB look like
// GBK/GB18030 (see looksGB18030). It returns the UTF-8 text and its name.
// Bad bytes in a file read as UTF-8 are left for the caller to find row by
// row.
func detectEncoding(br *bufio.Reader) (text io.Reader, name string, err error) {
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", err
	}
	var dec *encoding.Decoder
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return br, "utf-8-bom", nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		dec, name = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder(), "utf-16le"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), "utf-16be"
	case looksGB18030(validHead(head), len(head) == sniffSize):
		dec, name = simplifiedchinese.GB18030.NewDecoder(), "gb18030"
	default:
		return br, "utf-8", nil
	}
	return transform.NewReader(br, dec), name, nil
}

// validHead drops a character cut in half by the sniff window.
func validHead(head []byte) []byte {
	if len(head) < sniffSize {
		return head
	}
	for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
		if utf8.RuneStart(head[i]) {
			if !utf8.FullRune(head[i:]) {
				return head[:i]
			}
			break
		}
	}
	return head
}

// looksGB18030 says whether sample (not valid UTF-8 as a whole) is GBK /
// GB18030 text. GB18030 accepts almost any bytes, so that alone proves
// nothing: the sample must have more invalid UTF-8 sequences than valid
// multi-byte ones, and must decode as GB18030 without errors. (Read as
// UTF-8, GBK text gives about one valid sequence by chance, such as CE AC
// for 维, per two invalid bytes; UTF-8 text with a stray bad byte is almost
// all valid sequences.) cut says the sample may end in the middle of a
// character.
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

type csvRows struct {
	r      *csv.Reader
	budget *Budget
	f      io.Closer
	last   int // the line where the last record read starts
}

func openCSV(r io.Reader, f io.Closer, opt Options) (rows, string, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	text, enc, err := detectEncoding(br)
	if err != nil {
		return nil, "", err
	}
	comma := ','
	if opt.Comma != nil {
		comma = opt.Comma(decodedHead(br, enc))
	}
	budget := &Budget{r: text}
	cr := csv.NewReader(budget)
	cr.Comma = comma
	cr.TrimLeadingSpace = opt.TrimSpace && comma == ','
	cr.LazyQuotes = opt.LazyQuotes
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvRows{r: cr, budget: budget, f: f}, enc, nil
}

// decodedHead is the start of the text as UTF-8, for picking the separator.
func decodedHead(br *bufio.Reader, enc string) []byte {
	head, _ := br.Peek(sniffSize)
	if enc == "utf-8" || enc == "utf-8-bom" {
		return head
	}
	text, _, _ := detectEncoding(bufio.NewReaderSize(bytes.NewReader(head), sniffSize))
	out, _ := io.ReadAll(text)
	return out
}

func (c *csvRows) next() (int, []string, error) {
	c.budget.Allow(c.r.InputOffset())
	rec, err := c.r.Read()
	var pe *csv.ParseError
	switch {
	case err == nil:
		c.last, _ = c.r.FieldPos(0)
		return c.last, rec, nil
	case errors.Is(err, ErrRecordTooLong):
		return 0, nil, tooLong(c.last)
	case errors.As(err, &pe):
		c.last = pe.StartLine
		return pe.StartLine, nil, msg.Wrap(err, "sheet.malformed_csv", err)
	}
	return 0, nil, err
}

func (c *csvRows) close() error { return c.f.Close() }

// ErrRecordTooLong is returned by a Budget once a record runs past
// MaxRecordBytes.
var ErrRecordTooLong = errors.New("record longer than 1 MiB")

// tooLong is the error for a CSV record past MaxRecordBytes that starts
// after line; it wraps ErrRecordTooLong.
func tooLong(line int) error {
	return msg.Wrap(ErrRecordTooLong, "sheet.record_too_long_after", line)
}

// Budget stops a parser that buffers a whole record (encoding/csv,
// encoding/json) from reading more than about MaxRecordBytes past the
// offset Allow was last given, so an unclosed quote or a giant line
// becomes an error instead of unbounded memory.
type Budget struct {
	r      io.Reader
	n, max int64
}

// NewBudget bounds the records read from r.
func NewBudget(r io.Reader) *Budget { return &Budget{r: r} }

// Allow lets the parser read one more record that starts at offset (in
// bytes of this reader's output); slack covers the parser's read-ahead.
func (b *Budget) Allow(offset int64) {
	const slack = 8 << 10 // encoding/csv reads 4 KB ahead, encoding/json 512 bytes
	b.max = offset + MaxRecordBytes + slack
}

func (b *Budget) Read(p []byte) (int, error) {
	if b.n >= b.max {
		return 0, ErrRecordTooLong
	}
	if int64(len(p)) > b.max-b.n {
		p = p[:b.max-b.n]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}
