package ordersync

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/orders/ordersync/topfake"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

const testSecret = topfake.Secret

type fakeTOP = topfake.Server

func newFake(t *testing.T) (*fakeTOP, *alimama.Client) {
	f := topfake.New()
	t.Cleanup(f.Close)
	return f, f.Client()
}

func checkFake(t *testing.T, f *fakeTOP) {
	t.Helper()
	for _, b := range f.Violations() {
		t.Error("fake TOP:", b)
	}
}

var base = time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai.Zone)

var apiTime = topfake.APITime

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
		n := f.Seed(base, 10*time.Hour)
		f.Seed(base.Add(-24*time.Hour), time.Hour) // outside the range
		f.ThrottleOnce = true
		s := New(c, db)
		s.PageSize = 10
		res, err := s.Sync(ctx, base, base.Add(10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		checkFake(t, f)
		if f.Throttled != 1 {
			t.Errorf("throttled %d times, want 1 (then retried)", f.Throttled)
		}
		if res.Stats.New != n || res.Orders != n || res.Stats.Updated+res.Stats.Unchanged+res.Stats.Regressed != 0 {
			t.Errorf("result %+v, want %d new", res, n)
		}
		if got := countOrders(t, db); got != n {
			t.Errorf("%d orders stored, want %d", got, n)
		}
		if len(f.Delivered) != n {
			t.Errorf("fake delivered %d distinct orders, want %d", len(f.Delivered), n)
		}
		for id, k := range f.Delivered {
			if k != 1 {
				t.Errorf("order %s delivered %d times", id, k)
			}
		}
		// 3 h + 3 h + 3 h + 1 h, contiguous; 86 orders in pages of 10.
		want := []time.Duration{3 * time.Hour, 3 * time.Hour, 3 * time.Hour, time.Hour}
		if len(f.Windows) != len(want) || res.Windows != len(want) {
			t.Fatalf("windows %v (result %d), want %d", f.Windows, res.Windows, len(want))
		}
		at := base
		for i, w := range f.Windows {
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
	n := f.Seed(d11, 3*time.Hour)
	s := New(c, db)
	res, err := s.Sync(context.Background(), d11, d11.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	checkFake(t, f)
	if len(f.Windows) != 9 || res.Windows != 9 || res.Stats.New != n {
		t.Errorf("双11 sync: %d windows seen, result %+v, want 9 windows, %d new", len(f.Windows), res, n)
	}
	for _, w := range f.Windows {
		if w.End.Sub(w.Start) != PromoWindow {
			t.Errorf("fake saw %v – %v on 双11", w.Start, w.End)
		}
	}
}

func TestFailureThenResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, c := newFake(t)
		n := f.Seed(base, 10*time.Hour)
		f.FailStart, f.FailPage = base.Add(3*time.Hour), 2
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
		if f.Calls != 5 { // window 1: 3 pages; window 2: page 1, failing page 2 (not retried)
			t.Errorf("%d calls", f.Calls)
		}
		cur, ok, err := s.Cursor(ctx)
		if err != nil || !ok || !cur.Equal(base.Add(3*time.Hour)) || !res.Cursor.Equal(cur) {
			t.Fatalf("cursor %v %v %v (result %v), want %v", cur, ok, err, res.Cursor, base.Add(3*time.Hour))
		}
		first := res.Stats.New
		if first != countOrders(t, db) || res.Windows != 1 {
			t.Errorf("first run %+v, %d stored", res, countOrders(t, db))
		}

		f.FailPage = 0
		res, err = s.Resume(ctx, base.Add(10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		checkFake(t, f)
		// Window 2's first page was stored before the failure: unchanged now.
		if res.Stats.Unchanged != 10 || res.Stats.New != n-first || res.Stats.Updated != 0 {
			t.Errorf("resume stats %+v, want 10 unchanged, %d new", res.Stats, n-first)
		}
		if res.Windows != 3 || !f.Windows[len(f.Windows)-3].Start.Equal(base.Add(3*time.Hour)) {
			t.Errorf("resume windows %d, first at %v", res.Windows, f.Windows[len(f.Windows)-3].Start)
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
		n := f.Seed(base, 10*time.Hour)
		s := New(c, db)
		// No cursor yet: Resume covers the last 3 hours before until.
		res, err := s.Resume(ctx, base.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.Windows != 1 || f.Windows[0].Start != base {
			t.Fatalf("first resume %+v, windows %v", res, f.Windows)
		}
		if res, err = s.Resume(ctx, base.Add(10*time.Hour)); err != nil || res.Stats.New != n-26 {
			t.Fatalf("resume: %+v %v", res, err)
		}

		// Settle two orders and invalidate one; their update time moves on.
		upd := base.Add(10*time.Hour + 20*time.Minute)
		f.Mu.Lock()
		for _, i := range []int{3, 40} {
			o := f.Orders[i]
			o["tk_status"] = json.Number("3")
			o["tk_earning_time"] = apiTime(upd)
			o["pay_price"] = "24.68"
			o["pub_share_fee"] = "0.33"
			o["modified_time"] = apiTime(upd)
		}
		f.Orders[5]["tk_status"] = json.Number("13")
		f.Orders[5]["modified_time"] = apiTime(upd.Add(time.Minute))
		f.Mu.Unlock()

		res, err = s.Resume(ctx, base.Add(11*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		checkFake(t, f)
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
	f.Seed(base, time.Hour)
	f.ThrottleAlways = true
	c.MaxAttempts = 2
	s := New(c, db)
	res, err := s.Sync(context.Background(), base, base.Add(time.Hour))
	if !errors.Is(err, alimama.ErrThrottled) {
		t.Fatalf("err %v, want ErrThrottled", err)
	}
	if f.Throttled != 2 {
		t.Errorf("%d attempts, want 2", f.Throttled)
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
	f.Seed(base, 6*time.Hour)
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
	f.Seed(base, time.Hour)
	f.Orders[2]["pub_share_pre_fee"] = "0.335" // not exact fen
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
