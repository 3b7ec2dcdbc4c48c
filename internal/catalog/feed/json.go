package feed

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/sheet"
)

// wrapperKeys name the members of a JSON object that may hold the rows,
// as API responses wrap them: {"data":{"list":[...]}}. Members whose name
// ends in "_response" (Taobao open platform) are searched too.
var wrapperKeys = map[string]bool{"data": true, "list": true, "items": true, "result_list": true, "map_data": true}

const maxWrapDepth = 6

// jsonState builds a header from the keys of the objects, in first-seen order.
type jsonState struct {
	keys  map[string]int
	hdr   []string
	cells []string
}

// jsonStart skips a UTF-8 BOM and refuses UTF-16.
func (s *scan) jsonStart(cr *sheet.Counter) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(cr, 64<<10)
	head, _ := br.Peek(3)
	s.res.Encoding = "utf-8"
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		s.res.Encoding = "utf-8-bom"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, s.errf("不支持 UTF-16 编码，请保存为 UTF-8 (UTF-16 is not supported: save as UTF-8)")
	}
	return br, nil
}

func (s *scan) json(cr *sheet.Counter, size int64) error {
	br, err := s.jsonStart(cr)
	if err != nil {
		return err
	}
	budget := sheet.NewBudget(br)
	budget.Allow(0)
	dec := json.NewDecoder(budget)
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return s.errf("文件为空 (empty file)")
	}
	if err != nil {
		return s.errf("不是有效的 JSON (invalid JSON): %v", err)
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		found, err := findArray(dec, budget, 0)
		if errors.Is(err, sheet.ErrRecordTooLong) {
			return s.errf("JSON 中有一个值超过 1 MiB (a JSON value is longer than 1 MiB)")
		}
		if err != nil {
			return s.errf("不是有效的 JSON (invalid JSON): %v", err)
		}
		if !found {
			return s.errf("JSON 中找不到数据数组 (no array of rows found: expected a top-level array or one under data, list, items, result_list or map_data)")
		}
	default:
		return s.errf("JSON 顶层应为数组或对象 (the top level of the JSON must be an array or an object)")
	}
	var js jsonState
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		budget.Allow(dec.InputOffset())
		err := dec.Decode(&raw)
		if errors.Is(err, sheet.ErrRecordTooLong) {
			return s.errf("第 %d 个元素超过 1 MiB (element %d is longer than 1 MiB)", i, i)
		}
		if err != nil {
			return s.errf("第 %d 个元素不是有效的 JSON，无法继续 (element %d: invalid JSON, cannot go on): %v", i, i, err)
		}
		if err := s.object(&js, i, raw); err != nil {
			return err
		}
		if s.progress != nil && i%progressRows == 0 {
			s.progress(cr.N, size)
		}
	}
	budget.Allow(dec.InputOffset())
	if _, err := dec.Token(); err != nil {
		return s.errf("JSON 文件不完整 (truncated JSON): %v", err)
	}
	return s.noObjects()
}

func (s *scan) jsonl(cr *sheet.Counter, size int64) error {
	br, err := s.jsonStart(cr)
	if err != nil {
		return err
	}
	var js jsonState
	var b []byte
	for line := 1; ; line++ {
		b, err = readLine(br, b[:0])
		if err == sheet.ErrRecordTooLong {
			return s.errf("第 %d 行超过 1 MiB (line %d is longer than 1 MiB)", line, line)
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			if err := s.object(&js, line, t); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.errf("无法读取文件 (cannot read file): %w", err)
		}
		if s.progress != nil && line%progressRows == 0 {
			s.progress(cr.N, size)
		}
	}
	return s.noObjects()
}

// readLine appends the next line of br, '\n' included, to buf; a line
// longer than maxRecordBytes is sheet.ErrRecordTooLong.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxRecordBytes+2 { // +2: the line end
			return buf, sheet.ErrRecordTooLong
		}
		buf = append(buf, chunk...)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

func (s *scan) noObjects() error {
	if s.detected {
		return nil
	}
	if s.res.Rows == 0 {
		return s.errf("文件中没有数据 (no rows in file)")
	}
	return s.errf("文件中没有有效的 JSON 对象，无法识别格式 (no valid JSON object: cannot recognise the format)")
}

// object handles one JSON row.
func (s *scan) object(js *jsonState, line int, raw []byte) error {
	if err := js.read(raw); err != nil {
		s.badRow(line, "不是有效的 JSON 对象 (invalid JSON object: "+noParens(err.Error())+")", nil, raw)
		return nil
	}
	if !s.detected {
		if ok, err := s.setHeader(js.hdr); err != nil {
			return err
		} else if !ok {
			return s.unrecognised(js.hdr)
		}
	} else if len(js.hdr) != len(s.header) {
		s.layout = resolve(s.d, js.hdr) // new keys may name fields the first object lacked
	}
	s.header, s.res.Header = js.hdr, js.hdr
	return s.row(line, js.cells, raw)
}

var errNotObject = errors.New("not an object")

// read parses raw as one JSON object into js.cells, aligned with js.hdr;
// keys not seen before are appended to js.hdr.
func (js *jsonState) read(raw []byte) error {
	if js.keys == nil {
		js.keys = make(map[string]int)
	}
	js.cells = js.cells[:0]
	for range js.hdr {
		js.cells = append(js.cells, "")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	t, err := d.Token()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return errNotObject
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return err
		}
		i, ok := js.keys[key]
		if !ok {
			i = len(js.hdr)
			js.keys[key] = i
			js.hdr = append(js.hdr, key)
			js.cells = append(js.cells, "")
		}
		js.cells[i] = jsonCell(v)
	}
	if _, err := d.Token(); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("extra data after the object")
	}
	return nil
}

// jsonCell turns a JSON value into cell text: strings unquoted, numbers as
// written (exact), null as empty, objects and arrays as their JSON text.
func jsonCell(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
			return string(v[1 : len(v)-1])
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(v)
	case 'n':
		return ""
	}
	return string(v)
}

// findArray looks, after an object's '{', for a wrapper member holding an
// array and leaves dec inside that array. It consumes the object when no
// array is found.
func findArray(dec *json.Decoder, budget *sheet.Budget, depth int) (bool, error) {
	for dec.More() {
		budget.Allow(dec.InputOffset())
		t, err := dec.Token()
		if err != nil {
			return false, err
		}
		key, _ := t.(string)
		k := strings.ToLower(key)
		if depth < maxWrapDepth && (wrapperKeys[k] || strings.HasSuffix(k, "_response")) {
			t, err := dec.Token()
			if err != nil {
				return false, err
			}
			switch t {
			case json.Delim('['):
				return true, nil
			case json.Delim('{'):
				if ok, err := findArray(dec, budget, depth+1); ok || err != nil {
					return ok, err
				}
			}
			continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false, err
		}
	}
	_, err := dec.Token()
	return false, err
}

// noParens keeps English detail from breaking the "中文 (english)" shape.
func noParens(s string) string {
	return strings.NewReplacer("(", "[", ")", "]").Replace(s)
}
