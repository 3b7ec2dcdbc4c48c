package jd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/jd/fake"
)

const (
	testKey    = "jd-app-key-1"
	testSecret = "jd-SECRET-never-print-7c1d"
	testPID    = "1000001_2000002_3000003"
)

// The example JD publishes for its signature (issue 13, from the JD open
// platform's signing guide).
func TestSignPublishedExample(t *testing.T) {
	p := map[string]string{
		"360buy_param_json": `{"end_date":null,"optional_fields":null,"order_state":"WAIT_SELLER_STOCK_OUT","page":"1","page_size":"200","start_date":null}`,
		"access_token":      "yourtoken",
		"app_key":           "yourappkey",
		"method":            "jingdong.pop.order.search",
		"timestamp":         "2021-05-07 09:20:39.683+0800",
		"v":                 "2.0",
	}
	if got := Sign(p, "yourappSecret"); got != "D70825340F4084360B9362B60DFD7930" {
		t.Fatalf("Sign = %s", got)
	}
}

func newClient(t *testing.T, f *fake.Server, secret string) *Client {
	t.Helper()
	c := NewClient(Config{AppKey: testKey, AppSecret: secret, BaseURL: f.URL})
	c.Backoff = time.Millisecond
	return c
}

func newFake(t *testing.T, perSecond int) *fake.Server {
	f := fake.New(testKey, testSecret, perSecond)
	t.Cleanup(f.Close)
	return f
}

func TestConvertHappyPath(t *testing.T) {
	f := newFake(t, 0)
	c := newClient(t, f, testSecret)
	var conv affiliate.Converter = c
	res, err := conv.Convert(context.Background(), []affiliate.Request{{Platform: "jd", ItemID: "100012043978", PID: testPID, Person: "m42"}})
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	want := fake.ShortURL("https://item.jd.com/100012043978.html", 3000003, "m42")
	if res[0].Link.URL != want {
		t.Fatalf("link %q, want %q", res[0].Link.URL, want)
	}
	if conv.MaxBatch() != 1 || conv.Platforms()[0] != "jd" {
		t.Fatal("converter shape")
	}
}

// The fake refuses a subUnionId the method does not allow, as JD does.
func TestConvertBadSubUnionID(t *testing.T) {
	f := newFake(t, 0)
	c := newClient(t, f, testSecret)
	res, err := c.Convert(context.Background(), []affiliate.Request{{Platform: "jd", ItemID: "100012043978", PID: testPID, Person: "m 42"}})
	if err == nil && (len(res) != 1 || res[0].Err == nil) {
		t.Fatalf("a subUnionId with a space converted: %+v", res)
	}
}

func TestConvertPerItemErrors(t *testing.T) {
	f := newFake(t, 0)
	f.Gone("https://item.jd.com/1.html")
	f.Deny("https://item.jd.com/2.html")
	c := newClient(t, f, testSecret)
	for _, tc := range []struct {
		item, pid string
		want      error
	}{{"1", testPID, affiliate.ErrItemGone}, {"2", testPID, affiliate.ErrNoPermission}, {"3", "1000001_3000003", errRequest}} {
		res, err := c.Convert(context.Background(), []affiliate.Request{{Platform: "jd", ItemID: tc.item, PID: tc.pid}})
		if err != nil || !errors.Is(res[0].Err, tc.want) {
			t.Errorf("item %s: %v %v, want %v", tc.item, err, res, tc.want)
		}
	}
	var ae *APIError
	res, _ := c.Convert(context.Background(), []affiliate.Request{{Platform: "jd", ItemID: "1", PID: testPID}})
	if !errors.As(res[0].Err, &ae) || ae.Code != 2001504 || !strings.Contains(ae.Error(), "商品不存在") {
		t.Errorf("platform code/message lost: %v", res[0].Err)
	}
}

func TestConvertAuthAndNoCredentials(t *testing.T) {
	f := newFake(t, 0)
	c := newClient(t, f, "wrong-SECRET-value")
	_, err := c.Convert(context.Background(), []affiliate.Request{{Platform: "jd", ItemID: "1", PID: testPID}})
	var ae *APIError
	if !errors.Is(err, affiliate.ErrAuth) || !errors.As(err, &ae) || ae.Code != 12 {
		t.Fatalf("bad signature: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-SECRET-value") {
		t.Fatal("secret in error")
	}
	if _, err := NewClient(Config{BaseURL: f.URL}).Convert(context.Background(), []affiliate.Request{{ItemID: "1", PID: testPID}}); !errors.Is(err, affiliate.ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestThrottledRetriesThenReports(t *testing.T) {
	f := newFake(t, 1)
	c := newClient(t, f, testSecret)
	c.MaxAttempts = 1
	req := []affiliate.Request{{Platform: "jd", ItemID: "5", PID: testPID}}
	var throttled error
	for i := 0; i < 3 && throttled == nil; i++ {
		_, throttled = c.Convert(context.Background(), req)
	}
	var th *affiliate.Throttled
	if !errors.As(throttled, &th) || !errors.Is(throttled, affiliate.ErrThrottled) || !strings.Contains(th.Detail, "code 2") || affiliate.RetryAfter(throttled) <= 0 {
		t.Fatalf("throttle: %v", throttled)
	}
	c.MaxAttempts = 3 // waits past the second; the call succeeds
	res, err := c.Convert(context.Background(), req)
	if err != nil || res[0].Err != nil {
		t.Fatalf("after backing off: %v %+v", err, res)
	}
}

func TestUnreachable(t *testing.T) {
	f := newFake(t, 0)
	c := newClient(t, f, testSecret)
	f.Close()
	_, err := c.Convert(context.Background(), []affiliate.Request{{Platform: "jd", ItemID: "5", PID: testPID}})
	if !errors.Is(err, affiliate.ErrUnreachable) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("%v", err)
	}
}

func TestConfigNeverPrintsSecret(t *testing.T) {
	c := NewClient(Config{AppKey: testKey, AppSecret: testSecret})
	for _, s := range []string{fmt.Sprint(c.cfg), fmt.Sprintf("%v %+v %#v", c.cfg, c.cfg, c.cfg), fmt.Sprintf("%v %+v %#v", *c, *c, *c)} {
		if strings.Contains(s, testSecret) {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("QUNKE_JD_APP_KEY", "")
	t.Setenv("QUNKE_JD_APP_SECRET", "")
	if _, ok := FromEnv(); ok {
		t.Fatal("configured without credentials")
	}
	t.Setenv("QUNKE_JD_APP_KEY", testKey)
	t.Setenv("QUNKE_JD_APP_SECRET", testSecret)
	t.Setenv("QUNKE_JD_API", "http://127.0.0.1:9/router")
	c, ok := FromEnv()
	if !ok || c.cfg.BaseURL != "http://127.0.0.1:9/router" {
		t.Fatalf("%v %v", c, ok)
	}
}

var base = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // 10:00 in Beijing

func TestOrdersPagesAndParsesExactly(t *testing.T) {
	f := newFake(t, 0)
	for i := 0; i < 5; i++ {
		f.AddOrders(fake.Order{ID: fmt.Sprintf("row%d", i), OrderID: fmt.Sprint(280000000000 + i), SkuID: "100012043978",
			SkuName: "京东 纸巾", SkuNum: 2, Price: "19.99", EstimateCosPrice: "39.98", EstimateFee: "1.155", ActualFee: "0.29",
			CommissionRate: "5.5", ValidCode: 16, OrderTime: base.Add(-time.Hour), ModifyTime: base.Add(time.Duration(i) * time.Minute),
			PositionID: 3000003, SubUnionID: "m42"})
	}
	f.AddOrders(fake.Order{ID: "late", OrderID: "1", SkuID: "1", ModifyTime: base.Add(2 * time.Hour)})
	c := newClient(t, f, testSecret)
	before := f.Calls()
	rows, err := c.Orders(context.Background(), OrderQuery{Start: base, End: base.Add(time.Hour), PageSize: 2})
	if err != nil || len(rows) != 5 {
		t.Fatalf("%v %d rows", err, len(rows))
	}
	if n := f.Calls() - before; n != 3 {
		t.Errorf("%d calls for 5 rows at 2 a page, want 3", n)
	}
	r := rows[4]
	want := Order{ID: "row4", OrderID: "280000000004", ParentID: "0", SkuID: "100012043978", SkuName: "京东 纸巾", SkuNum: 2,
		PriceFen: 1999, EstimateCosFen: 3998, EstimateFeeFen: 116, ActualCosFen: 3998, ActualFeeFen: 29, CommissionRateBP: 550,
		FinalRateBP: 9000, ValidCode: 16, OrderTime: base.Add(-time.Hour), ModifyTime: base.Add(4 * time.Minute),
		PayMonth: "0", UnionID: "1000001", PositionID: "3000003", SiteID: "0", SubUnionID: "m42"}
	if r != want {
		t.Fatalf("row\n got %+v\nwant %+v", r, want)
	}
	if !Valid(r.ValidCode) || Valid(3) || Valid(14) {
		t.Error("Valid")
	}
}

func TestOrdersWindowChecked(t *testing.T) {
	c := newClient(t, newFake(t, 0), testSecret)
	if _, err := c.Orders(context.Background(), OrderQuery{Start: base, End: base.Add(61 * time.Minute)}); err == nil {
		t.Fatal("window over an hour accepted")
	}
}

func TestOrdersMalformedRowNamed(t *testing.T) {
	f := newFake(t, 0)
	f.AddOrders(fake.Order{ID: "bad", OrderID: "7", SkuID: "1", Price: "1e3", ModifyTime: base})
	_, err := newClient(t, f, testSecret).Orders(context.Background(), OrderQuery{Start: base, End: base.Add(time.Minute)})
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "row 1 (id bad): price") {
		t.Fatalf("%v", err)
	}
}
