package bench

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The order benchmarks at a small scale: every report row is imported and
// attributed, the re-import changes nothing, the money views answer.
func TestOrdersBenchSmall(t *testing.T) {
	dir := t.TempDir()
	cfg := OrdersConfig{Dir: dir, Orders: 3000, Groups: 12, Seed: 5, IncomeOrders: 5000, Months: 4, Queries: 3}
	res, err := OrdersImport(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Imports) != 2 || res.Posts == 0 {
		t.Fatalf("result %+v", res)
	}
	for _, m := range res.Imports {
		if m.Rows != 3000 || m.OrdersPerSec <= 0 || m.AgainPerSec <= 0 || m.FileBytes <= 0 {
			t.Errorf("%s: %+v", m.Format, m)
		}
		// About 95% of the orders come through a group's placement, and
		// most of those follow one of its posts.
		if m.Attributed < 2700 || m.Attributed > 2950 || m.FromPosts < m.Attributed*9/10 {
			t.Errorf("%s: %d attributed, %d from posts", m.Format, m.Attributed, m.FromPosts)
		}
	}
	// The two reports hold the same orders, and the import reads back the
	// generator's orders exactly.
	db, err := store.Open(context.Background(), filepath.Join(dir, "orders-import.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gen := newOrderGen(5, 12, 3000, benchEnd.AddDate(0, -1, 0).Unix(), benchEnd.Unix(), 24)
	s := orders.NewStore(db)
	for _, i := range []int{0, 1, 1234, 2999} {
		want := gen.order(i)
		got, _, ok, err := s.Get(context.Background(), want.Platform, want.TradeID)
		if err != nil || !ok || got != want {
			t.Errorf("order %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	inc, err := IncomePage(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Orders != 5000 || inc.Month.N != 3 || inc.Days.N != 3 || inc.Forecast.N != 3 || inc.Build <= 0 {
		t.Fatalf("income %+v", inc)
	}
	// A second run reuses the database.
	if inc, err := IncomePage(context.Background(), cfg); err != nil || inc.Build != 0 {
		t.Fatalf("reuse: %+v %v", inc, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "orders-3000-12-5.xlsx")); err != nil {
		t.Fatal(err)
	}
}

// On PostgreSQL the benchmark runs in a schema of its own, dropped after.
func TestOrdersBenchPostgres(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		storetest.Postgres(t) // skips when no local server
		pg = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	cfg := OrdersConfig{Dir: t.TempDir(), Orders: 1000, Groups: 5, Seed: 2, Formats: []string{"csv"}, Postgres: pg,
		IncomeOrders: 2000, Months: 2, Queries: 2}
	if res, err := OrdersImport(context.Background(), cfg); err != nil || res.Imports[0].Rows != 1000 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if inc, err := IncomePage(context.Background(), cfg); err != nil || inc.Orders != 2000 {
		t.Fatalf("income: %+v %v", inc, err)
	}
}

// A negative amount in the generated report (the service fee when the
// estimate is above the commission) reads -0.05, not 0.-5.
func TestReportRowNegative(t *testing.T) {
	row := reportRow(&orders.Order{PaidAmount: 1000, EstIncome: 5, ServiceFeeRate: -5}, nil)
	if got := row[slices.Index(reportHeader, "技术服务费")]; got != "-0.05" {
		t.Fatalf("技术服务费 %q, want -0.05", got)
	}
	if got := row[slices.Index(reportHeader, "技术服务费率")]; got != "-0.05%" {
		t.Fatalf("技术服务费率 %q, want -0.05%%", got)
	}
}
