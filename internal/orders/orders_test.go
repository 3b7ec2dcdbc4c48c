package orders

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

const fixture = "../../../shared/fixtures/alimama/OrderDetail-2020-06-13.xls"

func needFixture(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(fixture); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fixture missing in CI: %v", err)
		}
		t.Skipf("fixture not available: %v", err)
	}
}

func sh(s string) int64 {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

// fixtureOrders are the three orders of the fixture, every field as the file states it.
func fixtureOrders() []Order {
	common := Order{
		Platform: "taobao", OrderType: "天猫", Quantity: 1, Status: Paid,
		MediaID: "43474861", MediaName: "爱分享(手机客户端专享)_131032902",
		AdzoneID: "329148686", AdzoneName: "爱分享",
	}
	a, b, c := common, common, common
	a.TradeID, a.ParentID = "1054723971619972844", "1054723971619972844"
	a.ItemID, a.Title, a.ShopName = "39488881267", "舒肤佳薰衣草舒缓呵护香皂115g*3块家庭装清洁洗澡洗手抑菌肥皂", "澳洁居家日用专营店"
	a.UnitPrice, a.PaidAmount, a.CommissionRate, a.EstIncome = 1990, 1590, 135, 21
	a.ClickAt, a.CreatedAt, a.PaidAt = sh("2020-06-11 09:18:05"), sh("2020-06-11 09:19:43"), sh("2020-06-11 09:19:47")

	b.TradeID, b.ParentID = "1053946560561568653", "1053946560561568653"
	b.ItemID, b.Title, b.ShopName = "554894198687", "舒肤佳沐浴露薰衣草舒缓呵护720ml/1L怡人香氛肌肤留香", "澳洁居家日用专营店"
	b.UnitPrice, b.PaidAmount, b.CommissionRate, b.EstIncome = 2590, 2250, 135, 30
	b.ClickAt, b.CreatedAt, b.PaidAt = sh("2020-06-11 07:29:29"), sh("2020-06-11 07:34:35"), sh("2020-06-11 07:34:42")

	c.TradeID, c.ParentID = "1052810275721747471", "1052810275721747471"
	c.ItemID, c.Title, c.ShopName = "39278438484", "吉列威锋双层剃须刀手动刮胡刀老式刮脸刀吉利刀头刀架套装", "靓猫居家日用专营店"
	c.UnitPrice, c.PaidAmount, c.CommissionRate, c.EstIncome = 2620, 1650, 60, 10
	c.ClickAt, c.CreatedAt, c.PaidAt = sh("2020-06-10 04:20:59"), sh("2020-06-10 04:21:39"), sh("2020-06-10 04:21:44")
	return []Order{a, b, c}
}

func TestParseFixture(t *testing.T) {
	needFixture(t)
	rows, enc, err := ReadRows(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if enc != "" {
		t.Errorf("encoding = %q", enc)
	}
	p := Parse(fixture, rows)
	if p.Rows != 3 || p.Rejected != 0 || len(p.Problems) != 0 {
		t.Fatalf("rows %d rejected %d problems %v", p.Rows, p.Rejected, p.Problems)
	}
	want := fixtureOrders()
	for i := range want {
		if !reflect.DeepEqual(p.Orders[i], want[i]) {
			t.Errorf("order %d:\n got %+v\nwant %+v", i, p.Orders[i], want[i])
		}
	}
	// The first row's values quoted in the brief, spelled out.
	o := p.Orders[0]
	if o.ItemID != "39488881267" || o.ParentID != "1054723971619972844" || o.Status != Paid ||
		o.PaidAmount != 1590 || o.CommissionRate != 135 || o.EstIncome != 21 || o.UnitPrice != 1990 {
		t.Errorf("first order %+v", o)
	}
}

func get1(t *testing.T, s *Store, id string) (Order, bool) {
	t.Helper()
	o, reg, ok, err := s.Get(context.Background(), "taobao", id)
	if err != nil || !ok {
		t.Fatalf("get %s: ok %v err %v", id, ok, err)
	}
	return o, reg
}

func TestImportFixture(t *testing.T) {
	needFixture(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		res, err := s.ImportFile(ctx, fixture, false)
		if err != nil {
			t.Fatal(err)
		}
		if st := res.Stats; st.New != 3 || st.Updated+st.Unchanged+st.Regressed != 0 {
			t.Fatalf("first import stats %+v", st)
		}
		for _, w := range fixtureOrders() {
			got, reg := get1(t, s, w.TradeID)
			if got != w || reg {
				t.Errorf("stored %s:\n got %+v (regressed %v)\nwant %+v", w.TradeID, got, reg, w)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("count = %d, %v", n, err)
		}
		// Re-import: nothing changes.
		res, err = s.ImportFile(ctx, fixture, false)
		if err != nil {
			t.Fatal(err)
		}
		if st := res.Stats; st.Unchanged != 3 || st.New+st.Updated+st.Regressed != 0 {
			t.Fatalf("re-import stats %+v", st)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("count after re-import = %d, %v", n, err)
		}
	})
}

func TestImportTransitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		paid := fixtureOrders()[:2]
		if st, err := s.Import(ctx, paid); err != nil || st.New != 2 {
			t.Fatalf("import %+v %v", st, err)
		}
		// A later report: the first order settled.
		settled := paid[0]
		settled.Status, settled.SettledAt = Settled, sh("2020-07-20 10:00:00")
		settled.SettledAmount, settled.SettledIncome = 1590, 21
		st, err := s.Import(ctx, []Order{settled, paid[1]})
		if err != nil {
			t.Fatal(err)
		}
		if st.Updated != 1 || st.Unchanged != 1 || st.New+st.Regressed != 0 {
			t.Fatalf("settle stats %+v", st)
		}
		if got, reg := get1(t, s, settled.TradeID); got != settled || reg {
			t.Fatalf("after settle got %+v reg %v", got, reg)
		}
		// The old report again: settled → paid is a regression, not applied.
		for round := 0; round < 2; round++ {
			st, err = s.Import(ctx, paid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Regressed != 1 || st.Unchanged != 1 || st.New+st.Updated != 0 ||
				!reflect.DeepEqual(st.RegressedIDs, []string{settled.TradeID}) {
				t.Fatalf("round %d regress stats %+v", round, st)
			}
			if got, reg := get1(t, s, settled.TradeID); got != settled || !reg {
				t.Fatalf("after regress got %+v reg %v", got, reg)
			}
		}
		// A refund tag later still applies.
		ref := settled
		ref.Dispute, ref.Status = "维权订单", Refunded
		if st, err := s.Import(ctx, []Order{ref}); err != nil || st.Updated != 1 {
			t.Fatalf("refund %+v %v", st, err)
		}
		// Repeated trade id in one batch is one row.
		dup := fixtureOrders()[2]
		dup2 := dup
		dup2.Status = Received
		if st, err := s.Import(ctx, []Order{dup, dup2}); err != nil || st.New != 1 || st.Updated != 1 {
			t.Fatalf("dup %+v %v", st, err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("count = %d, %v", n, err)
		}
	})
}

func TestForward(t *testing.T) {
	for _, c := range []struct {
		from, to Status
		ok       bool
	}{
		{Paid, Paid, true}, {Paid, Received, true}, {Paid, Settled, true}, {Received, Settled, true},
		{Settled, Paid, false}, {Received, Paid, false}, {Settled, Received, false},
		{Paid, Invalid, true}, {Received, Invalid, true}, {Settled, Invalid, false},
		{Invalid, Paid, false}, {Invalid, Settled, false}, {Invalid, Refunded, true},
		{Settled, Refunded, true}, {Refunded, Settled, false}, {Refunded, Refunded, true},
	} {
		if got := Forward(c.from, c.to); got != c.ok {
			t.Errorf("Forward(%s, %s) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

const csvHeader = "淘宝子订单号,订单状态,付款金额,佣金比率,商品ID,付款时间,维权标签\n"

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadCSVRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		path := writeFile(t, "bad.csv", []byte(csvHeader+
			"111,已付款,15.90,1.35%,1,2020-06-11 09:19:47,--\n"+
			"222,已结算,1x.00,1.35%,2,2020-06-11 09:19:47,--\n"))
		res, err := s.ImportFile(ctx, path, false)
		if !errors.Is(err, ErrBadRows) {
			t.Fatalf("err = %v, want ErrBadRows", err)
		}
		want := []Problem{{File: path, Row: 3, Column: "付款金额", Value: "1x.00", Reason: cells.Reason(cells.WhyMoney)}}
		if !reflect.DeepEqual(res.Parsed.Problems, want) || res.Parsed.Rejected != 1 || res.Parsed.Rows != 2 {
			t.Fatalf("parsed %+v", res.Parsed)
		}
		msg := res.Parsed.Problems[0].Text(i18n.ZH)
		for _, w := range []string{"第 3 行", "列 付款金额", "不是有效的金额"} {
			if !strings.Contains(msg, w) {
				t.Errorf("message %q lacks %q", msg, w)
			}
		}
		if en := res.Parsed.Problems[0].Text(i18n.EN); en != path+` row 3, column 付款金额, value "1x.00": not a valid amount` {
			t.Errorf("in English: %q", en)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n)
		if n != 0 {
			t.Fatalf("rejected file imported %d rows", n)
		}
		res, err = s.ImportFile(ctx, path, true)
		if err != nil || res.Stats.New != 1 {
			t.Fatalf("skip-bad: %+v %v", res.Stats, err)
		}
		o, _ := get1(t, s, "111")
		if o.PaidAmount != 1590 || o.CommissionRate != 135 || o.Status != Paid || o.ItemID != "1" {
			t.Fatalf("stored %+v", o)
		}
	})
}

func TestParseProblems(t *testing.T) {
	rows := [][]string{
		{"佣金比率", "淘宝子订单号", "订单状态", "商品数量", "付款时间", "付款金额"}, // any column order
		{"1.35%", "1", "已付款", "1", "2020-06-11 09:19:47", "1.999"},
		{"abc", "1.05472E+18", "发货中", "1.5", "yesterday", "-1"},
		{"", "", "", "", "", ""},
		{"--", "3", "订单结算", "--", "--", "--"},
	}
	p := Parse("r.csv", rows)
	if p.Rows != 3 || p.Rejected != 2 || len(p.Orders) != 1 {
		t.Fatalf("parsed %+v", p)
	}
	if o := p.Orders[0]; o.TradeID != "3" || o.Status != Settled || o.CommissionRate != 0 || o.PaidAt != 0 {
		t.Fatalf("order %+v", o)
	}
	type key struct {
		row int
		col string
	}
	got := map[key]string{}
	for _, pr := range p.Problems {
		got[key{pr.Row, pr.Column}] = pr.Reason.Key
	}
	want := map[key]string{
		{2, "付款金额"}:   cells.WhyMoneyPrecision,
		{3, "佣金比率"}:   cells.WhyRate,
		{3, "淘宝子订单号"}: cells.WhyIDScientific,
		{3, "订单状态"}:   whyStatus,
		{3, "商品数量"}:   cells.WhyCount,
		{3, "付款时间"}:   whyTime,
		{3, "付款金额"}:   cells.WhyMoneyNegative,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems\n got %v\nwant %v", got, want)
	}
	if p := Parse("x.csv", [][]string{{"商品ID", "订单状态"}}); len(p.Problems) != 1 || p.Problems[0].Column != "淘宝子订单号" {
		t.Fatalf("missing header: %+v", p)
	}
}

func TestStatusNames(t *testing.T) {
	for in, want := range map[string]Status{
		"已付款": Paid, "订单付款": Paid, "已失效": Invalid, "订单失效": Invalid,
		"已收货": Received, "订单成功": Received, "已结算": Settled, "订单结算": Settled,
	} {
		p := Parse("s.csv", [][]string{{"淘宝子订单号", "订单状态"}, {"1", in}})
		if len(p.Orders) != 1 || p.Orders[0].Status != want {
			t.Errorf("%s: %+v", in, p)
		}
	}
	p := Parse("s.csv", [][]string{{"淘宝子订单号", "订单状态", "维权标签"}, {"1", "已结算", "维权订单"}, {"2", "已结算", "--"}})
	if p.Orders[0].Status != Refunded || p.Orders[0].Dispute != "维权订单" || p.Orders[1].Status != Settled || p.Orders[1].Dispute != "" {
		t.Errorf("dispute: %+v", p.Orders)
	}
}

func TestGBKCSV(t *testing.T) {
	text := csvHeader + "111,已结算,15.90,1.35%,39488881267,2020-06-11 09:19:47,--\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "gbk.csv", []byte(gbk))
	rows, enc, err := ReadRows(path)
	if err != nil || enc != "gb18030" {
		t.Fatalf("enc %q err %v", enc, err)
	}
	p := Parse(path, rows)
	if len(p.Orders) != 1 || p.Rejected != 0 {
		t.Fatalf("parsed %+v", p)
	}
	if o := p.Orders[0]; o.Status != Settled || o.PaidAmount != 1590 || o.ItemID != "39488881267" || o.PaidAt != sh("2020-06-11 09:19:47") {
		t.Fatalf("order %+v", o)
	}
	// UTF-8 with BOM.
	rows, enc, err = ReadRows(writeFile(t, "bom.csv", []byte("\xEF\xBB\xBF"+text)))
	if err != nil || enc != "utf-8" || rows[0][0] != "淘宝子订单号" {
		t.Fatalf("bom: %q %q %v", enc, rows[0], err)
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{
		{"订单状态", "淘宝子订单号", "付款金额", "佣金比率"},
		{"已收货", "1054723971619972844", "15.90", "1.35%"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	p := Parse(path, got)
	if len(p.Orders) != 1 || p.Orders[0].TradeID != "1054723971619972844" || p.Orders[0].Status != Received ||
		p.Orders[0].PaidAmount != 1590 || p.Orders[0].CommissionRate != 135 {
		t.Fatalf("parsed %+v", p)
	}
	if _, _, err := ReadRows(filepath.Join(t.TempDir(), "r.txt")); err == nil {
		t.Fatal("txt accepted")
	}
}
