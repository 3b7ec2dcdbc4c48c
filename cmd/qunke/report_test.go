package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// runReport runs `qunke report ARGS` against the database at path.
func runReport(t *testing.T, path string, args ...string) (string, error) {
	t.Helper()
	cmd := newReportCmd(&globals{db: path})
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func cst(s string) int64 {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai.Zone)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

// reportDB is a database with one group (placement 111) and three orders:
// two of the group in January (one invalid), one of no group in February.
func reportDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	g := &community.Group{Name: "宝妈福利1群", Channel: community.Manual, PIDTaobao: "mm_1_2_111", Members: 200, Active: true}
	if err := community.NewStore(db).Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	at0 := cst("2026-01-05 08:00")
	if err := publish.NewStore(db).RecordPosts(ctx, []publish.Post{{GroupID: g.ID, Platform: "tmall", ItemID: "555",
		Status: publish.Sent, SentAt: at0}}); err != nil {
		t.Fatal(err)
	}
	_, err = orders.NewStore(db).Import(ctx, []orders.Order{
		{TradeID: "1", AdzoneID: "111", ItemID: "555", ClickAt: cst("2026-01-05 08:30"), PaidAt: cst("2026-01-05 08:40"),
			Status: orders.Settled, PaidAmount: 5990, EstIncome: 123, SettledIncome: 120, SettledAt: cst("2026-01-12 10:00")},
		{TradeID: "2", AdzoneID: "111", ItemID: "555", PaidAt: cst("2026-01-20 21:00"), Status: orders.Invalid, PaidAmount: 1000, EstIncome: 50},
		{TradeID: "3", AdzoneID: "999", AdzoneName: "旧推广位", ItemID: "7", PaidAt: cst("2026-02-03 12:00"), Status: orders.Paid, PaidAmount: 2000, EstIncome: 77},
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func readCSV(t *testing.T, out string) [][]string {
	t.Helper()
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Fatalf("CSV without a BOM: %q", out[:min(20, len(out))])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReportIncome(t *testing.T) {
	path := reportDB(t)
	out, err := runReport(t, path, "income", "--from", "2026-01-01", "--to", "2026-02-28")
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, out)
	if rows[0][0] != "期间" || len(rows[0]) != len(incomeHeader) {
		t.Fatalf("header %q", rows[0])
	}
	want := [][]string{
		// period, from, to, group, orders, failed, paid, est, settled, invalid rate, posts, per post, members, member-days, per 100 member-days
		{"2026-01", "2026-01-01", "2026-01-31", "宝妈福利1群", "2", "1", "69.90", "1.23", "1.20", "50.00%", "1", "1.23", "200", "6200", "0.01"},
		{"2026-01", "2026-01-01", "2026-01-31", "合计 (total)", "2", "1", "69.90", "1.23", "1.20", "50.00%", "1", "1.23", "200", "6200", "0.01"},
		{"2026-02", "2026-02-01", "2026-02-28", orders.UnattributedName, "1", "0", "20.00", "0.77", "0.00", "0.00%", "0", "", "0", "0", ""},
		{"2026-02", "2026-02-01", "2026-02-28", "合计 (total)", "1", "0", "20.00", "0.77", "0.00", "0.00%", "0", "", "0", "0", ""},
	}
	if len(rows) != 1+len(want) {
		t.Fatalf("%d rows:\n%s", len(rows), out)
	}
	for i, w := range want {
		if strings.Join(rows[i+1], "|") != strings.Join(w, "|") {
			t.Errorf("row %d\n got %q\nwant %q", i+1, rows[i+1], w)
		}
	}

	// JSON keeps fen.
	out, err = runReport(t, path, "income", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json", "--by", "week")
	if err != nil {
		t.Fatal(err)
	}
	var rep orders.IncomeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if rep.By != orders.Week || rep.Total.EstIncome != 123 || rep.Total.Orders != 2 || rep.Buckets[0].Label != "2025-12-29" ||
		len(rep.Buckets) != 5 || rep.Buckets[1].Rows[0].IncomePerPost == nil || *rep.Buckets[1].Rows[0].IncomePerPost != 123 {
		t.Fatalf("json report %+v", rep)
	}

	// One group; the unattributed; an unknown group.
	out, err = runReport(t, path, "income", "--from", "2026-01-01", "--to", "2026-02-28", "--group", "宝妈福利1群")
	if err != nil || strings.Contains(out, orders.UnattributedName) || !strings.Contains(out, "宝妈福利1群") {
		t.Fatalf("--group: %v\n%s", err, out)
	}
	out, err = runReport(t, path, "income", "--from", "2026-01-01", "--to", "2026-02-28", "--group", "未归属", "--by", "day")
	if err != nil || strings.Contains(out, "宝妈福利1群") || !strings.Contains(out, "2026-02-03,2026-02-03,2026-02-03,"+orders.UnattributedName+",1,") {
		t.Fatalf("--group 未归属: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"income", "--group", "没有的群"},
		{"income", "--by", "year"},
		{"income", "--from", "yesterday"},
		{"income", "--format", "xml"},
		{"income", "--from", "2026-02-01", "--to", "2026-01-01"},
	} {
		if _, err := runReport(t, path, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestReportForecastUnattributedAttribute(t *testing.T) {
	path := reportDB(t)
	out, err := runReport(t, path, "income", "--forecast")
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, out)
	if rows[0][0] != "到账月份" || len(rows) < 4 || !strings.HasSuffix(rows[1][1], "-20") {
		t.Fatalf("forecast:\n%s", out)
	}
	out, err = runReport(t, path, "income", "--forecast", "--format", "json", "--pay-day", "15")
	if err != nil {
		t.Fatal(err)
	}
	var f orders.Forecast
	if err := json.Unmarshal([]byte(out), &f); err != nil || f.PayDay != 15 || len(f.Coming) < 3 || len(f.History) != 6 {
		t.Fatalf("forecast json %v %+v", err, f)
	}

	out, err = runReport(t, path, "unattributed")
	if err != nil {
		t.Fatal(err)
	}
	rows = readCSV(t, out)
	if len(rows) != 2 || rows[1][0] != "999" || rows[1][1] != "旧推广位" || rows[1][2] != "1" || rows[1][4] != "0.77" {
		t.Fatalf("unattributed:\n%s", out)
	}

	// The placement 999 is registered to a new group: attribute moves the order.
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	g := &community.Group{Name: "新群", Channel: community.Manual, PIDTaobao: "mm_1_2_999", Active: true}
	if err := community.NewStore(db).Save(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runReport(t, path, "attribute", "--since", "2026-01-01")
	if err != nil || !strings.Contains(out, "有变化 1 ·") {
		t.Fatalf("attribute: %v %s", err, out)
	}
	out, err = runReport(t, path, "unattributed", "--format", "json")
	if err != nil || !strings.Contains(out, `"adzones": []`) {
		t.Fatalf("after attribute: %v %s", err, out)
	}
}
