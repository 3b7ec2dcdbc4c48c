package cells

import (
	"math"
	"testing"
)

func TestFixed(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale int
		want  int64
		err   Err
	}{
		{"19.9", 2, 1990, OK}, {"19.90", 2, 1990, OK}, {"0.5", 2, 50, OK}, {".5", 2, 50, OK},
		{"1,299.00", 2, 129900, OK}, {"12,345,678", 0, 12345678, OK}, {"-3.1", 2, -310, OK},
		{"1.35", 2, 135, OK}, {"19.905", 2, 0, TooPrecise}, {"19.900", 2, 1990, OK},
		{"12.3.4", 2, 0, Bad}, {"abc", 2, 0, Bad}, {"", 2, 0, Bad}, {"1,29", 2, 0, Bad},
		{"1234,567", 2, 0, Bad}, {"123456789012345", 2, 0, Bad}, {"1e5", 2, 0, Bad},
	} {
		got, err := Fixed(tc.in, tc.scale)
		if got != tc.want || err != tc.err {
			t.Errorf("Fixed(%q, %d) = %d, %d; want %d, %d", tc.in, tc.scale, got, err, tc.want, tc.err)
		}
	}
}

func TestCells(t *testing.T) {
	if StripCurrency("￥ 19.9元") != "19.9" || StripCurrency("¥5") != "5" {
		t.Error("StripCurrency")
	}
	for _, s := range []string{"", "-", "--", "null", "None"} {
		if !Absent(s) {
			t.Errorf("Absent(%q) = false", s)
		}
	}
	if Absent("0") {
		t.Error(`Absent("0")`)
	}
	for s, want := range map[string]IDProblem{
		"600000000001": IDOK, "6.51234E+11": IDScientific, "6.5e11": IDScientific,
		"12 34": IDSpace, string(make([]byte, 129)): IDLong, "6Mbx1aBcD": IDOK,
	} {
		if got := CheckID(s); got != want {
			t.Errorf("CheckID(%.20q) = %d, want %d", s, got, want)
		}
	}
	if c := Clip(string(make([]rune, 100))); len([]rune(c)) != 61 {
		t.Errorf("Clip kept %d runes", len([]rune(c)))
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "0.00", 5: "0.05", -5: "-0.05", 1990: "19.90", -1234: "-12.34", 100: "1.00",
		math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}
