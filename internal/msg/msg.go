// Package msg lets the domain packages say what went wrong in the reader's
// language: an error carries a message key of the catalogs in internal/i18n and
// the key's arguments, and the web layer and the CLI render it there (see
// Text). Error(), for logs and for callers that do not render, is the
// Chinese text followed by the English one.
package msg

import (
	"errors"
	"strings"

	"github.com/qunke/qunke/internal/i18n"
)

// Error is a domain error with its message key and arguments (fmt verbs),
// and the error it wraps, if any (for errors.Is and errors.As).
type Error struct {
	Key  string
	Args []any
	Err  error
}

// New returns an error saying key, with args.
func New(key string, args ...any) *Error { return &Error{Key: key, Args: args} }

// Wrap returns an error saying key, with args, that wraps err. To show
// err's own text, pass it among args too: it is rendered in the reader's
// language.
func Wrap(err error, key string, args ...any) *Error {
	return &Error{Key: key, Args: args, Err: err}
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

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
	return e.in(c, i18n.ZH) + " (" + e.in(c, i18n.EN) + ")"
}

// in is e's message in lang; arguments that are errors are rendered in lang
// too, so an error naming a place (file, line, cell) around another keeps
// both in one language.
func (e *Error) in(c *i18n.Catalog, lang i18n.Lang) string {
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		if err, ok := a.(error); ok {
			a = Text(c, lang, err)
		}
		args[i] = a
	}
	return c.T(lang, e.Key, args...)
}

// Texter is an error that renders itself in a language, as a problem
// naming a file, row and cell does.
type Texter interface {
	error
	Text(lang i18n.Lang) string
}

// Text renders err in lang: the first *Error (or Texter) in its chain is
// rendered in lang, and the text that wrappers (fmt.Errorf("…: %w")) add
// around it is kept. An error without one is err.Error().
func Text(c *i18n.Catalog, lang i18n.Lang, err error) string {
	var e *Error
	hasE := errors.As(err, &e)
	var x Texter
	if errors.As(err, &x) && (!hasE || !errors.As(error(e), new(Texter))) { // x comes first
		return strings.Replace(err.Error(), x.Error(), x.Text(lang), 1)
	}
	if !hasE {
		return err.Error()
	}
	return strings.Replace(err.Error(), e.Error(), e.in(c, lang), 1)
}

// In renders err in lang with the embedded catalogs.
func In(lang i18n.Lang, err error) string {
	c := catalog()
	if c == nil {
		return err.Error()
	}
	return Text(c, lang, err)
}

func catalog() *i18n.Catalog {
	c, _ := i18n.Embedded() // i18n's tests check it loads
	return c
}
