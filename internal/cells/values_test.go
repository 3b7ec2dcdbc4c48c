package cells

import (
	"testing"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// Moved from the feed importer with the parsers.
func TestMoney(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		why  string
	}{
		{"19.9", 1990, ""},
		{"19.90", 1990, ""},
		{"19.900", 1990, ""},
		{"0.5", 50, ""},
		{".5", 50, ""},
		{"5.", 500, ""},
		{"0", 0, ""},
		{"007", 700, ""},
		{"1,299.00", 129900, ""},
		{"12,345,678", 1234567800, ""},
		{"￥19.9", 1990, ""},
		{"¥ 19.9", 1990, ""},
		{"19.9元", 1990, ""},
		{"99999999999999", 9999999999999900, ""},
		{"19.905", 0, WhyMoneyPrecision},
		{"12.3.4", 0, WhyMoney},
		{"abc", 0, WhyMoney},
		{"", 0, WhyMoney},
		{".", 0, WhyMoney},
		{"1,29", 0, WhyMoney},
		{"1299,00", 0, WhyMoney},
		{",129", 0, WhyMoney},
		{"1,,299", 0, WhyMoney},
		{"1e3", 0, WhyMoney},
		{"19.9.", 0, WhyMoney},
		{"999999999999999", 0, WhyMoney}, // 15 integer digits: too large
		{"-1", 0, WhyMoneyNegative},
		{"-0.01", 0, WhyMoneyNegative},
		{"+3", 300, ""},
		{"NaN", 0, WhyMoney},
	}
	for _, tc := range tests {
		got, why := Money(tc.in)
		if got != tc.want || why != tc.why {
			t.Errorf("Money(%q) = %d, %q; want %d, %q", tc.in, got, why, tc.want, tc.why)
		}
	}
}

func TestRatesCounts(t *testing.T) {
	num := []struct {
		name  string
		parse func(string) (int64, string)
		in    string
		want  int64
		ok    bool
	}{
		{"percent", Percent, "30", 3000, true},
		{"percent", Percent, "30.5", 3050, true},
		{"percent", Percent, "15.5%", 1550, true},
		{"percent", Percent, "15.55 %", 1555, true},
		{"percent", Percent, "0.155", 0, false},
		{"percent", Percent, "-1", 0, false},
		{"bp", BasisPoints, "1550", 1550, true},
		{"bp", BasisPoints, "1550.00", 1550, true},
		{"bp", BasisPoints, "15.5", 0, false},
		{"count", Count, "1234", 1234, true},
		{"count", Count, "1,234", 1234, true},
		{"count", Count, "1.2万", 12000, true},
		{"count", Count, "3万+", 30000, true},
		{"count", Count, "100+", 100, true},
		{"count", Count, "12.0", 12, true},
		{"count", Count, "12.5", 0, false},
		{"count", Count, "-3", 0, false},
		{"count", Count, "many", 0, false},
	}
	for _, tc := range num {
		got, why := tc.parse(tc.in)
		if got != tc.want || (why == "") != tc.ok {
			t.Errorf("%s(%q) = %d, %q; want %d ok=%v", tc.name, tc.in, got, why, tc.want, tc.ok)
		}
	}
}

func TestID(t *testing.T) {
	for in, bad := range map[string]bool{
		"651234567890": false, "AbC-123x": false, "Y9X2abc_Z": false,
		"6.51235E+11": true, "6.5e11": true, "1 2": true, "a\tb": true,
	} {
		if got := ID(in) != ""; got != bad {
			t.Errorf("ID(%q) bad=%v, want %v", in, got, bad)
		}
	}
}

// A reason is a message key, and Reason renders it in one language.
func TestReasonsAreMessages(t *testing.T) {
	if got := msg.In(i18n.ZH, Reason(WhyMoney)); got != "不是有效的金额" {
		t.Fatalf("zh: %q", got)
	}
	if got := msg.In(i18n.EN, Reason(WhyRateBP)); got != "commission rate must be whole basis points, 1550 = 15.50%" {
		t.Fatalf("en: %q", got)
	}
	if got := msg.In(i18n.ZH, Reason(WhyIDLong)); got != "编号过长" {
		t.Fatalf("zh: %q", got)
	}
}
