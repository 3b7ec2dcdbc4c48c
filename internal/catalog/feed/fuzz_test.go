package feed

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzScanReader feeds arbitrary CSV, JSON and JSON Lines input to
// ScanReader: it must never panic, every row it passes on must satisfy
// Record.Check, and every row read must be either good or rejected (one Problem per bad
// row, in line order).
//
//	go test -run '^$' -fuzz FuzzScanReader -fuzztime 60s ./internal/catalog/feed/
func FuzzScanReader(f *testing.F) {
	f.Add(uint8(0), []byte(dataokeHeader+"\n"+dataokeRow1+"\n"))
	f.Add(uint8(0), []byte("item_id,final_price,list_price,coupon_amount,coupon_threshold,platform,at\n1,9.9,19.9,10,5,tb,2024-06-01\n2,\"a\nb\",x,,,jd,\n"))
	f.Add(uint8(0), []byte("\xef\xbb\xbfitemid\titemendprice\tshoptype\tcouponendtime\n1\t1,299.00\tB\t1719763199\n"))
	f.Add(uint8(0), []byte("goodsId,title,actualPrice,shopType\n1,\xb1\xea\xcc\xe2,9.9,0\n"))
	f.Add(uint8(1), []byte(`{"data":{"list":[{"goodsId":651234567890123456789,"actualPrice":19.9,"shopType":1},7,{"goodsId":"2"}]}}`))
	f.Add(uint8(1), []byte(`[{"item_id":"x","zk_final_price":"10","coupon_amount":"2","coupon_start_fee":"1","commission_rate":"1550","user_type":3}]`))
	f.Add(uint8(2), []byte("{\"item_id\":\"1\",\"final_price\":\"1\",\"platform\":\"tb\"}\n\n{bad}\n{\"item_id\":2,\"final_price\":null}\n"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := [...]string{"f.csv", "f.json", "f.jsonl"}[kind%3]
		good := 0
		res, err := ScanReader(name, bytes.NewReader(data), int64(len(data)), Options{At: at0}, func(r Row) error {
			good++
			if fe := r.Record.Check(); fe != nil {
				t.Fatalf("line %d passed on but fails Check: %v", r.Line, fe)
			}
			if r.Line <= 0 {
				t.Fatalf("line %d", r.Line)
			}
			return nil
		}, func(done, total int64) {})
		bad := len(res.Problems)
		for i, p := range res.Problems {
			if i > 0 && p.Line <= res.Problems[i-1].Line {
				t.Fatalf("problem lines not increasing: %d after %d", p.Line, res.Problems[i-1].Line)
			}
			if p.Line <= 0 || p.File != name || p.Reason == nil || !strings.Contains(p.Error(), name) {
				t.Fatalf("problem %+v", p)
			}
		}
		if err == nil && good+bad != res.Rows {
			t.Fatalf("good %d + bad %d != rows %d", good, bad, res.Rows)
		}
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
