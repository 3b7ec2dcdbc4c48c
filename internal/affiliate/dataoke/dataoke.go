// Package dataoke converts Taobao/Tmall item links through the dataoke
// (大淘客) open API, the Taobao route for teams without their own Alimama
// app: GET /api/tb-service/get-privilege-link (高效转链) with goodsId, pid
// and optional channelId/specialId, one item per call, answering the
// envelope {code, msg, data} with data couponClickUrl, shortUrl, tpwd and
// longTpwd.
//
// Every call carries appKey, version, timer (Unix milliseconds), nonce (six
// digits) and signRan = upper(md5("appKey=…&timer=…&nonce=…&key=<secret>"));
// the secret itself is never sent, logged or put in an error.
package dataoke

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/cells"
)

// Endpoint and version.
const (
	DefaultBaseURL    = "https://openapi.dataoke.com"
	PathPrivilegeLink = "/api/tb-service/get-privilege-link"
	Version           = "v1.3.1"
	DefaultTimeout    = 10 * time.Second
	maxResponseBytes  = 1 << 20
)

// Person parameters: which query parameter carries Request.Person.
const (
	PersonChannelID = "channelId" // 渠道 id (Alimama relation_id)
	PersonSpecialID = "specialId" // 会员运营 id
)

// Answer codes this client tells apart; every other non-zero code is an
// error carrying the code and message. The fake answers the same codes.
const (
	CodeOK         = 0
	CodeService    = -1    // 服务异常
	CodeAppKey     = 20001 // appKey 不存在或已停用
	CodeSign       = 20002 // 签名错误
	CodeThrottled  = 20004 // 调用频率超限
	CodeItemGone   = 10006 // 商品已下架或不在推广中
	CodeNoPermPID  = 10007 // 推广位无权限
	CodeBadRequest = 1     // 参数错误
)

// Config holds the credentials and endpoint; String never prints the
// secret.
type Config struct {
	AppKey, AppSecret string
	BaseURL           string // DefaultBaseURL when empty
}

// HasCredentials reports whether the key and secret are both set.
func (c Config) HasCredentials() bool { return c.AppKey != "" && c.AppSecret != "" }

func (c Config) String() string {
	secret := `""`
	if c.AppSecret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("dataoke.Config{AppKey:%q AppSecret:%s BaseURL:%q}", c.AppKey, secret, c.BaseURL)
}

// GoString keeps %#v from printing the secret.
func (c Config) GoString() string { return c.String() }

// SignRan is dataoke's signature:
// upper(md5("appKey=<key>&timer=<ms>&nonce=<6 digits>&key=<secret>")).
func SignRan(appKey, secret, timer, nonce string) string {
	sum := md5.Sum([]byte("appKey=" + appKey + "&timer=" + timer + "&nonce=" + nonce + "&key=" + secret))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Converter implements affiliate.Converter for taobao/tmall through
// dataoke. Build it with New or FromEnv (its zero value is not usable).
type Converter struct {
	cfg  Config
	HTTP *http.Client
	// PersonParam names the parameter carrying Request.Person:
	// PersonChannelID (default) or PersonSpecialID.
	PersonParam string
	Now         func() time.Time // clock for timer (tests)
	Nonce       func() string    // six digits (tests); random when nil
}

// New returns a Converter for cfg. Without credentials every Convert
// answers affiliate.ErrNoCredentials.
func New(cfg Config) *Converter {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	return &Converter{cfg: cfg, HTTP: &http.Client{Timeout: DefaultTimeout}}
}

// FromEnv builds the Converter from QUNKE_DATAOKE_APP_KEY,
// QUNKE_DATAOKE_APP_SECRET and QUNKE_DATAOKE_API (base URL, default
// DefaultBaseURL); configured is false without key or secret.
func FromEnv() (conv *Converter, configured bool) { return fromEnv(os.Getenv) }

func fromEnv(getenv func(string) string) (*Converter, bool) {
	cfg := Config{
		AppKey:    strings.TrimSpace(getenv("QUNKE_DATAOKE_APP_KEY")),
		AppSecret: strings.TrimSpace(getenv("QUNKE_DATAOKE_APP_SECRET")),
		BaseURL:   strings.TrimSpace(getenv("QUNKE_DATAOKE_API")),
	}
	return New(cfg), cfg.HasCredentials()
}

// String prints the converter without its secret; a value receiver, so
// that printing a Converter value cannot reach the raw config either.
func (c Converter) String() string { return "dataoke.Converter{" + c.cfg.String() + "}" }

// GoString keeps %#v from printing the unexported config raw.
func (c Converter) GoString() string { return c.String() }

// Config returns the configuration (printing it is safe).
func (c *Converter) Config() Config { return c.cfg }

// Platforms implements affiliate.Converter.
func (c *Converter) Platforms() []string { return []string{"taobao", "tmall"} }

// MaxBatch implements affiliate.Converter: the method takes one item.
func (c *Converter) MaxBatch() int { return 1 }

// Convert implements affiliate.Converter.
func (c *Converter) Convert(ctx context.Context, reqs []affiliate.Request) ([]affiliate.Result, error) {
	if len(reqs) > 1 {
		return nil, fmt.Errorf("dataoke: %d requests in one call, at most 1", len(reqs))
	}
	if !c.cfg.HasCredentials() {
		return nil, affiliate.ErrNoCredentials
	}
	res := make([]affiliate.Result, len(reqs))
	for i, r := range reqs {
		if _, err := alimama.Adzone(r.PID); err != nil {
			res[i].Err = err
			continue
		}
		link, err := c.privilegeLink(ctx, r)
		if err != nil && !itemError(err) {
			return nil, err
		}
		res[i] = affiliate.Result{Link: link, Err: err}
	}
	return res, nil
}

// itemError reports whether err is about the item alone (gone, no
// permission, another code the platform gave for it) rather than the call
// (throttled, credentials refused, unreachable, malformed answer).
func itemError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && !errors.Is(err, affiliate.ErrAuth) && ae.Code != CodeService
}

// APIError is a non-zero code in dataoke's answer.
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("dataoke: code %d %s", e.Code, e.Msg) }

// Is maps the codes onto the affiliate errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case affiliate.ErrAuth:
		return e.Code == CodeAppKey || e.Code == CodeSign
	case affiliate.ErrItemGone:
		return e.Code == CodeItemGone
	case affiliate.ErrNoPermission:
		return e.Code == CodeNoPermPID
	}
	return false
}

type envelope struct {
	Code json.Number     `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

type privilege struct {
	CouponClickURL    string      `json:"couponClickUrl"`
	ShortURL          string      `json:"shortUrl"`
	ItemURL           string      `json:"itemUrl"`
	Tpwd              string      `json:"tpwd"`
	LongTpwd          string      `json:"longTpwd"`
	MaxCommissionRate json.Number `json:"maxCommissionRate"`
}

func (c *Converter) privilegeLink(ctx context.Context, r affiliate.Request) (affiliate.Link, error) {
	q := c.signed()
	q.Set("goodsId", r.ItemID)
	q.Set("pid", r.PID)
	if r.Person != "" {
		q.Set(or(c.PersonParam, PersonChannelID), r.Person)
	}
	if r.SpecialID != "" {
		q.Set(PersonSpecialID, r.SpecialID)
	}
	body, err := c.get(ctx, q)
	if err != nil {
		return affiliate.Link{}, err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Code == "" {
		return affiliate.Link{}, fmt.Errorf("dataoke: malformed answer %.120q", body)
	}
	if code, err := strconv.Atoi(env.Code.String()); err != nil || code != CodeOK {
		return affiliate.Link{}, apiError(code, env.Msg)
	}
	var p privilege
	if err := json.Unmarshal(env.Data, &p); err != nil {
		return affiliate.Link{}, fmt.Errorf("dataoke: malformed data %.120q", env.Data)
	}
	link := affiliate.Link{URL: first(p.ShortURL, p.CouponClickURL, p.ItemURL), CouponURL: p.CouponClickURL}
	if link.URL == "" {
		return affiliate.Link{}, fmt.Errorf("dataoke: item %s: the answer carries no link", r.ItemID)
	}
	if r.ShareCode {
		link.ShareCode = first(p.Tpwd, p.LongTpwd)
	}
	if bp, why := cells.Percent(p.MaxCommissionRate.String()); why == "" {
		link.CommissionBP = bp
	}
	return link, nil
}

// apiError returns throttling as *affiliate.Throttled (its Detail keeps
// the code and message), the rest as *APIError.
func apiError(code int, msg string) error {
	e := &APIError{Code: code, Msg: msg}
	if code == CodeThrottled {
		return &affiliate.Throttled{Platform: "taobao", Detail: e.Error()}
	}
	return e
}

// signed returns the system parameters with a fresh timer and nonce.
func (c *Converter) signed() url.Values {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	timer := strconv.FormatInt(now().UnixMilli(), 10)
	nonce := sixDigits()
	if c.Nonce != nil {
		nonce = c.Nonce()
	}
	q := url.Values{}
	q.Set("appKey", c.cfg.AppKey)
	q.Set("version", Version)
	q.Set("timer", timer)
	q.Set("nonce", nonce)
	q.Set("signRan", SignRan(c.cfg.AppKey, c.cfg.AppSecret, timer, nonce))
	return q
}

func sixDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(900000))
	if err != nil {
		return "100000"
	}
	return strconv.FormatInt(n.Int64()+100000, 10)
}

// get sends the query; errors name the path, never the query (it carries
// the app key and the signature).
func (c *Converter) get(ctx context.Context, q url.Values) ([]byte, error) {
	u := strings.TrimRight(c.cfg.BaseURL, "/") + PathPrivilegeLink
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("dataoke: bad base URL: %v", errors.Unwrap(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: dataoke %s: %v", affiliate.ErrUnreachable, PathPrivilegeLink, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: dataoke %s: reading: %v", affiliate.ErrUnreachable, PathPrivilegeLink, err)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, &affiliate.Throttled{Platform: "taobao", Detail: "dataoke: HTTP " + resp.Status}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dataoke: %s: HTTP %s", PathPrivilegeLink, resp.Status)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("dataoke: %s: answer exceeds %d bytes", PathPrivilegeLink, maxResponseBytes)
	}
	return body, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
