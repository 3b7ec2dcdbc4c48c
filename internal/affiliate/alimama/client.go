// Package alimama talks to the Alimama / Taobao open platform (TOP) router
// API: it converts item links for a placement (Converter, convert.go) and
// resolves Taobao share codes (淘口令) and short links into item references
// for the advisor's extract package.
//
// The TOP protocol: every call is a form POST to the router
// (https://eco.taobao.com/router/rest) carrying the system parameters
// method, app_key, timestamp (GMT+8, "2006-01-02 15:04:05"), format=json,
// v=2.0, sign_method, sign and optionally session and simplify, plus the
// method's business parameters. The sign covers every parameter except sign
// itself (and byte-array uploads, which this client does not send), sorted
// by name and concatenated as name+value; see Sign.
package alimama

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// DefaultBaseURL is the TOP router used when Config.BaseURL is empty.
const DefaultBaseURL = "https://eco.taobao.com/router/rest"

// Sign methods accepted by the router.
const (
	SignMD5        = "md5"
	SignHMAC       = "hmac" // HMAC-MD5
	SignHMACSHA256 = "hmac-sha256"
)

// Defaults for the retry loop and the HTTP client.
const (
	DefaultMaxAttempts = 3
	DefaultBackoff     = 500 * time.Millisecond
	DefaultTimeout     = 10 * time.Second
	maxResponseBytes   = 4 << 20
)

// Errors the client returns; test them with errors.Is.
var (
	// ErrThrottled matches an *APIError the platform raised for rate
	// limiting (code 7, sub codes containing "limited"). Such calls are
	// retried; the error surfaces once the attempts are used up.
	ErrThrottled = errors.New("top: call limited (throttled)")
	// ErrUnreachable is wrapped by errors from requests that never got an
	// HTTP response (DNS, connect, TLS, timeouts).
	ErrUnreachable = msg.New("alimama.unreachable")
	// ErrBadResponse is wrapped when the response is not the JSON the
	// protocol promises.
	ErrBadResponse = errors.New("top: malformed response")
	// ErrNoCredentials is returned by calls on a client without an app key
	// or secret.
	ErrNoCredentials = errors.New("top: no app key / secret configured")
)

// Config holds the credentials and endpoint. Its String and GoString
// methods never print AppSecret (nor Session, which is a user's token).
type Config struct {
	AppKey    string
	AppSecret string
	Session   string // optional user authorisation (access token)
	// SignMethod is SignMD5 (default), SignHMAC or SignHMACSHA256.
	SignMethod string
	// BaseURL overrides DefaultBaseURL (tests, the overseas gateway).
	BaseURL string
	// Simplify asks for the simplified JSON (simplify=true): the business
	// object is then not wrapped in "<method>_response".
	Simplify bool
}

// HasCredentials reports whether both the app key and the secret are set.
func (c Config) HasCredentials() bool { return c.AppKey != "" && c.AppSecret != "" }

func (c Config) String() string {
	return fmt.Sprintf("alimama.Config{AppKey:%q AppSecret:%s Session:%s SignMethod:%q BaseURL:%q Simplify:%t}",
		c.AppKey, redacted(c.AppSecret), redacted(c.Session), c.SignMethod, c.BaseURL, c.Simplify)
}

// GoString keeps %#v from printing the fields raw.
func (c Config) GoString() string { return c.String() }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// APIError is an error_response returned by the router.
type APIError struct {
	Method    string
	Code      int
	Msg       string
	SubCode   string
	SubMsg    string
	RequestID string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "top: %s: code %d %s", e.Method, e.Code, e.Msg)
	if e.SubCode != "" || e.SubMsg != "" {
		fmt.Fprintf(&b, " (%s: %s)", e.SubCode, e.SubMsg)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " request_id=%s", e.RequestID)
	}
	return b.String()
}

// Throttled reports whether the platform refused the call for rate
// limiting: code 7 ("App Call Limited") or a sub code naming a limit
// (accesscontrol.limited-by-app-access-count, isv.access-limited, …).
func (e *APIError) Throttled() bool {
	return e.Code == 7 || strings.Contains(e.SubCode, "limited") || strings.Contains(e.SubCode, "isv.access-limited")
}

var banFor = regexp.MustCompile(`(\d{1,5}) more seconds?`)

// RetryAfter is how long a throttling error says the ban lasts ("This ban
// will last for 1 more seconds"); 0 when it does not say.
func (e *APIError) RetryAfter() time.Duration {
	if !e.Throttled() {
		return 0
	}
	m := banFor.FindStringSubmatch(e.SubMsg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return time.Duration(n) * time.Second
}

// Retryable reports whether repeating the call later may succeed.
func (e *APIError) Retryable() bool { return e.Throttled() }

// Is makes errors.Is(err, ErrThrottled) true for throttling errors.
func (e *APIError) Is(target error) bool { return target == ErrThrottled && e.Throttled() }

// Client calls the TOP router. Its zero value is not usable; use NewClient.
// A Client is safe for concurrent use once configured.
type Client struct {
	cfg Config
	// HTTP sends the requests; NewClient sets one with DefaultTimeout.
	HTTP *http.Client
	// MaxAttempts bounds the tries per call (throttling, HTTP 5xx and
	// connection errors are retried); < 1 means 1.
	MaxAttempts int
	// Backoff is the wait before the second attempt; it doubles per retry.
	Backoff time.Duration
	// Now is the clock for the timestamp parameter (tests).
	Now func() time.Time
}

// NewClient returns a client for cfg with the default retry policy. It
// does not fail without credentials: calls then return ErrNoCredentials.
func NewClient(cfg Config) *Client {
	if cfg.SignMethod == "" {
		cfg.SignMethod = SignMD5
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	return &Client{
		cfg:         cfg,
		HTTP:        &http.Client{Timeout: DefaultTimeout},
		MaxAttempts: DefaultMaxAttempts,
		Backoff:     DefaultBackoff,
		Now:         time.Now,
	}
}

// Config returns the client's configuration (secret included: handle it
// with care; printing it is safe).
func (c *Client) Config() Config { return c.cfg }

// HasCredentials reports whether calls can be signed.
func (c *Client) HasCredentials() bool { return c != nil && c.cfg.HasCredentials() }

// String prints the client without its secret. It has a value receiver so
// that printing a Client value (fmt does not call methods on unexported
// fields) cannot reach the raw config either.
func (c Client) String() string { return "alimama.Client{" + c.cfg.String() + "}" }

// GoString keeps %#v from printing the unexported config raw.
func (c Client) GoString() string { return c.String() }

// Sign computes the TOP signature of params with secret: the parameters
// except "sign" and those with empty values, sorted by name, concatenated as
// name+value; then, as upper-case hex,
//
//	md5:         MD5(secret + s + secret)
//	hmac:        HMAC-MD5(key=secret, s)
//	hmac-sha256: HMAC-SHA256(key=secret, s)
func Sign(params map[string]string, secret, method string) (string, error) {
	names := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || k == "" || v == "" {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var h hash.Hash
	switch method {
	case SignMD5:
		h = md5.New()
		io.WriteString(h, secret)
	case SignHMAC:
		h = hmac.New(md5.New, []byte(secret))
	case SignHMACSHA256:
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return "", fmt.Errorf("top: unknown sign_method %q", method)
	}
	for _, k := range names {
		io.WriteString(h, k)
		io.WriteString(h, params[k])
	}
	if method == SignMD5 {
		io.WriteString(h, secret)
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}

// params returns the signed request parameters for one attempt.
func (c *Client) params(method string, biz map[string]string) (url.Values, error) {
	p := make(map[string]string, len(biz)+9)
	for k, v := range biz {
		p[k] = v
	}
	p["method"] = method
	p["app_key"] = c.cfg.AppKey
	p["timestamp"] = c.now().In(shanghai.Zone).Format("2006-01-02 15:04:05")
	p["format"] = "json"
	p["v"] = "2.0"
	p["sign_method"] = c.cfg.SignMethod
	if c.cfg.Session != "" {
		p["session"] = c.cfg.Session
	}
	if c.cfg.Simplify {
		p["simplify"] = "true"
	}
	delete(p, "sign")
	sign, err := Sign(p, c.cfg.AppSecret, c.cfg.SignMethod)
	if err != nil {
		return nil, err
	}
	v := make(url.Values, len(p)+1)
	for k, s := range p {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("sign", sign)
	return v, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Call invokes method with the business parameters biz and decodes the
// method's response object ("<method with _ for .>_response", or the whole
// body with Simplify) into out (which may be nil). Throttling, HTTP 5xx and
// connection failures are retried up to MaxAttempts times with doubling
// backoff, waiting at least as long as a throttling answer says its ban
// lasts; the wait ends early when ctx is done. Error responses come back
// as *APIError.
func (c *Client) Call(ctx context.Context, method string, biz map[string]string, out any) error {
	if !c.HasCredentials() {
		return ErrNoCredentials
	}
	attempts := max(c.MaxAttempts, 1)
	wait := c.Backoff
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			// Wait out a ban the platform announced, at least.
			if serr := sleep(ctx, max(wait, banOf(err))); serr != nil {
				return fmt.Errorf("%w (last error: %w)", serr, err)
			}
			wait *= 2
		}
		var retry bool
		retry, err = c.once(ctx, method, biz, out)
		if err == nil || !retry {
			return err
		}
	}
	return err
}

// banOf is how long a throttling err says its ban lasts (0: not said).
func banOf(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter()
	}
	return 0
}

// sleep waits d, or returns ctx's error when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once makes one attempt and reports whether a failure is worth retrying.
func (c *Client) once(ctx context.Context, method string, biz map[string]string, out any) (retry bool, err error) {
	form, err := c.params(method, biz)
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL, strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("top: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return true, fmt.Errorf("%w: top %s: %w", ErrUnreachable, method, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return true, fmt.Errorf("%w: top %s: reading response: %w", ErrUnreachable, method, err)
	}
	if resp.StatusCode >= 500 {
		return true, fmt.Errorf("top: %s: HTTP %s", method, resp.Status)
	}
	if len(body) > maxResponseBytes {
		return false, fmt.Errorf("%w: %s: response exceeds %d bytes", ErrBadResponse, method, maxResponseBytes)
	}
	if err := c.decode(method, body, out); err != nil {
		var ae *APIError
		return errors.As(err, &ae) && ae.Retryable(), err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("top: %s: HTTP %s", method, resp.Status)
	}
	return false, nil
}

type errorBody struct {
	Code      json.RawMessage `json:"code"`
	Msg       string          `json:"msg"`
	SubCode   string          `json:"sub_code"`
	SubMsg    string          `json:"sub_msg"`
	RequestID string          `json:"request_id"`
}

// decode parses a router response body.
func (c *Client) decode(method string, body []byte, out any) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return fmt.Errorf("%w: %s: %s", ErrBadResponse, method, snippet(body))
	}
	if raw, ok := top["error_response"]; ok {
		var e errorBody
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("%w: %s: error_response: %v", ErrBadResponse, method, err)
		}
		code, _ := strconv.Atoi(strings.Trim(string(e.Code), `"`))
		return &APIError{Method: method, Code: code, Msg: e.Msg, SubCode: e.SubCode, SubMsg: e.SubMsg, RequestID: e.RequestID}
	}
	payload := json.RawMessage(body)
	if !c.cfg.Simplify {
		key := strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_") + "_response"
		raw, ok := top[key]
		if !ok {
			return fmt.Errorf("%w: %s: no %q in %s", ErrBadResponse, method, key, snippet(body))
		}
		payload = raw
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(payload, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, method, err)
	}
	return nil
}

func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 120 {
		return strconv.Quote(string(b[:120])) + "…"
	}
	return strconv.Quote(string(b))
}
