// Package fake is a local stand-in for the Alimama TOP router, for tests
// and benchmarks: it re-checks every request's signature with TOP's rule
// (its own implementation, independent of the client's), answers
// taobao.tbk.dg.general.link.convert and taobao.tbk.tpwd.create in the
// documented shapes, errors included, limits calls per second as the
// platform does (code 7), and records the calls.
//
// Other methods can be answered with Handle (the order sync's tests).
package fake

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/affiliate/afftest"
)

// Methods the fake answers by itself.
const (
	MethodLinkConvert = "taobao.tbk.dg.general.link.convert"
	MethodTpwdCreate  = "taobao.tbk.tpwd.create"
)

// MaxItems is the most ids item_id_list may carry.
const MaxItems = 20

// Call is one request the fake received (signature good or not).
type Call struct {
	Method string
	Form   url.Values
	At     time.Time
}

// Handler answers a method: the value is encoded as
// "<method>_response"; an error body is returned with ErrorBody.
type Handler func(form url.Values) any

// Server is the fake router. Configure its fields before the first call.
type Server struct {
	AppKey, Secret string
	// Session, when set, is the only session accepted (else code 27).
	Session string
	// Limiter's PerSecond limits calls per second (0: no limit); over it
	// the fake answers code 7 as TOP does.
	afftest.Limiter
	// Tpwd puts cps_short_tpwd in the convert answer.
	Tpwd bool
	// CommissionRate is the promotion_info_dto.commission_rate given
	// ("6.00" when empty).
	CommissionRate string

	gone, denied afftest.Items

	mu       sync.Mutex
	handlers map[string]Handler
	calls    []Call
}

// New returns a fake for app key and secret.
func New(appKey, secret string) *Server {
	return &Server{AppKey: appKey, Secret: secret}
}

// Start serves s on a local port until the test ends and returns its URL.
func (s *Server) Start(t interface{ Cleanup(func()) }) string { return afftest.Serve(t, s) }

// Gone makes the items answer code 15 isv.item-not-exist.
func (s *Server) Gone(items ...string) { s.gone.Add(items...) }

// Deny makes the items' entries answer 1001 无权限.
func (s *Server) Deny(items ...string) { s.denied.Add(items...) }

// Handle answers method with h.
func (s *Server) Handle(method string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handlers == nil {
		s.handlers = map[string]Handler{}
	}
	s.handlers[method] = h
}

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Link is the cps_short_url the fake issues for item at adzone for person
// (relation_id or special_id, Person of both, "" for none): tests assert a
// post carries it.
func Link(item, adzone, person string) string {
	return "https://s.click.taobao.com/" + code(item, adzone, person)
}

// CouponLink is the coupon_short_url the fake issues.
func CouponLink(item, adzone, person string) string {
	return "https://s.click.taobao.com/c" + code(item, adzone, person)
}

// Person is the person a link is made for from the relation_id and
// special_id a call carries.
func Person(relationID, specialID string) string {
	if relationID != "" && specialID != "" {
		return relationID + "+" + specialID
	}
	return relationID + specialID
}

// ShareCode is the password_simple the fake makes for url.
func ShareCode(u string) string { return "￥" + code(u)[:11] + "￥" }

func code(parts ...string) string {
	sum := md5.Sum([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])[:16]
}

// ErrorBody is a TOP error_response.
type ErrorBody struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code,omitempty"`
	SubMsg  string `json:"sub_msg,omitempty"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	form := r.PostForm
	method := form.Get("method")
	now := time.Now()
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Form: form, At: now})
	h := s.handlers[method]
	s.mu.Unlock()
	answer := s.check(form, s.Over(now))
	if answer == nil {
		answer = s.answer(method, form, h)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if e, ok := answer.(ErrorBody); ok {
		json.NewEncoder(w).Encode(map[string]any{"error_response": e})
		return
	}
	key := strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_") + "_response"
	json.NewEncoder(w).Encode(map[string]any{key: answer})
}

// check answers the system errors, or nil when the call may proceed.
func (s *Server) check(form url.Values, limited bool) any {
	if form.Get("app_key") != s.AppKey {
		return ErrorBody{Code: 29, Msg: "Invalid app Key"}
	}
	if want := sign(form, s.Secret); want == "" || form.Get("sign") != want {
		return ErrorBody{Code: 25, Msg: "Invalid signature"}
	}
	if s.Session != "" && form.Get("session") != s.Session {
		return ErrorBody{Code: 27, Msg: "Invalid session", SubCode: "invalid-sessionkey"}
	}
	if limited {
		return ErrorBody{Code: 7, Msg: "App Call Limited", SubCode: "accesscontrol.limited-by-app-access-count",
			SubMsg: "This ban will last for 1 more seconds"}
	}
	return nil
}

// sign is TOP's rule: every parameter but sign with a value, sorted by
// name, concatenated name+value; md5 wraps it in the secret, hmac and
// hmac-sha256 key it with the secret; upper-case hex.
func sign(form url.Values, secret string) string {
	var b strings.Builder
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" && form.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	var h hash.Hash
	switch form.Get("sign_method") {
	case "md5", "":
		sum := md5.Sum([]byte(secret + b.String() + secret))
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	case "hmac":
		h = hmac.New(md5.New, []byte(secret))
	case "hmac-sha256":
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return ""
	}
	h.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

func (s *Server) answer(method string, form url.Values, h Handler) any {
	switch {
	case h != nil:
		return h(form)
	case method == MethodLinkConvert:
		return s.convert(form)
	case method == MethodTpwdCreate:
		return tpwd(form)
	}
	return ErrorBody{Code: 22, Msg: "Invalid method"}
}

func badParam(msg string) ErrorBody {
	return ErrorBody{Code: 15, Msg: "Remote service error", SubCode: "isv.invalid-parameter", SubMsg: msg}
}

// entry is one item_url_list entry.
type entry struct {
	InputItemID   string         `json:"input_item_id"`
	ItemID        string         `json:"item_id"`
	Code          int            `json:"code,omitempty"`
	Msg           string         `json:"msg,omitempty"`
	LinkInfo      map[string]any `json:"link_info_dto,omitempty"`
	CouponInfo    map[string]any `json:"coupon_info_dto,omitempty"`
	PromotionInfo map[string]any `json:"promotion_info_dto,omitempty"`
}

func (s *Server) convert(form url.Values) any {
	adzone := form.Get("adzone_id")
	if adzone == "" || strings.Trim(adzone, "0123456789") != "" {
		return badParam("adzone_id 不合法")
	}
	ids := strings.Split(form.Get("item_id_list"), ",")
	if form.Get("item_id_list") == "" || len(ids) > MaxItems {
		return badParam(fmt.Sprintf("item_id_list 应有 1 到 %d 个", MaxItems))
	}
	// Both are numbers (Number in the method's documentation).
	for _, p := range []string{"relation_id", "special_id"} {
		if v := form.Get(p); v != "" && strings.Trim(v, "0123456789") != "" {
			return badParam(p + " 不合法")
		}
	}
	person := Person(form.Get("relation_id"), form.Get("special_id"))
	list := make([]entry, 0, len(ids))
	for _, id := range ids {
		if s.gone.Has(id) {
			return ErrorBody{Code: 15, Msg: "Remote service error", SubCode: "isv.item-not-exist", SubMsg: "商品不存在"}
		}
		if s.denied.Has(id) {
			list = append(list, entry{InputItemID: id, ItemID: id, Code: 1001, Msg: "无权限"})
			continue
		}
		list = append(list, s.entry(id, adzone, person))
	}
	return map[string]any{"data": map[string]any{"item_url_list": map[string]any{"item_url_list": list}}}
}

func (s *Server) entry(id, adzone, person string) entry {
	li := map[string]any{
		"cps_short_url":    Link(id, adzone, person),
		"coupon_short_url": CouponLink(id, adzone, person),
		"cps_long_url":     "https://uland.taobao.com/item/edetail?e=" + code(id, adzone, person),
	}
	if s.Tpwd {
		li["cps_short_tpwd"] = ShareCode(Link(id, adzone, person))
	}
	rate := s.CommissionRate
	if rate == "" {
		rate = "6.00"
	}
	return entry{
		InputItemID:   id,
		ItemID:        id,
		LinkInfo:      li,
		CouponInfo:    map[string]any{"coupon_amount": "5.00", "coupon_desc": "满30元减5元", "coupon_end_time": "2026-12-31 23:59:59"},
		PromotionInfo: map[string]any{"commission_rate": rate},
	}
}

func tpwd(form url.Values) any {
	u := form.Get("url")
	if !strings.HasPrefix(u, "https://") {
		return badParam("url 必须为 https 链接")
	}
	c := ShareCode(u)
	return map[string]any{"data": map[string]any{"model": "6" + c + "/ CZ0001", "password_simple": c}}
}
