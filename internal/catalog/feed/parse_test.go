package feed

import (
	"testing"
)

func TestParseMoney(t *testing.T) {
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
		{"19.905", 0, whyMoneyPrecision},
		{"12.3.4", 0, whyMoney},
		{"abc", 0, whyMoney},
		{"", 0, whyMoney},
		{".", 0, whyMoney},
		{"1,29", 0, whyMoney},
		{"1299,00", 0, whyMoney},
		{",129", 0, whyMoney},
		{"1,,299", 0, whyMoney},
		{"1e3", 0, whyMoney},
		{"19.9.", 0, whyMoney},
		{"999999999999999", 0, whyMoney}, // 15 integer digits: too large
		{"-1", 0, whyMoneyNegative},
		{"-0.01", 0, whyMoneyNegative},
		{"+3", 300, ""},
		{"NaN", 0, whyMoney},
	}
	for _, tc := range tests {
		got, why := parseMoney(tc.in)
		if got != tc.want || why != tc.why {
			t.Errorf("parseMoney(%q) = %d, %q; want %d, %q", tc.in, got, why, tc.want, tc.why)
		}
	}
}

func TestParseRatesCountsScores(t *testing.T) {
	num := []struct {
		name  string
		parse func(string) (int64, string)
		in    string
		want  int64
		ok    bool
	}{
		{"percent", parsePercent, "30", 3000, true},
		{"percent", parsePercent, "30.5", 3050, true},
		{"percent", parsePercent, "15.5%", 1550, true},
		{"percent", parsePercent, "15.55 %", 1555, true},
		{"percent", parsePercent, "0.155", 0, false},
		{"percent", parsePercent, "-1", 0, false},
		{"bp", parseBasisPoints, "1550", 1550, true},
		{"bp", parseBasisPoints, "1550.00", 1550, true},
		{"bp", parseBasisPoints, "15.5", 0, false},
		{"count", parseCount, "1234", 1234, true},
		{"count", parseCount, "1,234", 1234, true},
		{"count", parseCount, "1.2万", 12000, true},
		{"count", parseCount, "3万+", 30000, true},
		{"count", parseCount, "100+", 100, true},
		{"count", parseCount, "12.0", 12, true},
		{"count", parseCount, "12.5", 0, false},
		{"count", parseCount, "-3", 0, false},
		{"count", parseCount, "many", 0, false},
	}
	for _, tc := range num {
		got, why := tc.parse(tc.in)
		if got != tc.want || (why == "") != tc.ok {
			t.Errorf("%s(%q) = %d, %q; want %d ok=%v", tc.name, tc.in, got, why, tc.want, tc.ok)
		}
	}
	for in, want := range map[string]int{"4.8": 480, "4.85": 485, "5": 500, "0": 0, "4.855": 486, "4.87654": 488, "4.8549": 485, "5.01": -1, "5.004": -1, "5.0004": 500, "4.8x": -1, "4.8765x": -1, "x": -1} {
		got, why := parseScore(in)
		if (want < 0) != (why != "") || want >= 0 && got != want {
			t.Errorf("parseScore(%q) = %d, %q", in, got, why)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in        string
		endOfDay  bool
		excel     bool
		want      int64
		wantError bool
	}{
		{"2024-06-30 23:59:59", false, false, cst(2024, 6, 30, 23, 59, 59), false},
		{"2024-6-3 8:05:00", false, false, cst(2024, 6, 3, 8, 5, 0), false},
		{"2024/06/30 12:00", false, false, cst(2024, 6, 30, 12, 0, 0), false},
		{"2024-06-30", false, false, cst(2024, 6, 30, 0, 0, 0), false},
		{"2024-06-30", true, false, cst(2024, 6, 30, 23, 59, 59), false},
		{"2024年6月30日", false, false, cst(2024, 6, 30, 0, 0, 0), false},
		{"2024-06-30T12:00:00Z", false, false, cst(2024, 6, 30, 20, 0, 0), false},
		{"2024-06-30T12:00:00+08:00", false, false, cst(2024, 6, 30, 12, 0, 0), false},
		{"2024-06-30 23:59:59.5", false, false, cst(2024, 6, 30, 23, 59, 59), false},
		{"1719763199", false, false, 1719763199, false},
		{"1719763199000", false, false, 1719763199, false},
		{"0", false, false, 0, false},
		{"45473", false, true, cst(2024, 6, 30, 0, 0, 0), false},
		{"45473.5", false, true, cst(2024, 6, 30, 12, 0, 0), false},
		{"45473", false, false, 0, true},
		{"12345", false, false, 0, true},
		{"1999-12-31", false, false, 0, true},
		{"2024-13-01", false, false, 0, true},
		{"yesterday", false, false, 0, true},
		{"99999999999999999999", false, false, 0, true},
	}
	for _, tc := range tests {
		got, why := parseTime(tc.in, tc.endOfDay, tc.excel)
		if got != tc.want || (why != "") != tc.wantError {
			t.Errorf("parseTime(%q, %v, %v) = %d, %q; want %d err=%v", tc.in, tc.endOfDay, tc.excel, got, why, tc.want, tc.wantError)
		}
	}
}

func TestCheckID(t *testing.T) {
	for in, bad := range map[string]bool{
		"651234567890": false, "AbC-123x": false, "Y9X2abc_Z": false,
		"6.51235E+11": true, "6.5e11": true, "1 2": true, "a\tb": true,
	} {
		if got := checkID(in) != ""; got != bad {
			t.Errorf("checkID(%q) bad=%v, want %v", in, got, bad)
		}
	}
}

func TestCouponText(t *testing.T) {
	for in, want := range map[string][2]int64{
		"单笔满99元可用，每人限领1张": {9900, -1},
		"满299元减20元":       {29900, 2000},
		"满99.5元减5":        {9950, 500},
		"无门槛":             {-1, -1},
		"满2件减5元":          {-1, 500},
	} {
		th, hasT, am, hasA := couponText(in)
		if !hasT {
			th = -1
		}
		if !hasA {
			am = -1
		}
		if th != want[0] || am != want[1] {
			t.Errorf("couponText(%q) = %d, %d; want %v", in, th, am, want)
		}
	}
}
