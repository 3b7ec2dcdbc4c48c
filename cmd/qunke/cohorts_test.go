package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// cohortsDB is a database with one member (joined 2026-01-01) credited
// with two orders, in January and March.
func cohortsDB(t *testing.T) string {
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
	m := communitytest.Member(t, db, "老顾客")
	if err := community.NewStore(db).Bind(ctx, m, community.PersonTaobao, community.KindSpecialID, "777"); err != nil {
		t.Fatal(err)
	}
	var os []orders.Order
	for i, at := range []int64{cst("2026-01-10 10:00"), cst("2026-03-02 10:00")} {
		os = append(os, orders.Order{Platform: orders.PlatformTaobao, TradeID: "c" + string(rune('0'+i)), SpecialID: "777",
			CreatedAt: at, PaidAt: at, Status: orders.Paid, EstIncome: 500, PaidAmount: 5000})
	}
	if _, err := orders.NewStore(db).Import(ctx, os); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportCohortsAndRFM: the first report rebuilds the never-built
// rollups; --json is the API's body; the RFM export writes the file; bad
// flags are named.
func TestReportCohortsAndRFM(t *testing.T) {
	if time.Now().Before(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Skip("the fixture's orders are in the future")
	}
	path := cohortsDB(t)
	out, err := runReport(t, path, "cohorts", "--kind", "repurchase", "--periods", "120")
	if err != nil || !strings.Contains(out, "首单月") || !strings.Contains(out, "2026-01") || !strings.Contains(out, "100.00% (1)") {
		t.Fatalf("report cohorts: %v\n%s", err, out)
	}
	out, err = runReport(t, path, "cohorts", "--json", "--periods", "156")
	if err != nil {
		t.Fatal(err)
	}
	var tri struct {
		Kind    string `json:"kind"`
		Cohorts []struct {
			Size int64 `json:"size"`
		} `json:"cohorts"`
	}
	if err := json.Unmarshal([]byte(out), &tri); err != nil || tri.Kind != "retention" || len(tri.Cohorts) != 1 || tri.Cohorts[0].Size != 1 {
		t.Errorf("report cohorts --json: %v %s", err, out)
	}
	out, err = runReport(t, path, "rfm")
	if err != nil || !strings.Contains(out, "重要价值") || !strings.Contains(out, "¥10.00") {
		t.Errorf("report rfm: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "rfm.csv")
	if out, err = runReport(t, path, "rfm", "--export", file); err != nil || !strings.Contains(out, "1") {
		t.Fatalf("report rfm --export: %v %s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(b), "老顾客") || !strings.Contains(string(b), ",2,10.00,2026-01-10") {
		t.Errorf("export: %v %q", err, b)
	}
	for _, args := range [][]string{{"cohorts", "--kind", "daily"}, {"cohorts", "--periods", "0"}, {"rfm", "--segment", "vip"},
		{"rfm", "--export", filepath.Join(t.TempDir(), "x.pdf")}} {
		if _, err := runReport(t, path, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
