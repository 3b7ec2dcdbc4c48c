package apicall

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
)

// Defaults of a Policy.
const (
	DefaultMaxAttempts = 3
	DefaultBackoff     = 500 * time.Millisecond
	DefaultTimeout     = 10 * time.Second
	MaxResponseBytes   = 4 << 20
)

// Policy is how a client calls its platform; the platform clients embed it
// so that tests can shorten Backoff or fix Now.
type Policy struct {
	HTTP        *http.Client
	MaxAttempts int           // tries per call (throttling, HTTP 5xx, no answer); < 1 means 1
	Backoff     time.Duration // wait before the second try, doubling (longer when the platform says)
	Now         func() time.Time
}

// DefaultPolicy is 3 attempts from 500 ms, a 10 s HTTP timeout, the wall clock.
func DefaultPolicy() Policy {
	return Policy{HTTP: &http.Client{Timeout: DefaultTimeout}, MaxAttempts: DefaultMaxAttempts,
		Backoff: DefaultBackoff, Now: time.Now}
}

// Clock returns Now(), or the wall clock when Now is nil.
func (p Policy) Clock() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Call posts form() (built anew for each attempt, so each carries a fresh
// timestamp and signature) to endpoint and hands the answer's body to
// decode. It retries when there was no answer, on HTTP 5xx and when decode
// returns an *affiliate.Throttled; other errors end the call.
func (p Policy) Call(ctx context.Context, endpoint string, form func() url.Values, decode func([]byte) error) error {
	return Retry(ctx, p.MaxAttempts, p.Backoff, func() (bool, error) {
		body, status, err := Post(ctx, p.HTTP, endpoint, form(), MaxResponseBytes)
		if err != nil {
			return errors.Is(err, affiliate.ErrUnreachable), err
		}
		if status >= 500 {
			return true, fmt.Errorf("%w: %s answered HTTP %d", affiliate.ErrUnreachable, hostOnly(endpoint), status)
		}
		err = decode(body)
		return errors.Is(err, affiliate.ErrThrottled), err
	})
}

// Redacted prints a secret as "[redacted]" ("" when empty), for the
// String methods of configurations.
func Redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// ConvertEach is Convert for a platform whose method converts one item a
// call: it checks the batch size and the credentials, runs one for each
// request, keeps the errors perItem accepts in the Results (item gone, no
// permission, a bad request) and returns any other as the call's error.
func ConvertEach(ctx context.Context, reqs []affiliate.Request, maxBatch int, configured bool,
	one func(context.Context, affiliate.Request) (affiliate.Link, error), perItem func(error) bool) ([]affiliate.Result, error) {
	if len(reqs) > maxBatch {
		return nil, fmt.Errorf("affiliate: %d requests in one call, at most %d", len(reqs), maxBatch)
	}
	if !configured {
		return nil, affiliate.ErrNoCredentials
	}
	out := make([]affiliate.Result, len(reqs))
	for i, r := range reqs {
		link, err := one(ctx, r)
		if err != nil && !perItem(err) {
			return nil, err
		}
		out[i] = affiliate.Result{Link: link, Err: err}
	}
	return out, nil
}

// RefSign is the md5 rule as the fakes check it, written apart from
// SignMD5 (one string, one digest) so that a fake does not agree with the
// client by sharing its code: upper(md5(secret + sorted k+v + secret)) over
// the form's first values, without sign and empty values.
func RefSign(form url.Values, secret string) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" && form.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	for i := 1; i < len(keys); i++ { // insertion sort, independent of SignMD5's
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	s := secret
	for _, k := range keys {
		s += k + form.Get(k)
	}
	return fmt.Sprintf("%X", md5Sum(s+secret))
}

// Carries reports whether any name or value of form contains secret: a
// fake refuses such a request, since a secret must only ever shape the
// signature.
func Carries(form url.Values, secret string) bool {
	for k, vs := range form {
		if strings.Contains(k, secret) {
			return true
		}
		for _, v := range vs {
			if strings.Contains(v, secret) {
				return true
			}
		}
	}
	return false
}
