package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

func TestImportOrdersFixture(t *testing.T) {
	fixture := filepath.Join("..", "..", "..", "shared", "fixtures", "alimama", "OrderDetail-2020-06-13.xls")
	if _, err := os.Stat(fixture); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the order report fixture is missing: %v", err)
		}
		t.Skip("no ../shared fixture here")
	}
	dbPath := filepath.Join(t.TempDir(), "q.db")
	out, _, err := runCLI(t, "--db", dbPath, "import", "orders", fixture)
	if err != nil || !strings.Contains(out, "新订单 3,") {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "--lang", "en", "--db", dbPath, "import", "orders", fixture)
	if err != nil || !strings.Contains(out, "3 unchanged") || !strings.Contains(out, "Summary: 3 rows read") {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("淘宝子订单号,订单状态,付款金额\n1001,已付款,12.x0\n"), 0o644)
	_, errOut, err := runCLI(t, "--db", dbPath, "import", "orders", bad)
	var ee exitError
	if err == nil || !strings.Contains(errOut, "付款金额") {
		t.Fatalf("bad report: %v\n%s", err, errOut)
	} else if ok := asExit(err, &ee); !ok || ee.code != 2 {
		t.Fatalf("bad report exit: %v", err)
	}
}

func asExit(err error, ee *exitError) bool {
	e, ok := err.(exitError)
	if ok {
		*ee = e
	}
	return ok
}

// An order report's bad rows and the report's bad flags are told in the
// reader's language only, naming the row, column and value.
func TestOrderErrorsInReadersLanguage(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "q.db")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("淘宝子订单号,订单状态,付款金额\n1001,已付款,12.x0\n"), 0o644)
	_, errOut, _ := runCLI(t, "--lang", "en", "--db", dbPath, "import", "orders", bad)
	if !strings.Contains(errOut, bad+` row 2, column 付款金额, value "12.x0": not a valid amount`) || strings.Contains(errOut, "不是有效的金额") {
		t.Fatalf("bad report in English:\n%s", errOut)
	}
	_, errOut, _ = runCLI(t, "--db", dbPath, "import", "orders", bad)
	if !strings.Contains(errOut, bad+` 第 2 行 列 付款金额 值 "12.x0": 不是有效的金额`) || strings.Contains(errOut, "not a valid amount") {
		t.Fatalf("bad report in Chinese:\n%s", errOut)
	}
	_, _, err := runCLI(t, "--lang", "en", "--db", dbPath, "report", "income", "--by", "year")
	if err == nil || msg.In(i18n.EN, err) != `--by: period "year" must be day, week or month` {
		t.Fatalf("bad period in English: %v", err)
	}
}
