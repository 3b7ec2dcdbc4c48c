package feed

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/sheet/xlsfake"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// cst returns unix seconds of a Shanghai wall-clock time.
func cst(y int, mo time.Month, d, h, mi, s int) int64 {
	return time.Date(y, mo, d, h, mi, s, 0, time.FixedZone("CST", 8*3600)).Unix()
}

const at0 = 1717171200 // 2024-06-01 00:00:00 +08

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scanFile scans path and returns the good rows.
func scanFile(t *testing.T, path string, opt Options) ([]Row, Result) {
	t.Helper()
	var rows []Row
	res, err := Scan(path, opt, func(r Row) error { rows = append(rows, r); return nil }, nil)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return rows, res
}

func lines(rows []Row) []int {
	var ls []int
	for _, r := range rows {
		ls = append(ls, r.Line)
	}
	return ls
}

type probKey struct {
	Line   int
	Column string
	Value  string
}

func probKeys(ps []Problem) []probKey {
	var ks []probKey
	for _, p := range ps {
		ks = append(ks, probKey{p.Line, p.Column, p.Value})
	}
	return ks
}

func eq[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

const dataokeHeader = "goodsId,title,dtitle,originalPrice,actualPrice,couponPrice,couponConditions,couponEndTime,couponTotalNum,couponReceiveNum,commissionRate,commissionType,monthSales,twoHoursSales,dailySales,brandName,shopName,sellerId,shopType,descScore,serviceScore,shipScore,cid,mainPic"

const dataokeRow1 = `651234567890,"维达抽纸 3层120抽*24包",维达抽纸,59.90,49.90,10,59,2024-06-30 23:59:59,10000,2500,30.5,2,12345,321,100,维达,维达官方旗舰店,2200001,1,4.8,4.85,4.9,4,//img.alicdn.com/a.jpg`

var dataokeRec1 = catalog.Record{
	Item: catalog.Item{
		Platform: catalog.Tmall, ItemID: "651234567890", Title: "维达抽纸 3层120抽*24包", ShortTitle: "维达抽纸",
		CategoryPath: "居家日用", Brand: "维达", ShopID: "2200001", ShopName: "维达官方旗舰店", ShopType: catalog.ShopTmall,
		DSRDesc: 480, DSRService: 485, DSRShip: 490, ImageURL: "https://img.alicdn.com/a.jpg",
	},
	Obs: catalog.Observation{
		At: at0, ListPrice: 5990, CouponAmount: 1000, CouponThreshold: 5900, CouponEnd: cst(2024, 6, 30, 23, 59, 59),
		FinalPrice: 4990, CommissionRate: 3050, CommissionType: catalog.CommissionCampaign,
		CouponRemain: 7500, Sales30: 12345, Sales2h: 321,
	},
}

func TestDataokeGB18030(t *testing.T) {
	text := dataokeHeader + "\r\n" + dataokeRow1 + "\r\n" +
		`700000000001,南极人纯棉四件套,四件套,"1,299.00",￥999,0,,,,,20,0,88,,,南极人,南极人家纺店,2200002,0,,,,14,` + "\r\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if gb == text {
		t.Fatal("encoder did not change Chinese text")
	}
	rows, res := scanFile(t, writeFile(t, "大淘客.csv", []byte(gb)), Options{At: at0})
	if res.Encoding != "gb18030" || res.Format != "dataoke/csv" || res.Rows != 2 || len(res.Problems) != 0 {
		t.Fatalf("result %+v", res)
	}
	if res.Header[0] != "goodsId" || len(res.Header) != 24 {
		t.Fatalf("header %q", res.Header)
	}
	eq(t, "lines", lines(rows), []int{2, 3})
	if rows[0].Record != dataokeRec1 {
		t.Fatalf("row 1:\n got %+v\nwant %+v", rows[0].Record, dataokeRec1)
	}
	want2 := catalog.Record{
		Item: catalog.Item{Platform: catalog.Taobao, ItemID: "700000000001", Title: "南极人纯棉四件套", ShortTitle: "四件套",
			CategoryPath: "家装家纺", Brand: "南极人", ShopID: "2200002", ShopName: "南极人家纺店", ShopType: catalog.ShopTaobao},
		Obs: catalog.Observation{At: at0, ListPrice: 129900, FinalPrice: 99900, CommissionRate: 2000,
			CommissionType: catalog.CommissionGeneral, CouponRemain: catalog.Unknown, Sales30: 88, Sales2h: catalog.Unknown},
	}
	if rows[1].Record != want2 {
		t.Fatalf("row 2:\n got %+v\nwant %+v", rows[1].Record, want2)
	}
}

// A feed saved by Excel as "Unicode text" (UTF-16 with BOM, tabs) or as
// an old .xls workbook reads like its CSV.
func TestUTF16AndXLS(t *testing.T) {
	recs, err := csv.NewReader(strings.NewReader(dataokeHeader + "\n" + dataokeRow1 + "\n")).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tsv strings.Builder
	for _, r := range recs {
		tsv.WriteString(strings.Join(r, "\t") + "\r\n")
	}
	for _, e := range []unicode.Endianness{unicode.LittleEndian, unicode.BigEndian} {
		b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().String(tsv.String())
		if err != nil {
			t.Fatal(err)
		}
		rows, res := scanFile(t, writeFile(t, "dataoke.txt", []byte(b)), Options{At: at0})
		if !strings.HasPrefix(res.Encoding, "utf-16") || res.Format != "dataoke/csv" || len(rows) != 1 || rows[0].Record != dataokeRec1 {
			t.Fatalf("utf-16: rows %+v result %+v", rows, res)
		}
	}
	xls := xlsfake.Workbook("Sheet1", recs)
	rows, res := scanFile(t, writeFile(t, "dataoke.xls", xls), Options{At: at0})
	if res.Format != "dataoke/xls" || len(rows) != 1 || rows[0].Line != 2 || rows[0].Record != dataokeRec1 {
		t.Fatalf("xls: rows %+v result %+v", rows, res)
	}
	var up []Row
	if _, err := ScanReader("dataoke.xls", bytes.NewReader(xls), 0, Options{At: at0}, func(r Row) error { up = append(up, r); return nil }, nil); err != nil || len(up) != 1 || up[0].Record != dataokeRec1 {
		t.Fatalf("xls upload: %+v, %v", up, err)
	}
}

func TestUTF8BOMQunke(t *testing.T) {
	text := "\ufeffplatform,item_id,title,short_title,category,brand,shop_id,shop_name,shop_type,dsr_desc,dsr_service,dsr_ship,image_url,at,list_price,coupon_amount,coupon_threshold,coupon_end,coupon_remain,final_price,commission_rate,commission_type,sales30,sales2h\n" +
		"jd,100012043978,小米手环8,手环, 数码 / 智能设备 /手环 ,小米,1000004123,小米京东自营旗舰店,jd_self,4.9,4.8,4.95,https://img/x.jpg,2024-06-01T10:00:00+08:00,239,20,200,2024-06-30,150,219,15.5%,鹊桥,5000,12\n" +
		"pdd,Y9X2abc,纸巾,,,,,,pdd,,,,,1717300000,9.9,,,,,,8,,0,\n"
	rows, res := scanFile(t, writeFile(t, "qunke.csv", []byte(text)), Options{})
	if res.Encoding != "utf-8-bom" || res.Format != "qunke/csv" || len(res.Problems) != 0 {
		t.Fatalf("result %+v", res)
	}
	if res.Header[0] != "platform" {
		t.Fatalf("BOM left in header: %q", res.Header[0])
	}
	want := catalog.Record{
		Item: catalog.Item{Platform: catalog.JD, ItemID: "100012043978", Title: "小米手环8", ShortTitle: "手环",
			CategoryPath: "数码/智能设备/手环", Brand: "小米", ShopID: "1000004123", ShopName: "小米京东自营旗舰店",
			ShopType: catalog.ShopJDSelf, DSRDesc: 490, DSRService: 480, DSRShip: 495, ImageURL: "https://img/x.jpg"},
		Obs: catalog.Observation{At: cst(2024, 6, 1, 10, 0, 0), ListPrice: 23900, CouponAmount: 2000, CouponThreshold: 20000,
			CouponEnd: cst(2024, 6, 30, 23, 59, 59), FinalPrice: 21900, CommissionRate: 1550,
			CommissionType: catalog.CommissionCampaign, CouponRemain: 150, Sales30: 5000, Sales2h: 12},
	}
	if len(rows) != 2 || rows[0].Record != want {
		t.Fatalf("rows %+v\nwant %+v", rows, want)
	}
	want2 := catalog.Record{
		Item: catalog.Item{Platform: catalog.PDD, ItemID: "Y9X2abc", Title: "纸巾", ShopType: catalog.ShopPDD},
		Obs:  catalog.Observation{At: 1717300000, ListPrice: 990, FinalPrice: 990, CommissionRate: 800, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown},
	}
	if rows[1].Record != want2 {
		t.Fatalf("row 2 %+v\nwant %+v", rows[1].Record, want2)
	}
}

// Bad rows keep their physical line numbers, also after a quoted field
// that spans two lines.
func TestBadRowsLineNumbers(t *testing.T) {
	text := "goodsId,title,originalPrice,actualPrice,couponPrice,shopType\n" + // 1
		"1001,\"两行\n标题\",20,15,5,1\n" + // 2-3
		"1002,价格错,20,abc,5,1\n" + // 4
		"1003,好的,30,25,5,0\n" + // 5
		"\n" + // 6 blank
		"1004,券后高于原价,20,25,0,1\n" + // 7
		"1005,短行,20\n" + // 8
		"1006,多处错误,12.3.4,1.999,-5,9\n" + // 9
		"  ,  ,  , , ,\n" + // 10 blank cells
		"1007,\"引号\"错,20,15,0,1\n" + // 11
		"1008,最后一行,20,15,0,1\n" // 12
	rows, res := scanFile(t, writeFile(t, "feed.csv", []byte(text)), Options{At: at0})
	eq(t, "good lines", lines(rows), []int{2, 5, 12})
	if rows[0].Record.Item.Title != "两行\n标题" {
		t.Fatalf("title %q", rows[0].Record.Item.Title)
	}
	eq(t, "problems", probKeys(res.Problems), []probKey{
		{4, "actualPrice", "abc"},
		{7, "actualPrice", "25"},
		{8, "", ""},
		{9, "shopType", "9"},
		{11, "", ""},
	})
	if res.Rows != 8 || res.Rows != len(rows)+len(res.Problems) {
		t.Fatalf("Rows = %d, want 8 = good + bad", res.Rows)
	}
	reasons := map[int]string{}
	for _, p := range res.Problems {
		reasons[p.Line] += p.Why(i18n.EN) + "|"
		if p.File != filepath.Join(filepath.Dir(p.File), "feed.csv") {
			t.Fatalf("file %q", p.File)
		}
	}
	for line, want := range map[int]string{
		4:  "not a valid amount",
		7:  "final price 25.00 above list price 20.00",
		8:  "row has 3 cells, header has 6",
		9:  `unknown shop type "9"; also column originalPrice, value "12.3.4": not a valid amount; also column actualPrice, value "1.999": amount has more than 2 decimal places; also column couponPrice, value "-5": amount is negative`,
		11: "malformed CSV",
	} {
		if !strings.Contains(reasons[line], want) {
			t.Errorf("line %d reasons %q, want %q", line, reasons[line], want)
		}
	}
	if got := res.Problems[0].Cells; len(got) != 6 || got[3] != "abc" {
		t.Fatalf("cells %q", got)
	}
}

func TestProblemError(t *testing.T) {
	p := Problem{File: "feed.csv", Line: 12, Column: "actualPrice", Value: "abc", Reason: cells.Reason(cells.WhyMoney)}
	if got, want := p.Text(i18n.ZH), `feed.csv 第 12 行 列 actualPrice 值 "abc": 不是有效的金额`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got, want := p.Text(i18n.EN), `feed.csv line 12, column actualPrice, value "abc": not a valid amount`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	p = Problem{File: "a.json", Line: 3, Reason: msg.New("feed.no_platform")}
	if got := p.Text(i18n.ZH); got != "a.json 第 3 行: 未知平台，请在文件中加 platform 列或指定默认平台（--platform）" {
		t.Fatalf("got %s", got)
	}
	long := Problem{Value: cells.Clip(strings.Repeat("长", 100))}
	if n := len([]rune(long.Value)); n != 61 {
		t.Fatalf("clipped to %d runes", n)
	}
}

func TestAlimama(t *testing.T) {
	text := "item_id,title,short_title,zk_final_price,reserve_price,coupon_amount,coupon_start_fee,coupon_end_time,coupon_remain_count,commission_rate,volume,shop_title,seller_id,user_type,level_one_category_name,category_name,pict_url,brand_name\n" +
		"6001,连衣裙,裙,100.00,199,20,99,2024-06-30,500,1550,321,某店,11,1,女装,连衣裙,//img/1.jpg,某牌\n" + // coupon applies
		"6002,半身裙,,100.00,,20,199,1719763199000,500,900,5,某店,11,0,女装,女装,,\n" + // threshold not met
		"6003,特价,,,59,,,,,1000,0,特价店,12,3,,半身裙,,\n" + // reserve_price only
		"6004,坏佣金,,10,,,,,,15.5,0,店,13,2,,,,\n" // bp with decimals; user_type 2 unknown
	rows, res := scanFile(t, writeFile(t, "material.csv", []byte(text)), Options{At: at0})
	if res.Format != "alimama/csv" {
		t.Fatalf("format %q", res.Format)
	}
	if len(rows) != 3 {
		t.Fatalf("rows %+v problems %+v", rows, res.Problems)
	}
	r := rows[0].Record
	if r.Item.Platform != catalog.Tmall || r.Obs.ListPrice != 10000 || r.Obs.FinalPrice != 8000 || r.Obs.CouponThreshold != 9900 ||
		r.Obs.CouponEnd != cst(2024, 6, 30, 23, 59, 59) || r.Obs.CouponRemain != 500 || r.Obs.CommissionRate != 1550 ||
		r.Obs.Sales30 != 321 || r.Item.CategoryPath != "女装/连衣裙" || r.Item.ImageURL != "https://img/1.jpg" || r.Item.Brand != "某牌" {
		t.Fatalf("row 1 %+v", r)
	}
	r = rows[1].Record
	if r.Item.Platform != catalog.Taobao || r.Obs.FinalPrice != 10000 || r.Obs.CouponAmount != 2000 ||
		r.Obs.CouponEnd != 1719763199 || r.Obs.CommissionRate != 900 || r.Item.CategoryPath != "女装" {
		t.Fatalf("row 2 %+v", r)
	}
	r = rows[2].Record
	if r.Item.Platform != catalog.Taobao || r.Item.ShopType != catalog.ShopTaobao || r.Obs.ListPrice != 5900 || r.Obs.FinalPrice != 5900 || r.Item.CategoryPath != "半身裙" {
		t.Fatalf("row 3 %+v", r)
	}
	eq(t, "problems", probKeys(res.Problems), []probKey{{5, "user_type", "2"}})
	if r := res.Problems[0].Why(i18n.ZH); !strings.Contains(r, `列 commission_rate 值 "15.5": 佣金比率应为万分比整数`) {
		t.Fatalf("reason %s", r)
	}
}

func TestHaodanku(t *testing.T) {
	text := "itemid,itemtitle,itemshorttitle,itemprice,itemendprice,couponmoney,couponexplain,couponendtime,couponsurplus,couponnum,couponreceive,tkrates,tktype,itemsale,itemsale2,todaysale,shopname,shoptype,sellerid,fqcat,itempic\n" +
		"5001,洗衣液,洗衣液,39.9,29.9,10,单笔满39元可用，每人限领1张,1719763199,800,1000,200,30.50,营销计划,9999,88,10,蓝月亮旗舰店,B,300,10,https://img/h.jpg\n" +
		"5002,口红,,199,189,10,无门槛,0,,100,40,20,定向计划,10,,,某店,C,301,口红彩妆,\n" +
		"5003,坏类型,,10,9,,,,,,,1,隐藏,0,,,店,X,302,99,\n"
	rows, res := scanFile(t, writeFile(t, "hdk.txt", []byte(text)), Options{At: at0})
	if res.Format != "haodanku/csv" || len(rows) != 2 {
		t.Fatalf("format %q rows %+v problems %+v", res.Format, rows, res.Problems)
	}
	r := rows[0].Record
	want := catalog.Record{
		Item: catalog.Item{Platform: catalog.Tmall, ItemID: "5001", Title: "洗衣液", ShortTitle: "洗衣液", CategoryPath: "居家",
			ShopID: "300", ShopName: "蓝月亮旗舰店", ShopType: catalog.ShopTmall, ImageURL: "https://img/h.jpg"},
		Obs: catalog.Observation{At: at0, ListPrice: 3990, CouponAmount: 1000, CouponThreshold: 3900, CouponEnd: 1719763199,
			FinalPrice: 2990, CommissionRate: 3050, CommissionType: catalog.CommissionMarketing, CouponRemain: 800, Sales30: 9999, Sales2h: 88},
	}
	if r != want {
		t.Fatalf("row 1\n got %+v\nwant %+v", r, want)
	}
	r = rows[1].Record
	if r.Item.Platform != catalog.Taobao || r.Obs.CouponThreshold != 0 || r.Obs.CouponEnd != 0 || r.Obs.CouponRemain != 60 ||
		r.Obs.CommissionType != catalog.CommissionTargeted || r.Item.CategoryPath != "口红彩妆" || r.Obs.Sales2h != catalog.Unknown {
		t.Fatalf("row 2 %+v", r)
	}
	// 隐藏 is not a type Qunke knows: third-party feeds leave it unknown; shop type X is an error.
	eq(t, "problems", probKeys(res.Problems), []probKey{{4, "shoptype", "X"}})
}

func TestTabSeparatedTxt(t *testing.T) {
	text := "goodsId\ttitle\tactualPrice\tshopType\n42\t标题, 带逗号\t9.9\t0\n"
	rows, res := scanFile(t, writeFile(t, "export.txt", []byte(text)), Options{At: at0})
	if len(rows) != 1 || rows[0].Record.Item.Title != "标题, 带逗号" || rows[0].Record.Obs.FinalPrice != 990 || res.Format != "dataoke/csv" {
		t.Fatalf("rows %+v res %+v", rows, res)
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	data := [][]any{
		{"itemid", "itemtitle", "itemprice", "itemendprice", "couponmoney", "tkrates", "shoptype", "couponendtime", "itemsale"},
		{651234567890, "保温杯", 99.9, 79.9, 20, 30, "B", "1719763199", 12},
		{"651234567891", "坏价格", "abc", 10, nil, 5, "C", nil, 1},
		{}, // empty row 4
		{"651234567892", "日期格", 10, 9, 1, "5.5", "C", time.Date(2024, 6, 30, 23, 59, 0, 0, time.UTC), "1.2万"},
	}
	for i, row := range data {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if len(row) > 0 {
			if err := f.SetSheetRow(sh, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "hdk.xlsx", buf.Bytes())
	for _, via := range []string{"Scan", "ScanReader"} {
		t.Run(via, func(t *testing.T) {
			var rows []Row
			var res Result
			var err error
			collect := func(r Row) error { rows = append(rows, r); return nil }
			if via == "Scan" {
				res, err = Scan(path, Options{At: at0}, collect, nil)
			} else {
				res, err = ScanReader("upload.XLSX", bytes.NewReader(buf.Bytes()), int64(buf.Len()), Options{At: at0}, collect, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != "haodanku/xlsx" || res.Rows != 3 {
				t.Fatalf("res %+v", res)
			}
			eq(t, "lines", lines(rows), []int{2, 5})
			eq(t, "problems", probKeys(res.Problems), []probKey{{3, "itemprice", "abc"}})
			r := rows[0].Record
			if r.Item.ItemID != "651234567890" || r.Obs.ListPrice != 9990 || r.Obs.FinalPrice != 7990 || r.Obs.CouponAmount != 2000 ||
				r.Obs.CommissionRate != 3000 || r.Item.Platform != catalog.Tmall || r.Obs.CouponEnd != 1719763199 {
				t.Fatalf("row 2 %+v", r)
			}
			r = rows[1].Record
			// A date cell shows as "2024-06-30 23:59"; it is a naive Shanghai time.
			if r.Obs.CouponEnd != cst(2024, 6, 30, 23, 59, 0) || r.Obs.Sales30 != 12000 || r.Obs.CommissionRate != 550 {
				t.Fatalf("row 5 %+v", r)
			}
		})
	}
}

func TestJSONShapes(t *testing.T) {
	obj1 := `{"goodsId": 651234567890123456789, "title": "巨大ID", "actualPrice": 19.9, "originalPrice": "29.90", "shopType": 1, "subcid": [1,2], "extra": {"a": "b"}}`
	obj2 := `{"goodsId": "42", "title": "第二个", "actualPrice": 5, "shopType": 0, "couponPrice": 1, "couponConditions": "3", "at": "2024-06-01 08:00:00"}`
	objBad := `{"goodsId": "43", "title": "坏价", "actualPrice": "1.2.3", "shopType": 0}`
	want1 := catalog.Record{
		Item: catalog.Item{Platform: catalog.Tmall, ItemID: "651234567890123456789", Title: "巨大ID", ShopType: catalog.ShopTmall},
		Obs:  catalog.Observation{At: at0, ListPrice: 2990, FinalPrice: 1990, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown},
	}
	tests := []struct {
		name, file, text string
		format           string
		lines            []int
		bad              []probKey
	}{
		{"array", "a.json", "[" + obj1 + "," + obj2 + "," + objBad + "]", "dataoke/json", []int{1, 2}, []probKey{{3, "actualPrice", "1.2.3"}}},
		{"nested", "b.json", `{"code":0,"msg":"成功","data":{"totalNum":3,"list":[` + obj1 + `, 7, ` + obj2 + `]}}`, "dataoke/json", []int{1, 3}, []probKey{{2, "", ""}}},
		{"bom", "c.json", "\ufeff{\"items\":[" + obj1 + "]}", "dataoke/json", []int{1}, nil},
		{"jsonl", "d.jsonl", obj1 + "\n\n" + obj2 + "\r\n{not json}\n" + objBad + "\n   \n", "dataoke/jsonl", []int{1, 3}, []probKey{{4, "", ""}, {5, "actualPrice", "1.2.3"}}},
		{"ndjson", "e.NDJSON", obj1, "dataoke/jsonl", []int{1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, res := scanFile(t, writeFile(t, tc.file, []byte(tc.text)), Options{At: at0})
			if res.Format != tc.format {
				t.Fatalf("format %q", res.Format)
			}
			eq(t, "lines", lines(rows), tc.lines)
			eq(t, "problems", probKeys(res.Problems), tc.bad)
			if rows[0].Record != want1 {
				t.Fatalf("row 1\n got %+v\nwant %+v", rows[0].Record, want1)
			}
			if len(rows) > 1 {
				r := rows[1].Record
				if r.Obs.At != cst(2024, 6, 1, 8, 0, 0) || r.Obs.ListPrice != 600 || r.Obs.FinalPrice != 500 || r.Obs.CouponThreshold != 300 {
					t.Fatalf("row 2 %+v", r)
				}
			}
			for _, p := range res.Problems {
				if len(p.Cells) != 1 || !strings.HasPrefix(p.Cells[0], "{") && p.Cells[0] != "7" {
					t.Fatalf("problem cells %q", p.Cells)
				}
			}
		})
	}
}

func TestAlimamaResponseJSON(t *testing.T) {
	text := `{"tbk_dg_material_optional_response":{"total_results":1,"result_list":{"map_data":[
		{"item_id":"AbC-123x","num_iid":123,"title":"T","zk_final_price":"50.00","coupon_amount":10,"coupon_start_fee":"0","commission_rate":"2000","user_type":0,"coupon_end_time":"2024-06-30 12:00:00"}
	]},"request_id":"x"}}`
	rows, res := scanFile(t, writeFile(t, "resp.json", []byte(text)), Options{At: at0})
	if res.Format != "alimama/json" || len(rows) != 1 {
		t.Fatalf("res %+v", res)
	}
	o := rows[0].Record.Obs
	if rows[0].Record.Item.ItemID != "AbC-123x" || o.FinalPrice != 4000 || o.ListPrice != 5000 || o.CommissionRate != 2000 || o.CouponEnd != cst(2024, 6, 30, 12, 0, 0) {
		t.Fatalf("row %+v", rows[0].Record)
	}
}

func TestSnapshotTimeAndPlatform(t *testing.T) {
	header := "item_id,final_price,shop_type,platform,snapshot_time\n"
	tests := []struct {
		name string
		rows string
		opt  Options
		want []probKey // problems
		plat []catalog.Platform
		at   []int64
	}{
		{"no time anywhere", "1,9.9,,taobao,\n", Options{}, []probKey{{2, "snapshot_time", ""}}, nil, nil},
		{"option time", "1,9.9,,taobao,\n", Options{At: at0}, nil, []catalog.Platform{catalog.Taobao}, []int64{at0}},
		{"column wins", "1,9.9,,taobao,1717300000\n", Options{At: at0}, nil, []catalog.Platform{catalog.Taobao}, []int64{1717300000}},
		{"bad time", "1,9.9,,taobao,2024-13-01\n", Options{At: at0}, []probKey{{2, "snapshot_time", "2024-13-01"}}, nil, nil},
		{"unknown platform value", "1,9.9,,amazon,\n", Options{At: at0}, []probKey{{2, "platform", "amazon"}}, nil, nil},
		{"no platform", "1,9.9,,,\n", Options{At: at0}, []probKey{{2, "", ""}}, nil, nil},
		{"default platform", "1,9.9,,,\n", Options{At: at0, Platform: catalog.JD}, nil, []catalog.Platform{catalog.JD}, []int64{at0}},
		{"shop type beats default", "1,9.9,tmall,,\n2,9.9,taobao,,\n", Options{At: at0, Platform: catalog.PDD}, nil, []catalog.Platform{catalog.Tmall, catalog.Taobao}, []int64{at0, at0}},
		{"chinese platform", "1,9.9,,天猫,\n", Options{At: at0}, nil, []catalog.Platform{catalog.Tmall}, []int64{at0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, res := scanFile(t, writeFile(t, "q.csv", []byte(header+tc.rows)), tc.opt)
			eq(t, "problems", probKeys(res.Problems), tc.want)
			var plat []catalog.Platform
			var at []int64
			for _, r := range rows {
				plat = append(plat, r.Record.Item.Platform)
				at = append(at, r.Record.Obs.At)
			}
			eq(t, "platforms", plat, tc.plat)
			eq(t, "at", at, tc.at)
		})
	}
	// Without a time column the reason tells the operator about --at.
	_, res := scanFile(t, writeFile(t, "q.csv", []byte("item_id,final_price,platform\n1,9.9,tb\n2,1,tb\n")), Options{})
	if len(res.Problems) != 2 || !strings.Contains(res.Problems[1].Why(i18n.EN), "--at") || res.Problems[1].Line != 3 {
		t.Fatalf("problems %+v", res.Problems)
	}
}

func TestDerivedPrices(t *testing.T) {
	header := "item_id,platform,list_price,final_price,coupon_amount,coupon_threshold\n"
	tests := []struct {
		row         string
		list, final int64
		bad         string // column of the expected problem
	}{
		{"1,tb,100,,20,99", 10000, 8000, ""},   // list - coupon
		{"1,tb,100,,20,199", 10000, 10000, ""}, // threshold not met
		{"1,tb,,80,20,99", 10000, 8000, ""},    // final + coupon
		{"1,tb,,80,,", 8000, 8000, ""},
		{"1,tb,10,,20,", 0, 0, "coupon_amount"}, // coupon larger than price
		{"1,tb,,,,", 0, 0, "final_price"},       // no price
		{"1,tb,-,null,--,", 0, 0, "final_price"},
		{"1,tb,-3,,,", 0, 0, "list_price"},
	}
	for _, tc := range tests {
		rows, res := scanFile(t, writeFile(t, "p.csv", []byte(header+tc.row+"\n")), Options{At: at0})
		if tc.bad != "" {
			if len(res.Problems) != 1 || res.Problems[0].Column != tc.bad {
				t.Errorf("%s: problems %+v, want column %s", tc.row, res.Problems, tc.bad)
			}
			continue
		}
		if len(rows) != 1 || rows[0].Record.Obs.ListPrice != tc.list || rows[0].Record.Obs.FinalPrice != tc.final {
			t.Errorf("%s: rows %+v problems %+v", tc.row, rows, res.Problems)
		}
	}
}

func TestCheckMapsBackToColumns(t *testing.T) {
	text := "item_id,platform,final_price,commission_rate,dsr_desc,dsr_ship,sales30\n" +
		"1,tb,10,95,4.8,4.9,1\n" + // commission over 90%
		"2,tb,10,5,4.8,5.1,1\n" + // ship score over 5
		",tb,10,5,,,1\n" + // missing id
		"4,tb,10,5,,,-1\n" // negative sales
	_, res := scanFile(t, writeFile(t, "c.csv", []byte(text)), Options{At: at0})
	eq(t, "problems", probKeys(res.Problems), []probKey{{2, "commission_rate", "95"}, {3, "dsr_ship", "5.1"}, {4, "item_id", ""}, {5, "sales30", "-1"}})
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"x.csv", []byte("foo,bar\n1,2\n"), "unrecognised header: an item id and a price column are needed; found: foo, bar; accepted: 中文表头 Chinese: 商品ID / 宝贝ID + 券后价 / 原价; 大淘客 dataoke: goodsId + actualPrice / originalPrice"},
		{"x.csv", nil, "empty file"},
		{"x.csv", []byte{0xFF, 0xFE, 'a', 0}, "unrecognised header: an item id"},
		{"x.xls", []byte("whatever"), "cannot open xls"},
		{"x.pdf", []byte("whatever"), "unsupported file type"},
		{"x.json", []byte(`{"foo": 1}`), "no array of rows"},
		{"x.json", []byte(`[{"goodsId": 1, "actualPrice": 2, "shopType": 0}, {"goodsId": `), "invalid JSON"},
		{"x.json", []byte(`[{"goodsId": 1, "actualPrice": 2, "shopType": 0}`), "truncated JSON"},
		{"x.json", []byte(`[]`), "no rows"},
		{"x.json", []byte(`[{"a": 1}]`), "unrecognised header"},
		{"x.xlsx", []byte("PK not really"), "cannot open xlsx"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+tc.want, func(t *testing.T) {
			path := writeFile(t, tc.name, tc.data)
			_, err := Scan(path, Options{At: at0}, func(Row) error { return nil }, nil)
			if err == nil || !strings.Contains(msg.In(i18n.EN, err), tc.want) || !strings.HasPrefix(msg.In(i18n.EN, err), path+": ") {
				t.Fatalf("err %v, want %q naming %s", err, tc.want, path)
			}
		})
	}
	if _, err := Scan(filepath.Join(t.TempDir(), "missing.csv"), Options{}, func(Row) error { return nil }, nil); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ScanReader("a.csv", strings.NewReader("item_id,final_price\n"), 0, Options{Platform: "amazon"}, func(Row) error { return nil }, nil); err == nil {
		t.Fatal("bad default platform accepted")
	}
}

func TestCallbackErrorStops(t *testing.T) {
	stop := errors.New("disk full")
	calls := 0
	res, err := ScanReader("up.csv", strings.NewReader("item_id,final_price,platform\n1,1,tb\n2,1,tb\n"), 0, Options{At: at0},
		func(Row) error { calls++; return stop }, nil)
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "up.csv") || calls != 1 || res.Rows != 1 {
		t.Fatalf("err %v calls %d rows %d", err, calls, res.Rows)
	}
}

// sniffSize is how much of a CSV file internal/sheet reads to decide its
// encoding.
const sniffSize = 64 << 10

// A file that is valid UTF-8 for the sniffed 64KB but not after it: the bad
// row becomes a problem, the rest is read.
func TestInvalidUTF8AfterSniff(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("item_id,title,final_price,platform\n")
	n := 0
	for b.Len() < sniffSize+1000 {
		n++
		fmt.Fprintf(&b, "%d,标题%d,9.9,tb\n", n, n)
	}
	b.WriteString("999999,\xb1\xea\xcc\xe2,9.9,tb\n") // GBK bytes
	b.WriteString("1000000,尾,9.9,tb\n")
	var progressCalls int
	var lastDone, lastTotal int64
	res, err := ScanReader("big.csv", bytes.NewReader(b.Bytes()), int64(b.Len()), Options{At: at0}, func(Row) error { return nil },
		func(done, total int64) { progressCalls++; lastDone, lastTotal = done, total })
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != "utf-8" || res.Rows != n+2 || len(res.Problems) != 1 || res.Problems[0].Line != n+2 || !strings.Contains(res.Problems[0].Why(i18n.EN), "UTF-8") {
		t.Fatalf("rows %d problems %+v", res.Rows, res.Problems)
	}
	if progressCalls == 0 || lastDone != int64(b.Len()) || lastTotal != int64(b.Len()) {
		t.Fatalf("progress %d calls, last %d/%d", progressCalls, lastDone, lastTotal)
	}
}

// A UTF-8 character cut by the 64KB sniff window must not make the file
// look like GB18030.
func TestSniffBoundary(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("item_id,title,final_price,platform\n")
	for i := 0; b.Len() < sniffSize-100; i++ {
		fmt.Fprintf(&b, "%d,x,1,tb\n", i)
	}
	b.WriteString("0,")
	b.WriteString(strings.Repeat("a", sniffSize-1-b.Len()))
	b.WriteString("中文, 1 ,tb\n1, \"  quoted\", \"2\",tb\n")
	if b.Bytes()[sniffSize-1] != "中"[0] {
		t.Fatal("test data does not straddle the window")
	}
	var last []Row
	res, err := ScanReader("w.csv", bytes.NewReader(b.Bytes()), 0, Options{At: at0}, func(r Row) error { last = append(last[:0], r); return nil }, nil)
	if err != nil || res.Encoding != "utf-8" || len(res.Problems) != 0 {
		t.Fatalf("err %v res %+v", err, res)
	}
	if r := last[0].Record; r.Item.Title != "quoted" || r.Obs.FinalPrice != 200 {
		t.Fatalf("last row %+v", r)
	}
}

func TestWriteRejects(t *testing.T) {
	text := "goodsId,title,actualPrice,shopType\n1,\"=HYPERLINK(\"\"x\"\")\",abc,7\n2,好,1,0\n3,坏,-,0\n"
	_, res := scanFile(t, writeFile(t, "in.csv", []byte(text)), Options{At: at0})
	if len(res.Problems) != 2 {
		t.Fatalf("problems %+v", res.Problems)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "rejects.csv")
	if err := WriteRejects(out, res); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Fatal("no BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], "|") != "行号/line|原因/reason|goodsId|title|actualPrice|shopType" {
		t.Fatalf("records %q", recs)
	}
	if recs[1][0] != "2" || !strings.Contains(recs[1][1], "列 shopType: 未知的店铺类型") || !strings.Contains(recs[1][1], `另外 列 actualPrice 值 "abc": 不是有效的金额`) ||
		recs[1][3] != `'=HYPERLINK("x")` || recs[1][4] != "abc" {
		t.Fatalf("row %q", recs[1])
	}
	if recs[2][0] != "4" || recs[2][4] != "-" {
		t.Fatalf("row %q", recs[2])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp file left behind: %v", entries)
	}
	// The rejects file can be fixed and imported again: the extra columns are ignored.
	_, res2 := scanFile(t, out, Options{At: at0})
	if res2.Format != "dataoke/csv" || res2.Rows != 2 {
		t.Fatalf("re-import %+v", res2)
	}

	// JSON rows are written as one raw column.
	_, jres := scanFile(t, writeFile(t, "in.jsonl", []byte(`{"goodsId":"1","actualPrice":"x","shopType":0}`+"\n")), Options{At: at0})
	out2 := filepath.Join(dir, "rejects2.csv")
	if err := WriteRejects(out2, jres); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(out2)
	recs, _ = csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if len(recs) != 2 || recs[0][2] != "原始数据/raw" || recs[1][2] != `{"goodsId":"1","actualPrice":"x","shopType":0}` {
		t.Fatalf("json rejects %q", recs)
	}
	if err := WriteRejects(filepath.Join(dir, "no", "such", "dir.csv"), res); err == nil {
		t.Fatal("want error for missing directory")
	}
}

// The Chinese headers of dataoke's and haodanku's spreadsheet exports (and
// of Alimama's product library) are read, in CSV (GBK too) and XLSX, with
// units in brackets ("原价(元)") allowed.
func TestChineseHeaders(t *testing.T) {
	dataokeZH := "商品ID,商品标题,主图,原价,券后价,优惠券金额,佣金比例,月销量,店铺名称,店铺类型,优惠券结束时间\n" +
		"600000000001,维达抽纸 3层 24包,https://img.alicdn.com/a.jpg,39.90,29.90,10,30.5,1.2万,维达官方旗舰店,天猫,2024-06-30\n"
	haodankuZH := "商品ID,商品标题,短标题,原价(元),券后价（元）,优惠券金额,佣金比例(%),月销量,店铺名称,店铺类型,优惠券剩余量\n" +
		"600000000001,维达抽纸 3层 24包,维达抽纸,39.90,29.90,10,30.5%,12000,维达官方旗舰店,B,500\n"
	want := catalog.Record{
		Item: catalog.Item{Platform: catalog.Tmall, ItemID: "600000000001", Title: "维达抽纸 3层 24包",
			ShopName: "维达官方旗舰店", ShopType: catalog.ShopTmall},
		Obs: catalog.Observation{At: at0, ListPrice: 3990, FinalPrice: 2990, CouponAmount: 1000, CommissionRate: 3050,
			CouponRemain: catalog.Unknown, Sales30: 12000, Sales2h: catalog.Unknown},
	}
	check := func(name string, rows []Row, res Result, edit func(*catalog.Record)) {
		t.Helper()
		if res.Format != "chinese/"+strings.TrimPrefix(filepath.Ext(name), ".") || len(rows) != 1 || len(res.Problems) != 0 {
			t.Fatalf("%s: result %+v", name, res)
		}
		w := want
		edit(&w)
		got := rows[0].Record
		got.Obs.CommissionType = w.Obs.CommissionType
		if got != w {
			t.Fatalf("%s:\n got %+v\nwant %+v", name, got, w)
		}
	}
	dataokeEdit := func(r *catalog.Record) {
		r.Item.ImageURL = "https://img.alicdn.com/a.jpg"
		r.Obs.CouponEnd = 1719763199
	}
	haodankuEdit := func(r *catalog.Record) { r.Item.ShortTitle = "维达抽纸"; r.Obs.CouponRemain = 500 }
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(dataokeZH)
	if err != nil {
		t.Fatal(err)
	}
	rows, res := scanFile(t, writeFile(t, "dataoke.csv", []byte(gb)), Options{At: at0})
	check("dataoke.csv", rows, res, dataokeEdit)
	rows, res = scanFile(t, writeFile(t, "haodanku.csv", []byte(haodankuZH)), Options{At: at0})
	check("haodanku.csv", rows, res, haodankuEdit)

	for name, text := range map[string]string{"dataoke.xlsx": dataokeZH, "haodanku.xlsx": haodankuZH} {
		f := excelize.NewFile()
		recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rows, res := scanFile(t, writeFile(t, name, buf.Bytes()), Options{At: at0})
		edit := dataokeEdit
		if strings.HasPrefix(name, "haodanku") {
			edit = haodankuEdit
		}
		check(name, rows, res, edit)
	}
}
