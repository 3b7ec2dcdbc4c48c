// Package shanghai is the platforms' time zone: Taobao/Tmall, JD, PDD and
// Alimama keep their days, settlement and naive report times in
// Asia/Shanghai (UTC+8). China has had no daylight saving time since 1991,
// so a fixed zone is exact for their data and needs no tzdata on the host.
//
// It is a package of its own, not part of cells, because catalog
// promotions, community groups, order rollups, the Alimama client and the
// demo need the zone without reading any cell. A page's display zone
// (--tz) and a group's own zone are other zones, passed to whoever needs
// them.
package shanghai

import (
	"strconv"
	"time"
)

// Name is the zone's IANA name.
const Name = "Asia/Shanghai"

// Offset is the zone's offset east of UTC in seconds: SQL computes a
// unix time's day as (t + Offset) / 86400.
const Offset = 8 * 3600

// Zone is Asia/Shanghai.
var Zone = time.FixedZone("CST", Offset)

// Day numbers the Asia/Shanghai calendar day of unix time t (day 0 is
// 1970-01-01), as SQL's (t + Offset) / 86400 does for t >= 0.
func Day(t int64) int64 {
	d := t + Offset
	if d < 0 {
		return (d - 86399) / 86400
	}
	return d / 86400
}

// DaySQL is SQL for the day number of the unix-time column col, as Day
// computes it for col >= 0: "(paid_at + 28800) / 86400".
func DaySQL(col string) string { return "(" + col + " + " + strconv.Itoa(Offset) + ") / 86400" }
