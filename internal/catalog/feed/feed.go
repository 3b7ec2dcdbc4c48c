// Package feed reads product feed files (CSV, JSON, JSON Lines, XLSX, XLS) from
// 大淘客 (dataoke), 好单库 (haodanku), 阿里妈妈 (alimama material search)
// and Qunke's own format into catalog.Records.
//
// The dialect is recognised from the header; every row becomes either a
// good Row (passed to the callback, in file order) or one or more Problems
// that name the file, line, column and value. Money is parsed exactly from
// the decimal text, never through floats.
package feed

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/sheet"
)

// Options tell Scan what the file itself may not say.
type Options struct {
	At       int64            // snapshot time (unix s) when the file has no time column; 0 = none given
	Platform catalog.Platform // default platform when a row does not say (dataoke/haodanku/alimama rows decide taobao vs tmall from shop type)
}

// Row is one good row of a feed.
type Row struct {
	Line   int // 1-based physical line (CSV/JSONL), row number (XLSX/XLS, header = 1), element index+1 for a JSON array
	Record catalog.Record
}

// Problem says what is wrong with one bad row; a bad row has exactly one
// Problem. Only the first 10,000 are kept: Result.Rejected, not
// len(Result.Problems), is the number of rejected rows. When
// several cells of a row are bad, Column and Value name the first and
// Reason lists the others.
type Problem struct {
	File   string
	Line   int
	Column string   // the column/field name as the file names it, "" for whole-row problems
	Value  string   // offending raw value, truncated to about 60 characters
	Reason string   // Chinese first, then English in parentheses
	Cells  []string // the raw row (first 64 cells, each cut to 1 KB); for JSON the raw object text as one cell
}

// Error reads like
//
//	feed.csv 第 12 行 列 actualPrice 值 "abc": 不是有效的金额 (not a valid amount; feed.csv line 12, column actualPrice)
func (p Problem) Error() string {
	var b strings.Builder
	zh, en := splitReason(p.Reason)
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, " 第 %d 行", p.Line)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, " 列 %s", p.Column)
	}
	if p.Value != "" {
		fmt.Fprintf(&b, " 值 %q", p.Value)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(zh)
	where := p.File
	if p.Line > 0 {
		where = strings.TrimSpace(fmt.Sprintf("%s line %d", where, p.Line))
	}
	if p.Column != "" {
		if where != "" {
			where += ", "
		}
		where += "column " + p.Column
	}
	if en != "" || where != "" {
		b.WriteString(" (")
		b.WriteString(en)
		if en != "" && where != "" {
			b.WriteString("; ")
		}
		b.WriteString(where)
		b.WriteString(")")
	}
	return b.String()
}

// splitReason splits "中文 (english)" into its two halves.
func splitReason(r string) (zh, en string) {
	if strings.HasSuffix(r, ")") {
		if i := strings.LastIndex(r, " ("); i >= 0 {
			return r[:i], r[i+2 : len(r)-1]
		}
	}
	return r, ""
}

// Result describes what Scan read.
type Result struct {
	Format   string   // "<dialect>/<kind>": "dataoke/csv", "haodanku/xlsx", "alimama/jsonl", "qunke/json"
	Encoding string   // CSV: "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "gb18030"; JSON: "utf-8", "utf-8-bom"; workbooks "utf-8"
	Header   []string // as in the file (for JSON: the keys seen, in first-seen order)
	Rows     int      // data rows read (good+bad)
	Rejected int      // bad rows; len(Problems) stops at 10,000 but Rejected counts them all
	Problems []Problem
}

// Scan reads path and calls fn for each good row, in file order. Bad rows
// become Problems (the first 10,000; all are counted in Result.Rejected;
// scanning goes on). A file-level failure
// (unreadable, unknown format, no recognisable header, fn error) is returned
// as err, naming the file. progress(done, total) is called now and then with
// bytes (CSV, JSON) or rows (XLSX, total 0); it may be nil.
func Scan(path string, opt Options, fn func(Row) error, progress func(done, total int64)) (Result, error) {
	k, err := kindOf(path)
	if err != nil {
		return Result{}, err
	}
	s, err := newScan(path, k, opt, fn, progress)
	if err != nil {
		return Result{}, err
	}
	if k.table() {
		r, err := sheet.Open(path, sheetOptions)
		if err != nil {
			return s.finish(s.openError(err))
		}
		defer r.Close()
		return s.finish(s.table(r, fileSize(path)))
	}
	f, err := os.Open(path)
	if err != nil {
		return Result{}, fmt.Errorf("%s: 无法打开文件 (cannot open file): %w", path, err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return s.read(f, size)
}

// ScanReader is Scan for uploads: name is used for format detection by
// extension and in messages; size (0 if unknown) is the progress total.
func ScanReader(name string, r io.Reader, size int64, opt Options, fn func(Row) error, progress func(done, total int64)) (Result, error) {
	k, err := kindOf(name)
	if err != nil {
		return Result{}, err
	}
	s, err := newScan(name, k, opt, fn, progress)
	if err != nil {
		return Result{}, err
	}
	if k.table() {
		r, err := sheet.OpenReader(name, r, sheetOptions)
		if err != nil {
			return s.finish(s.openError(err))
		}
		defer r.Close()
		return s.finish(s.table(r, size))
	}
	return s.read(r, size)
}

type kind uint8

const (
	kindCSV kind = iota
	kindJSON
	kindJSONL
	kindXLSX
	kindXLS
)

var kindNames = [...]string{"csv", "json", "jsonl", "xlsx", "xls"}

// table says whether internal/sheet reads the kind.
func (k kind) table() bool { return k == kindCSV || k == kindXLSX || k == kindXLS }

func kindOf(name string) (kind, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".json":
		return kindJSON, nil
	case ".jsonl", ".ndjson":
		return kindJSONL, nil
	}
	switch k, err := sheet.KindOf(name); {
	case err != nil:
		ext := strings.ToLower(filepath.Ext(name))
		return 0, fmt.Errorf("%s: 不支持的文件类型 %q，应为 .csv .txt .json .jsonl .ndjson .xlsx .xls (unsupported file type)", name, ext)
	case k == sheet.XLSX:
		return kindXLSX, nil
	case k == sheet.XLS:
		return kindXLS, nil
	}
	return kindCSV, nil
}

// fileSize is the size of the file at path, 0 if unknown (for progress).
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// scan is the state shared by all formats.
type scan struct {
	conv
	kind     kind
	res      Result
	fn       func(Row) error
	progress func(done, total int64)
	detected bool
}

func newScan(name string, k kind, opt Options, fn func(Row) error, progress func(done, total int64)) (*scan, error) {
	if fn == nil {
		return nil, fmt.Errorf("%s: feed.Scan needs a row callback", name)
	}
	if opt.Platform != "" && !slices.Contains(catalog.Platforms, opt.Platform) {
		return nil, fmt.Errorf("%s: 未知的默认平台 %q (unknown default platform)", name, opt.Platform)
	}
	s := &scan{kind: k, fn: fn, progress: progress}
	s.file, s.opt, s.excel = name, opt, k == kindXLSX || k == kindXLS
	return s, nil
}

func (s *scan) read(r io.Reader, size int64) (Result, error) {
	cr := &sheet.Counter{R: r}
	var err error
	switch s.kind {
	case kindJSON:
		err = s.json(cr, size)
	case kindJSONL:
		err = s.jsonl(cr, size)
	}
	if err == nil && s.progress != nil {
		s.progress(cr.N, max(size, cr.N))
	}
	return s.finish(err)
}

func (s *scan) finish(err error) (Result, error) {
	return s.res, err
}

// errf makes a file-level error naming the file.
func (s *scan) errf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{s.file}, args...)...)
}

// setHeader recognises the dialect from header. ok is false when no dialect
// matches; err is set when two match equally well.
func (s *scan) setHeader(header []string) (ok bool, err error) {
	l, ok, tie := detect(header)
	if !ok {
		return false, nil
	}
	if tie != nil {
		return false, s.errf("表头有歧义，同样符合 %s 和 %s 两种格式，请删去不属于该格式的列 (ambiguous header: it fits %s and %s equally well; remove the columns of the other format); 找到的列 (found): %s",
			l.d.name, tie.name, l.d.name, tie.name, headerSummary(header))
	}
	s.layout = l
	s.header = header
	s.res.Header = header
	s.res.Format = l.d.name + "/" + kindNames[s.kind]
	s.detected = true
	return true, nil
}

func (s *scan) unrecognised(header []string) error {
	return s.errf("无法识别的表头：需要商品ID列和价格列 (unrecognised header: an item id and a price column are needed); 找到的列 (found): %s; 可以用的列 (accepted) %s",
		headerSummary(header), expectedColumns())
}

// row converts one data row and hands it on. raw, when not nil, is kept as
// the problem's only cell (JSON); otherwise the cells are copied.
func (s *scan) row(line int, cells []string, raw []byte) error {
	s.res.Rows++
	rec, ok := s.convert(line, cells)
	if !ok {
		s.reject(cells, raw)
		return nil
	}
	if err := s.fn(Row{Line: line, Record: rec}); err != nil {
		return fmt.Errorf("%s 第 %d 行 (line %d): %w", s.file, line, line, err)
	}
	return nil
}

// reject records the current row's problems as one Problem. Past
// maxProblems the row is only counted; the copied cells are capped.
func (s *scan) reject(cells []string, raw []byte) {
	s.res.Rejected++
	if len(s.res.Problems) >= maxProblems {
		s.probs = s.probs[:0]
		return
	}
	p := mergeProblems(s.probs)
	if raw != nil {
		p.Cells = []string{capCell(string(raw))}
	} else {
		p.Cells = make([]string, min(len(cells), maxProblemCells))
		for i := range p.Cells {
			p.Cells[i] = capCell(cells[i])
		}
	}
	s.res.Problems = append(s.res.Problems, p)
	s.probs = s.probs[:0]
}

// capCell copies c, cut to about maxCellBytes on a character boundary with
// "…" appended when cut. The copy keeps a Problem from pinning the
// reader's buffers.
func capCell(c string) string {
	if len(c) <= maxCellBytes {
		return strings.Clone(c)
	}
	n := maxCellBytes
	for n > 0 && !utf8.RuneStart(c[n]) {
		n--
	}
	return strings.Clone(c[:n]) + "…"
}

// mergeProblems folds the problems of one row into the first:
//
//	不是有效的金额；另外 列 couponPrice 值 "-5": 金额不能为负 (not a valid amount; also column couponPrice: amount is negative)
func mergeProblems(ps []Problem) Problem {
	p := ps[0]
	if len(ps) == 1 {
		return p
	}
	zh, en := splitReason(p.Reason)
	var z, e strings.Builder
	z.WriteString(zh)
	e.WriteString(en)
	for _, q := range ps[1:] {
		qz, qe := splitReason(q.Reason)
		z.WriteString("；另外 ")
		if q.Column != "" {
			fmt.Fprintf(&z, "列 %s 值 %q: ", q.Column, q.Value)
		}
		z.WriteString(qz)
		if qe != "" {
			e.WriteString("; also ")
			if q.Column != "" {
				e.WriteString("column " + q.Column + ": ")
			}
			e.WriteString(qe)
		}
	}
	p.Reason = z.String()
	if e.Len() > 0 {
		p.Reason += " (" + strings.TrimPrefix(e.String(), "; ") + ")"
	}
	return p
}

// badRow records a whole-row problem found before conversion (malformed
// CSV, wrong cell count, invalid JSON).
func (s *scan) badRow(line int, reason string, cells []string, raw []byte) {
	s.res.Rows++
	s.probs = append(s.probs[:0], Problem{File: s.file, Line: line, Reason: reason})
	s.reject(cells, raw)
}

// Limits that keep a hostile or broken file from taking unbounded memory.
const (
	maxProblems     = 10000                // Problems stored per file; Result.Rejected counts on
	maxProblemCells = 64                   // cells copied into a Problem
	maxCellBytes    = 1 << 10              // bytes kept of each copied cell
	maxRecordBytes  = sheet.MaxRecordBytes // one CSV record, JSON Lines line or JSON array element
)
