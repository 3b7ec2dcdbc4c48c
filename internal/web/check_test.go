package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestCheckPageRendersCardsEscaped(t *testing.T) {
	db := storetest.SQLite(t)
	cs := catalog.NewStore(db)
	item := catalog.Item{Platform: catalog.JD, ItemID: "100012345678", Title: `<script>alert(1)</script>保温杯`, CategoryPath: "居家日用/水具/保温杯", ShopName: "测试京东自营店", ShopType: catalog.ShopJDSelf}
	var recs []catalog.Record
	for d := int64(0); d < 30; d++ {
		recs = append(recs, catalog.Record{Item: item, Obs: catalog.Observation{At: 1_760_000_000 + d*86400, ListPrice: 9900,
			FinalPrice: 7900 - d%3*100, CouponAmount: 2000, CommissionRate: 2500, Sales30: 100 + d, Sales2h: 3, CouponRemain: catalog.Unknown}})
	}
	// A like item, cheaper: the card lists it as a substitute.
	like := catalog.Item{Platform: catalog.Tmall, ItemID: "612345678901", Title: "保温杯大容量316不锈钢男女学生", CategoryPath: "居家日用/水具/保温杯", ShopName: "另一店"}
	for d := int64(0); d < 30; d++ {
		recs = append(recs, catalog.Record{Item: like, Obs: catalog.Observation{At: 1_760_000_000 + d*86400, ListPrice: 5900,
			FinalPrice: 3900, CouponAmount: 2000, CommissionRate: 3000, Sales30: 500 + d, Sales2h: 3, CouponRemain: catalog.Unknown}})
	}
	for k, title := range []string{"玻璃水杯家用喝水杯子", "儿童吸管杯防摔", "运动水壶户外大容量", "陶瓷马克杯办公室", "茶水分离泡茶杯"} {
		filler := catalog.Item{Platform: catalog.Taobao, ItemID: "60000000000" + strconv.Itoa(k), Title: title, CategoryPath: "居家日用/水具/保温杯", ShopName: "杂货店"}
		recs = append(recs, catalog.Record{Item: filler, Obs: catalog.Observation{At: 1_760_000_000, ListPrice: 2900, FinalPrice: 2900, CommissionRate: 1000, Sales30: 10, Sales2h: catalog.Unknown, CouponRemain: catalog.Unknown}})
	}
	item.Title += "大容量316不锈钢男女学生"
	for i := range 30 {
		recs[i].Item = item
	}
	if _, err := cs.Ingest(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	s := New(db, slog.New(slog.DiscardHandler))
	post := func(q string) string {
		form := url.Values{"text": {"看看这个 https://item.jd.com/100012345678.html 券后29.9 和 ￥AbCdEfGh123￥"}}
		req := httptest.NewRequest("POST", "/check"+q, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req = req.WithContext(withSession(req.Context(), &sessionInfo{CSRF: "tok"}))
		rec := httptest.NewRecorder()
		s.checkPage(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST /check%s: %d\n%s", q, rec.Code, rec.Body.String())
		}
		return rec.Body.String()
	}
	body := post("")
	if strings.Contains(body, "<script>alert(1)</script>") {
		t.Fatal("an item title was rendered as HTML")
	}
	// A JD self-run shop is not called Tmall.
	if !strings.Contains(body, `测试京东自营店 <span class="qk-badge">京东自营</span>`) || strings.Contains(body, "天猫/旗舰/自营</span>") {
		t.Errorf("the shop's badge:\n%s", body[strings.Index(body, "测试京东自营店"):][:200])
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;保温杯", "券后价", "史低", "¥77.00", `id="chart-0"`, `"final":[[`, "需要解析", `name="csrf" value="tok"`, `class="qk-chart"`, `data-echarts="/static/vendor/echarts/echarts.min.`,
		// The message's price beside the catalog's; the share code named
		// as people call it; the substitutes with headers and links.
		"消息里写的 ¥29.90，库中今天 ¥77.00", "淘口令", "京东 100012345678",
		"<th>商品</th><th>券后价</th><th>佣金</th><th>月销</th><th>更好在</th>", `<a href="/check?text=tmall%20%E5%95%86%E5%93%81ID%EF%BC%9A612345678901">保温杯大容量316不锈钢男女学生</a> <small>天猫</small>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, raw := range []string{"share_code", "needs resolving", "jd:"} {
		if strings.Contains(body, raw) {
			t.Errorf("the Chinese page shows %q", raw)
		}
	}
	// The chart's JSON is escaped for its script element too.
	if i := strings.Index(body, `id="chart-0">`); i < 0 || strings.Contains(body[i:i+200], "</script><script") {
		t.Error("chart data breaks out of its script element")
	}
	en := post("?lang=en")
	for _, want := range []string{"Final price", "Historic low", "needs resolving", `lang="en"`, "Taobao share code", "The message says ¥29.90; the catalog has ¥77.00 today"} {
		if !strings.Contains(en, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
}

func TestStaticFilesAreEmbedded(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	for _, path := range []string{"/static/app.css", "/static/app.js", "/static/vendor/echarts/echarts.min.js"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Body.Len() < 100 {
			t.Errorf("%s: %d, %d bytes", path, rec.Code, rec.Body.Len())
		}
	}
}

// TestCheckPageSaysWhatItRead: a message with no product says so; one
// past 1 MB says that only its start was read, and still judges what it
// found there.
func TestCheckPageSaysWhatItRead(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	check := func(text string) string {
		req := httptest.NewRequest("GET", "/check?text="+url.QueryEscape(text), nil)
		req = req.WithContext(withSession(req.Context(), &sessionInfo{CSRF: "tok"}))
		rec := httptest.NewRecorder()
		s.checkPage(rec, req)
		return rec.Body.String()
	}
	if body := check("今天天气不错"); !strings.Contains(body, "没有找到商品链接") {
		t.Error("a message without products: no word")
	}
	body := check("https://item.jd.com/100012345678.html " + strings.Repeat("好", 1<<19))
	if !strings.Contains(body, "只读取了前 1 MB") || strings.Contains(body, "没有找到商品链接") || !strings.Contains(body, "不在库中") {
		t.Errorf("a long message:\n%.3000s", body[strings.Index(body, "<main>"):])
	}
}
