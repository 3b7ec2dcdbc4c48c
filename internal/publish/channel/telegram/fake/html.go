package fake

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// supportedTags are the tags of the Bot API's HTML style.
var supportedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "code": true, "pre": true, "blockquote": true,
	"tg-emoji": true,
}

// ParseHTML parses text in the Bot API's HTML style the way the API does and returns the plain text left
// after entity parsing (the text whose length the API limits). As the API does, it
//
//   - requires every '<' to start a supported tag (<b>, <i>, <a href="...">, <span class="tg-spoiler">, ...)
//     or an end tag matching the innermost open tag, and every tag to be closed;
//   - decodes &lt; &gt; &amp; &quot; and numeric entities (&#38; &#x26;), and keeps any other '&' as is;
//   - keeps a lone '>' as is.
//
// Errors read like the API's: "Unsupported start tag "foo" at byte offset 3".
func ParseHTML(s string) (string, error) {
	var out strings.Builder
	var open []string
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '&':
			if r, n := decodeEntity(s[i:]); n > 0 {
				out.WriteRune(r)
				i += n
				continue
			}
			out.WriteByte('&')
			i++
		case '<':
			start := i
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", start)
			}
			tag := s[i+1 : i+end]
			i += end + 1
			if strings.HasPrefix(tag, "/") {
				name := strings.ToLower(strings.TrimSpace(tag[1:]))
				if len(open) == 0 {
					return "", fmt.Errorf("Unexpected end tag at byte offset %d", start)
				}
				if top := open[len(open)-1]; name != top {
					return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", start, top, name)
				}
				open = open[:len(open)-1]
				continue
			}
			name, attrs, _ := strings.Cut(tag, " ")
			name = strings.ToLower(name)
			if !supportedTags[name] {
				return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, start)
			}
			if name == "span" && !strings.Contains(attrs, "tg-spoiler") {
				return "", fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", start)
			}
			open = append(open, name)
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", open[len(open)-1])
	}
	return out.String(), nil
}

// decodeEntity decodes the entity at the start of s, returning the rune and the entity's length in bytes,
// or 0 if s does not start with one the API decodes.
func decodeEntity(s string) (rune, int) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 10 {
		return 0, 0
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return '<', semi + 1
	case "gt":
		return '>', semi + 1
	case "amp":
		return '&', semi + 1
	case "quot":
		return '"', semi + 1
	}
	if !strings.HasPrefix(name, "#") {
		return 0, 0
	}
	var v uint64
	var err error
	if strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X") {
		v, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || v == 0 || !utf8.ValidRune(rune(v)) {
		return 0, 0
	}
	return rune(v), semi + 1
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
