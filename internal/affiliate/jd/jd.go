// Package jd talks to the JD Union (京东联盟) open API through the JD router
// (https://api.jd.com/routerjson): link conversion with
// jd.union.open.promotion.bysubunionid.get (affiliate.Converter for "jd")
// and the order rows with jd.union.open.order.row.query.
//
// The router protocol: a form POST with the system parameters method,
// app_key, timestamp, format=json, v=1.0, sign_method=md5, sign and the
// business request as one JSON string in 360buy_param_json. The sign is
// upper(md5(secret + sorted name+value + secret)) over every parameter but
// sign. The answer is {"<method with _ for .>_responce": {"code": "0",
// "<result>": "<JSON string>"}} (JD's spelling), where the result string
// holds {"code": 200, "message": …, "data": …}; gateway failures come as
// {"error_response": {"code", "zh_desc", "en_desc"}}.
package jd

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
	"github.com/qunke/qunke/internal/shanghai"
)

// DefaultBaseURL is the JD router used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.jd.com/routerjson"

// Methods this client calls.
const (
	MethodPromotion = "jd.union.open.promotion.bysubunionid.get"
	MethodOrderRows = "jd.union.open.order.row.query"
)

// TimestampLayout is the timestamp format of JD's signing example
// ("2021-05-07 09:20:39.683+0800"), in Beijing time.
const TimestampLayout = "2006-01-02 15:04:05.000-0700"

// Config holds the credentials and endpoint. String never prints the secret.
type Config struct {
	AppKey    string
	AppSecret string
	BaseURL   string // overrides DefaultBaseURL (fakes, proxies)
}

// FromEnv reads QUNKE_JD_APP_KEY, QUNKE_JD_APP_SECRET and QUNKE_JD_API and
// returns a client and whether both credentials are set (without them the
// client's calls return affiliate.ErrNoCredentials).
func FromEnv() (*Client, bool) {
	c := NewClient(Config{
		AppKey:    os.Getenv("QUNKE_JD_APP_KEY"),
		AppSecret: os.Getenv("QUNKE_JD_APP_SECRET"),
		BaseURL:   os.Getenv("QUNKE_JD_API"),
	})
	return c, c.HasCredentials()
}

func (c Config) String() string {
	return fmt.Sprintf("jd.Config{AppKey:%q AppSecret:%s BaseURL:%q}", c.AppKey, apicall.Redacted(c.AppSecret), c.BaseURL)
}

// GoString keeps %#v from printing the secret.
func (c Config) GoString() string { return c.String() }

// APIError is what JD answered instead of a result: a gateway
// error_response (Code is its code, Msg its zh_desc/en_desc) or a business
// result whose code is not 200 (Business true). Unwrap gives the affiliate
// error it means (ErrAuth, ErrItemGone, ErrNoPermission) or nil.
type APIError struct {
	Method   string
	Business bool
	Code     int
	Msg      string
}

func (e *APIError) Error() string {
	kind := "gateway"
	if e.Business {
		kind = "union"
	}
	return fmt.Sprintf("jd: %s: %s code %d %s", e.Method, kind, e.Code, e.Msg)
}

// Gateway codes from JD's router error table (2 App Call Limited, 11
// Missing Signature, 12 Invalid Signature, 19 invalid app_key). The union
// result codes are read by their message as well, since JD words the same
// refusal under several codes.
var (
	gatewayThrottled = map[int]bool{2: true}
	gatewayAuth      = map[int]bool{11: true, 12: true, 19: true}
	unionThrottled   = map[int]bool{429: true}
	unionAuth        = map[int]bool{401: true, 403: true}
)

// Throttled reports whether JD refused the call for its rate limit.
func (e *APIError) Throttled() bool {
	if e.Business {
		return unionThrottled[e.Code] || strings.Contains(e.Msg, "频率") || strings.Contains(e.Msg, "限流")
	}
	return gatewayThrottled[e.Code]
}

// Unwrap maps the answer onto the affiliate errors.
func (e *APIError) Unwrap() error {
	switch {
	case e.Business && unionAuth[e.Code], !e.Business && gatewayAuth[e.Code]:
		return affiliate.ErrAuth
	case e.Business && (strings.Contains(e.Msg, "不存在") || strings.Contains(e.Msg, "下架") || strings.Contains(e.Msg, "不在推广")):
		return affiliate.ErrItemGone
	case e.Business && (strings.Contains(e.Msg, "无权") || strings.Contains(e.Msg, "权限")):
		return affiliate.ErrNoPermission
	}
	return nil
}

// throttled turns a throttling APIError into the *affiliate.Throttled the
// callers test for.
func (e *APIError) throttled() error {
	return &affiliate.Throttled{Platform: "jd", After: time.Second, Detail: e.Error()}
}

// ErrBadResponse is wrapped when JD's answer is not the documented JSON.
var ErrBadResponse = errors.New("jd: malformed answer")

// Client calls the JD router. Use NewClient; safe for concurrent use once
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
	return c != nil && c.cfg.AppKey != "" && c.cfg.AppSecret != ""
}

// String prints the client without its secret.
func (c Client) String() string { return "jd.Client{" + c.cfg.String() + "}" }

// GoString keeps %#v from printing the secret.
func (c Client) GoString() string { return c.String() }

// Sign is JD's signature: upper(md5(secret + sorted name+value + secret)).
func Sign(params map[string]string, secret string) string { return apicall.SignMD5(params, secret) }

func (c *Client) form(method string, paramJSON []byte) url.Values {
	p := map[string]string{
		"method":            method,
		"app_key":           c.cfg.AppKey,
		"timestamp":         c.Clock().In(shanghai.Zone).Format(TimestampLayout),
		"format":            "json",
		"v":                 "1.0",
		"sign_method":       "md5",
		"360buy_param_json": string(paramJSON),
	}
	v := url.Values{}
	for k, s := range p {
		v.Set(k, s)
	}
	v.Set("sign", Sign(p, c.cfg.AppSecret))
	return v
}

// envelope is the result object inside "<method>_responce".
type envelope struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	HasMore bool            `json:"hasMore"`
}

// call sends one request, retried per the policy, and returns the business
// result (code 200) decoded from the envelope's resultKey.
func (c *Client) call(ctx context.Context, method, resultKey string, req any) (*envelope, error) {
	if !c.HasCredentials() {
		return nil, affiliate.ErrNoCredentials
	}
	pj, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var env *envelope
	err = c.Policy.Call(ctx, c.cfg.BaseURL, func() url.Values { return c.form(method, pj) }, func(body []byte) error {
		var err error
		env, err = decode(method, resultKey, body)
		var ae *APIError
		if errors.As(err, &ae) && ae.Throttled() {
			return ae.throttled()
		}
		return err
	})
	return env, err
}

// decode unpacks the router answer.
func decode(method, resultKey string, body []byte) (*envelope, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, fmt.Errorf("%w: %s: not JSON", ErrBadResponse, method)
	}
	if raw, ok := top["error_response"]; ok {
		var e struct {
			Code   json.RawMessage `json:"code"`
			ZhDesc string          `json:"zh_desc"`
			EnDesc string          `json:"en_desc"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%w: %s: error_response", ErrBadResponse, method)
		}
		return nil, &APIError{Method: method, Code: intCode(e.Code), Msg: strings.TrimSpace(e.ZhDesc + " " + e.EnDesc)}
	}
	key := strings.ReplaceAll(method, ".", "_") + "_responce"
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(top[key], &outer); err != nil || outer == nil {
		return nil, fmt.Errorf("%w: %s: no %s", ErrBadResponse, method, key)
	}
	res := outer[resultKey]
	var s string
	if json.Unmarshal(res, &s) == nil { // documented: a JSON string
		res = json.RawMessage(s)
	}
	var env envelope
	if err := json.Unmarshal(res, &env); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrBadResponse, method, resultKey)
	}
	if code := intCode(env.Code); code != 200 {
		return nil, &APIError{Method: method, Business: true, Code: code, Msg: env.Message}
	}
	return &env, nil
}

// intCode reads a code given as a number or a string.
func intCode(raw json.RawMessage) int {
	n, _ := strconv.Atoi(strings.Trim(string(raw), `"`))
	return n
}
