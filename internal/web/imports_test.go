package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
)

func (c *client) upload(path, csrf, name, content string, fields map[string]string) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", c.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.String()
}

// waitImports polls the import page until no job is running.
func waitImports(t *testing.T, c *client) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, body := c.do("GET", "/import", nil)
		if !strings.Contains(body, `http-equiv="refresh"`) {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("import did not finish")
	return ""
}

func TestImportUpload(t *testing.T) {
	s, srv := newTestServer(t)
	sel := newClient(t, srv)
	signIn(t, s, sel, "sel", auth.Selector)
	feed := "goodsId,title,originalPrice,actualPrice,couponPrice,commissionRate,monthSales,shopType\n" +
		"610000000011,保温杯大容量,89,59,30,30,12000,1\n" +
		"610000000012,抽纸12包,39.9,abc,10,20,88000,1\n"
	_, body := sel.do("GET", "/import", nil)
	if !strings.Contains(body, "XLS，") || !strings.Contains(body, "UTF-16") { // what the feed reader takes
		t.Errorf("the page does not say that .xls and UTF-16 files are read:\n%s", body)
	}
	csrf := csrfIn(t, body)
	resp, _ := sel.upload("/import", csrf, "dataoke.csv", feed, map[string]string{"at": "2026-11-25T10:00"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	body = waitImports(t, sel)
	if !strings.Contains(body, "未导入") || !strings.Contains(body, "actualPrice") {
		t.Fatalf("a file with a bad row should not import, and say why:\n%s", body)
	}
	if !strings.Contains(body, "<th>原因</th>") || !strings.Contains(body, "<td><code>abc</code></td><td>不是有效的金额</td>") || strings.Contains(body, "not a valid") || strings.Contains(body, "nothing was imported") {
		t.Errorf("the bad rows, under headers, and why in Chinese only:\n%s", body)
	}
	if _, body := sel.do("GET", "/import?lang=en", nil); !strings.Contains(body, "not a valid amount") || strings.Contains(body, "不是有效的金额") {
		t.Fatalf("the reason, in English only:\n%s", body)
	}
	sel.upload("/import", csrf, "empty.csv", "", nil)
	if body := waitImports(t, sel); !strings.Contains(body, "empty.csv: empty file") || strings.Contains(body, "文件为空") {
		t.Fatalf("a file error, in English only:\n%s", body)
	}
	sel.do("GET", "/import?lang=zh", nil)
	if _, err := s.catalog.Find(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000011"}); err == nil {
		t.Fatal("a rejected file was partly imported")
	}
	resp, _ = sel.upload("/import", csrf, "dataoke.csv", feed, map[string]string{"at": "2026-11-25T10:00", "skip_bad": "1"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload --skip-bad: %d", resp.StatusCode)
	}
	body = waitImports(t, sel)
	if !strings.Contains(body, "已导入") {
		t.Fatalf("skip-bad import:\n%s", body)
	}
	if _, err := s.catalog.Find(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000011"}); err != nil {
		t.Fatalf("good row not imported: %v", err)
	}
	link := body[strings.Index(body, "/import/"):]
	link = link[:strings.Index(link, `"`)]
	resp, csv := sel.do("GET", link, nil)
	if resp.StatusCode != 200 || !strings.Contains(csv, "610000000012") || strings.Contains(csv, "610000000011") {
		t.Fatalf("rejected rows download %s: %d\n%s", link, resp.StatusCode, csv)
	}
	// Without the token, or for a role that may not import, nothing happens.
	if resp, _ := sel.upload("/import", "forged", "x.csv", feed, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", resp.StatusCode)
	}
	op := newClient(t, srv)
	signIn(t, s, op, "op", auth.Operator)
	if resp, _ := op.do("GET", "/import", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("operator GET /import: %d", resp.StatusCode)
	}
}

// A file with no time column, uploaded with no snapshot time, is a
// snapshot taken at the upload; Chinese headers as the exports write them
// are read.
func TestImportUploadDefaults(t *testing.T) {
	s, srv := newTestServer(t)
	sel := newClient(t, srv)
	signIn(t, s, sel, "sel", auth.Selector)
	feed := "商品ID,商品标题,原价,券后价,优惠券金额,佣金比例,月销量,店铺名称,店铺类型\n" +
		"610000000021,保温杯大容量,89,59,30,30,12000,某某旗舰店,天猫\n"
	_, body := sel.do("GET", "/import", nil)
	before := time.Now().Unix()
	if resp, _ := sel.upload("/import", csrfIn(t, body), "大淘客导出.csv", feed, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	body = waitImports(t, sel)
	if !strings.Contains(body, "已导入") || strings.Contains(body, "--at") {
		t.Fatalf("import without a snapshot time:\n%s", body)
	}
	it, err := s.catalog.Find(context.Background(), catalog.Key{Platform: catalog.Tmall, ItemID: "610000000021"})
	if err != nil {
		t.Fatalf("not imported: %v", err)
	}
	obs, err := s.catalog.Observations(context.Background(), it.ID, 0, time.Now().Unix()+1)
	if err != nil || len(obs) != 1 || obs[0].At < before || obs[0].At > time.Now().Unix() {
		t.Fatalf("snapshots %+v (%v), uploaded at %d", obs, err, before)
	}
}
