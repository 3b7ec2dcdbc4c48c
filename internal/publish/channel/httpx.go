package channel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Do sends req with c (http.DefaultClient if nil) and reports whether a connection to the server was
// obtained for it. When err != nil and connected is false, no byte of the request can have reached the
// server (dial, DNS or proxy failure, context ended first), so nothing was delivered; when connected is
// true the outcome is unknown.
//
// err is not redacted: pass it through Redact or NotSent.
func Do(c *http.Client, req *http.Request) (resp *http.Response, connected bool, err error) {
	if c == nil {
		c = http.DefaultClient
	}
	var got atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { got.Store(true) }}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err = c.Do(req)
	return resp, got.Load(), err
}

// TransportError turns an error from Do into a Send error: a *RetryAfter (NotSentDelay) when the request
// never reached a connection, else an unknown-outcome error; both with secrets redacted. what names the
// request ("telegram sendPhoto").
func TransportError(what string, err error, connected bool, secrets ...string) error {
	err = Redact(err, secrets...)
	if !connected {
		return &RetryAfter{After: NotSentDelay, Reason: what + ": not sent: " + err.Error(), Err: err}
	}
	return &unknownError{msg: what + ": outcome unknown: " + err.Error(), err: err}
}

type unknownError struct {
	msg string
	err error
}

func (e *unknownError) Error() string { return e.msg }
func (e *unknownError) Unwrap() error { return e.err }

// UnknownOutcome returns an unknown-outcome error for what, with message msg (already free of secrets).
func UnknownOutcome(what, msg string) error {
	return &unknownError{msg: what + ": outcome unknown: " + msg}
}

// Redact returns err with every non-empty secret (also in its URL-escaped forms) replaced by "***" in its
// message and in the message of everything it wraps. A *url.Error (which quotes the request URL, e.g.
// https://api.telegram.org/bot<token>/sendPhoto) is redacted the same way. errors.Is still finds
// context.DeadlineExceeded, context.Canceled and other sentinels in the chain, and Timeout() still answers.
//
// Secrets shorter than 4 bytes are ignored (replacing them would garble messages without protecting
// anything).
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var forms []string
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
	}
	if len(forms) == 0 {
		return err
	}
	return redact(err, forms)
}

func redact(err error, forms []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, f := range forms {
		clean = strings.ReplaceAll(clean, f, "***")
	}
	inner := errors.Unwrap(err)
	if clean == msg && (inner == nil || !leaks(inner, forms)) {
		return err
	}
	r := &redactedError{msg: clean, err: redact(inner, forms)}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) {
		r.timeout = te.Timeout()
	}
	return r
}

func leaks(err error, forms []string) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		msg := err.Error()
		for _, f := range forms {
			if strings.Contains(msg, f) {
				return true
			}
		}
	}
	return false
}

type redactedError struct {
	msg     string
	err     error
	timeout bool
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
func (e *redactedError) Timeout() bool { return e.timeout }

// URLSecrets returns the parts of a target URL that may be secret and must be redacted from errors: the
// user info, the path (when it is more than "/") and the query. Many webhook URLs carry their token there.
func URLSecrets(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return []string{rawURL}
	}
	var s []string
	if u.User != nil {
		s = append(s, u.User.String())
	}
	if len(u.EscapedPath()) > 1 {
		s = append(s, u.EscapedPath(), u.Path)
	}
	if u.RawQuery != "" {
		s = append(s, u.RawQuery)
		for _, vs := range u.Query() {
			s = append(s, vs...)
		}
	}
	return s
}

// ContextNotSent returns a *RetryAfter if ctx has ended: checked before each part so that a canceled
// delivery reports "nothing of this part was sent" rather than an unknown outcome.
func ContextNotSent(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		return &RetryAfter{After: NotSentDelay, Reason: what + ": not sent: " + err.Error(), Err: err}
	}
	return nil
}

// ParseRetryAfter parses an HTTP Retry-After header value, delay-seconds or an HTTP date, relative to now.
// It returns false for an empty or invalid value; a date in the past gives 0.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, ok := atoiNonNeg(v); ok {
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

func atoiNonNeg(s string) (int64, bool) {
	if s == "" || len(s) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
