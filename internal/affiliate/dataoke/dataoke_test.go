package dataoke

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/dataoke/fake"
)

const (
	testKey    = "612bc6e3a1b2c"
	testSecret = "dtk-secret-DO-NOT-LEAK-31415"
	testPID    = "mm_111_222_333"
)

var _ affiliate.Converter = (*Converter)(nil)

// TestSignRan pins the rule to a value computed apart from this code:
// python3 -c 'hashlib.md5(b"appKey=612bc6e3a1b2c&timer=1733443200000&nonce=123456&key=0123…cdef").hexdigest().upper()'
// (dataoke publishes the rule but no worked example).
func TestSignRan(t *testing.T) {
	got := SignRan(testKey, "0123456789abcdef0123456789abcdef", "1733443200000", "123456")
	if got != "41A416BA8A71BE3526F51657128CCB85" {
		t.Errorf("SignRan = %s", got)
	}
}

func newConv(t *testing.T) (*Converter, *fake.Server) {
	t.Helper()
	f := fake.New(testKey, testSecret)
	return New(Config{AppKey: testKey, AppSecret: testSecret, BaseURL: f.Start(t)}), f
}

func req(item string) affiliate.Request {
	return affiliate.Request{Platform: "taobao", ItemID: item, PID: testPID}
}

func convertOne(t *testing.T, c *Converter, r affiliate.Request) (affiliate.Result, error) {
	t.Helper()
	res, err := c.Convert(context.Background(), []affiliate.Request{r})
	if err != nil {
		return affiliate.Result{}, err
	}
	return res[0], nil
}

func TestConvertHappyPath(t *testing.T) {
	c, f := newConv(t)
	if c.MaxBatch() != 1 {
		t.Fatalf("MaxBatch %d", c.MaxBatch())
	}
	r := req("601")
	r.Person = "2700001"
	r.ShareCode = true
	res, err := convertOne(t, c, r)
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	want := affiliate.Link{
		URL:          fake.ShortURL("601", testPID, "2700001"),
		CouponURL:    fake.CouponURL("601", testPID, "2700001"),
		ShareCode:    fake.Tpwd("601", testPID, "2700001"),
		CommissionBP: 750,
	}
	if res.Link != want {
		t.Errorf("link %+v, want %+v", res.Link, want)
	}
	q := f.Calls()[0]
	if q.Get("channelId") != "2700001" || q.Get("goodsId") != "601" || q.Get("pid") != testPID || q.Get("version") != Version {
		t.Errorf("query %v", q)
	}
	res, err = convertOne(t, c, req("602"))
	if err != nil || res.Err != nil || res.Link.ShareCode != "" {
		t.Errorf("no share code asked: %+v %v", res, err)
	}
	if _, err := c.Convert(context.Background(), []affiliate.Request{req("1"), req("2")}); err == nil {
		t.Error("two requests accepted")
	}
}

func TestConvertSpecialID(t *testing.T) {
	c, f := newConv(t)
	c.PersonParam = PersonSpecialID
	r := req("601")
	r.Person = "889"
	if _, err := convertOne(t, c, r); err != nil {
		t.Fatal(err)
	}
	if q := f.Calls()[0]; q.Get("specialId") != "889" || q.Get("channelId") != "" {
		t.Errorf("query %v", q)
	}
}

func TestConvertMemberIDs(t *testing.T) {
	c, f := newConv(t)
	r := req("601")
	r.Person, r.SpecialID = "2700001", "889"
	res, err := convertOne(t, c, r)
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	if q := f.Calls()[0]; q.Get("specialId") != "889" || q.Get("channelId") != "2700001" {
		t.Errorf("query %v", q)
	}
	if want := fake.ShortURL("601", r.PID, fake.Person("2700001", "889")); res.Link.URL != want {
		t.Errorf("link %s, want %s", res.Link.URL, want)
	}
}

func TestConvertItemErrors(t *testing.T) {
	c, f := newConv(t)
	f.Gone("601")
	f.Deny("602")
	res, err := convertOne(t, c, req("601"))
	if err != nil || !errors.Is(res.Err, affiliate.ErrItemGone) || !strings.Contains(res.Err.Error(), "10006") {
		t.Errorf("gone: %v %v", err, res.Err)
	}
	res, err = convertOne(t, c, req("602"))
	if err != nil || !errors.Is(res.Err, affiliate.ErrNoPermission) || !strings.Contains(res.Err.Error(), "推广位无权限") {
		t.Errorf("denied: %v %v", err, res.Err)
	}
	bad := req("603")
	bad.PID = "mm_1_2"
	res, err = convertOne(t, c, bad)
	if err != nil || res.Err == nil || !strings.Contains(res.Err.Error(), `"mm_1_2"`) {
		t.Errorf("malformed PID: %v %v", err, res.Err)
	}
	if n := len(f.Calls()); n != 2 {
		t.Errorf("%d calls; the malformed PID must not be sent", n)
	}
}

func TestConvertThrottled(t *testing.T) {
	c, f := newConv(t)
	f.PerSecond = 1
	if _, err := convertOne(t, c, req("601")); err != nil {
		t.Fatal(err)
	}
	_, err := convertOne(t, c, req("602"))
	if !errors.Is(err, affiliate.ErrThrottled) || !strings.Contains(err.Error(), "20004") {
		t.Errorf("throttled: %v", err)
	}
}

func TestConvertCallErrors(t *testing.T) {
	c, _ := newConv(t)
	c.cfg.AppSecret = "wrong-DO-NOT-LEAK"
	if _, err := convertOne(t, c, req("601")); !errors.Is(err, affiliate.ErrAuth) || !strings.Contains(err.Error(), "20002") {
		t.Errorf("bad secret: %v", err)
	}
	c, _ = newConv(t)
	c.cfg.AppKey = "other"
	if _, err := convertOne(t, c, req("601")); !errors.Is(err, affiliate.ErrAuth) {
		t.Errorf("bad key: %v", err)
	}
	c, _ = newConv(t)
	c.Nonce = func() string { return "12a" }
	if res, err := convertOne(t, c, req("601")); err != nil || res.Err == nil || !strings.Contains(res.Err.Error(), "nonce") {
		t.Errorf("bad nonce: %v %v", err, res.Err)
	}
	if _, err := convertOne(t, New(Config{}), req("601")); !errors.Is(err, affiliate.ErrNoCredentials) {
		t.Errorf("no credentials: %v", err)
	}
	c = New(Config{AppKey: testKey, AppSecret: testSecret, BaseURL: "http://127.0.0.1:1"})
	if _, err := convertOne(t, c, req("601")); !errors.Is(err, affiliate.ErrUnreachable) {
		t.Errorf("unreachable: %v", err)
	}
}

// TestNoCredentialInErrors drives the error paths and checks no error
// text carries the secret, and that the secret is never sent.
func TestNoCredentialInErrors(t *testing.T) {
	c, f := newConv(t)
	f.Gone("601")
	var errs []error
	res, err := convertOne(t, c, req("601"))
	errs = append(errs, err, res.Err)
	f.PerSecond = 1
	convertOne(t, c, req("602"))
	_, err = convertOne(t, c, req("603"))
	errs = append(errs, err)
	unreachable := New(Config{AppKey: testKey, AppSecret: testSecret, BaseURL: "http://127.0.0.1:1"})
	_, err = convertOne(t, unreachable, req("601"))
	errs = append(errs, err)
	n := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		n++
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("secret in error %q", err)
		}
	}
	if n < 3 {
		t.Errorf("only %d errors exercised", n)
	}
	for _, q := range f.Calls() {
		if strings.Contains(q.Encode(), testSecret) {
			t.Error("secret sent")
		}
	}
	for _, s := range []string{fmt.Sprint(c.Config()), fmt.Sprintf("%#v", c.Config()), fmt.Sprintf("%+v", c.Config()),
		fmt.Sprint(c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", []any{c})} {
		if strings.Contains(s, testSecret) {
			t.Errorf("secret printed: %s", s)
		}
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if _, ok := fromEnv(get); ok {
		t.Error("configured without credentials")
	}
	env["QUNKE_DATAOKE_APP_KEY"], env["QUNKE_DATAOKE_APP_SECRET"], env["QUNKE_DATAOKE_API"] = "k", "s", "http://127.0.0.1:9"
	c, ok := fromEnv(get)
	if !ok || c.Config() != (Config{AppKey: "k", AppSecret: "s", BaseURL: "http://127.0.0.1:9"}) {
		t.Errorf("configured %t, %v", ok, c.Config())
	}
	c, _ = fromEnv(func(string) string { return "" })
	if c.Config().BaseURL != DefaultBaseURL {
		t.Errorf("base URL %q", c.Config().BaseURL)
	}
}
