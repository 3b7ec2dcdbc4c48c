package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
