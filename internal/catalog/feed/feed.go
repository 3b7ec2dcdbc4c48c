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
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
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
// Also the others.
type Problem struct {
	File   string
	Line   int
	Column string     // the column/field name as the file names it, "" for whole-row problems
	Value  string     // offending raw value, truncated to about 60 characters
	Reason *msg.Error // what is wrong, rendered in the reader's language (Text, Why)
	Also   []Problem  // the row's other bad cells (Column, Value, Reason)
	Cells  []string   // the raw row (first 64 cells, each cut to 1 KB); for JSON the raw object text as one cell
}

// Text is the problem in lang, naming where it is:
//
//	feed.csv 第 12 行 列 actualPrice 值 "abc": 不是有效的金额
//	feed.csv line 12, column actualPrice, value "abc": not a valid amount
func (p Problem) Text(lang i18n.Lang) string {
	where, cell := p.File, p.cell(lang)
	switch {
	case p.Line > 0 && cell != "":
		where = t(lang, "feed.at_line_cell", p.File, p.Line, cell)
	case p.Line > 0:
		where = t(lang, "feed.at_line", p.File, p.Line)
	case cell != "":
		where = strings.TrimSpace(where + " " + cell)
	}
	if where = strings.TrimSpace(where); where == "" {
		return p.Why(lang)
	}
	return where + ": " + p.Why(lang)
}

// Why is the reason in lang, with the reasons of the row's other cells.
func (p Problem) Why(lang i18n.Lang) string {
	var b strings.Builder
	if p.Reason != nil {
		b.WriteString(msg.In(lang, p.Reason))
	}
	for _, q := range p.Also {
		if cell := q.cell(lang); cell != "" {
			b.WriteString(t(lang, "feed.also_cell", cell, q.Reason))
		} else {
			b.WriteString(t(lang, "feed.also", q.Reason))
		}
	}
	return b.String()
}

// cell names the problem's column and value in lang, "" if none.
func (p Problem) cell(lang i18n.Lang) string {
	switch {
	case p.Column == "":
		return ""
	case p.Value == "":
		return t(lang, "feed.column", p.Column)
	}
	return t(lang, "feed.column_value", p.Column, p.Value)
}

// Error, for logs, is the problem in Chinese, then in English in brackets.
func (p Problem) Error() string {
	return p.Text(i18n.ZH) + " (" + p.Text(i18n.EN) + ")"
}

// t renders a message key in lang.
func t(lang i18n.Lang, key string, args ...any) string { return msg.In(lang, msg.New(key, args...)) }

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
		return Result{}, fmt.Errorf("%s: %w", path, msg.Wrap(err, "sheet.cannot_open", err))
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
		return 0, fmt.Errorf("%s: %w", name, msg.New("feed.unsupported_type", ext))
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
		return nil, fmt.Errorf("%s: %w", name, msg.New("feed.unknown_default_platform", opt.Platform))
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
// A last argument that is an error is wrapped (for errors.Is).
func (s *scan) errf(key string, args ...any) error {
	var inner error
	if n := len(args); n > 0 {
		inner, _ = args[n-1].(error)
	}
	return s.at(msg.Wrap(inner, key, args...))
}

// at names the file before err.
func (s *scan) at(err error) error { return fmt.Errorf("%s: %w", s.file, err) }

// setHeader recognises the dialect from header. ok is false when no dialect
// matches; err is set when two match equally well.
func (s *scan) setHeader(header []string) (ok bool, err error) {
	l, ok, tie := detect(header)
	if !ok {
		return false, nil
	}
	if tie != nil {
		return false, s.errf("feed.ambiguous_header", l.d.name, tie.name, headerSummary(header))
	}
	s.layout = l
	s.header = header
	s.res.Header = header
	s.res.Format = l.d.name + "/" + kindNames[s.kind]
	s.detected = true
	return true, nil
}

func (s *scan) unrecognised(header []string) error {
	return s.errf("feed.unrecognised_header", headerSummary(header), expectedColumns())
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
		return msg.Wrap(err, "feed.at_line_error", s.file, line, err)
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

// mergeProblems folds the problems of one row into the first (Also).
func mergeProblems(ps []Problem) Problem {
	p := ps[0]
	if len(ps) > 1 {
		p.Also = append([]Problem(nil), ps[1:]...)
	}
	return p
}

// badRow records a whole-row problem found before conversion (malformed
// CSV, wrong cell count, invalid JSON).
func (s *scan) badRow(line int, reason *msg.Error, cells []string, raw []byte) {
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
