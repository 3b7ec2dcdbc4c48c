package sheet

import "testing"

// Numbers read as stored to Excel's 15 digits; a percent format makes a
// percentage, a date format a date (moved from feed's TestXLSXCell).
func TestShowNumber(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		nf   numFormat
		want string
	}{
		{"19.899999999999999", fmtGeneral, "19.9"},
		{"0.155", fmtPercent, "15.5%"},
		{"0.15500000000000000", fmtPercent, "15.5%"},
		{"1.5", fmtPercent, "150%"},
		{"0.0005", fmtPercent, "0.05%"},
		{"-0.02", fmtPercent, "-2%"},
		{"651234567890", fmtGeneral, "651234567890"},
		{"45473.999305555557", fmtGeneral, "45473.9993055556"},
		{"45473.999305555557", fmtDateTime, "2024-06-30 23:59:00"},
		{"45322", fmtDate, "2024-01-31"},
		{"abc", fmtPercent, "abc"},
		{"-1", fmtDate, "-1"},
	} {
		if got := string(showNumber([]byte(tc.raw), tc.nf)); got != tc.want {
			t.Errorf("showNumber(%q, %d) = %q, want %q", tc.raw, tc.nf, got, tc.want)
		}
	}
}

func TestFormatOfCode(t *testing.T) {
	for code, want := range map[string]numFormat{
		"0.00%": fmtPercent, "yyyy-mm-dd": fmtDate, "yyyy/m/d h:mm": fmtDateTime, `[Red]0.00`: fmtGeneral,
		`0.00" d"`: fmtGeneral, `#,##0.00\d`: fmtGeneral, "[$-804]yyyy\"年\"m\"月\"d\"日\"": fmtDate, "0.00E+00": fmtGeneral,
	} {
		if got := formatOfCode(code); got != want {
			t.Errorf("formatOfCode(%q) = %d, want %d", code, got, want)
		}
	}
}
