package feed

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// BenchmarkScanCSV scans a 24-column dataoke CSV export and reports rows/s,
// as UTF-8 and as GB18030 (what Excel on Chinese Windows saves).
func BenchmarkScanCSV(b *testing.B) {
	const n = 50000
	var buf bytes.Buffer
	buf.WriteString(dataokeHeader + "\n")
	for i := range n {
		fmt.Fprintf(&buf, `%d,"维达抽纸 3层120抽*24包 第%d款",维达抽纸,59.90,49.90,10,59,2024-06-30 23:59:59,10000,2500,30.5,2,12345,321,100,维达,维达官方旗舰店,2200001,%d,4.8,4.85,4.9,4,//img.alicdn.com/a.jpg`+"\n", 651234567890+i, i, i%2)
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"utf-8", buf.Bytes()}, {"gb18030", gb}} {
		b.Run(tc.name, func(b *testing.B) {
			data := tc.data
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				rows := 0
				res, err := ScanReader("bench.csv", bytes.NewReader(data), int64(len(data)), Options{At: at0}, func(Row) error { rows++; return nil }, nil)
				if err != nil || rows != n || len(res.Problems) != 0 || res.Encoding != tc.name {
					b.Fatalf("rows %d err %v problems %d encoding %s", rows, err, len(res.Problems), res.Encoding)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
