package shanghai

import (
	"testing"
	"time"
)

// The fixed zone is the IANA zone for every time since 1991, and Day
// follows its midnights.
func TestZone(t *testing.T) {
	loc, err := time.LoadLocation(Name)
	if err != nil {
		t.Skip("no tzdata")
	}
	for _, s := range []string{"1992-07-01T12:00:00Z", "2026-11-11T15:59:59Z", "2026-11-11T16:00:00Z"} {
		u, _ := time.Parse(time.RFC3339, s)
		if a, b := u.In(Zone).Format(time.DateTime), u.In(loc).Format(time.DateTime); a != b {
			t.Errorf("%s: %s, IANA %s", s, a, b)
		}
	}
	midnight := time.Date(2026, 11, 12, 0, 0, 0, 0, Zone).Unix()
	if Day(midnight)-Day(midnight-1) != 1 || Day(midnight) != Day(midnight+86399) {
		t.Errorf("days around %d: %d %d %d", midnight, Day(midnight-1), Day(midnight), Day(midnight+86399))
	}
	if Day(-1) != 0 || Day(-Offset-1) != -1 {
		t.Errorf("before 1970: Day(-1) = %d, Day(-Offset-1) = %d", Day(-1), Day(-Offset-1))
	}
}

func TestDaySQL(t *testing.T) {
	if got := DaySQL("paid_at"); got != "(paid_at + 28800) / 86400" {
		t.Errorf("DaySQL = %q", got)
	}
}
