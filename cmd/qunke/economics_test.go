package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
)

// TestReportEconomics: the costs entered show in the economics' total and
// in their group's row, as JSON and as a table in either language; a cut
// or a date that cannot be read is refused, naming its flag.
func TestReportEconomics(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	groups := filepath.Join(dir, "groups.csv")
	if err := os.WriteFile(groups, []byte("群名,渠道\n甲群,manual\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	day := time.Now().AddDate(0, 0, -3).Format("2006-01-02")
	if out, _, err := runCLI(t, "--db", db, "costs", "add", "--group", "甲群", "--date", day, "--kind", "买粉", "--members", "10",
		"--unit-yuan", "2"); err != nil {
		t.Fatalf("costs add: %q %v", out, err)
	}
	out, _, err := runCLI(t, "--db", db, "report", "economics", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var e apiv1.Economics
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	if e.By != "group" || e.Total.CostFen != 2000 || len(e.Rows) != 1 || e.Rows[0].Label != "甲群" || e.Rows[0].CostFen != 2000 {
		t.Fatalf("report economics --json: %+v", e)
	}
	out, _, err = runCLI(t, "--lang", "en", "--db", db, "report", "economics", "--by", "cohort", "--period", "month")
	if err != nil || !strings.Contains(out, "By join cohort") || !strings.Contains(out, "Total") {
		t.Fatalf("report economics --by cohort: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "--db", db, "report", "economics", "--by", "shop"); err == nil || !strings.Contains(err.Error(), "--by") {
		t.Fatalf("--by shop: %v", err)
	}
	if _, _, err := runCLI(t, "--db", db, "report", "economics", "--from", "yesterday"); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Fatalf("--from yesterday: %v", err)
	}
}
