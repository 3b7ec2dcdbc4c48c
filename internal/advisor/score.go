package advisor

import (
	"fmt"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
)

// Reason is one part of a card's score, in plain words, traceable to a
// number on the card. docs/scoring.md explains each.
type Reason struct {
	Code   string
	Points int
	ZH     string
	EN     string
}

// score rates how worth recommending an item is, 0..100, from the card's
// figures. The parts: price position (35), commission rate (20), earning per
// order (10), sales (20), shop (15), less coupon troubles.
func score(c *Card) (int, []Reason) {
	var rs []Reason
	add := func(code string, pts int, zh, en string) {
		rs = append(rs, Reason{code, pts, zh, en})
	}
	y := cells.Yuan
	// Say which low the price is measured against: on a normal day the
	// lowest outside promotions, during one the lowest ever.
	lowZH, lowEN := "平日最低", "the lowest outside promotions"
	if refLow(c) == c.LowAll && c.LowAll != c.NormalLow {
		lowZH, lowEN = "历史最低", "the lowest ever seen"
	}
	promoNote := func() (string, string) {
		if c.LowAll.OK && c.LowAll.Price < refLow(c).Price {
			return fmt.Sprintf("；大促最低 ¥%s", y(c.LowAll.Price)), fmt.Sprintf("; promotion low ¥%s", y(c.LowAll.Price))
		}
		return "", ""
	}
	switch c.Position {
	case HistoricLow:
		zh, en := promoNote()
		add("price_low", 35, fmt.Sprintf("券后价 ¥%s 是%s (¥%s%s)", y(c.Now.FinalPrice), lowZH, y(refLow(c).Price), zh),
			fmt.Sprintf("final price ¥%s is %s (¥%s%s)", y(c.Now.FinalPrice), lowEN, y(refLow(c).Price), en))
	case NearLow:
		zh, en := promoNote()
		add("price_near_low", 25, fmt.Sprintf("券后价 ¥%s 距%s ¥%s 不到 5%%%s", y(c.Now.FinalPrice), lowZH, y(refLow(c).Price), zh),
			fmt.Sprintf("final price ¥%s is within 5%% of %s, ¥%s%s", y(c.Now.FinalPrice), lowEN, y(refLow(c).Price), en))
	case Normal:
		add("price_normal", 12, fmt.Sprintf("券后价 ¥%s 为常价 (近90天常价 ¥%s)", y(c.Now.FinalPrice), y(c.Typical)),
			fmt.Sprintf("final price ¥%s is the usual price (90-day typical ¥%s)", y(c.Now.FinalPrice), y(c.Typical)))
	case AboveNormal:
		add("price_high", 0, fmt.Sprintf("券后价 ¥%s 高于近90天常价 ¥%s", y(c.Now.FinalPrice), y(c.Typical)),
			fmt.Sprintf("final price ¥%s is above the 90-day typical ¥%s", y(c.Now.FinalPrice), y(c.Typical)))
	}
	ratePts := int(min(20, c.RateBP/150)) // 30% and more earns the full 20
	add("commission_rate", ratePts, fmt.Sprintf("佣金比率 %s", catalog.Percent(c.RateBP)),
		fmt.Sprintf("commission rate %s", catalog.Percent(c.RateBP)))
	earnPts := int(min(10, c.EarnFen/50)) // ¥5 an order and more earns the full 10
	add("earn", earnPts, fmt.Sprintf("每单预估佣金 ¥%s (已扣服务费 %s)", y(c.EarnFen), catalog.Percent(c.FeeBP)),
		fmt.Sprintf("estimated ¥%s per order after the %s service fee", y(c.EarnFen), catalog.Percent(c.FeeBP)))
	salesPts := int(c.SalesPct * 15)
	add("sales_rank", salesPts, fmt.Sprintf("月销 %d，超过同类 %.0f%% 的商品", c.Now.Sales30, c.SalesPct*100),
		fmt.Sprintf("30-day sales %d, more than %.0f%% of its category", c.Now.Sales30, c.SalesPct*100))
	switch c.Trend {
	case "rising":
		add("sales_rising", 5, fmt.Sprintf("销量上升：月销 %d，一周前 %d", c.Now.Sales30, c.Sales7d),
			fmt.Sprintf("sales rising: %d now, %d a week ago", c.Now.Sales30, c.Sales7d))
	case "falling":
		add("sales_falling", -5, fmt.Sprintf("销量下滑：月销 %d，一周前 %d", c.Now.Sales30, c.Sales7d),
			fmt.Sprintf("sales falling: %d now, %d a week ago", c.Now.Sales30, c.Sales7d))
	}
	if c.Tmall {
		add("shop_tmall", 5, "天猫/旗舰/自营店铺", "Tmall, flagship or platform-run shop")
	}
	if d, ok := dsrDiff(c); ok {
		pts := 0
		switch {
		case d >= 5:
			pts = 10
		case d >= 0:
			pts = 5
		}
		add("shop_dsr", pts, fmt.Sprintf("店铺评分比同类平均 %+.2f", d/100),
			fmt.Sprintf("shop DSR %+.2f against the category average", d/100))
	}
	if c.Now.CouponAmount > 0 {
		if left := c.Now.CouponEnd - c.Now.At; c.Now.CouponEnd > 0 && left < day {
			add("coupon_ending", -5, fmt.Sprintf("优惠券 %d 小时内过期", max(0, left/3600)),
				fmt.Sprintf("the coupon expires within %d hours", max(0, left/3600)))
		}
		if c.Now.CouponRemain == 0 {
			add("coupon_gone", -10, "优惠券已领完", "no coupons left")
		}
	}
	total := 0
	for _, r := range rs {
		total += r.Points
	}
	return max(0, min(100, total)), rs
}

func refLow(c *Card) Low {
	if c.InPromo != "" || !c.NormalLow.OK {
		return c.LowAll
	}
	return c.NormalLow
}

// dsrDiff is the shop's average DSR less its category's, in hundredths,
// over the scores both report.
func dsrDiff(c *Card) (float64, bool) {
	it := c.Item
	var mine, avg float64
	n := 0
	for k, v := range [3]int{it.DSRDesc, it.DSRService, it.DSRShip} {
		if v > 0 && c.DSRAvg[k] > 0 {
			mine += float64(v)
			avg += c.DSRAvg[k]
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return (mine - avg) / float64(n), true
}
