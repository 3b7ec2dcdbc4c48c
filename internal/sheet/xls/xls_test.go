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
	"unicode/utf16"
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

func rec(typ uint16, data ...[]byte) []byte {
	d := bytes.Join(data, nil)
	b := binary.LittleEndian.AppendUint16(nil, typ)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(d)))
	return append(b, d...)
}

func u16(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

func u32(v uint32) []byte  { return binary.LittleEndian.AppendUint32(nil, v) }
func f64(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

// xlStr is an XLUnicodeString body without cch: flags + chars (UTF-16 if
// any rune is non-Latin-1, else compressed).
func xlChars(s string) []byte {
	u := utf16.Encode([]rune(s))
	wide := false
	for _, c := range u {
		if c > 0xFF {
			wide = true
		}
	}
	if !wide {
		b := []byte{0}
		for _, c := range u {
			b = append(b, byte(c))
		}
		return b
	}
	return append([]byte{1}, u16(u...)...)
}

func xlString(s string) []byte {
	return append(u16(uint16(len(utf16.Encode([]rune(s))))), xlChars(s)...)
}

func bof(dt uint16) []byte { return rec(rtBOF, u16(0x0600, dt, 0, 0), u32(0), u32(6)) }

type cellFunc func() []byte

// buildStream builds a Workbook stream: globals (CODEPAGE, SST, one
// BOUNDSHEET8 per sheet) followed by the worksheet substreams.
func buildStream(sst []string, names []string, sheets [][]byte) []byte {
	var sstBody []byte
	sstBody = append(sstBody, u32(uint32(len(sst)))...)
	sstBody = append(sstBody, u32(uint32(len(sst)))...)
	for _, s := range sst {
		sstBody = append(sstBody, xlString(s)...)
	}
	bsLen := 0
	for _, n := range names {
		bsLen += len(rec(rtBoundSheet, u32(0), []byte{0, 0, byte(len([]rune(n)))}, xlChars(n)))
	}
	head := bytes.Join([][]byte{bof(0x0005), rec(rtCodePage, u16(1200)), rec(rtSST, sstBody)}, nil)
	pos := len(head) + bsLen + 4 // + EOF
	var bs, subs []byte
	for i, n := range names {
		bs = append(bs, rec(rtBoundSheet, u32(uint32(pos)), []byte{0, 0, byte(len(utf16.Encode([]rune(n))))}, xlChars(n))...)
		sub := bytes.Join([][]byte{bof(0x0010), sheets[i], rec(rtEOF)}, nil)
		subs = append(subs, sub...)
		pos += len(sub)
	}
	return bytes.Join([][]byte{head, bs, rec(rtEOF), subs}, nil)
}

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

func buildCFB(name string, stream []byte) []byte {
	const sec = 512
	for len(stream) < 4096 { // keep it out of the mini stream
		stream = append(stream, 0)
	}
	n := (len(stream) + sec - 1) / sec
	if n+2 > 128 {
		panic("test stream too large")
	}
	hdr := make([]byte, sec)
	copy(hdr, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le := binary.LittleEndian
	le.PutUint16(hdr[24:], 0x3E)
	le.PutUint16(hdr[26:], 3)
	le.PutUint16(hdr[28:], 0xFFFE)
	le.PutUint16(hdr[30:], 9)
	le.PutUint16(hdr[32:], 6)
	le.PutUint32(hdr[44:], 1) // FAT sectors
	le.PutUint32(hdr[48:], 1) // directory start
	le.PutUint32(hdr[56:], 4096)
	le.PutUint32(hdr[60:], 0xFFFFFFFE)
	le.PutUint32(hdr[68:], 0xFFFFFFFE)
	for i := 76; i < sec; i += 4 {
		le.PutUint32(hdr[i:], 0xFFFFFFFF)
	}
	le.PutUint32(hdr[76:], 0) // FAT in sector 0
	fat := make([]byte, sec)
	for i := 0; i < 128; i++ {
		v := uint32(0xFFFFFFFF)
		switch {
		case i == 0:
			v = 0xFFFFFFFD
		case i == 1 || i == n+1:
			v = 0xFFFFFFFE
		case i >= 2 && i < n+1:
			v = uint32(i + 1)
		}
		le.PutUint32(fat[4*i:], v)
	}
	dir := make([]byte, sec)
	entry := func(i int, name string, typ byte, child, start uint32, size int) {
		e := dir[128*i : 128*(i+1)]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			le.PutUint16(e[2*k:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], 0xFFFFFFFF)
		le.PutUint32(e[72:], 0xFFFFFFFF)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], uint32(size))
	}
	entry(0, "Root Entry", 5, 1, 0xFFFFFFFE, 0)
	entry(1, name, 2, 0xFFFFFFFF, 2, len(stream))
	for i := 2; i < 4; i++ {
		e := dir[128*i:]
		le.PutUint32(e[68:], 0xFFFFFFFF)
		le.PutUint32(e[72:], 0xFFFFFFFF)
		le.PutUint32(e[76:], 0xFFFFFFFF)
	}
	body := make([]byte, n*sec)
	copy(body, stream)
	return bytes.Join([][]byte{hdr, fat, dir, body}, nil)
}

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
