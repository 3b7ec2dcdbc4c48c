// Package catalog owns the product knowledge base: items, their observations
// (snapshots of price, coupon, commission and sales) and the change-only
// history that answers "what was the price at t" and "what was the lowest
// price in this window" as if every observation had been kept.
package catalog

import (
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/cells"
)

// Platform is the affiliate platform an item belongs to.
type Platform string

const (
	Taobao Platform = "taobao"
	Tmall  Platform = "tmall"
	JD     Platform = "jd"
	PDD    Platform = "pdd"
)

// Platforms lists every platform Qunke knows, in display order.
var Platforms = []Platform{Taobao, Tmall, JD, PDD}

// ParsePlatform accepts the platform names used in feeds (English or Chinese).
func ParsePlatform(s string) (Platform, bool) {
	switch s {
	case "taobao", "Taobao", "TB", "tb", "淘宝", "C":
		return Taobao, true
	case "tmall", "Tmall", "TM", "tm", "天猫", "B":
		return Tmall, true
	case "jd", "JD", "jingdong", "京东":
		return JD, true
	case "pdd", "PDD", "pinduoduo", "拼多多":
		return PDD, true
	}
	return "", false
}

// Family is the platform family an item's identity belongs to: Taobao and
// Tmall sell through one item id space (a shop moving between them keeps its
// ids), so a Tmall item is a Taobao-family item with a Tmall label.
func (p Platform) Family() Platform {
	if p == Tmall {
		return Taobao
	}
	return p
}

// Key names an item: platform ids are strings (they exceed 2^53). Its
// identity is (platform family, item id): taobao:1 and tmall:1 are one item,
// and the catalog never stores both (Platform is the label it goes by).
type Key struct {
	Platform Platform
	ItemID   string
}

func (k Key) String() string { return string(k.Platform) + ":" + k.ItemID }

// Same reports whether k and o name the same item.
func (k Key) Same(o Key) bool {
	return k.ItemID == o.ItemID && k.Platform.Family() == o.Platform.Family()
}

// ShopType says what kind of shop sells an item.
type ShopType string

const (
	ShopUnknown  ShopType = ""
	ShopTaobao   ShopType = "taobao"   // C店
	ShopTmall    ShopType = "tmall"    // 天猫店
	ShopFlagship ShopType = "flagship" // 旗舰店 (Tmall flagship, JD flagship)
	ShopJDSelf   ShopType = "jd_self"  // 京东自营
	ShopPDD      ShopType = "pdd"      // 拼多多店
)

// Item holds the descriptive attributes of a product. They are kept as last
// seen; prices and sales live in observations.
type Item struct {
	Platform     Platform
	ItemID       string
	Title        string
	ShortTitle   string
	CategoryPath string // top level first, "/" separated: "美妆/面部护肤/面霜"
	Brand        string
	ShopID       string
	ShopName     string
	ShopType     ShopType
	// DSR scores times 100 (4.85 -> 485); 0 means unknown.
	DSRDesc    int
	DSRService int
	DSRShip    int
	ImageURL   string
}

// Key returns the item's identity.
func (it *Item) Key() Key { return Key{it.Platform, it.ItemID} }

// CommissionType is the kind of commission plan an observation carries.
type CommissionType int8

const (
	CommissionUnknown   CommissionType = 0
	CommissionGeneral   CommissionType = 1 // 通用
	CommissionTargeted  CommissionType = 2 // 定向
	CommissionMarketing CommissionType = 3 // 营销计划
	CommissionCampaign  CommissionType = 4 // 鹊桥/活动
)

// ParseCommissionType accepts codes and the Chinese names feeds use.
func ParseCommissionType(s string) (CommissionType, bool) {
	switch s {
	case "", "0":
		return CommissionUnknown, true
	case "1", "通用", "general":
		return CommissionGeneral, true
	case "2", "定向", "targeted":
		return CommissionTargeted, true
	case "3", "营销", "营销计划", "marketing":
		return CommissionMarketing, true
	case "4", "鹊桥", "活动", "campaign":
		return CommissionCampaign, true
	}
	return 0, false
}

// Unknown marks a counter that a feed does not report (coupon remaining, 2-hour sales).
const Unknown int64 = -1

// Observation is one snapshot of an item at time At. Money is fen, rates are
// basis points (1550 = 15.50%).
type Observation struct {
	At              int64 // unix seconds, UTC
	ListPrice       int64 // 原价/在售价
	CouponAmount    int64 // 券面额, 0 = no coupon
	CouponThreshold int64 // 使用门槛, 0 = none
	CouponEnd       int64 // unix seconds, 0 = no coupon / unknown
	FinalPrice      int64 // 券后价
	CommissionRate  int64 // basis points
	CommissionType  CommissionType
	// Counters change with nearly every snapshot.
	CouponRemain int64 // coupons left, Unknown if not reported
	Sales30      int64 // 30-day (monthly) sales
	Sales2h      int64 // sales in the last two hours, Unknown if not reported
}

// Time returns At as a time.Time in UTC.
func (o *Observation) Time() time.Time { return time.Unix(o.At, 0).UTC() }

// Record is an item together with one observation of it, as a feed row gives.
type Record struct {
	Item Item
	Obs  Observation
	// PlatformDefault says Item.Platform is the importer's default (the
	// row named no platform and no shop type): it decides the family of a
	// new item but never relabels a stored one.
	PlatformDefault bool
}

// MaxPrice bounds prices (¥100,000,000): larger is a broken feed, and it
// keeps money arithmetic (price x rate x fee) far from overflowing int64.
const MaxPrice = 10_000_000_000

// MaxCounter bounds sales and coupon counts: larger is a broken feed.
const MaxCounter = 1_000_000_000_000

// MaxCommissionRate is the highest plausible commission rate (90%).
const MaxCommissionRate = 9000

// Check reports the first thing wrong with a record, in words an operator
// understands (Chinese first, then English). Field names are Qunke's own;
// importers translate them to the column the file used.
func (r *Record) Check() *FieldError {
	it, o := &r.Item, &r.Obs
	switch {
	case it.ItemID == "":
		return &FieldError{"item_id", "缺少商品ID (missing item id)"}
	case it.Platform == "":
		return &FieldError{"platform", "缺少平台 (missing platform)"}
	case o.At <= 0:
		return &FieldError{"at", "缺少快照时间 (missing snapshot time; use a time column or --at)"}
	case o.ListPrice < 0:
		return &FieldError{"list_price", "原价不能为负 (list price is negative)"}
	case o.FinalPrice < 0:
		return &FieldError{"final_price", "券后价不能为负 (final price is negative)"}
	case o.FinalPrice == 0 && o.ListPrice == 0:
		return &FieldError{"final_price", "缺少价格 (no price)"}
	case o.ListPrice > 0 && o.FinalPrice > o.ListPrice:
		return &FieldError{"final_price", fmt.Sprintf("券后价 %s 高于原价 %s (final price above list price)", cells.Yuan(o.FinalPrice), cells.Yuan(o.ListPrice))}
	case o.ListPrice > MaxPrice || o.FinalPrice > MaxPrice || o.CouponAmount > MaxPrice || o.CouponThreshold > MaxPrice:
		return &FieldError{"list_price", fmt.Sprintf("价格超过 ¥%s，不合理 (price above ¥%s is not plausible)", cells.Yuan(MaxPrice), cells.Yuan(MaxPrice))}
	case o.CouponAmount < 0:
		return &FieldError{"coupon_amount", "券面额不能为负 (coupon amount is negative)"}
	case o.CouponThreshold < 0:
		return &FieldError{"coupon_threshold", "用券门槛不能为负 (coupon threshold is negative)"}
	case o.CommissionRate < 0:
		return &FieldError{"commission_rate", "佣金比率不能为负 (commission rate is negative)"}
	case o.CommissionRate > MaxCommissionRate:
		return &FieldError{"commission_rate", fmt.Sprintf("佣金比率 %s 超过 90%% (commission rate over 90%%)", Percent(o.CommissionRate))}
	case o.Sales30 < 0:
		return &FieldError{"sales30", "月销量不能为负 (30-day sales is negative)"}
	case o.Sales2h < Unknown:
		return &FieldError{"sales2h", "两小时销量不能为负 (2-hour sales is negative)"}
	case o.CouponRemain < Unknown:
		return &FieldError{"coupon_remain", "剩余券数不能为负 (coupons left is negative)"}
	case o.Sales30 > MaxCounter || o.Sales2h > MaxCounter || o.CouponRemain > MaxCounter:
		return &FieldError{"sales30", "销量或券数大得不合理 (sales or coupon count implausibly large)"}
	case it.DSRDesc < 0 || it.DSRDesc > 500 || it.DSRService < 0 || it.DSRService > 500 || it.DSRShip < 0 || it.DSRShip > 500:
		return &FieldError{"dsr", "店铺评分应在 0 到 5 之间 (shop DSR scores must be between 0 and 5)"}
	}
	return nil
}

// FieldError names the field of a record that is wrong and why.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Percent formats basis points as a percentage: 1550 -> "15.50%".
func Percent(bp int64) string { return cells.Yuan(bp) + "%" } // hundredths, as fen are
