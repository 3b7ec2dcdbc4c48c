package pdd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/pdd/fake"
)

const (
	testID     = "pdd-client-id-1"
	testSecret = "pdd-SECRET-never-print-41aa"
	testPID    = "1234567_89012345"
	testSign   = "c9r2omogKFFAc7WBwvbZU1ikIb16_J3CTa8HNN"
)

// The example the platform publishes for its signature (issue 13).
func TestSignPublishedExample(t *testing.T) {
	p := map[string]string{
		"access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
		"client_id":    "1",
		"data_type":    "XML",
		"order_status": "1",
		"page":         "1",
		"page_size":    "10",
		"timestamp":    "1480411125",
		"type":         "pdd.order.number.list.get",
	}
	if got := Sign(p, "testSecret"); got != "E4DE3ED21002510DED352819E7AE6775" {
		t.Fatalf("Sign = %s", got)
	}
}

func newFake(t *testing.T, perSecond int) *fake.Server {
	f := fake.New(testID, testSecret, perSecond)
	t.Cleanup(f.Close)
	return f
}

func newClient(f *fake.Server, secret string) *Client {
	c := NewClient(Config{ClientID: testID, ClientSecret: secret, BaseURL: f.URL})
	c.Backoff = time.Millisecond
	return c
}

func convert(c *Client, item, person string) ([]affiliate.Result, error) {
	return c.Convert(context.Background(), []affiliate.Request{{Platform: "pdd", ItemID: item, PID: testPID, Person: person}})
}

func TestConvertHappyPath(t *testing.T) {
	c := newClient(newFake(t, 0), testSecret)
	var conv affiliate.Converter = c
	res, err := convert(c, testSign, "m42")
	if err != nil || res[0].Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	if want := fake.ShortURL(testSign, testPID, "m42"); res[0].Link.URL != want {
		t.Fatalf("link %q, want %q", res[0].Link.URL, want)
	}
	if conv.MaxBatch() != 1 || conv.Platforms()[0] != "pdd" {
		t.Fatal("converter shape")
	}
}

func TestConvertPerItemErrors(t *testing.T) {
	f := newFake(t, 0)
	f.Gone("gone-sign")
	c := newClient(f, testSecret)
	res, err := convert(c, "gone-sign", "")
	var ae *APIError
	if err != nil || !errors.Is(res[0].Err, affiliate.ErrItemGone) || !errors.As(res[0].Err, &ae) || ae.Code != 50001 || ae.SubCode != "60001" {
		t.Fatalf("gone: %v %+v", err, res)
	}
	res, err = convert(c, testSign, strings.Repeat("x", 65))
	if err != nil || !errors.Is(res[0].Err, errRequest) {
		t.Fatalf("65-byte custom_parameters: %v %+v", err, res)
	}
	before := f.Calls()
	if res, _ = convert(c, testSign, strings.Repeat("x", 64)); res[0].Err != nil || f.Calls() != before+1 {
		t.Fatalf("64 bytes refused: %+v", res)
	}
}

func TestConvertAuthErrors(t *testing.T) {
	f := newFake(t, 0)
	_, err := convert(newClient(f, "wrong-SECRET-value"), testSign, "")
	var ae *APIError
	if !errors.Is(err, affiliate.ErrAuth) || !errors.As(err, &ae) || ae.Code != 20004 || strings.Contains(err.Error(), "wrong-SECRET-value") {
		t.Fatalf("bad signature: %v", err)
	}
	c := NewClient(Config{ClientID: "other", ClientSecret: testSecret, BaseURL: f.URL})
	if _, err := convert(c, testSign, ""); !errors.Is(err, affiliate.ErrAuth) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("unknown client_id: %v", err)
	}
	if _, err := convert(NewClient(Config{BaseURL: f.URL}), testSign, ""); !errors.Is(err, affiliate.ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestThrottledThenBacksOff(t *testing.T) {
	f := newFake(t, 1)
	c := newClient(f, testSecret)
	c.MaxAttempts = 1
	var throttled error
	for i := 0; i < 3 && throttled == nil; i++ {
		_, throttled = convert(c, testSign, "")
	}
	var th *affiliate.Throttled
	if !errors.As(throttled, &th) || th.Platform != "pdd" || !strings.Contains(th.Detail, "70031") || affiliate.RetryAfter(throttled) <= 0 {
		t.Fatalf("throttle: %v", throttled)
	}
	c.MaxAttempts = 3
	if res, err := convert(c, testSign, ""); err != nil || res[0].Err != nil {
		t.Fatalf("after backing off: %v %+v", err, res)
	}
}

func TestUnreachableAndSecretHidden(t *testing.T) {
	f := newFake(t, 0)
	c := newClient(f, testSecret)
	f.Close()
	if _, err := convert(c, testSign, ""); !errors.Is(err, affiliate.ErrUnreachable) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("%v", err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", c.cfg, c.cfg, c.cfg), fmt.Sprintf("%v %+v %#v", *c, *c, *c)} {
		if strings.Contains(s, testSecret) {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("QUNKE_PDD_CLIENT_ID", testID)
	t.Setenv("QUNKE_PDD_CLIENT_SECRET", "")
	if _, ok := FromEnv(); ok {
		t.Fatal("configured without a secret")
	}
	t.Setenv("QUNKE_PDD_CLIENT_SECRET", testSecret)
	t.Setenv("QUNKE_PDD_API", "http://127.0.0.1:9/api/router")
	if c, ok := FromEnv(); !ok || c.cfg.BaseURL != "http://127.0.0.1:9/api/router" {
		t.Fatalf("%v %v", c, ok)
	}
}

var base = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestOrdersPagesLastToFirst(t *testing.T) {
	f := newFake(t, 0)
	for i := 0; i < 25; i++ {
		f.AddOrders(fake.Order{OrderSN: fmt.Sprintf("261201-%03d", i), GoodsID: 400000000000 + int64(i), GoodsSign: testSign,
			GoodsName: "拼多多 抽纸", GoodsQuantity: 1, GoodsPrice: 1990, OrderAmount: 1890, PromotionAmount: 189,
			PromotionRate: 100, Status: 1, PayTime: base, ModifyTime: base.Add(time.Duration(i) * time.Minute),
			PID: testPID, CustomParameters: "m42"})
	}
	f.AddOrders(fake.Order{OrderSN: "outside", ModifyTime: base.Add(25 * time.Hour)})
	c := newClient(f, testSecret)
	got, err := c.Orders(context.Background(), base, base.Add(24*time.Hour), 10)
	if err != nil || len(got) != 25 {
		t.Fatalf("%v %d orders", err, len(got))
	}
	if p := fmt.Sprint(f.Pages()); p != "[1 3 2 1]" {
		t.Errorf("pages asked %s, want the count then 3 2 1", p)
	}
	o := got[0] // the last page's first order
	want := Order{OrderSN: "261201-020", GoodsID: "400000000020", GoodsSign: testSign, GoodsName: "拼多多 抽纸", GoodsQuantity: 1,
		GoodsPriceFen: 1990, OrderAmountFen: 1890, PromotionFen: 189, PromotionRateBP: 1000, Status: StatusGrouped,
		StatusDesc: "已成团", CreateTime: base, PayTime: base, ModifyTime: base.Add(20 * time.Minute), PID: testPID, CustomParameters: "m42"}
	if o != want {
		t.Fatalf("order\n got %+v\nwant %+v", o, want)
	}
}

func TestOrdersOnePageAndWindowLimit(t *testing.T) {
	f := newFake(t, 0)
	f.AddOrders(fake.Order{OrderSN: "a", ModifyTime: base}, fake.Order{OrderSN: "b", ModifyTime: base.Add(time.Second)})
	c := newClient(f, testSecret)
	got, err := c.Orders(context.Background(), base, base.Add(time.Hour), 0)
	if err != nil || len(got) != 2 || fmt.Sprint(f.Pages()) != "[1]" {
		t.Fatalf("%v %d %v", err, len(got), f.Pages())
	}
	if _, err := c.Orders(context.Background(), base, base.Add(24*time.Hour+time.Second), 0); err == nil {
		t.Fatal("window over 24 h accepted")
	}
	// the fake refuses it too, with the platform's parameter error
	_, err = c.Page(context.Background(), base, base.Add(25*time.Hour), 1, 10)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 10000 || !strings.Contains(ae.SubMsg, "24") {
		t.Fatalf("%v", err)
	}
}
