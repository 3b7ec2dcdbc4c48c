package publish

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// A reason says why a post was skipped, held, failed or left unconfirmed,
// why a link did not convert, or what an attempt did. It is a message key
// of the catalogs with its arguments, kept as text (in Skip.Reason,
// Converted.Reason, deliveries.last_error, delivery_attempts.detail): a
// bare key when it has no arguments, else {"key":…,"args":[…]}.
// ReasonText renders one in the reader's language; other text (a
// platform's own error) is shown as written.

// reasonArgMax bounds an argument's bytes (a platform's error text), and
// reasonMax an encoded reason's, which fits the columns' 1000 bytes whole.
const (
	reasonArgMax = 300
	reasonMax    = 1000
)

type encodedReason struct {
	Key  string   `json:"key"`
	Args []string `json:"args"`
}

// reason encodes key with args (each printed with %v; text clipped so
// that the reason stays within reasonMax bytes).
func reason(key string, args ...any) string {
	if len(args) == 0 {
		return key
	}
	r := encodedReason{Key: key, Args: make([]string, len(args))}
	for i, a := range args {
		s := fmt.Sprint(a)
		if !isReason(s) {
			s = clip(s, reasonArgMax)
		}
		r.Args[i] = s
	}
	for {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(r) // strings only: cannot fail
		out := strings.TrimSuffix(b.String(), "\n")
		if len(out) <= reasonMax {
			return out
		}
		// Escapes made it longer: halve the longest argument.
		long := 0
		for i, a := range r.Args {
			if len(a) > len(r.Args[long]) {
				long = i
			}
		}
		r.Args[long] = clip(r.Args[long], len(r.Args[long])/2)
	}
}

// isReason reports whether s is an encoded reason.
func isReason(s string) bool {
	_, ok := decodeReason(s)
	return ok
}

func decodeReason(s string) (encodedReason, bool) {
	if isKey(s) {
		return encodedReason{Key: s}, true
	}
	var r encodedReason
	if !strings.HasPrefix(s, `{"key":`) || json.Unmarshal([]byte(s), &r) != nil || !isKey(r.Key) {
		return encodedReason{}, false
	}
	return r, true
}

// isKey reports whether s looks like a message key: dotted lower-case
// words.
func isKey(s string) bool {
	if !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// ReasonError is the encoded reason s as a message (its arguments that
// are reasons themselves rendered as such), or nil when s is no encoded
// reason.
func ReasonError(s string) *msg.Error {
	r, ok := decodeReason(s)
	if !ok {
		return nil
	}
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		if e := ReasonError(a); e != nil {
			args[i] = e
		} else {
			args[i] = a
		}
	}
	return msg.New(r.Key, args...)
}

// ReasonText renders a reason in lang. Text that is no encoded reason (a
// platform's own error) is returned as written, or its half in lang when
// it is "中文 (English)", as rows written by older releases are.
func ReasonText(lang i18n.Lang, s string) string {
	if e := ReasonError(s); e != nil {
		return msg.In(lang, e)
	}
	return i18n.Pick(lang, s)
}
