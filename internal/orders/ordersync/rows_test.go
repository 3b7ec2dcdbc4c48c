package ordersync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate/jd"
	"github.com/qunke/qunke/internal/affiliate/pdd"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// fakeJD is a local JD Union order API: it checks the method's limits
// (window ≤ 1 h, page size ≤ 200, pages from 1 in turn) and pages the lines
// updated in the window.
type fakeJD struct {
	mu    sync.Mutex
	rows  []jd.Order
	bad   []string
	calls int
	fail  error // answered once, then cleared
}

func (f *fakeJD) OrderPage(ctx context.Context, q jd.OrderQuery, page int) ([]jd.Order, bool, error) {
	from, to, size := q.Start, q.End, q.PageSize
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := f.fail; err != nil {
		f.fail = nil
		return nil, false, err
	}
	if d := to.Sub(from); d <= 0 || d > time.Hour {
		f.bad = append(f.bad, fmt.Sprintf("window %v – %v", from, to))
	}
	if size < 1 || size > 200 || page < 1 || q.Type != jd.ByUpdateTime {
		f.bad = append(f.bad, fmt.Sprintf("page %d size %d", page, size))
	}
	var match []jd.Order
	for _, r := range f.rows {
		if !r.ModifyTime.Before(from) && r.ModifyTime.Before(to) {
			match = append(match, r)
		}
	}
	lo := min((page-1)*size, len(match))
	hi := min(lo+size, len(match))
	return match[lo:hi], hi < len(match), nil
}

func jdRow(i int, at time.Time, code int) jd.Order {
	return jd.Order{ID: strconv.Itoa(900000 + i), OrderID: strconv.Itoa(500000 + i/2), ParentID: "0", SkuID: "100012043978",
		SkuName: "京东京造 抽纸", SkuNum: 2, PriceFen: 1990, EstimateCosFen: 3980, ActualCosFen: 0,
		CommissionRateBP: 1050, EstimateFeeFen: 376, ActualFeeFen: 0, ValidCode: code, OrderTime: at.Add(-time.Minute),
		ModifyTime: at, PositionID: "3003", SiteID: "2002", SubUnionID: "member-" + strconv.Itoa(i%3)}
}

func TestJDSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := &community.Group{Name: "京东群", Channel: community.Manual, PIDJD: "1001_2002_3003", Active: true}
		if err := community.NewStore(db).Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		f := &fakeJD{}
		paid := 0
		for i := range 450 { // 450 lines over 5 h: two or three pages an hour
			code := JDPaid
			switch i % 10 {
			case 0:
				code = JDUnpaid
			case 1:
				code = 3 // 无效-取消
			default:
				paid++
			}
			f.rows = append(f.rows, jdRow(i, base.Add(time.Duration(i)*40*time.Second), code))
		}
		s := NewJD(f, db)
		var progress []int
		s.SetProgress(func(done, total int) { progress = append(progress, done*10+total) })
		res, err := s.Sync(ctx, base, base.Add(5*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.bad) > 0 {
			t.Errorf("protocol: %v", f.bad)
		}
		if res.Windows != 5 || res.Orders != 450 || res.Stats.New != 405 || !res.Cursor.Equal(base.Add(5*time.Hour)) {
			t.Errorf("result %+v", res)
		}
		if fmt.Sprint(progress) != "[15 25 35 45 55]" {
			t.Errorf("progress %v", progress)
		}
		if countOrders(t, db) != 405 { // the unpaid lines wait for their update
			t.Errorf("%d orders stored", countOrders(t, db))
		}
		o, _, ok, err := orders.NewStore(db).Get(ctx, orders.PlatformJD, "900002")
		want := orders.Order{Platform: "jd", TradeID: "900002", ParentID: "500001", OrderType: "京东", ItemID: "100012043978",
			Title: "京东京造 抽纸", Quantity: 2, UnitPrice: 1990, PaidAmount: 3980, CommissionRate: 1050, EstIncome: 376,
			Status: orders.Paid, CreatedAt: base.Add(20 * time.Second).Unix(), PaidAt: base.Add(20 * time.Second).Unix(),
			MediaID: "2002", AdzoneID: "3003", SubID: "member-2"}
		if err != nil || !ok || o != want {
			t.Errorf("stored\n%+v\nwant\n%+v (%v)", o, want, err)
		}
		if a, _, _ := orders.NewStore(db).AttributionOf(ctx, orders.PlatformJD, "900002"); a.GroupID != g.ID {
			t.Errorf("credited to %+v, want group %d", a, g.ID)
		}
		if o, _, _, _ := orders.NewStore(db).Get(ctx, orders.PlatformJD, "900001"); o.Status != orders.Invalid {
			t.Errorf("validCode 3: %v", o.Status)
		}

		// The unpaid lines are paid, others settle; a failing call keeps the cursor.
		f.mu.Lock()
		later := base.Add(5*time.Hour + 10*time.Minute)
		for i := range f.rows {
			switch i % 10 {
			case 0:
				f.rows[i].ValidCode, f.rows[i].ModifyTime = JDPaid, later
			case 2:
				f.rows[i].ValidCode, f.rows[i].ModifyTime, f.rows[i].FinishTime = JDSettled, later, later
				f.rows[i].ActualCosFen, f.rows[i].ActualFeeFen = 3980, 376
			}
		}
		f.fail = errors.New("jd: code 403 throttled")
		f.mu.Unlock()
		if _, err := s.Resume(ctx, base.Add(6*time.Hour)); err == nil {
			t.Fatal("the failing call did not fail the sync")
		}
		if c, _, _ := s.Cursor(ctx); !c.Equal(base.Add(5 * time.Hour)) {
			t.Errorf("cursor moved on an error: %v", c)
		}
		res, err = s.Resume(ctx, base.Add(6*time.Hour))
		if err != nil || res.Stats.New != 45 || res.Stats.Updated != 45 || !res.Cursor.Equal(base.Add(6*time.Hour)) {
			t.Errorf("resume %+v %v", res, err)
		}
		if o, _, _, _ := orders.NewStore(db).Get(ctx, orders.PlatformJD, "900002"); o.Status != orders.Settled || o.SettledIncome != 376 || o.SettledAt != later.Unix() {
			t.Errorf("settled %+v", o)
		}
	})
}

// fakePDD is a local Pinduoduo order API over update times: it checks the
// window (≤ 24 h) and page size (10-100), records the pages asked for,
// and, once, moves the first order of the window to a later update while
// the window is being paged (as a real update does: it goes to the end).
type fakePDD struct {
	mu     sync.Mutex
	rows   []pdd.Order
	bad    []string
	pages  map[time.Time][]int
	moveAt time.Time // when set: the move's new update time
}

func (f *fakePDD) Page(ctx context.Context, from, to time.Time, page, size int) (pdd.OrderPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := to.Sub(from); d <= 0 || d > 24*time.Hour {
		f.bad = append(f.bad, fmt.Sprintf("window %v – %v", from, to))
	}
	if size < 10 || size > 100 || page < 1 {
		f.bad = append(f.bad, fmt.Sprintf("page %d size %d", page, size))
	}
	f.pages[from] = append(f.pages[from], page)
	var match []int
	for i, r := range f.rows {
		if !r.ModifyTime.Before(from) && !r.ModifyTime.After(to) {
			match = append(match, i)
		}
	}
	sort.SliceStable(match, func(a, b int) bool { return f.rows[match[a]].ModifyTime.Before(f.rows[match[b]].ModifyTime) })
	lo := min((page-1)*size, len(match))
	hi := min(lo+size, len(match))
	out := make([]pdd.Order, 0, hi-lo)
	for _, i := range match[lo:hi] {
		out = append(out, f.rows[i])
	}
	if len(f.pages[from]) == 2 && !f.moveAt.IsZero() && len(match) > 0 {
		f.rows[match[0]].ModifyTime, f.rows[match[0]].Status = f.moveAt, pdd.StatusReceived
		f.moveAt = time.Time{}
	}
	return pdd.OrderPage{Orders: out, Total: len(match)}, nil
}

func TestPDDSyncPagesBackwards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := &community.Group{Name: "拼多多群", Channel: community.Manual, PIDPDD: "8888_500", Active: true}
		if err := community.NewStore(db).Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		f := &fakePDD{pages: map[time.Time][]int{}}
		statuses := []int{pdd.StatusPaid, pdd.StatusGrouped, pdd.StatusReceived, pdd.StatusApproved, pdd.StatusRejected, pdd.StatusSettled, pdd.StatusNoCommiss, pdd.StatusPenalised, pdd.StatusUnpaid}
		for i := range 180 { // 180 orders in the first 24 h: four pages of 50
			at := base.Add(time.Duration(i) * 7 * time.Minute)
			f.rows = append(f.rows, pdd.Order{OrderSN: fmt.Sprintf("201206-%06d", i), GoodsID: "123456789", GoodsName: "抽纸",
				GoodsQuantity: 1, GoodsPriceFen: 990, OrderAmountFen: 990, PromotionRateBP: 1550, PromotionFen: 153,
				Status: statuses[i%len(statuses)], CreateTime: at, PayTime: at, SettleTime: at, ModifyTime: at,
				PID: "8888_500", CustomParameters: `{"uid":"m` + strconv.Itoa(i%4) + `"}`})
		}
		// While the first window is paged, its first order is received,
		// updated in the second window.
		f.moveAt = base.Add(30 * time.Hour)
		s := NewPDD(f, db)
		res, err := s.Sync(ctx, base, base.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.bad) > 0 {
			t.Errorf("protocol: %v", f.bad)
		}
		if got := fmt.Sprint(f.pages[base]); got != "[1 4 3 2 1]" {
			t.Errorf("first window's pages %s, want the count, then 4 back to 1", got)
		}
		n := 0 // every order but the unpaid
		for _, r := range f.rows {
			if r.Status != pdd.StatusUnpaid {
				n++
			}
		}
		if countOrders(t, db) != n || res.Windows != 2 || !res.Cursor.Equal(base.Add(48*time.Hour)) {
			t.Errorf("%d orders stored, want %d; result %+v", countOrders(t, db), n, res)
		}
		st := orders.NewStore(db)
		if o, _, _, _ := st.Get(ctx, orders.PlatformPDD, "201206-000000"); o.Status != orders.Received {
			t.Errorf("the order updated while paging: %+v", o)
		}
		o, _, ok, err := st.Get(ctx, orders.PlatformPDD, "201206-000005")
		if err != nil || !ok || o.Status != orders.Settled || o.CommissionRate != 1550 || o.EstIncome != 153 ||
			o.SettledIncome != 153 || o.AdzoneID != "8888_500" || o.SubID != `{"uid":"m1"}` {
			t.Errorf("settled order %+v", o)
		}
		if a, _, _ := st.AttributionOf(ctx, orders.PlatformPDD, "201206-000005"); a.GroupID != g.ID {
			t.Errorf("credited to %+v, want group %d", a, g.ID)
		}
		for i, want := range map[int]orders.Status{4: orders.Invalid, 6: orders.Invalid, 7: orders.Invalid, 1: orders.Paid, 3: orders.Received} {
			if o, _, _, _ := st.Get(ctx, orders.PlatformPDD, fmt.Sprintf("201206-%06d", i)); o.Status != want {
				t.Errorf("order_status %d stored as %s, want %s", statuses[i], o.Status, want)
			}
		}
	})
}
