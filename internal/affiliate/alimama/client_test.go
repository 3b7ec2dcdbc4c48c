package alimama

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey    = "12345678"
	testSecret = "s3cr3t-DO-NOT-LEAK-9f8e7d"
)

// The parameter set of the platform's documented signing example
// ("签名举例" on the TOP "API调用方法详解" page,
// https://open.taobao.com/docV3.htm?docId=101617&docType=1: app_key
// 12345678, secret helloworld, taobao.item.seller.get, session test,
// 2016-01-01 12:00:00). Its md5 sign, 66987CB115214E59E6EC978214934FB8, is
// the published value (the page itself was not retrievable here; the value
// was cross-checked against several independent public TOP clients that
// assert it, and recomputed with python3 hashlib). The page publishes no
// hmac / hmac-sha256 value: those two were computed for this test with
// python3 -c (sorted(params), "".join(k+v), hmac.new(b"helloworld", s,
// md5|sha256).hexdigest().upper()). TestSignRFCVectors pins the HMACs to
// the RFCs' own published vectors.
var vectorParams = map[string]string{
	"method":      "taobao.item.seller.get",
	"app_key":     "12345678",
	"session":     "test",
	"timestamp":   "2016-01-01 12:00:00",
	"format":      "json",
	"v":           "2.0",
	"fields":      "num_iid,title,nick,price,num",
	"num_iid":     "11223344",
	"sign":        "ignored: sign is never signed",
	"empty_param": "",
}

func TestSignVectors(t *testing.T) {
	for _, tc := range []struct{ method, want string }{
		{SignMD5, "66987CB115214E59E6EC978214934FB8"},
		{SignHMAC, "D56D7858309C31B6251083A874D48273"},
		{SignHMACSHA256, "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8"},
	} {
		p := map[string]string{"sign_method": tc.method}
		for k, v := range vectorParams {
			p[k] = v
		}
		got, err := Sign(p, "helloworld", tc.method)
		if err != nil || got != tc.want {
			t.Errorf("Sign(%s) = %q, %v; want %q", tc.method, got, err, tc.want)
		}
	}
	if _, err := Sign(vectorParams, "x", "sha1"); err == nil {
		t.Error("unknown sign method accepted")
	}
}

// TestSignRFCVectors: one parameter "Hi" with value " There" concatenates
// to "Hi There", the data of RFC 2202 test case 1 (HMAC-MD5, key 16 bytes of
// 0x0b) and RFC 4231 test case 1 (HMAC-SHA256, key 20 bytes of 0x0b); the
// expected digests are the RFCs' published values, upper-cased.
func TestSignRFCVectors(t *testing.T) {
	p := map[string]string{"Hi": " There"}
	if got, _ := Sign(p, strings.Repeat("\x0b", 16), SignHMAC); got != "9294727A3638BB1C13F48EF8158BFC9D" {
		t.Errorf("HMAC-MD5 = %s", got)
	}
	if got, _ := Sign(p, strings.Repeat("\x0b", 20), SignHMACSHA256); got != "B0344C61D8DB38535CA8AFCEAF0BF12B881DC200C9833DA726E9376C2E32CFF7" {
		t.Errorf("HMAC-SHA256 = %s", got)
	}
}

// refSign is the fake server's own signer, written differently from Sign:
// it builds the whole string first and uses one-shot digests.
func refSign(form url.Values, secret string) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" && form.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	// insertion sort, to stay independent of the code under test
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	s := ""
	for _, k := range keys {
		s += k + form.Get(k)
	}
	var sum []byte
	switch form.Get("sign_method") {
	case "md5":
		d := md5.Sum([]byte(secret + s + secret))
		sum = d[:]
	case "hmac":
		m := hmac.New(md5.New, []byte(secret))
		m.Write([]byte(s))
		sum = m.Sum(nil)
	case "hmac-sha256":
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(s))
		sum = m.Sum(nil)
	default:
		return "bad sign_method"
	}
	return strings.ToUpper(hex.EncodeToString(sum))
}

var fixedNow = time.Date(2016, 1, 1, 4, 0, 0, 0, time.UTC) // 12:00:00 in Shanghai

// fakeTOP is a router that checks every request and answers from script,
// one entry per request (the last one repeats).
type fakeTOP struct {
	t      *testing.T
	script []string
	calls  atomic.Int32
	forms  chan url.Values
}

const (
	okBody      = `{"wireless_share_tpwd_query_response":{"content":"维达抽纸","native_url":"tbopen://m.taobao.com/tbopen/index.html?h5Url=x","pic_url":"https://img.alicdn.com/a.jpg","price":"29.90","title":"维达抽纸 3层120抽","url":"https://item.taobao.com/item.htm?id=623456789012&ut_sk=1","suc":true,"request_id":"r1"}}`
	sigErrBody  = `{"error_response":{"code":25,"msg":"Invalid signature","request_id":"r2"}}`
	throttle    = `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 1 more seconds","request_id":"r3"}}`
	badBody     = `{"wireless_share_tpwd_query_response":{"suc":tru`
	subThrottle = `{"error_response":{"code":520,"msg":"Remote service error","sub_code":"isv.access-limited","sub_msg":"slow down"}}`
)

func (f *fakeTOP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.calls.Add(1))
	if r.Method != http.MethodPost {
		f.t.Errorf("method %s", r.Method)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("ParseForm: %v", err)
	}
	form := r.PostForm
	if f.forms != nil {
		select {
		case f.forms <- form:
		default:
		}
	}
	for k, want := range map[string]string{"app_key": testKey, "format": "json", "v": "2.0", "timestamp": "2016-01-01 12:00:00"} {
		if got := form.Get(k); got != want {
			f.t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for k, vs := range form {
		for _, v := range vs {
			if strings.Contains(v, testSecret) || strings.Contains(k, testSecret) {
				f.t.Errorf("secret sent in parameter %s", k)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if got, want := form.Get("sign"), refSign(form, testSecret); got != want {
		fmt.Fprint(w, sigErrBody)
		return
	}
	fmt.Fprint(w, f.script[min(n, len(f.script))-1])
}

func newFake(t *testing.T, script ...string) (*fakeTOP, *httptest.Server) {
	f := &fakeTOP{t: t, script: script}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func testClient(base, secret, method string) *Client {
	c := NewClient(Config{AppKey: testKey, AppSecret: secret, SignMethod: method, BaseURL: base})
	c.Now = func() time.Time { return fixedNow }
	c.Backoff = time.Millisecond
	return c
}

func TestCallSuccessAllSignMethods(t *testing.T) {
	for _, m := range []string{SignMD5, SignHMAC, SignHMACSHA256} {
		f, srv := newFake(t, okBody)
		f.forms = make(chan url.Values, 1)
		c := testClient(srv.URL, testSecret, m)
		var res TPWDQueryResult
		err := c.Call(context.Background(), MethodTPWDQuery, map[string]string{"password_content": "￥AbC￥", "blank": ""}, &res)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if !res.Suc || res.Title != "维达抽纸 3层120抽" || res.Price != "29.90" || !strings.Contains(res.URL, "id=623456789012") {
			t.Errorf("%s: result %+v", m, res)
		}
		form := <-f.forms
		if form.Get("method") != MethodTPWDQuery || form.Get("sign_method") != m || form.Get("password_content") != "￥AbC￥" {
			t.Errorf("%s: form %v", m, form)
		}
		if _, ok := form["blank"]; ok {
			t.Errorf("empty parameter sent")
		}
		if _, ok := form["session"]; ok {
			t.Errorf("session sent though not configured")
		}
		if f.calls.Load() != 1 {
			t.Errorf("%s: %d calls", m, f.calls.Load())
		}
	}
}

func TestCallSessionAndSimplify(t *testing.T) {
	f, srv := newFake(t, `{"suc":true,"url":"https://detail.tmall.com/item.htm?id=42"}`)
	f.forms = make(chan url.Values, 1)
	c := NewClient(Config{AppKey: testKey, AppSecret: testSecret, BaseURL: srv.URL, Session: "sess-1", Simplify: true})
	c.Now = func() time.Time { return fixedNow }
	var res TPWDQueryResult
	if err := c.Call(context.Background(), MethodTPWDQuery, nil, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Suc || res.URL != "https://detail.tmall.com/item.htm?id=42" {
		t.Errorf("result %+v", res)
	}
	form := <-f.forms
	if form.Get("session") != "sess-1" || form.Get("simplify") != "true" || form.Get("sign_method") != "md5" {
		t.Errorf("form %v", form)
	}
}

func TestCallSignatureError(t *testing.T) {
	f, srv := newFake(t, okBody)
	c := testClient(srv.URL, "wrong-secret", SignMD5) // the server recomputes with testSecret
	err := c.Call(context.Background(), MethodTPWDQuery, map[string]string{"password_content": "x"}, nil)
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if ae.Code != 25 || ae.Msg != "Invalid signature" || ae.RequestID != "r2" || ae.Method != MethodTPWDQuery {
		t.Errorf("APIError %+v", ae)
	}
	if errors.Is(err, ErrThrottled) || ae.Retryable() {
		t.Error("signature error reported as throttling")
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1 (no retry)", n)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Error("secret in error")
	}
}

func TestCallThrottledThenSuccess(t *testing.T) {
	f, srv := newFake(t, throttle, subThrottle, okBody)
	c := testClient(srv.URL, testSecret, SignHMAC)
	var res TPWDQueryResult
	if err := c.Call(context.Background(), MethodTPWDQuery, map[string]string{"password_content": "x"}, &res); err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
	if !res.Suc {
		t.Errorf("result %+v", res)
	}
}

func TestCallThrottledGivesUp(t *testing.T) {
	f, srv := newFake(t, throttle)
	c := testClient(srv.URL, testSecret, SignMD5)
	c.MaxAttempts = 2
	err := c.Call(context.Background(), MethodTPWDQuery, nil, nil)
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %v, want ErrThrottled", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 7 || ae.SubCode != "accesscontrol.limited-by-app-access-count" ||
		ae.SubMsg != "This ban will last for 1 more seconds" || ae.Msg != "App Call Limited" {
		t.Errorf("APIError %+v", ae)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	for _, s := range []string{"code 7", "App Call Limited", "accesscontrol.limited-by-app-access-count", "r3"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func TestCallBackoffHonoursContext(t *testing.T) {
	_, srv := newFake(t, throttle)
	c := testClient(srv.URL, testSecret, SignMD5)
	c.Backoff = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, MethodTPWDQuery, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrThrottled) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCallMalformed(t *testing.T) {
	for _, body := range []string{badBody, `[1,2]`, `null`, `{"other_response":{}}`, `<html>502</html>`, `{"error_response":"x"}`} {
		f, srv := newFake(t, body)
		c := testClient(srv.URL, testSecret, SignMD5)
		var res TPWDQueryResult
		err := c.Call(context.Background(), MethodTPWDQuery, nil, &res)
		if !errors.Is(err, ErrBadResponse) {
			t.Errorf("body %s: err = %v, want ErrBadResponse", body, err)
		}
		if n := f.calls.Load(); n != 1 {
			t.Errorf("body %s: %d calls", body, n)
		}
	}
}

func TestCallHTTP5xxRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, okBody)
	}))
	defer srv.Close()
	c := testClient(srv.URL, testSecret, SignMD5)
	if err := c.Call(context.Background(), MethodTPWDQuery, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("%d calls", n.Load())
	}
}

func TestCallUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	c := testClient(base, testSecret, SignMD5)
	c.MaxAttempts = 2
	err := c.Call(context.Background(), MethodTPWDQuery, nil, nil)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "无法连接解析服务 (cannot reach the resolving service)") {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Error("secret in error")
	}
}

func TestCallNoCredentials(t *testing.T) {
	c := NewClient(Config{AppKey: testKey})
	if err := c.Call(context.Background(), MethodTPWDQuery, nil, nil); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("err = %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	cfg := Config{AppKey: testKey, AppSecret: testSecret, Session: "session-token-xyz", BaseURL: "http://x"}
	c := NewClient(cfg)
	var nilClient *Client
	r := NewResolver(c)
	out := fmt.Sprintf("%v %+v %#v %s %q|%v %+v %#v|%v %+v %#v|%v %+v %#v|%v",
		cfg, cfg, cfg, cfg, cfg, &cfg, &cfg, &cfg, c, c, c, *c, *c, *c, nilClient)
	out += fmt.Sprintf("|%v %+v %#v", r, r, *r)
	if strings.Contains(out, testSecret) || strings.Contains(out, "session-token-xyz") {
		t.Fatalf("secret printed: %s", out)
	}
	if !strings.Contains(out, testKey) || !strings.Contains(out, "[redacted]") {
		t.Errorf("unhelpful output: %s", out)
	}
	if !c.Config().HasCredentials() || c.Config().AppSecret != testSecret {
		t.Error("Config() lost the secret")
	}
}

func TestAPIErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		e    APIError
		want bool
	}{
		{APIError{Code: 7, Msg: "App Call Limited"}, true},
		{APIError{Code: 520, SubCode: "isv.access-limited"}, true},
		{APIError{Code: 27, SubCode: "accesscontrol.limited-by-api-access-count"}, true},
		{APIError{Code: 25, Msg: "Invalid signature"}, false},
		{APIError{Code: 15, SubCode: "isv.invalid-parameter"}, false},
	} {
		var err error = &tc.e
		if got := errors.Is(err, ErrThrottled); got != tc.want {
			t.Errorf("%v: throttled = %v", err, got)
		}
	}
}
