// Package pdd talks to the Pinduoduo open platform (多多进宝, the DDK API)
// through its router (https://gw-api.pinduoduo.com/api/router): link
// conversion with pdd.ddk.goods.promotion.url.generate (affiliate.Converter
// for "pdd") and the orders with pdd.ddk.order.list.increment.get.
//
// The router protocol: a form POST with the system parameters type (the
// method), client_id, timestamp (Unix seconds), data_type=JSON,
// version=V1 and sign, plus the method's parameters (lists as JSON
// strings). The sign is upper(md5(client_secret + sorted name+value +
// client_secret)) over every parameter but sign. The answer is
// {"<name>_response": {…}} or {"error_response": {"error_code",
// "error_msg", "sub_code", "sub_msg", "request_id"}}.
package pdd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/apicall"
)

// DefaultBaseURL is the router used when Config.BaseURL is empty.
const DefaultBaseURL = "https://gw-api.pinduoduo.com/api/router"

// Methods this client calls.
const (
	MethodGenerate = "pdd.ddk.goods.promotion.url.generate"
	MethodOrders   = "pdd.ddk.order.list.increment.get"
)

// Config holds the credentials and endpoint. String never prints the secret.
type Config struct {
	ClientID     string
	ClientSecret string
	BaseURL      string // overrides DefaultBaseURL (fakes, proxies)
}

// FromEnv reads QUNKE_PDD_CLIENT_ID, QUNKE_PDD_CLIENT_SECRET and
// QUNKE_PDD_API and returns a client and whether both credentials are set
// (without them the client's calls return affiliate.ErrNoCredentials).
func FromEnv() (*Client, bool) {
	c := NewClient(Config{
		ClientID:     os.Getenv("QUNKE_PDD_CLIENT_ID"),
		ClientSecret: os.Getenv("QUNKE_PDD_CLIENT_SECRET"),
		BaseURL:      os.Getenv("QUNKE_PDD_API"),
	})
	return c, c.HasCredentials()
}

func (c Config) String() string {
	return fmt.Sprintf("pdd.Config{ClientID:%q ClientSecret:%s BaseURL:%q}", c.ClientID, apicall.Redacted(c.ClientSecret), c.BaseURL)
}

// GoString keeps %#v from printing the secret.
func (c Config) GoString() string { return c.String() }

// APIError is an error_response. Unwrap gives the affiliate error it means
// (ErrAuth, ErrItemGone, ErrNoPermission) or nil.
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
	fmt.Fprintf(&b, "pdd: %s: error_code %d %s", e.Method, e.Code, e.Msg)
	if e.SubCode != "" || e.SubMsg != "" {
		fmt.Fprintf(&b, " (%s: %s)", e.SubCode, e.SubMsg)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " request_id=%s", e.RequestID)
	}
	return b.String()
}

// Codes of the platform's error table: 70031 调用过于频繁 and the 5210x
// 限流 codes; 10016 client_id 不存在, 10019 access_token 已过期, 20004
// 签名错误. The messages are read as well, since the platform words the
// same refusal under several codes.
var (
	throttledCodes = map[int]bool{70031: true, 52101: true, 52102: true, 52103: true}
	authCodes      = map[int]bool{10016: true, 10019: true, 20004: true}
)

func (e *APIError) text() string { return e.Msg + " " + e.SubMsg }

// Throttled reports whether the platform refused the call for its rate limit.
func (e *APIError) Throttled() bool {
	return throttledCodes[e.Code] || strings.Contains(e.text(), "频繁") || strings.Contains(e.text(), "限流")
}

// Unwrap maps the answer onto the affiliate errors.
func (e *APIError) Unwrap() error {
	t := e.text()
	switch {
	case authCodes[e.Code] || strings.Contains(t, "签名") || strings.Contains(t, "client_id"):
		return affiliate.ErrAuth
	case strings.Contains(t, "不存在") || strings.Contains(t, "下架") || strings.Contains(t, "失效"):
		return affiliate.ErrItemGone
	case strings.Contains(t, "无权") || strings.Contains(t, "权限"):
		return affiliate.ErrNoPermission
	}
	return nil
}

// ErrBadResponse is wrapped when the answer is not the documented JSON.
var ErrBadResponse = errors.New("pdd: malformed answer")

// Client calls the router. Use NewClient; safe for concurrent use once
// configured. The embedded Policy (HTTP, MaxAttempts, Backoff, Now) may be
// adjusted before use.
type Client struct {
	apicall.Policy
	cfg Config
}

// NewClient returns a client for cfg with apicall.DefaultPolicy.
func NewClient(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	return &Client{Policy: apicall.DefaultPolicy(), cfg: cfg}
}

// HasCredentials reports whether calls can be signed.
func (c *Client) HasCredentials() bool {
	return c != nil && c.cfg.ClientID != "" && c.cfg.ClientSecret != ""
}

// String prints the client without its secret.
func (c Client) String() string { return "pdd.Client{" + c.cfg.String() + "}" }

// GoString keeps %#v from printing the secret.
func (c Client) GoString() string { return c.String() }

// Sign is the platform's signature: upper(md5(client_secret + sorted
// name+value + client_secret)).
func Sign(params map[string]string, secret string) string { return apicall.SignMD5(params, secret) }

func (c *Client) form(method string, biz map[string]string) url.Values {
	p := map[string]string{
		"type":      method,
		"client_id": c.cfg.ClientID,
		"timestamp": strconv.FormatInt(c.Clock().Unix(), 10),
		"data_type": "JSON",
		"version":   "V1",
	}
	for k, v := range biz {
		p[k] = v
	}
	v := url.Values{}
	for k, s := range p {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("sign", Sign(p, c.cfg.ClientSecret))
	return v
}

// call sends one request, retried per the policy, and decodes the object
// under responseKey into out.
func (c *Client) call(ctx context.Context, method, responseKey string, biz map[string]string, out any) error {
	if !c.HasCredentials() {
		return affiliate.ErrNoCredentials
	}
	return c.Policy.Call(ctx, c.cfg.BaseURL, func() url.Values { return c.form(method, biz) }, func(body []byte) error {
		err := decode(method, responseKey, body, out)
		var ae *APIError
		if errors.As(err, &ae) && ae.Throttled() {
			return &affiliate.Throttled{Platform: "pdd", After: time.Second, Detail: ae.Error()}
		}
		return err
	})
}

func decode(method, responseKey string, body []byte, out any) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return fmt.Errorf("%w: %s: not JSON", ErrBadResponse, method)
	}
	if raw, ok := top["error_response"]; ok {
		var e struct {
			Code      json.RawMessage `json:"error_code"`
			Msg       string          `json:"error_msg"`
			SubCode   json.RawMessage `json:"sub_code"`
			SubMsg    string          `json:"sub_msg"`
			RequestID string          `json:"request_id"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("%w: %s: error_response", ErrBadResponse, method)
		}
		code, _ := strconv.Atoi(strings.Trim(string(e.Code), `"`))
		sub := strings.Trim(string(e.SubCode), `"`)
		if sub == "null" {
			sub = ""
		}
		return &APIError{Method: method, Code: code, Msg: e.Msg, SubCode: sub, SubMsg: e.SubMsg, RequestID: e.RequestID}
	}
	raw, ok := top[responseKey]
	if !ok {
		return fmt.Errorf("%w: %s: no %s", ErrBadResponse, method, responseKey)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, method, err)
	}
	return nil
}
