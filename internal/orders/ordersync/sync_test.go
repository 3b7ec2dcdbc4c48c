package ordersync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

const (
	testKey    = "12345678"
	testSecret = "s3cr3t-do-not-log"
)

// fakeTOP implements taobao.tbk.order.details.get over a seeded list.
type fakeTOP struct {
	t  *testing.T
	mu sync.Mutex

	orders []map[string]any // API order objects; times as API strings

	throttleOnce   bool // answer the first call with code 7
	throttleAlways bool
	throttled      int
	// failStart/failPage: a hard (non-retryable) error for that window's page.
	failStart time.Time
	failPage  int

	calls     int
	windows   []Window // one per first page
	delivered map[string]int
	bad       []string // protocol violations seen
}

func newFake(t *testing.T) (*fakeTOP, *alimama.Client) {
	f := &fakeTOP{t: t, delivered: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := alimama.NewClient(alimama.Config{AppKey: testKey, AppSecret: testSecret, BaseURL: srv.URL})
	c.Backoff = time.Millisecond
	return f, c
}

func (f *fakeTOP) violation(format string, args ...any) {
	f.bad = append(f.bad, fmt.Sprintf(format, args...))
}

func topError(w http.ResponseWriter, code int, msg, sub string) {
	json.NewEncoder(w).Encode(map[string]any{"error_response": map[string]any{
		"code": code, "msg": msg, "sub_code": sub, "request_id": "fake"}})
}

var timeField = map[string]string{"1": "tk_create_time", "2": "tk_paid_time", "3": "tk_earning_time", "4": "modified_time"}

func (f *fakeTOP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	w.Header().Set("Content-Type", "application/json")
	if err := r.ParseForm(); err != nil {
		f.violation("ParseForm: %v", err)
	}
	form := r.PostForm
	params := map[string]string{}
	for k, vs := range form {
		params[k] = vs[0]
		if strings.Contains(vs[0], testSecret) {
			f.violation("secret sent in %s", k)
		}
	}
	sign := form.Get("sign")
	if sign == "" {
		f.violation("no sign")
		topError(w, 25, "Invalid signature", "")
		return
	}
	if want, _ := alimama.Sign(params, testSecret, form.Get("sign_method")); sign != want {
		f.violation("bad sign")
		topError(w, 25, "Invalid signature", "")
		return
	}
	if m := form.Get("method"); m != Method {
		f.violation("method %q", m)
		topError(w, 22, "Invalid method", "")
		return
	}
	if f.throttleAlways || (f.throttleOnce && f.throttled == 0) {
		f.throttled++
		topError(w, 7, "App Call Limited", "accesscontrol.limited-by-app-access-count")
		return
	}
	start, err1 := time.ParseInLocation(TimeLayout, form.Get("start_time"), shanghai.Zone)
	end, err2 := time.ParseInLocation(TimeLayout, form.Get("end_time"), shanghai.Zone)
	if err1 != nil || err2 != nil {
		f.violation("bad times %q %q", form.Get("start_time"), form.Get("end_time"))
		topError(w, 41, "Invalid arguments", "isv.invalid-parameter")
		return
	}
	d := end.Sub(start)
	// The API's rules, written out independently of the package constants.
	limit := 3 * time.Hour
	if len(catalog.Promotions(start.Unix(), end.Unix())) > 0 {
		limit = 20 * time.Minute
	}
	if d <= 0 || d > limit {
		f.violation("window %s – %s is %v, limit %v", form.Get("start_time"), form.Get("end_time"), d, limit)
	}
	size, err := strconv.Atoi(form.Get("page_size"))
	if err != nil || size < 1 || size > 100 {
		f.violation("page_size %q", form.Get("page_size"))
		size = 20
	}
	pageNo, _ := strconv.Atoi(form.Get("page_no"))
	field, ok := timeField[form.Get("query_type")]
	if !ok {
		f.violation("query_type %q", form.Get("query_type"))
	}
	if form.Get("jump_type") != "1" || form.Get("order_scene") == "" {
		f.violation("jump_type %q order_scene %q", form.Get("jump_type"), form.Get("order_scene"))
	}
	off := 0
	if p := form.Get("position_index"); p != "" {
		off, err = strconv.Atoi(strings.TrimPrefix(p, "pos:"))
		if err != nil || !strings.HasPrefix(p, "pos:") {
			f.violation("position_index %q", p)
		}
	} else if pageNo != 1 {
		f.violation("page %d without position_index", pageNo)
	}
	if off == 0 {
		f.windows = append(f.windows, Window{start, end})
	}
	if f.failPage > 0 && start.Equal(f.failStart) && pageNo == f.failPage {
		topError(w, 15, "Remote service error", "isp.top-remote-connection-error")
		return
	}
	var match []map[string]any
	for _, o := range f.orders {
		t, err := time.ParseInLocation(TimeLayout, o[field].(string), shanghai.Zone)
		if err == nil && !t.Before(start) && t.Before(end) {
			match = append(match, o)
		}
	}
	page := match[min(off, len(match)):min(off+size, len(match))]
	for _, o := range page {
		f.delivered[fmt.Sprint(o["trade_id"])]++
	}
	next := off + len(page)
	json.NewEncoder(w).Encode(map[string]any{"tbk_order_details_get_response": map[string]any{
		"data": map[string]any{
			"has_next":       next < len(match),
			"has_pre":        off > 0,
			"position_index": "pos:" + strconv.Itoa(next),
			"page_no":        pageNo,
			"page_size":      size,
			"results":        map[string]any{"publisher_order_dto": page},
		},
		"request_id": "fake",
	}})
}

var base = time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai.Zone)

func apiTime(t time.Time) string { return t.In(shanghai.Zone).Format(TimeLayout) }

// seed adds one paid order every 7 minutes over [from, from+span).
func (f *fakeTOP) seed(from time.Time, span time.Duration) int {
	n := 0
	for t := from; t.Before(from.Add(span)); t = t.Add(7 * time.Minute) {
		i := len(f.orders)
		f.orders = append(f.orders, map[string]any{
			// 19 digits: a float64 would corrupt it.
			"trade_id":              json.Number(strconv.FormatInt(3000000000000000001+int64(i), 10)),
			"trade_parent_id":       strconv.FormatInt(3000000000000000001+int64(i), 10),
			"order_type":            "天猫",
			"item_id":               json.Number("900000000000000" + strconv.Itoa(i%10)),
			"item_title":            "维达抽纸 3层120抽",
			"seller_shop_title":     "维达官方旗舰店",
			"item_num":              json.Number("2"),
			"item_price":            "12.34",
			"alipay_total_price":    "24.68",
			"pay_price":             "",
			"total_commission_rate": "1.35",
			"income_rate":           "1.35",
			"pub_share_pre_fee":     "0.33",
			"pub_share_fee":         "0.00",
			"alimama_rate":          "10.00",
			"tk_status":             json.Number("12"),
			"click_time":            apiTime(t.Add(-time.Minute)),
			"tk_create_time":        apiTime(t),
			"tk_paid_time":          apiTime(t.Add(30 * time.Second)),
			"tk_earning_time":       "",
			"modified_time":         apiTime(t.Add(30 * time.Second)),
			"site_id":               json.Number("1234567"),
			"site_name":             "群客",
			"adzone_id":             json.Number("110000000001"),
			"adzone_name":           "群1",
			"relation_id":           json.Number("0"),
			"special_id":            "",
			"refund_tag":            json.Number("0"),
		})
		n++
	}
	return n
}

func (f *fakeTOP) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.bad {
		t.Error("fake TOP:", b)
	}
}

func countOrders(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncTenHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, c := newFake(t)
		n := f.seed(base, 10*time.Hour)
		f.seed(base.Add(-24*time.Hour), time.Hour) // outside the range
		f.throttleOnce = true
		s := New(c, db)
		s.PageSize = 10
		res, err := s.Sync(ctx, base, base.Add(10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f.check(t)
		if f.throttled != 1 {
			t.Errorf("throttled %d times, want 1 (then retried)", f.throttled)
		}
		if res.Stats.New != n || res.Orders != n || res.Stats.Updated+res.Stats.Unchanged+res.Stats.Regressed != 0 {
			t.Errorf("result %+v, want %d new", res, n)
		}
		if got := countOrders(t, db); got != n {
			t.Errorf("%d orders stored, want %d", got, n)
		}
		if len(f.delivered) != n {
			t.Errorf("fake delivered %d distinct orders, want %d", len(f.delivered), n)
		}
		for id, k := range f.delivered {
			if k != 1 {
				t.Errorf("order %s delivered %d times", id, k)
			}
		}
		// 3 h + 3 h + 3 h + 1 h, contiguous; 86 orders in pages of 10.
		want := []time.Duration{3 * time.Hour, 3 * time.Hour, 3 * time.Hour, time.Hour}
		if len(f.windows) != len(want) || res.Windows != len(want) {
			t.Fatalf("windows %v (result %d), want %d", f.windows, res.Windows, len(want))
		}
		at := base
		for i, w := range f.windows {
			if !w.Start.Equal(at) || w.End.Sub(w.Start) != want[i] {
				t.Errorf("window %d = %v – %v", i, w.Start, w.End)
			}
			at = w.End
		}
		// ceil(26/10)*3 + ceil(8/10): each 3-h window has 25 or 26 orders.
		if res.Pages < 10 || res.Pages > 13 {
			t.Errorf("pages %d", res.Pages)
		}
		if !res.Cursor.Equal(base.Add(10 * time.Hour)) {
			t.Errorf("cursor %v, want %v", res.Cursor, base.Add(10*time.Hour))
		}

		// Exact mapping, ids intact.
		o, regressed, ok, err := orders.NewStore(db).Get(ctx, orders.PlatformTaobao, "3000000000000000001")
		if err != nil || !ok || regressed {
			t.Fatalf("Get: %v %v %v", ok, regressed, err)
		}
		wantO := orders.Order{
			Platform: orders.PlatformTaobao, TradeID: "3000000000000000001", ParentID: "3000000000000000001",
			OrderType: "天猫", ItemID: "9000000000000000", Title: "维达抽纸 3层120抽", ShopName: "维达官方旗舰店",
			Quantity: 2, UnitPrice: 1234, PaidAmount: 2468, CommissionRate: 135, EstIncome: 33,
			ServiceFeeRate: 1000, Status: orders.Paid,
			ClickAt: base.Add(-time.Minute).Unix(), CreatedAt: base.Unix(), PaidAt: base.Add(30 * time.Second).Unix(),
			MediaID: "1234567", MediaName: "群客", AdzoneID: "110000000001", AdzoneName: "群1", RelationID: "0",
			Dispute: "0",
		}
		if o != wantO {
			t.Errorf("stored\n%+v\nwant\n%+v", o, wantO)
		}

		// A backfill of an older range does not move the cursor back.
		if res, err = s.Sync(ctx, base.Add(-24*time.Hour), base.Add(-23*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if res.Stats.New != 9 || !res.Cursor.Equal(base.Add(10*time.Hour)) {
			t.Errorf("backfill: %+v", res)
		}
		// A sync starting after the cursor does not skip the gap.
		if res, err = s.Sync(ctx, base.Add(11*time.Hour), base.Add(12*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !res.Cursor.Equal(base.Add(10 * time.Hour)) {
			t.Errorf("gap: cursor moved to %v", res.Cursor)
		}
	})
}

func TestPromotionWindows(t *testing.T) {
	d11 := time.Date(2026, 11, 11, 0, 0, 0, 0, shanghai.Zone)
	ws := Windows(d11, d11.Add(2*time.Hour))
	if len(ws) != 6 {
		t.Fatalf("双11: %d windows, want 6: %v", len(ws), ws)
	}
	for _, w := range ws {
		if w.End.Sub(w.Start) != PromoWindow {
			t.Errorf("双11 window %v – %v", w.Start, w.End)
		}
	}
	// A long window stops where the promotion begins (20 Oct, midnight).
	eve := time.Date(2026, 10, 19, 22, 0, 0, 0, shanghai.Zone)
	ws = Windows(eve, eve.Add(3*time.Hour))
	if len(ws) != 4 || ws[0].End.Sub(ws[0].Start) != 2*time.Hour || ws[1].End.Sub(ws[1].Start) != PromoWindow {
		t.Errorf("eve of 双11: %v", ws)
	}
	// Outside promotions: 3 h, last one short.
	ws = Windows(base, base.Add(7*time.Hour+30*time.Minute))
	if len(ws) != 3 || ws[2].End.Sub(ws[2].Start) != 90*time.Minute {
		t.Errorf("plain: %v", ws)
	}

	// And against the fake, which rejects longer windows.
	db := storetest.SQLite(t)
	f, c := newFake(t)
	n := f.seed(d11, 3*time.Hour)
	s := New(c, db)
	res, err := s.Sync(context.Background(), d11, d11.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.check(t)
	if len(f.windows) != 9 || res.Windows != 9 || res.Stats.New != n {
		t.Errorf("双11 sync: %d windows seen, result %+v, want 9 windows, %d new", len(f.windows), res, n)
	}
	for _, w := range f.windows {
		if w.End.Sub(w.Start) != PromoWindow {
			t.Errorf("fake saw %v – %v on 双11", w.Start, w.End)
		}
	}
}

func TestFailureThenResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, c := newFake(t)
		n := f.seed(base, 10*time.Hour)
		f.failStart, f.failPage = base.Add(3*time.Hour), 2
		s := New(c, db)
		s.PageSize = 10
		res, err := s.Sync(ctx, base, base.Add(10*time.Hour))
		var ae *alimama.APIError
		if !errors.As(err, &ae) || ae.Code != 15 {
			t.Fatalf("err %v, want the API error", err)
		}
		if !strings.Contains(err.Error(), "2026-03-02 03:00:00") {
			t.Errorf("error does not name the window: %v", err)
		}
		if f.calls != 5 { // window 1: 3 pages; window 2: page 1, failing page 2 (not retried)
			t.Errorf("%d calls", f.calls)
		}
		cur, ok, err := s.Cursor(ctx)
		if err != nil || !ok || !cur.Equal(base.Add(3*time.Hour)) || !res.Cursor.Equal(cur) {
			t.Fatalf("cursor %v %v %v (result %v), want %v", cur, ok, err, res.Cursor, base.Add(3*time.Hour))
		}
		first := res.Stats.New
		if first != countOrders(t, db) || res.Windows != 1 {
			t.Errorf("first run %+v, %d stored", res, countOrders(t, db))
		}

		f.failPage = 0
		res, err = s.Resume(ctx, base.Add(10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f.check(t)
		// Window 2's first page was stored before the failure: unchanged now.
		if res.Stats.Unchanged != 10 || res.Stats.New != n-first || res.Stats.Updated != 0 {
			t.Errorf("resume stats %+v, want 10 unchanged, %d new", res.Stats, n-first)
		}
		if res.Windows != 3 || !f.windows[len(f.windows)-3].Start.Equal(base.Add(3*time.Hour)) {
			t.Errorf("resume windows %d, first at %v", res.Windows, f.windows[len(f.windows)-3].Start)
		}
		if got := countOrders(t, db); got != n {
			t.Errorf("%d stored, want %d", got, n)
		}
		if !res.Cursor.Equal(base.Add(10 * time.Hour)) {
			t.Errorf("cursor %v", res.Cursor)
		}
	})
}

func TestStatusUpdateOnResync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, c := newFake(t)
		n := f.seed(base, 10*time.Hour)
		s := New(c, db)
		// No cursor yet: Resume covers the last 3 hours before until.
		res, err := s.Resume(ctx, base.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.Windows != 1 || f.windows[0].Start != base {
			t.Fatalf("first resume %+v, windows %v", res, f.windows)
		}
		if res, err = s.Resume(ctx, base.Add(10*time.Hour)); err != nil || res.Stats.New != n-26 {
			t.Fatalf("resume: %+v %v", res, err)
		}

		// Settle two orders and invalidate one; their update time moves on.
		upd := base.Add(10*time.Hour + 20*time.Minute)
		f.mu.Lock()
		for _, i := range []int{3, 40} {
			o := f.orders[i]
			o["tk_status"] = json.Number("3")
			o["tk_earning_time"] = apiTime(upd)
			o["pay_price"] = "24.68"
			o["pub_share_fee"] = "0.33"
			o["modified_time"] = apiTime(upd)
		}
		f.orders[5]["tk_status"] = json.Number("13")
		f.orders[5]["modified_time"] = apiTime(upd.Add(time.Minute))
		f.mu.Unlock()

		res, err = s.Resume(ctx, base.Add(11*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f.check(t)
		if res.Stats.Updated != 3 || res.Stats.New != 0 || res.Stats.Regressed != 0 {
			t.Errorf("re-sync stats %+v, want 3 updated", res.Stats)
		}
		st := orders.NewStore(db)
		o, _, _, err := st.Get(ctx, orders.PlatformTaobao, "3000000000000000004")
		if err != nil || o.Status != orders.Settled || o.SettledAt != upd.Unix() || o.SettledAmount != 2468 || o.SettledIncome != 33 {
			t.Errorf("settled order: %+v %v", o, err)
		}
		if o, _, _, _ = st.Get(ctx, orders.PlatformTaobao, "3000000000000000006"); o.Status != orders.Invalid {
			t.Errorf("invalidated order: %v", o.Status)
		}
		if got := countOrders(t, db); got != n {
			t.Errorf("%d stored, want %d", got, n)
		}
	})
}

func TestThrottledGivesUpWithoutAdvancing(t *testing.T) {
	db := storetest.SQLite(t)
	f, c := newFake(t)
	f.seed(base, time.Hour)
	f.throttleAlways = true
	c.MaxAttempts = 2
	s := New(c, db)
	res, err := s.Sync(context.Background(), base, base.Add(time.Hour))
	if !errors.Is(err, alimama.ErrThrottled) {
		t.Fatalf("err %v, want ErrThrottled", err)
	}
	if f.throttled != 2 {
		t.Errorf("%d attempts, want 2", f.throttled)
	}
	if _, ok, _ := s.Cursor(context.Background()); ok || !res.Cursor.IsZero() || countOrders(t, db) != 0 {
		t.Errorf("cursor advanced or orders stored: %+v", res)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Error("secret in error")
	}
}

func TestContextCancelled(t *testing.T) {
	db := storetest.SQLite(t)
	f, c := newFake(t)
	f.seed(base, 6*time.Hour)
	s := New(c, db)
	s.PageSize = 5
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel during the first window's second page.
	calls := 0
	s.client = callerFunc(func(cctx context.Context, m string, biz map[string]string, out any) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return c.Call(cctx, m, biz, out)
	})
	_, err := s.Sync(ctx, base, base.Add(6*time.Hour))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if _, ok, _ := s.Cursor(context.Background()); ok {
		t.Error("cursor advanced")
	}
	if calls > 3 {
		t.Errorf("%d calls after cancel", calls)
	}
}

type callerFunc func(context.Context, string, map[string]string, any) error

func (f callerFunc) Call(ctx context.Context, m string, biz map[string]string, out any) error {
	return f(ctx, m, biz, out)
}

func TestBadOrder(t *testing.T) {
	db := storetest.SQLite(t)
	f, c := newFake(t)
	f.seed(base, time.Hour)
	f.orders[2]["pub_share_pre_fee"] = "0.335" // not exact fen
	s := New(c, db)
	if _, err := s.Sync(context.Background(), base, base.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "付款预估收入") {
		t.Fatalf("err %v, want a bad-amount error", err)
	}
	if _, ok, _ := s.Cursor(context.Background()); ok || countOrders(t, db) != 0 {
		t.Error("bad page imported or cursor advanced")
	}
	s.SkipBad = true
	res, err := s.Sync(context.Background(), base, base.Add(time.Hour))
	if err != nil || res.Rejected != 1 || res.Stats.New != 8 {
		t.Errorf("SkipBad: %+v %v", res, err)
	}
}

func TestFlexDecoding(t *testing.T) {
	var r response
	body := `{"data":{"has_next":false,"position_index":"p","results":[{"trade_id":3000000000000000001,"item_id":"12","x":null,"y":1.5e3}]}}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	list, err := r.Data.orders()
	if err != nil || len(list) != 1 || list[0]["trade_id"] != "3000000000000000001" || list[0]["item_id"] != "12" || list[0]["x"] != "" {
		t.Errorf("%v %v", list, err)
	}
}
