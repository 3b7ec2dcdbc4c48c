package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
)

// runCLI runs qunke with args in-process and returns stdout, stderr and the
// error; it speaks Chinese unless args say --lang en.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	t.Setenv("QUNKE_LANG", "zh")
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func writeGBK(t *testing.T, path, text string) {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot summarises the catalog tables so a test can tell whether anything changed.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var items, chunks, pending, sum int64
	err = db.QueryRow(`SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM item_history),
		(SELECT count(*) FROM pending_observations), (SELECT coalesce(sum(n), 0) FROM item_history)`).Scan(&items, &chunks, &pending, &sum)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rows, err := db.Query(`SELECT item, t0, t1, n, data FROM item_history ORDER BY item, t0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var item, t0, t1, n int64
		var data []byte
		rows.Scan(&item, &t0, &t1, &n, &data)
		b.Write(data)
	}
	return fmt.Sprintf("items=%d chunks=%d pending=%d observations=%d|%x", items, chunks, pending, sum, b.String())
}

func TestDemoThenImportFeeds(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "q.db")
	out, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "300", "--days", "60")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "300") {
		t.Fatalf("demo output: %s", out)
	}
	again, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "300", "--days", "60")
	if err != nil || !strings.Contains(again, "（新 0）") {
		t.Fatalf("second demo run should add nothing: %v %s", err, again)
	}

	// A dataoke export saved by Excel on Chinese Windows: GBK.
	dataoke := filepath.Join(dir, "dataoke.csv")
	writeGBK(t, dataoke, "goodsId,title,dtitle,originalPrice,actualPrice,couponPrice,couponConditions,couponEndTime,commissionRate,monthSales,twoHoursSales,brandName,shopName,shopType,descScore,serviceScore,shipScore,cid\n"+
		"610000000001,【官方旗舰】保温杯316不锈钢大容量,保温杯大容量,89.00,59.00,30,89,2026-12-01 23:59:59,30,12000,150,象印,象印官方旗舰店,1,4.9,4.8,4.8,4\n"+
		"610000000002,加厚抽纸12包整箱家用纸巾,抽纸12包,39.90,29.90,10,39,2026-12-01 23:59:59,20.5,88000,900,清风,清风旗舰店,1,4.8,4.8,4.9,4\n")
	out, errOut, err := runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-25 10:00", dataoke)
	if err != nil {
		t.Fatalf("import dataoke: %v\n%s\n%s", err, out, errOut)
	}
	// Without --at a file with no time column is a snapshot of the import's
	// time, as in the console: the README tour's line imports a real export.
	noTime := filepath.Join(dir, "dataoke-now.csv")
	writeGBK(t, noTime, "goodsId,title,originalPrice,actualPrice,commissionRate,monthSales,shopName,shopType\n"+
		"610000000009,加厚抽纸12包整箱家用纸巾,39.90,29.90,20.5,88000,清风旗舰店,1\n")
	started := time.Now().Unix()
	if out, errOut, err := runCLI(t, "--db", dbPath, "import", "items", noTime); err != nil {
		t.Fatalf("import without --at: %v\n%s\n%s", err, out, errOut)
	}
	s := openCatalog(t, dbPath)
	if _, ok, err := s.ValueAt(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000009"}, started-1); err != nil || ok {
		t.Fatalf("the snapshot without --at is older than the import: %v %v", ok, err)
	}
	if _, ok, err := s.ValueAt(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000009"}, time.Now().Unix()+1); err != nil || !ok {
		t.Fatalf("no snapshot of now without --at: %v %v", ok, err)
	}
	o, ok, err := s.ValueAt(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000001"}, 1_800_000_000)
	if err != nil || !ok {
		t.Fatalf("dataoke item not stored: %v %v", ok, err)
	}
	if o.FinalPrice != 5900 || o.ListPrice != 8900 || o.CouponAmount != 3000 || o.CommissionRate != 3000 || o.Sales30 != 12000 {
		t.Fatalf("dataoke item stored as %+v", o)
	}
	it, err := s.Find(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000002"})
	if err != nil || it.Title != "加厚抽纸12包整箱家用纸巾" || it.Brand != "清风" {
		t.Fatalf("GBK title not decoded: %q %q %v", it.Title, it.Brand, err)
	}

	// A haodanku export as XLSX.
	hdk := filepath.Join(dir, "haodanku.xlsx")
	f := excelize.NewFile()
	rows := [][]any{
		{"itemid", "itemtitle", "itemshorttitle", "itemprice", "itemendprice", "couponmoney", "couponendtime", "tkrates", "itemsale", "itemsale2", "shopname", "shoptype"},
		{"620000000001", "儿童保温水杯带吸管幼儿园", "儿童水杯", "49.9", "29.9", "20", "1796000000", "25", "3400", "40", "小象母婴店", "C"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	if err := f.SaveAs(hdk); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-25 10:00", hdk); err != nil {
		t.Fatalf("import haodanku: %v\n%s\n%s", err, out, errOut)
	}
	o, ok, err = s.ValueAt(context.Background(), catalog.Key{Platform: catalog.Taobao, ItemID: "620000000001"}, 1_800_000_000)
	if err != nil || !ok || o.FinalPrice != 2990 || o.Sales2h != 40 {
		t.Fatalf("haodanku item: %+v %v %v", o, ok, err)
	}

	// Re-importing the same file changes nothing.
	before := snapshot(t, dbPath)
	if _, _, err := runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-25 10:00", dataoke); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, dbPath) != before {
		t.Fatal("re-importing the same file changed the database")
	}

	// A file with bad rows: rejected with exact lines and columns, nothing written.
	bad := filepath.Join(dir, "bad.csv")
	writeGBK(t, bad, "goodsId,title,originalPrice,actualPrice,couponPrice,commissionRate,monthSales,shopType\n"+
		"610000000003,好物一,19.9,9.9,10,20,5,1\n"+
		"610000000004,好物二,19.9,abc,10,20,5,1\n"+
		"610000000005,好物三,19.9,29.9,0,20,5,1\n"+
		"610000000006,好物四,19.9,9.9,10,95,5,1\n")
	_, errOut, err = runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-26 10:00", bad)
	var ee exitError
	if !errors.As(err, &ee) || ee.code == 0 {
		t.Fatalf("bad file: want a non-zero exit, got %v", err)
	}
	for _, want := range []string{"第 3 行", "actualPrice", "第 4 行", "第 5 行", "commissionRate"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("bad-file report lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "第 2 行") {
		t.Errorf("good line 2 reported as bad:\n%s", errOut)
	}
	if snapshot(t, dbPath) != before {
		t.Fatal("a rejected file changed the database")
	}

	// --skip-bad imports the good row and writes the rest beside the file.
	if _, _, err := runCLI(t, "--db", dbPath, "import", "items", "--skip-bad", "--at", "2026-11-26 10:00", bad); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Find(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000003"}); err != nil {
		t.Fatalf("good row of a --skip-bad import: %v", err)
	}
	if _, err := s.Find(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000004"}); err == nil {
		t.Fatal("bad row imported")
	}
	rejected, err := os.ReadFile(filepath.Join(dir, "bad.rejected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSpace(string(rejected)), "\n"); n != 3 {
		t.Fatalf("rejected file has %d rows, want header + 3:\n%s", n, rejected)
	}
}

func openCatalog(t *testing.T, path string) *catalog.Store {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return catalog.NewStore(db)
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, err := runCLI(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range newRoot().Commands() {
		if !strings.Contains(out, c.Name()) || c.Short == "" {
			t.Errorf("--help does not list %q with a purpose", c.Name())
		}
	}
}

func TestImportMissingFileAndBadFlags(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "q.db")
	_, errOut, err := runCLI(t, "--db", dbPath, "import", "items", "/nonexistent/feed.csv")
	if err == nil || !strings.Contains(errOut, "✗ /nonexistent/feed.csv: 找不到文件\n") || strings.Count(errOut, "/nonexistent/feed.csv") != 1 {
		t.Fatalf("missing file: %v %s", err, errOut)
	}
	_, errOut, _ = runCLI(t, "--lang", "en", "--db", dbPath, "import", "items", "/nonexistent/feed.csv")
	if !strings.Contains(errOut, "✗ /nonexistent/feed.csv: file not found\n") {
		t.Fatalf("missing file, in English: %s", errOut)
	}
	_, errOut, _ = runCLI(t, "--db", dbPath, "import", "orders", "/nonexistent/report.xlsx")
	if !strings.Contains(errOut, "✗ /nonexistent/report.xlsx: 找不到文件") {
		t.Fatalf("missing report: %s", errOut)
	}
	// A file-level error names the file once.
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.csv")
	os.WriteFile(unknown, []byte("foo,bar\n1,2\n"), 0o644)
	_, errOut, _ = runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-25 10:00", unknown)
	if line := errOut[strings.Index(errOut, "✗"):]; strings.Count(line, unknown) != 1 || !strings.Contains(line, "商品ID") {
		t.Fatalf("unrecognised header: %s", errOut)
	}
	// --skip-bad is suggested only when it would import something.
	allBad := filepath.Join(dir, "all-bad.csv")
	os.WriteFile(allBad, []byte("goodsId,title,actualPrice\n1,a,abc\n2,b,x\n"), 0o644)
	_, errOut, _ = runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-25 10:00", "--platform", "tmall", allBad)
	if strings.Contains(errOut, "--skip-bad") || !strings.Contains(errOut, "全部 2 行都有错误") {
		t.Fatalf("all rows bad: %s", errOut)
	}
	someBad := filepath.Join(dir, "some-bad.csv")
	os.WriteFile(someBad, []byte("goodsId,title,actualPrice\n1,a,abc\n2,b,9.9\n"), 0o644)
	_, errOut, _ = runCLI(t, "--db", dbPath, "import", "items", "--at", "2026-11-25 10:00", "--platform", "tmall", someBad)
	if !strings.Contains(errOut, "--skip-bad 只导入正确的 1 行") {
		t.Fatalf("some rows bad: %s", errOut)
	}
	if _, _, err := runCLI(t, "--db", dbPath, "import", "items", "--at", "yesterday-ish", "x.csv"); err == nil || !strings.Contains(err.Error(), "--at") {
		t.Fatalf("bad --at: %v", err)
	}
	if _, _, err := runCLI(t, "--db", dbPath, "import", "items", "--platform", "amazon", "x.csv"); err == nil || !strings.Contains(err.Error(), "amazon") {
		t.Fatalf("bad --platform: %v", err)
	}
}
