package catalog

import (
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// The trade's big sales. Prices, coupons and sales all move around them, so
// "the lowest price" means little without knowing whether it was a promotion
// price. Dates follow the Asia/Shanghai calendar.

// Promotion names.
const (
	Promo618      = "618"      // 618 年中大促 (JD anniversary, Tmall mid-year)
	PromoDouble11 = "double11" // 双11
	PromoSpring   = "spring"   // 年货节, before Chinese New Year
)

// Promotion is one run of a big sale.
type Promotion struct {
	Name  string // "618", "double11", "spring"
	Label string // "618", "双11", "年货节"
	// Start and End bound the sale, [Start, End), at midnight Asia/Shanghai.
	Start, End time.Time
	// Peak is the start (midnight) of the busiest day.
	Peak time.Time
}

// Contains reports whether unix time t falls within the promotion.
func (p Promotion) Contains(t int64) bool { return t >= p.Start.Unix() && t < p.End.Unix() }

// Years covered by the 618 and Double 11 entries (Double 11 began in 2009,
// 618 became a platform-wide sale soon after). Outside them, and outside the
// Chinese New Year table, PromotionAt reports no promotion.
const (
	promoFirstYear = 2009
	promoLastYear  = 2099
)

// promoCNY holds the first day of the lunar year (春节) by Gregorian year.
var promoCNY = [...]struct{ y, m, d int }{
	{2018, 2, 16}, {2019, 2, 5}, {2020, 1, 25}, {2021, 2, 12}, {2022, 2, 1},
	{2023, 1, 22}, {2024, 2, 10}, {2025, 1, 29}, {2026, 2, 17}, {2027, 2, 6},
	{2028, 1, 26}, {2029, 2, 13}, {2030, 2, 3}, {2031, 1, 23}, {2032, 2, 11},
	{2033, 1, 31}, {2034, 2, 19}, {2035, 2, 8},
}

// The promotions in time order, with their bounds as unix seconds for the
// binary search in PromotionAt. They never overlap.
var (
	promoList   []Promotion
	promoStarts []int64
	promoEnds   []int64
)

func init() {
	cny := make(map[int]time.Time, len(promoCNY))
	for _, c := range promoCNY {
		cny[c.y] = promoDay(c.y, time.Month(c.m), c.d)
	}
	for y := promoFirstYear; y <= promoLastYear; y++ {
		if d, ok := cny[y]; ok {
			// 年货节: three weeks ending three days before the New Year
			// (the last sale day is New Year minus 3); demand peaks about ten
			// days before the festival, when couriers announce their stop.
			end := d.AddDate(0, 0, -2)
			promoList = append(promoList, Promotion{
				Name: PromoSpring, Label: "年货节",
				Start: end.AddDate(0, 0, -21), End: end, Peak: d.AddDate(0, 0, -10),
			})
		}
		if y >= 2010 {
			promoList = append(promoList, Promotion{
				Name: Promo618, Label: "618",
				Start: promoDay(y, time.May, 31), End: promoDay(y, time.June, 19), Peak: promoDay(y, time.June, 18),
			})
		}
		promoList = append(promoList, Promotion{
			Name: PromoDouble11, Label: "双11",
			Start: promoDay(y, time.October, 20), End: promoDay(y, time.November, 12), Peak: promoDay(y, time.November, 11),
		})
	}
	promoStarts = make([]int64, len(promoList))
	promoEnds = make([]int64, len(promoList))
	for i, p := range promoList {
		promoStarts[i], promoEnds[i] = p.Start.Unix(), p.End.Unix()
		if i > 0 && promoStarts[i] < promoEnds[i-1] {
			panic("catalog: promotion calendar overlaps at " + p.Start.Format(time.DateOnly))
		}
	}
}

func promoDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, shanghai.Zone)
}

// PromotionAt returns the promotion running at unix time t (Asia/Shanghai
// calendar), if any. It does not allocate.
func PromotionAt(t int64) (Promotion, bool) {
	// Find the last promotion starting at or before t.
	lo, hi := 0, len(promoStarts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if promoStarts[mid] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if i := lo - 1; i >= 0 && t < promoEnds[i] {
		return promoList[i], true
	}
	return Promotion{}, false
}

// Promotions returns the promotions overlapping [from, to) in time order.
func Promotions(from, to int64) []Promotion {
	if from >= to {
		return nil
	}
	// Ends are increasing too: find the first promotion ending after from.
	lo, hi := 0, len(promoEnds)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if promoEnds[mid] <= from {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	var out []Promotion
	for i := lo; i < len(promoList) && promoStarts[i] < to; i++ {
		out = append(out, promoList[i])
	}
	return out
}
