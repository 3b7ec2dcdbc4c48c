package feed

import (
	"testing"
)

func TestParseScores(t *testing.T) {
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
