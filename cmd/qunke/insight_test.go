package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/apiv1"
)

// TestCostsCommands: add, import (a bad sheet imports nothing and names the
// row and column), list as text and JSON.
func TestCostsCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	groups := filepath.Join(dir, "groups.csv")
	os.WriteFile(groups, []byte("群名,渠道\n甲群,manual\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "--lang", "en", "--db", db, "costs", "add", "--group", "甲群", "--date", "2026-01-05",
		"--kind", "买粉", "--members", "100", "--unit-yuan", "10")
	if err != nil || out != "added cost #1: 1000.00 yuan (bought members, 2026-01-05)\n" {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "--db", db, "costs", "add", "--date", "2026-01-05", "--kind", "广告", "--amount-yuan", "5"); err == nil ||
		!strings.Contains(err.Error(), "请填写群或活动") {
		t.Fatalf("a cost for nothing: %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("日期,群,类型,金额\n2026-01-06,甲群,红包,8.88\n2026-01-07,乙群,广告,100\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "costs", "import", bad); err == nil || !strings.Contains(err.Error(), "第 3 行「群」列") {
		t.Fatalf("bad sheet: %v", err)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("date,campaign,kind,amount\n2026-01-06,春节裂变,fission rewards,50\n2026-01-07,春节裂变,ads,100.5\n"), 0o644)
	if out, _, err := runCLI(t, "--db", db, "costs", "import", good); err != nil || out != "已导入 2 笔费用，共 150.50 元\n" {
		t.Fatalf("import: %q %v", out, err)
	}
	out, _, err = runCLI(t, "--db", db, "costs", "list", "--from", "2026-01-06", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var cs apiv1.Costs
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatal(err)
	}
	if len(cs.Costs) != 2 || cs.TotalFen != 15050 || cs.Costs[0].GroupID != nil || cs.Costs[0].KindLabel != "裂变奖励" {
		t.Fatalf("list --json: %s", out)
	}
	out, _, err = runCLI(t, "--db", db, "costs", "list")
	if err != nil || !strings.Contains(out, "甲群") || !strings.Contains(out, "共 3 笔，1150.50 元") {
		t.Fatalf("list: %q %v", out, err)
	}
}

// TestSimulateCommand: with no measured data the defaults are used and said
// to be; the JSON's money is whole fen and its months are as asked.
func TestSimulateCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	out, _, err := runCLI(t, "--db", db, "simulate", "--months", "24", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s apiv1.Simulation
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Curves != "defaults" || len(s.Months) != 24 || s.BudgetFen != 1_000_000 || s.FanPriceFen != 1000 ||
		s.Months[0].CashOutFen != 1_000_000 || s.Months[0].CashInFen != 0 || s.Months[1].CashInFen != s.Months[0].AccruedFen {
		t.Fatalf("simulate --json: %+v", s)
	}
	out, _, err = runCLI(t, "--lang", "en", "--db", db, "simulate", "--months", "6", "--fan-price-yuan", "0.5", "--reinvest", "0")
	if err != nil || !strings.Contains(out, "curves: default assumptions") || !strings.Contains(out, "pays back in month") {
		t.Fatalf("simulate: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "--db", db, "simulate", "--months", "500"); err == nil {
		t.Fatal("500 months accepted")
	}
}
