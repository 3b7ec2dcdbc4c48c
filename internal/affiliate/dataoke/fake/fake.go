// Package fake is a local stand-in for dataoke's get-privilege-link, for
// tests and benchmarks: it re-checks appKey, version, timer, nonce and
// signRan with dataoke's rule (its own implementation), answers the
// envelope {code, msg, data} with the documented fields, limits calls per
// second, and records the calls.
package fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/affiliate/afftest"
)

// Path is the one endpoint the fake answers.
const Path = "/api/tb-service/get-privilege-link"

// Codes the fake answers (the client's table).
const (
	codeOK         = 0
	codeBadRequest = 1
	codeAppKey     = 20001
	codeSign       = 20002
	codeThrottled  = 20004
	codeItemGone   = 10006
	codeNoPermPID  = 10007
)

// MaxSkew is how far timer may be from the fake's clock.
const MaxSkew = 10 * time.Minute

// Server is the fake; configure it before the first call.
type Server struct {
	AppKey, Secret string
	// Limiter's PerSecond limits calls per second (0: no limit).
	afftest.Limiter

	gone, denied afftest.Items

	mu    sync.Mutex
	calls []url.Values
}

// New returns a fake for the app key and secret.
func New(appKey, secret string) *Server { return &Server{AppKey: appKey, Secret: secret} }

// Start serves s until the test ends and returns its base URL.
func (s *Server) Start(t interface{ Cleanup(func()) }) string { return afftest.Serve(t, s) }

// Gone makes goodsIds answer "item gone"; Deny makes them answer "no
// permission".
func (s *Server) Gone(items ...string) { s.gone.Add(items...) }

// Deny: see Gone.
func (s *Server) Deny(items ...string) { s.denied.Add(items...) }

// Calls returns the queries received so far.
func (s *Server) Calls() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.calls...)
}

// Person is the person a link is made for from the channelId and specialId
// a call carries.
func Person(channelID, specialID string) string {
	if channelID != "" && specialID != "" {
		return channelID + "+" + specialID
	}
	return channelID + specialID
}

// ShortURL is the shortUrl the fake issues for goodsId at pid for person
// (channelId or specialId).
func ShortURL(item, pid, person string) string {
	return "https://s.click.taobao.com/d" + code(item, pid, person)
}

// CouponURL is the couponClickUrl the fake issues.
func CouponURL(item, pid, person string) string {
	return "https://uland.taobao.com/coupon/edetail?e=" + code(item, pid, person)
}

// Tpwd is the tpwd the fake issues.
func Tpwd(item, pid, person string) string { return "￥" + code(item, pid, person)[:11] + "￥" }

func code(parts ...string) string {
	sum := md5.Sum([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])[:16]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	s.calls = append(s.calls, q)
	s.mu.Unlock()
	gone, denied := s.gone.Has(q.Get("goodsId")), s.denied.Has(q.Get("goodsId"))
	code, msg := s.check(q, s.Over(time.Now()))
	switch {
	case code != codeOK:
	case gone:
		code, msg = codeItemGone, "商品已下架"
	case denied:
		code, msg = codeNoPermPID, "推广位无权限"
	}
	out := map[string]any{"code": code, "msg": msg, "time": time.Now().UnixMilli()}
	if code == codeOK {
		out["msg"] = "成功"
		out["data"] = data(q)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(out)
}

// check validates the system and business parameters.
func (s *Server) check(q url.Values, limited bool) (int, string) {
	timer, nonce := q.Get("timer"), q.Get("nonce")
	ms, err := strconv.ParseInt(timer, 10, 64)
	switch {
	case q.Get("appKey") != s.AppKey:
		return codeAppKey, "appKey 不存在"
	case q.Get("version") == "":
		return codeBadRequest, "version 不能为空"
	case err != nil || time.Since(time.UnixMilli(ms)).Abs() > MaxSkew:
		return codeBadRequest, "timer 无效"
	case len(nonce) != 6 || strings.Trim(nonce, "0123456789") != "":
		return codeBadRequest, "nonce 应为 6 位数字"
	case q.Get("signRan") != signRan(s.AppKey, s.Secret, timer, nonce):
		return codeSign, "签名错误"
	case limited:
		return codeThrottled, "调用频率超限"
	case q.Get("goodsId") == "" || q.Get("pid") == "":
		return codeBadRequest, "goodsId 与 pid 不能为空"
	}
	return codeOK, ""
}

func signRan(key, secret, timer, nonce string) string {
	s := strings.Join([]string{"appKey=" + key, "timer=" + timer, "nonce=" + nonce, "key=" + secret}, "&")
	sum := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func data(q url.Values) map[string]any {
	item, pid := q.Get("goodsId"), q.Get("pid")
	person := Person(q.Get("channelId"), q.Get("specialId"))
	return map[string]any{
		"couponClickUrl":    CouponURL(item, pid, person),
		"shortUrl":          ShortURL(item, pid, person),
		"tpwd":              Tpwd(item, pid, person),
		"longTpwd":          "6" + Tpwd(item, pid, person) + "/ 商品",
		"itemId":            item,
		"maxCommissionRate": "7.5",
		"couponInfo":        "满30元减5元",
	}
}
