package feed

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
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
		return nil, s.errf("feed.utf16_json")
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
		return s.errf("feed.empty")
	}
	if err != nil {
		return s.errf("feed.invalid_json", err)
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		found, err := findArray(dec, budget, 0)
		if errors.Is(err, sheet.ErrRecordTooLong) {
			return s.errf("feed.json_value_too_long")
		}
		if err != nil {
			return s.errf("feed.invalid_json", err)
		}
		if !found {
			return s.errf("feed.no_array")
		}
	default:
		return s.errf("feed.json_top_level")
	}
	var js jsonState
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		budget.Allow(dec.InputOffset())
		err := dec.Decode(&raw)
		if errors.Is(err, sheet.ErrRecordTooLong) {
			return s.errf("feed.element_too_long", i)
		}
		if err != nil {
			return s.errf("feed.element_invalid", i, err)
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
		return s.errf("feed.truncated_json", err)
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
			return s.errf("feed.line_too_long", line)
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
			return s.errf("feed.cannot_read", err)
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
		return s.errf("feed.no_rows")
	}
	return s.errf("feed.no_json_object")
}

// object handles one JSON row.
func (s *scan) object(js *jsonState, line int, raw []byte) error {
	if err := js.read(raw); err != nil {
		s.badRow(line, msg.New("feed.invalid_json_object", err), nil, raw)
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
