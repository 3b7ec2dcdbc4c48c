// Package apicall holds what the JD Union and Pinduoduo clients share: the
// md5 signature both platforms document (upper(md5(secret + sorted
// name+value + secret))), one bounded form POST, the bounded retry loop, an
// exact decimal parser for money and rates, and the per-second limiter
// their fakes use to answer like a throttled platform.
package apicall

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
)

// SignMD5 is upper-case hex MD5(secret + k1 + v1 + k2 + v2 … + secret) over
// the parameters sorted by name, leaving out "sign" and empty values.
func SignMD5(params map[string]string, secret string) string {
	names := make([]string, 0, len(params))
	for k, v := range params {
		if k != "sign" && k != "" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	h := md5.New()
	io.WriteString(h, secret)
	for _, k := range names {
		io.WriteString(h, k)
		io.WriteString(h, params[k])
	}
	io.WriteString(h, secret)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// ErrTooLarge is wrapped when an answer exceeds the size cap.
var ErrTooLarge = errors.New("affiliate: answer too large")

// Post sends form to endpoint and returns the body (at most limit bytes)
// and the HTTP status. A failure before an answer wraps
// affiliate.ErrUnreachable. The error never holds the form (it carries the
// signature and may carry tokens).
func Post(ctx context.Context, hc *http.Client, endpoint string, form url.Values, limit int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: bad endpoint", affiliate.ErrUnreachable)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("%w: %s", affiliate.ErrUnreachable, hostOnly(endpoint))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%w: reading the answer of %s", affiliate.ErrUnreachable, hostOnly(endpoint))
	}
	if int64(len(body)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("%w: more than %d bytes from %s", ErrTooLarge, limit, hostOnly(endpoint))
	}
	return body, resp.StatusCode, nil
}

// hostOnly names the endpoint without its query (a proxy URL could carry
// a token there).
func hostOnly(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "the platform"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Retry runs try up to attempts times (at least once). It waits backoff
// before the second attempt, doubling each time, or longer when try failed
// with an *affiliate.Throttled that says how long; it stops early when try
// says a failure is final or ctx is done.
func Retry(ctx context.Context, attempts int, backoff time.Duration, try func() (retry bool, err error)) error {
	var err error
	wait := backoff
	for i := 0; i < max(attempts, 1); i++ {
		if i > 0 {
			d := max(wait, affiliate.RetryAfter(err))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
			case <-t.C:
			}
			wait *= 2
		}
		var retry bool
		retry, err = try()
		if err == nil || !retry {
			return err
		}
	}
	return err
}

// Decimal parses a decimal number such as "12.345" or "-0.5" exactly and
// returns it times 10^places, rounded half away from zero: Decimal("12.345",
// 2) is 1235 (fen), Decimal("5.5", 2) is 550 (basis points from a percent).
// Exponents, spaces and more than 30 digits are refused.
func Decimal(s string, places int) (int64, error) {
	bad := fmt.Errorf("not a decimal number: %q", cut(s))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if (whole == "" && frac == "") || len(whole)+len(frac) > 30 || !digits(whole) || !digits(frac) {
		return 0, bad
	}
	if whole == "" {
		whole = "0"
	}
	roundUp := false
	if len(frac) > places {
		roundUp = frac[places] >= '5'
		frac = frac[:places]
	}
	frac += strings.Repeat("0", places-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, bad
	}
	if roundUp {
		n++
	}
	if neg {
		n = -n
	}
	return n, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Limiter allows PerSecond calls per wall-clock second (a fake platform's
// rate limit). Its zero value allows everything.
type Limiter struct {
	PerSecond int
	mu        sync.Mutex
	second    int64
	n         int
}

// Allow reports whether one more call fits into the current second.
func (l *Limiter) Allow() bool {
	if l == nil || l.PerSecond <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().Unix()
	if now != l.second {
		l.second, l.n = now, 0
	}
	l.n++
	return l.n <= l.PerSecond
}

func md5Sum(s string) []byte {
	d := md5.Sum([]byte(s))
	return d[:]
}
