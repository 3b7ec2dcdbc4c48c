package xls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/sheet/xlsfake"
)

const fixture = "../../../../shared/fixtures/alimama/OrderDetail-2020-06-13.xls"

func TestAlimamaFixture(t *testing.T) {
	if _, err := os.Stat(fixture); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fixture missing in CI: %v", err)
		}
		t.Skipf("fixture not available: %v", err)
	}
	sheets, err := ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(sheets) != 1 || sheets[0].Name != "Page1" {
		t.Fatalf("sheets = %d, first %q; want one sheet Page1", len(sheets), sheets[0].Name)
	}
	rows := sheets[0].Rows
	if len(rows) != 4 { // header + 3 orders
		t.Fatalf("rows = %d, want 4", len(rows))
	}
	hdr := rows[0]
	if len(hdr) != 52 {
		t.Fatalf("header has %d columns, want 52: %q", len(hdr), hdr)
	}
	for i, r := range rows {
		if len(r) != 52 {
			t.Errorf("row %d has %d cells, want 52 (rectangular)", i, len(r))
		}
	}
	wantHdr := map[int]string{
		0: "点击时间", 1: "创建时间", 2: "付款时间", 3: "结算时间", 5: "商品ID",
		7: "商品标题", 13: "淘宝订单编号", 14: "淘宝子订单号", 15: "订单状态",
		17: "付款金额", 19: "佣金比率", 29: "付款预估收入", 51: "结算渠道专项服务费",
	}
	for i, w := range wantHdr {
		if hdr[i] != w {
			t.Errorf("header[%d] = %q, want %q", i, hdr[i], w)
		}
	}
	first, last := rows[1], rows[3]
	wantFirst := map[int]string{
		0: "2020-06-11 09:18:05", 2: "2020-06-11 09:19:47", 3: "", 5: "39488881267",
		7:  "舒肤佳薰衣草舒缓呵护香皂115g*3块家庭装清洁洗澡洗手抑菌肥皂",
		10: "1", 11: "19.90", 13: "1054723971619972844", 15: "已付款", 17: "15.90",
		19: "1.35%", 29: "0.21", 34: "爱分享(手机客户端专享)_131032902", 46: "0.00", 51: "",
	}
	wantLast := map[int]string{
		0: "2020-06-10 04:20:59", 5: "39278438484", 8: "靓猫居家日用专营店",
		11: "26.20", 13: "1052810275721747471", 15: "已付款", 17: "16.50",
		19: "0.60%", 29: "0.10",
	}
	for i, w := range wantFirst {
		if first[i] != w {
			t.Errorf("first row[%d] (%s) = %q, want %q", i, hdr[i], first[i], w)
		}
	}
	for i, w := range wantLast {
		if last[i] != w {
			t.Errorf("last row[%d] (%s) = %q, want %q", i, hdr[i], last[i], w)
		}
	}
}

// ---- BIFF8 builder ----

// The builder lives in xlsfake, which the importers' tests use too.
var (
	rec         = xlsfake.Rec
	u16         = xlsfake.U16
	u32         = xlsfake.U32
	f64         = xlsfake.F64
	xlChars     = xlsfake.Chars
	xlString    = xlsfake.String
	bof         = xlsfake.BOF
	buildStream = xlsfake.Stream
	buildCFB    = xlsfake.CFB
)

type cellFunc func() []byte

func cellHdr(r, c, xf uint16) []byte { return u16(r, c, xf) }

// sampleStream exercises every supported cell record.
func sampleStream() []byte {
	formulaTail := append(u16(0), append(u32(0), u16(0)...)...) // grbit, chn, cce=0
	strResult := []byte{0, 0, 0, 0, 0, 0, 0xFF, 0xFF}
	boolResult := []byte{1, 0, 1, 0, 0, 0, 0xFF, 0xFF}
	sheet1 := bytes.Join([][]byte{
		rec(rtDimensions, u32(0), u32(3), u16(0, 4), u16(0)),
		rec(rtLabelSST, cellHdr(0, 0, 15), u32(0)),
		rec(rtLabelSST, cellHdr(0, 1, 15), u32(1)),
		rec(rtLabel, cellHdr(0, 3, 15), xlString("淘宝订单编号")),
		rec(rtNumber, cellHdr(1, 0, 15), f64(12.9)),
		rec(rtRK, cellHdr(1, 1, 15), u32(123456<<2|3)), // 1234.56
		rec(rtMulRK, cellHdr(2, 0, 15)[:4], u16(15), u32(0x3FF00000), u16(15), u32(uint32(0xFFFFFFF8)|2), u16(1)),
		rec(rtBoolErr, cellHdr(1, 2, 15), []byte{1, 0}),
		rec(rtBoolErr, cellHdr(1, 3, 15), []byte{0x07, 1}),
		rec(rtBlank, cellHdr(3, 7, 15)),
		rec(rtFormula, cellHdr(2, 2, 15), strResult, formulaTail),
		rec(rtString, xlString("公式")),
		rec(rtFormula, cellHdr(2, 3, 15), f64(0.1+0.2), formulaTail),
		rec(rtFormula, cellHdr(2, 4, 15), boolResult, formulaTail),
	}, nil)
	sheet2 := rec(rtNumber, cellHdr(0, 0, 15), f64(1234567890123456789))
	return buildStream([]string{"已付款", "1.35%"}, []string{"Page1", "第二页"}, [][]byte{sheet1, sheet2})
}

var sampleWant = []Sheet{
	{Name: "Page1", Rows: [][]string{
		{"已付款", "1.35%", "", "淘宝订单编号", ""},
		{"12.9", "1234.56", "TRUE", "#DIV/0!", ""},
		{"1", "-2", "公式", "0.3", "TRUE"},
	}},
	{Name: "第二页", Rows: [][]string{{"1234567890123456768"}}},
}

func TestParseStreamAllRecords(t *testing.T) {
	got, err := parseStream(sampleStream())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sampleWant) {
		t.Fatalf("got  %q\nwant %q", got, sampleWant)
	}
}

// ---- minimal compound file (CFB v3) writer ----

func TestReadCompoundFile(t *testing.T) {
	for _, name := range []string{"Workbook", "Book"} {
		file := buildCFB(name, sampleStream())
		got, err := Read(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, sampleWant) {
			t.Fatalf("%s: got %q", name, got)
		}
	}
	p := filepath.Join(t.TempDir(), "a.xls")
	if err := os.WriteFile(p, buildCFB("Workbook", sampleStream()), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(p); err != nil || !reflect.DeepEqual(got, sampleWant) {
		t.Fatalf("ReadFile: %q, %v", got, err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.xls")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestRK(t *testing.T) {
	for _, tc := range []struct {
		rk   uint32
		want float64
	}{
		{0x3FF00000, 1},          // upper 30 bits of double 1.0
		{0x3FF00001, 0.01},       // 1.0 / 100
		{0x405EC000, 123},        // double 123.0 = 0x405EC000_00000000
		{0xC0590000, -100},       // double -100.0
		{0x00000002, 0},          // integer 0
		{6, 1},                   // integer 1: (1<<2)|2
		{123456<<2 | 3, 1234.56}, // integer ×100
		{uint32(0xFFFFFFFE), -1}, // integer -1
		{0x7FFFFFFE, 536870911},  // max 30-bit int
		{0x80000002, -536870912}, // min 30-bit int
		{0x3FF80000, 1.5},        // 1.5
	} {
		if got := rk(tc.rk); got != tc.want {
			t.Errorf("rk(%#08x) = %v, want %v", tc.rk, got, tc.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", math.Copysign(0, -1): "0", 1: "1", -2: "-2", 12.9: "12.9", 0.1 + 0.2: "0.3",
		1234567890123456789: "1234567890123456768", 1e20: "100000000000000000000",
		43995.5: "43995.5", 0.0135: "0.0135", 1.0 / 3: "0.333333333333333",
	} {
		if got := formatNumber(v); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

// SST whose second string is split across a CONTINUE record, changing from
// compressed to UTF-16 characters, plus rich runs and phonetic data that are
// themselves split.
func TestSSTContinue(t *testing.T) {
	sst := append(u32(3), u32(3)...)
	sst = append(sst, u16(3)...)
	sst = append(sst, 0, 'a', 'b', 'c') // "abc", compressed
	// "xy订单": cch 4, flags rich+ext, compressed start
	sst = append(sst, u16(4)...)
	sst = append(sst, 0x0C)
	sst = append(sst, u16(1)...) // 1 run
	sst = append(sst, u32(6)...) // 6 bytes ext data
	sst = append(sst, 'x', 'y')
	cont1 := []byte{0x01} // new flags: UTF-16
	cont1 = append(cont1, u16(0x8BA2, 0x5355)...)
	cont1 = append(cont1, 1, 2)             // first half of the 4-byte run
	cont2 := []byte{3, 4, 9, 9, 9, 9, 9, 9} // rest of run + ext data (no flags byte)
	cont2 = append(cont2, u16(2)...)        // "é!" header in this record
	cont2 = append(cont2, 1)                // UTF-16
	cont2 = append(cont2, u16(0xE9)...)     // é
	cont3 := append([]byte{0x00}, '!')      // continues compressed
	stream := bytes.Join([][]byte{
		bof(0x0005), rec(rtSST, sst), rec(rtContinue, cont1), rec(rtContinue, cont2), rec(rtContinue, cont3),
		rec(rtBoundSheet, u32(0), []byte{0, 0, 1}, xlChars("S")), rec(rtEOF),
	}, nil)
	// patch the BOUNDSHEET offset to point at the sheet after EOF
	bsOff := bytes.LastIndex(stream, rec(rtBoundSheet, u32(0), []byte{0, 0, 1}, xlChars("S")))
	binary.LittleEndian.PutUint32(stream[bsOff+4:], uint32(len(stream)))
	stream = append(stream, bytes.Join([][]byte{
		bof(0x0010),
		rec(rtLabelSST, cellHdr(0, 0, 0), u32(0)),
		rec(rtLabelSST, cellHdr(0, 1, 0), u32(1)),
		rec(rtLabelSST, cellHdr(0, 2, 0), u32(2)),
		rec(rtEOF),
	}, nil)...)
	got, err := parseStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sheet{{Name: "S", Rows: [][]string{{"abc", "xy订单", "é!"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestStringRecordContinue(t *testing.T) {
	tail := append(u16(0), append(u32(0), u16(0)...)...)
	sheet := bytes.Join([][]byte{
		rec(rtFormula, cellHdr(0, 0, 0), []byte{0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, tail),
		rec(rtString, u16(4), []byte{0, 'a', 'b'}),
		rec(rtContinue, []byte{1}, u16('中', '文')),
	}, nil)
	got, err := parseStream(buildStream(nil, []string{"S"}, [][]byte{sheet}))
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"ab中文"}}; !reflect.DeepEqual(got[0].Rows, want) {
		t.Fatalf("got %q", got[0].Rows)
	}
}

func TestBIFF5Codepage(t *testing.T) {
	gbk := []byte{0xB6, 0xA9, 0xB5, 0xA5} // 订单 in GBK
	bof5 := func(dt uint16) []byte { return rec(rtBOF, u16(0x0500, dt, 0, 0)) }
	glob := bytes.Join([][]byte{bof5(5), rec(rtCodePage, u16(936))}, nil)
	bs := rec(rtBoundSheet, u32(0), []byte{0, 0, 4}, gbk)
	pos := len(glob) + len(bs) + 4
	binary.LittleEndian.PutUint32(bs[4:], uint32(pos))
	stream := bytes.Join([][]byte{glob, bs, rec(rtEOF), bof5(0x10),
		rec(rtLabel, cellHdr(0, 0, 0), u16(4), gbk), rec(rtEOF)}, nil)
	got, err := parseStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Sheet{{"订单", [][]string{{"订单"}}}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func TestCorruptInput(t *testing.T) {
	good := sampleStream()
	labelOff := bytes.Index(good, rec(rtLabelSST, cellHdr(0, 1, 15), u32(1)))
	for name, tc := range map[string]struct {
		stream []byte
		want   string
	}{
		"empty":         {nil, "truncated record header"},
		"not BOF":       {rec(rtEOF), "does not start with a BOF"},
		"BIFF7":         {rec(rtBOF, u16(0x0400, 5)), "unsupported BIFF version"},
		"no EOF":        {bof(5), "missing EOF"},
		"long record":   {append(bof(5), 0x0A, 0, 0xFF, 0xFF), "exceeds stream"},
		"encrypted":     {append(bof(5), rec(rtFilePass, u16(1))...), "encrypted"},
		"short SST":     {append(bof(5), rec(rtSST, u32(1))...), "SST record too short"},
		"trunc SST":     {append(bof(5), rec(rtSST, u32(1), u32(1), u16(5), []byte{0, 'a'})...), "SST string 0"},
		"bad sheet pos": {bytes.Join([][]byte{bof(5), rec(rtBoundSheet, u32(99999), []byte{0, 0, 1, 0, 'S'}), rec(rtEOF)}, nil), "beyond stream"},
		"sst index": {func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[labelOff+10:], 7)
			return b
		}(), "string index 7 out of range"},
		"short NUMBER": {buildStream(nil, []string{"S"}, [][]byte{rec(rtNumber, u16(0, 0))}), "NUMBER record"},
		"bad MULRK":    {buildStream(nil, []string{"S"}, [][]byte{rec(rtMulRK, u16(0, 0, 0), u32(2), u16(9))}), "MULRK"},
		"column range": {buildStream(nil, []string{"S"}, [][]byte{rec(rtRK, cellHdr(0, 300, 0), u32(6))}), "out of range"},
		"sheet no EOF": {buildStream(nil, []string{"S"}, [][]byte{nil})[:len(buildStream(nil, []string{"S"}, [][]byte{nil}))-4], "missing EOF"},
	} {
		_, err := parseStream(tc.stream)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want containing %q", name, err, tc.want)
		}
	}
	for name, file := range map[string][]byte{
		"not cfb":   bytes.Repeat([]byte{1}, 1024),
		"tiny":      []byte("xx"),
		"no stream": buildCFB("Other", sampleStream()),
	} {
		if _, err := Read(bytes.NewReader(file), int64(len(file))); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add(buildCFB("Workbook", sampleStream()))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Read(bytes.NewReader(b), int64(len(b)))
	})
}

func FuzzParseStream(f *testing.F) {
	f.Add(sampleStream())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseStream(b)
	})
}
