// Package catalog owns the product knowledge base: items, their observations
// (snapshots of price, coupon, commission and sales) and the change-only
// history that answers "what was the price at t" and "what was the lowest
// price in this window" as if every observation had been kept.
package catalog

import (
	"time"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/msg"
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
// understands (a message). Field names are Qunke's own;
// importers translate them to the column the file used.
func (r *Record) Check() *FieldError {
	it, o := &r.Item, &r.Obs
	switch {
	case it.ItemID == "":
		return &FieldError{"item_id", msg.New("record.missing_item_id")}
	case it.Platform == "":
		return &FieldError{"platform", msg.New("record.missing_platform")}
	case o.At <= 0:
		return &FieldError{"at", msg.New("record.missing_at")}
	case o.ListPrice < 0:
		return &FieldError{"list_price", msg.New("record.list_price_negative")}
	case o.FinalPrice < 0:
		return &FieldError{"final_price", msg.New("record.final_price_negative")}
	case o.FinalPrice == 0 && o.ListPrice == 0:
		return &FieldError{"final_price", msg.New("record.no_price")}
	case o.ListPrice > 0 && o.FinalPrice > o.ListPrice:
		return &FieldError{"final_price", msg.New("record.final_above_list", cells.Yuan(o.FinalPrice), cells.Yuan(o.ListPrice))}
	case o.ListPrice > MaxPrice || o.FinalPrice > MaxPrice || o.CouponAmount > MaxPrice || o.CouponThreshold > MaxPrice:
		return &FieldError{"list_price", msg.New("record.price_implausible", cells.Yuan(MaxPrice))}
	case o.CouponAmount < 0:
		return &FieldError{"coupon_amount", msg.New("record.coupon_negative")}
	case o.CouponThreshold < 0:
		return &FieldError{"coupon_threshold", msg.New("record.threshold_negative")}
	case o.CommissionRate < 0:
		return &FieldError{"commission_rate", msg.New("record.commission_negative")}
	case o.CommissionRate > MaxCommissionRate:
		return &FieldError{"commission_rate", msg.New("record.commission_too_high", Percent(o.CommissionRate))}
	case o.Sales30 < 0:
		return &FieldError{"sales30", msg.New("record.sales30_negative")}
	case o.Sales2h < Unknown:
		return &FieldError{"sales2h", msg.New("record.sales2h_negative")}
	case o.CouponRemain < Unknown:
		return &FieldError{"coupon_remain", msg.New("record.coupon_remain_negative")}
	case o.Sales30 > MaxCounter || o.Sales2h > MaxCounter || o.CouponRemain > MaxCounter:
		return &FieldError{"sales30", msg.New("record.counts_implausible")}
	case it.DSRDesc < 0 || it.DSRDesc > 500 || it.DSRService < 0 || it.DSRService > 500 || it.DSRShip < 0 || it.DSRShip > 500:
		return &FieldError{"dsr", msg.New("record.dsr_range")}
	}
	return nil
}

// FieldError names the field of a record that is wrong and why.
type FieldError struct {
	Field string
	Msg   *msg.Error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg.Error() }

// Unwrap returns the message, for msg.Text.
func (e *FieldError) Unwrap() error { return e.Msg }

// Percent formats basis points as a percentage: 1550 -> "15.50%".
func Percent(bp int64) string { return cells.Yuan(bp) + "%" } // hundredths, as fen are
