// Package msg lets the domain packages say what went wrong in the reader's
// language: an error carries a message key of the catalogs in internal/i18n and
// the key's arguments, and the web layer and the CLI render it there (see
// Text). Error(), for logs and for callers that do not render, is the
// Chinese text followed by the English one.
package msg

import (
	"errors"
	"sync"

	"github.com/qunke/qunke/internal/i18n"
)

// Error is a domain error with its message key and arguments (fmt verbs).
type Error struct {
	Key  string
	Args []any
}

// New returns an error saying key, with args.
func New(key string, args ...any) *Error { return &Error{Key: key, Args: args} }

// With returns a copy of e with args: a sentinel filled in for one case,
// still matched by errors.Is(err, e).
func (e *Error) With(args ...any) *Error { return &Error{Key: e.Key, Args: args} }

// Is matches errors with the same key, whatever their arguments.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Key == e.Key
}

// Error is the message in Chinese, then in English in brackets.
func (e *Error) Error() string {
	c := catalog()
	if c == nil {
		return e.Key
	}
	return c.T(i18n.ZH, e.Key, e.Args...) + " (" + c.T(i18n.EN, e.Key, e.Args...) + ")"
}

// Text renders err in lang when it is (or wraps) an *Error, else returns
// err.Error().
func Text(c *i18n.Catalog, lang i18n.Lang, err error) string {
	var e *Error
	if errors.As(err, &e) {
		return c.T(lang, e.Key, e.Args...)
	}
	return err.Error()
}

var catalog = sync.OnceValue(func() *i18n.Catalog {
	c, _ := i18n.Load() // embedded; web's tests check it loads
	return c
})
