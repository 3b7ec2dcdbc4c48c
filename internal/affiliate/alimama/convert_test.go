package alimama

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/alimama/fake"
)

const (
	convSession = "6100-session-DO-NOT-LEAK-77"
	convPID     = "mm_111_222_333"
)

var _ affiliate.Converter = (*Converter)(nil)

// newConv returns a converter against a fresh fake that wants convSession.
func newConv(t *testing.T) (*Converter, *fake.Server) {
	t.Helper()
	f := fake.New(testKey, testSecret)
	f.Session = convSession
	c := NewClient(Config{AppKey: testKey, AppSecret: testSecret, Session: convSession, BaseURL: f.Start(t)})
	c.Backoff = time.Millisecond
	return NewConverter(c), f
}

func req(item string) affiliate.Request {
	return affiliate.Request{Platform: "taobao", ItemID: item, PID: convPID}
}

func methods(f *fake.Server) map[string]int {
	n := map[string]int{}
	for _, c := range f.Calls() {
		n[c.Method]++
	}
	return n
}

func TestConvertHappyPath(t *testing.T) {
	conv, f := newConv(t)
	reqs := []affiliate.Request{req("601"), req("602"), req("603")}
	reqs[1].Platform = "tmall"
	reqs[2].Person = "2700001"
	reqs[2].ShareCode = true
	res, err := conv.Convert(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("item %d: %v", i, r.Err)
		}
		if want := fake.Link(reqs[i].ItemID, "333", reqs[i].Person); r.Link.URL != want {
			t.Errorf("item %d URL %q, want %q", i, r.Link.URL, want)
		}
		if want := fake.CouponLink(reqs[i].ItemID, "333", reqs[i].Person); r.Link.CouponURL != want {
			t.Errorf("item %d coupon %q, want %q", i, r.Link.CouponURL, want)
		}
		if r.Link.CommissionBP != 600 {
			t.Errorf("item %d commission %d bp, want 600", i, r.Link.CommissionBP)
		}
	}
	if res[0].Link.ShareCode != "" || res[2].Link.ShareCode != fake.ShareCode(res[2].Link.URL) {
		t.Errorf("share codes %q %q", res[0].Link.ShareCode, res[2].Link.ShareCode)
	}
	// one call for the two items without a person, one for the third, and
	// one 淘口令.
	if n := methods(f); n[MethodLinkConvert] != 2 || n[MethodTpwdCreate] != 1 {
		t.Errorf("calls %v", n)
	}
	for _, c := range f.Calls() {
		if c.Method == MethodLinkConvert && c.Form.Get("relation_id") == "2700001" && c.Form.Get("item_id_list") != "603" {
			t.Errorf("relation_id call carries %q", c.Form.Get("item_id_list"))
		}
		if c.Method == MethodLinkConvert && (c.Form.Get("adzone_id") != "333" || c.Form.Get("biz_scene_id") != "1" || c.Form.Get("promotion_type") != "2") {
			t.Errorf("convert params %v", c.Form)
		}
	}
}

func TestConvertSharecodeFromAnswer(t *testing.T) {
	conv, f := newConv(t)
	f.Tpwd = true
	r := req("601")
	r.ShareCode = true
	res, err := conv.Convert(context.Background(), []affiliate.Request{r})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if res[0].Link.ShareCode != fake.ShareCode(fake.Link("601", "333", "")) {
		t.Errorf("share code %q", res[0].Link.ShareCode)
	}
	if n := methods(f); n[MethodTpwdCreate] != 0 {
		t.Errorf("tpwd.create called although the answer had cps_short_tpwd: %v", n)
	}
}

func TestConvertSpecialID(t *testing.T) {
	conv, f := newConv(t)
	conv.PersonParam = PersonSpecialID
	r := req("601")
	r.Person = "889"
	if _, err := conv.Convert(context.Background(), []affiliate.Request{r}); err != nil {
		t.Fatal(err)
	}
	if c := f.Calls()[0]; c.Form.Get("special_id") != "889" || c.Form.Get("relation_id") != "" {
		t.Errorf("form %v", c.Form)
	}
}

// A member's relation_id and special_id go in one call; requests for
// another person or none go in calls of their own; a special_id that is not
// a number fails its request only.
func TestConvertMemberIDs(t *testing.T) {
	conv, f := newConv(t)
	both, rel, none, bad := req("601"), req("602"), req("603"), req("604")
	both.Person, both.SpecialID = "2700001", "889"
	rel.Person = "2700001"
	bad.SpecialID = "88a"
	res, err := conv.Convert(context.Background(), []affiliate.Request{both, rel, none, bad})
	if err != nil {
		t.Fatal(err)
	}
	for i, person := range []string{fake.Person("2700001", "889"), "2700001", ""} {
		if want := fake.Link(fmt.Sprint(601+i), "333", person); res[i].Err != nil || res[i].Link.URL != want {
			t.Errorf("request %d: %+v, want %s", i, res[i], want)
		}
	}
	if res[3].Err == nil || !strings.Contains(res[3].Err.Error(), "special_id") {
		t.Errorf("bad special_id: %+v", res[3])
	}
	calls := f.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3 (one per person)", len(calls))
	}
	if c := calls[0].Form; c.Get("relation_id") != "2700001" || c.Get("special_id") != "889" || c.Get("item_id_list") != "601" {
		t.Errorf("first call %v", c)
	}
	// The fake refuses what the method documents as a number.
	f2conv, _ := newConv(t)
	f2conv.PersonParam = PersonSpecialID
	r := req("605")
	r.Person = "x1"
	if _, err := f2conv.Convert(context.Background(), []affiliate.Request{r}); err == nil || !strings.Contains(err.Error(), "special_id") {
		t.Errorf("a special_id that is no number: %v", err)
	}
}

func TestConvertBatchOfTwenty(t *testing.T) {
	conv, f := newConv(t)
	if conv.MaxBatch() != 20 {
		t.Fatalf("MaxBatch %d", conv.MaxBatch())
	}
	reqs := make([]affiliate.Request, 21)
	for i := range reqs {
		reqs[i] = req(strconv.Itoa(700 + i))
	}
	if _, err := conv.Convert(context.Background(), reqs); err == nil {
		t.Fatal("21 requests accepted")
	}
	res, err := conv.Convert(context.Background(), reqs[:20])
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Link.URL != fake.Link(reqs[i].ItemID, "333", "") {
			t.Errorf("item %d: %+v", i, r)
		}
	}
	if calls := f.Calls(); len(calls) != 1 || len(strings.Split(calls[0].Form.Get("item_id_list"), ",")) != 20 {
		t.Errorf("want one call with 20 ids, got %d calls", len(calls))
	}
}

func TestConvertNoPermissionPerItem(t *testing.T) {
	conv, f := newConv(t)
	f.Deny("602")
	res, err := conv.Convert(context.Background(), []affiliate.Request{req("601"), req("602")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !errors.Is(res[1].Err, affiliate.ErrNoPermission) {
		t.Fatalf("results %+v", res)
	}
	if msg := res[1].Err.Error(); !strings.Contains(msg, "1001") || !strings.Contains(msg, "无权限") {
		t.Errorf("error lost the platform's code/message: %q", msg)
	}
}

func TestConvertItemGoneNarrowed(t *testing.T) {
	conv, f := newConv(t)
	f.Gone("602")
	res, err := conv.Convert(context.Background(), []affiliate.Request{req("601"), req("602"), req("603")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil || res[2].Link.URL != fake.Link("603", "333", "") {
		t.Errorf("others: %+v", res)
	}
	if !errors.Is(res[1].Err, affiliate.ErrItemGone) {
		t.Fatalf("gone item: %v", res[1].Err)
	}
	var ae *APIError
	if !errors.As(res[1].Err, &ae) || ae.SubCode != "isv.item-not-exist" || ae.Code != 15 {
		t.Errorf("platform code lost: %v", res[1].Err)
	}
}

func TestConvertMalformedPID(t *testing.T) {
	conv, f := newConv(t)
	bad := req("601")
	bad.PID = "mm_111_222"
	res, err := conv.Convert(context.Background(), []affiliate.Request{bad, req("602")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), `"mm_111_222"`) {
		t.Errorf("malformed PID: %v", res[0].Err)
	}
	if res[1].Err != nil {
		t.Errorf("good request failed: %v", res[1].Err)
	}
	if calls := f.Calls(); len(calls) != 1 || calls[0].Form.Get("item_id_list") != "602" {
		t.Errorf("calls %v", calls)
	}
	res, err = conv.Convert(context.Background(), []affiliate.Request{req("601,602"), req("qYtxrMJOC8tmtM-Qq0Z65Sbbq5DqZ9")})
	if err != nil || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), `"601,602"`) || res[1].Err != nil {
		t.Errorf("item ids: %v %+v", err, res)
	}
	for _, pid := range []string{"", "mm_1_2_x", "xx_1_2_3", "mm_1_2_3_4", "mm__2_3"} {
		if _, err := Adzone(pid); err == nil {
			t.Errorf("Adzone(%q) accepted", pid)
		}
	}
}

func TestConvertThrottled(t *testing.T) {
	conv, f := newConv(t)
	f.PerSecond = 1
	conv.API.MaxAttempts = 1
	ctx := context.Background()
	if _, err := conv.Convert(ctx, []affiliate.Request{req("601")}); err != nil {
		t.Fatal(err)
	}
	_, err := conv.Convert(ctx, []affiliate.Request{req("602")})
	if !errors.Is(err, affiliate.ErrThrottled) || affiliate.RetryAfter(err) != time.Second {
		t.Fatalf("err %v, retry after %v", err, affiliate.RetryAfter(err))
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 7 {
		t.Errorf("platform code lost: %v", err)
	}
	// With the client's retries, the wait lasts as long as the ban the
	// platform announced, however short the configured back-off.
	conv.API.MaxAttempts, conv.API.Backoff = 2, time.Millisecond
	start := time.Now()
	res, err := conv.Convert(ctx, []affiliate.Request{req("603")})
	if err != nil || res[0].Err != nil {
		t.Fatalf("after back-off: %v %+v", err, res)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, inside the 1 s ban", d)
	}
}

func TestConvertAuthErrors(t *testing.T) {
	ctx := context.Background()
	conv, _ := newConv(t)
	conv.API.cfg.Session = "expired-session-DO-NOT-LEAK"
	_, err := conv.Convert(ctx, []affiliate.Request{req("601")})
	if !errors.Is(err, affiliate.ErrAuth) || !strings.Contains(err.Error(), "27") {
		t.Errorf("bad session: %v", err)
	}
	conv, _ = newConv(t)
	conv.API.cfg.AppSecret = "wrong-secret-DO-NOT-LEAK"
	if _, err := conv.Convert(ctx, []affiliate.Request{req("601")}); !errors.Is(err, affiliate.ErrAuth) {
		t.Errorf("bad secret: %v", err)
	}
	none := NewConverter(NewClient(Config{}))
	if _, err := none.Convert(ctx, []affiliate.Request{req("601")}); !errors.Is(err, affiliate.ErrNoCredentials) {
		t.Errorf("no credentials: %v", err)
	}
}

func TestConvertUnreachable(t *testing.T) {
	c := NewClient(Config{AppKey: testKey, AppSecret: testSecret, BaseURL: "http://127.0.0.1:1/router/rest"})
	c.MaxAttempts = 1
	_, err := NewConverter(c).Convert(context.Background(), []affiliate.Request{req("601")})
	if !errors.Is(err, affiliate.ErrUnreachable) {
		t.Errorf("err %v", err)
	}
}

func TestShareCodeHTTPSOnly(t *testing.T) {
	conv, f := newConv(t)
	got, err := conv.ShareCode(context.Background(), "http://s.click.taobao.com/abc")
	if err != nil || got != fake.ShareCode("https://s.click.taobao.com/abc") {
		t.Errorf("http link: %q %v", got, err)
	}
	if _, err := conv.ShareCode(context.Background(), "ftp://x"); err == nil {
		t.Error("ftp link accepted")
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("%d calls", n)
	}
}

// TestConvertErrorsCarryNoCredentials drives every error path and checks
// that neither the secret nor the session appears in an error.
func TestConvertErrorsCarryNoCredentials(t *testing.T) {
	ctx := context.Background()
	var errs []error
	conv, f := newConv(t)
	f.Deny("602")
	f.Gone("603")
	res, err := conv.Convert(ctx, []affiliate.Request{req("601"), req("602"), req("603"), {Platform: "taobao", ItemID: "x", PID: "mm_1"}})
	errs = append(errs, err)
	for _, r := range res {
		errs = append(errs, r.Err)
	}
	f.PerSecond = 1
	conv.API.MaxAttempts = 1
	conv.Convert(ctx, []affiliate.Request{req("604")})
	_, err = conv.Convert(ctx, []affiliate.Request{req("604")})
	errs = append(errs, err)
	conv.API.cfg.Session = "x"
	_, err = conv.Convert(ctx, []affiliate.Request{req("605")})
	errs = append(errs, err)
	c := NewClient(Config{AppKey: testKey, AppSecret: testSecret, Session: convSession, BaseURL: "http://127.0.0.1:1/" + "router"})
	c.MaxAttempts = 1
	_, err = NewConverter(c).Convert(ctx, []affiliate.Request{req("601")})
	errs = append(errs, err)
	failures := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failures++
		if msg := err.Error(); strings.Contains(msg, testSecret) || strings.Contains(msg, convSession) {
			t.Errorf("credential in error: %q", msg)
		}
	}
	for _, s := range []string{fmt.Sprint(conv), fmt.Sprintf("%+v", *conv), fmt.Sprintf("%#v", conv), fmt.Sprintf("%v", []any{conv})} {
		if strings.Contains(s, testSecret) || strings.Contains(s, convSession) {
			t.Errorf("credential printed: %s", s)
		}
	}
	if failures < 6 {
		t.Errorf("only %d errors exercised", failures)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if _, ok := fromEnv(get); ok {
		t.Error("configured without credentials")
	}
	env["QUNKE_ALIMAMA_APP_KEY"] = "k"
	env["QUNKE_ALIMAMA_APP_SECRET"] = "s"
	env["QUNKE_ALIMAMA_SESSION"] = "sess"
	env["QUNKE_ALIMAMA_API"] = "http://127.0.0.1:9/router/rest"
	conv, ok := fromEnv(get)
	if !ok {
		t.Fatal("not configured")
	}
	if cfg := conv.API.Config(); cfg.AppKey != "k" || cfg.AppSecret != "s" || cfg.Session != "sess" || cfg.BaseURL != env["QUNKE_ALIMAMA_API"] {
		t.Errorf("config %v", cfg)
	}
	if got := conv.Platforms(); len(got) != 2 || got[0] != "taobao" || got[1] != "tmall" {
		t.Errorf("platforms %v", got)
	}
}

// TestConvertHMACSigning: the fake re-checks hmac and hmac-sha256 signs
// too.
func TestConvertHMACSigning(t *testing.T) {
	for _, m := range []string{SignHMAC, SignHMACSHA256} {
		conv, f := newConv(t)
		conv.API.cfg.SignMethod = m
		res, err := conv.Convert(context.Background(), []affiliate.Request{req("601")})
		if err != nil || res[0].Err != nil {
			t.Errorf("%s: %v %+v", m, err, res)
		}
		if got := f.Calls()[0].Form.Get("sign_method"); got != m {
			t.Errorf("sign_method %q", got)
		}
	}
}
