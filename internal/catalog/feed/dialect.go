package feed

import (
	"strings"

	"github.com/qunke/qunke/internal/cells"

	"github.com/qunke/qunke/internal/catalog"
)

// field is a feed column's meaning, independent of what the file calls it.
type field uint8

const (
	fPlatform field = iota
	fItemID
	fTitle
	fShortTitle
	fCategory   // category name or "a/b" path
	fCategory2  // second-level name appended to fCategory (alimama category_name)
	fCategoryID // numeric top-level category id, mapped through the dialect's table
	fBrand
	fShopID
	fShopName
	fShopType
	fDSRDesc
	fDSRService
	fDSRShip
	fImage
	fAt
	fListPrice
	fListPriceAlt // alimama reserve_price: list price only when zk_final_price is absent
	fCouponAmount
	fCouponThreshold
	fCouponText // "满99元减10元": threshold (and amount) when no dedicated column says
	fCouponEnd
	fCouponTotal    // dataoke/haodanku: remaining = total - received
	fCouponReceived //
	fCouponRemain
	fFinalPrice
	fCommissionRate
	fCommissionType
	fSales30
	fSales2h
	nFields
)

// rateUnit says how a dialect writes commission rates.
type rateUnit uint8

const (
	ratePercent rateUnit = iota // "30.5" = 30.5%
	rateBP                      // "1550" = 15.50%
)

// dialect describes one feed family: which header names mean which field
// (aliases in priority order, lower case) and how its codes read.
type dialect struct {
	name       string
	cols       [nFields][]string
	rate       rateUnit
	categories map[int]string
	// shopType and commissionType decode the dialect's codes; they fall back to
	// the generic names.
	shopType       func(string) (catalog.ShopType, bool)
	commissionType func(string) (catalog.CommissionType, bool)
	// strictCommission makes an unrecognised commission type a Problem;
	// third-party feeds invent labels, so for them it is just unknown.
	strictCommission bool
}

// Columns every dialect understands.
var commonCols = map[field][]string{
	fAt:       {"at", "snapshot_time", "采集时间", "快照时间"},
	fPlatform: {"platform"},
}

func newDialect(d dialect) *dialect {
	for f, names := range commonCols {
		if d.cols[f] == nil {
			d.cols[f] = names
		}
	}
	return &d
}

var dataoke = newDialect(dialect{
	name: "dataoke",
	cols: [nFields][]string{
		fItemID:          {"goodsId"},
		fTitle:           {"title"},
		fShortTitle:      {"dtitle"},
		fCategory:        {"categoryname", "cname"},
		fCategoryID:      {"cid"},
		fBrand:           {"brandname"},
		fShopID:          {"sellerid"},
		fShopName:        {"shopname"},
		fShopType:        {"shoptype"},
		fDSRDesc:         {"descscore", "dsrscore"},
		fDSRService:      {"servicescore"},
		fDSRShip:         {"shipscore"},
		fImage:           {"mainpic"},
		fListPrice:       {"originalPrice"},
		fCouponAmount:    {"couponprice"},
		fCouponThreshold: {"couponconditions"},
		fCouponEnd:       {"couponendtime"},
		fCouponTotal:     {"coupontotalnum"},
		fCouponReceived:  {"couponreceivenum"},
		fFinalPrice:      {"actualPrice"},
		fCommissionRate:  {"commissionrate"},
		fCommissionType:  {"commissiontype"},
		fSales30:         {"monthsales"},
		fSales2h:         {"twohourssales"},
	},
	rate: ratePercent,
	categories: map[int]string{
		1: "女装", 2: "母婴", 3: "美妆", 4: "居家日用", 5: "鞋品", 6: "美食", 7: "文娱车品",
		8: "数码家电", 9: "男装", 10: "内衣", 11: "箱包", 12: "配饰", 13: "户外运动", 14: "家装家纺",
	},
	shopType: func(s string) (catalog.ShopType, bool) {
		switch s {
		case "1":
			return catalog.ShopTmall, true
		case "0":
			return catalog.ShopTaobao, true
		}
		return genericShopType(s)
	},
	// 大淘客: 0 通用 1 定向 2 高佣 3 营销. 高佣 plans are run through 鹊桥
	// campaigns, so they count as CommissionCampaign.
	commissionType: func(s string) (catalog.CommissionType, bool) {
		switch s {
		case "0":
			return catalog.CommissionGeneral, true
		case "1":
			return catalog.CommissionTargeted, true
		case "2":
			return catalog.CommissionCampaign, true
		case "3":
			return catalog.CommissionMarketing, true
		}
		return genericCommissionType(s)
	},
})

var haodanku = newDialect(dialect{
	name: "haodanku",
	cols: [nFields][]string{
		fItemID:          {"itemid"},
		fTitle:           {"itemtitle"},
		fShortTitle:      {"itemshorttitle"},
		fCategoryID:      {"fqcat"},
		fBrand:           {"brand_name", "brandname"},
		fShopID:          {"sellerid"},
		fShopName:        {"shopname"},
		fShopType:        {"shoptype"},
		fDSRDesc:         {"desc_score"},
		fDSRService:      {"service_score"},
		fDSRShip:         {"ship_score"},
		fImage:           {"itempic"},
		fListPrice:       {"itemprice"},
		fCouponAmount:    {"couponmoney"},
		fCouponThreshold: {"couponstartfee"},
		fCouponText:      {"couponexplain"},
		fCouponEnd:       {"couponendtime"},
		fCouponTotal:     {"couponnum"},
		fCouponReceived:  {"couponreceive"},
		fCouponRemain:    {"couponsurplus"},
		fFinalPrice:      {"itemendprice"},
		fCommissionRate:  {"tkrates"},
		fCommissionType:  {"tktype"},
		fSales30:         {"itemsale"},
		fSales2h:         {"itemsale2"},
	},
	rate: ratePercent,
	categories: map[int]string{
		1: "女装", 2: "男装", 3: "内衣", 4: "美妆", 5: "配饰", 6: "鞋品", 7: "箱包", 8: "儿童",
		9: "母婴", 10: "居家", 11: "美食", 12: "数码", 13: "家电", 14: "其他", 15: "车品", 16: "文体",
	},
	shopType: func(s string) (catalog.ShopType, bool) {
		switch s {
		case "B", "b":
			return catalog.ShopTmall, true
		case "C", "c":
			return catalog.ShopTaobao, true
		}
		return genericShopType(s)
	},
	commissionType: genericCommissionType,
})

var alimama = newDialect(dialect{
	name: "alimama",
	cols: [nFields][]string{
		fItemID:          {"item_id", "num_iid"},
		fTitle:           {"title"},
		fShortTitle:      {"short_title"},
		fCategory:        {"level_one_category_name"},
		fCategory2:       {"category_name"},
		fBrand:           {"brand_name"},
		fShopID:          {"seller_id"},
		fShopName:        {"shop_title"},
		fShopType:        {"user_type"},
		fImage:           {"pict_url"},
		fListPrice:       {"zk_final_price"},
		fListPriceAlt:    {"reserve_price"},
		fCouponAmount:    {"coupon_amount"},
		fCouponThreshold: {"coupon_start_fee"},
		fCouponText:      {"coupon_info"},
		fCouponEnd:       {"coupon_end_time"},
		fCouponRemain:    {"coupon_remain_count"},
		fCommissionRate:  {"commission_rate"},
		fSales30:         {"volume"},
	},
	rate: rateBP,
	shopType: func(s string) (catalog.ShopType, bool) {
		switch s {
		case "0", "3": // 3 = 淘宝特价版 shops, sold as taobao
			return catalog.ShopTaobao, true
		case "1":
			return catalog.ShopTmall, true
		}
		return genericShopType(s)
	},
	commissionType: genericCommissionType,
})

// zh reads the Chinese headers of the spreadsheets dataoke, haodanku and
// Alimama's product library export (商品ID, 券后价, 佣金比例, …), and what a
// person would write by hand. Rates are percents; shop types are written
// out (天猫/淘宝) or dataoke's 1/0, haodanku's B/C.
var zh = newDialect(dialect{
	name: "chinese",
	cols: [nFields][]string{
		fPlatform:        {"平台", "platform"},
		fItemID:          {"商品ID", "宝贝ID", "淘宝商品ID", "商品编号"},
		fTitle:           {"商品标题", "商品名称", "宝贝标题", "标题"},
		fShortTitle:      {"短标题", "商品短标题"},
		fCategory:        {"类目", "商品类目", "一级类目", "商品一级类目", "分类"},
		fBrand:           {"品牌", "品牌名称"},
		fShopID:          {"店铺ID", "卖家ID"},
		fShopName:        {"店铺名称", "店铺名", "店铺"},
		fShopType:        {"店铺类型", "平台类型"},
		fDSRDesc:         {"描述评分", "宝贝描述评分"},
		fDSRService:      {"服务评分", "卖家服务评分"},
		fDSRShip:         {"物流评分", "物流服务评分"},
		fImage:           {"主图", "商品主图", "主图链接", "图片"},
		fListPrice:       {"原价", "商品原价", "在售价", "商品价格", "价格"},
		fCouponAmount:    {"优惠券金额", "券金额", "券额", "券面额", "优惠券"},
		fCouponThreshold: {"券门槛", "优惠券门槛", "使用门槛"},
		fCouponText:      {"优惠券面额", "券使用条件", "优惠券使用条件", "优惠券信息"},
		fCouponEnd:       {"优惠券结束时间", "券结束时间", "券截止时间", "优惠券到期时间"},
		fCouponTotal:     {"优惠券总量", "券总量"},
		fCouponReceived:  {"优惠券领取量", "已领券数", "领券量"},
		fCouponRemain:    {"优惠券剩余量", "券剩余量", "剩余券数"},
		fFinalPrice:      {"券后价", "到手价", "券后价格"},
		fCommissionRate:  {"佣金比例", "佣金比率", "收入比率", "佣金率"},
		fCommissionType:  {"佣金类型", "计划类型"},
		fSales30:         {"月销量", "30天销量", "商品月销量", "销量"},
		fSales2h:         {"2小时销量", "两小时销量"},
	},
	rate: ratePercent,
	shopType: func(s string) (catalog.ShopType, bool) {
		switch s {
		case "1":
			return catalog.ShopTmall, true
		case "0":
			return catalog.ShopTaobao, true
		}
		return genericShopType(s)
	},
	commissionType: genericCommissionType,
})

var qunke = newDialect(dialect{
	name: "qunke",
	cols: [nFields][]string{
		fItemID:          {"item_id"},
		fTitle:           {"title"},
		fShortTitle:      {"short_title"},
		fCategory:        {"category"},
		fBrand:           {"brand"},
		fShopID:          {"shop_id"},
		fShopName:        {"shop_name"},
		fShopType:        {"shop_type"},
		fDSRDesc:         {"dsr_desc"},
		fDSRService:      {"dsr_service"},
		fDSRShip:         {"dsr_ship"},
		fImage:           {"image_url"},
		fListPrice:       {"list_price"},
		fCouponAmount:    {"coupon_amount"},
		fCouponThreshold: {"coupon_threshold"},
		fCouponEnd:       {"coupon_end"},
		fCouponRemain:    {"coupon_remain"},
		fFinalPrice:      {"final_price"},
		fCommissionRate:  {"commission_rate"},
		fCommissionType:  {"commission_type"},
		fSales30:         {"sales30"},
		fSales2h:         {"sales2h"},
	},
	rate:             ratePercent,
	shopType:         genericShopType,
	commissionType:   genericCommissionType,
	strictCommission: true,
})

var dialects = []*dialect{zh, dataoke, haodanku, alimama, qunke}

// genericShopType accepts Qunke's shop type names and common aliases.
func genericShopType(s string) (catalog.ShopType, bool) {
	switch strings.ToLower(s) {
	case "taobao", "c", "淘宝", "c店", "集市":
		return catalog.ShopTaobao, true
	case "tmall", "b", "天猫", "b店":
		return catalog.ShopTmall, true
	case "flagship", "旗舰店":
		return catalog.ShopFlagship, true
	case "jd_self", "京东自营", "自营":
		return catalog.ShopJDSelf, true
	case "pdd", "拼多多":
		return catalog.ShopPDD, true
	}
	return "", false
}

// genericCommissionType accepts codes 0-4 and the Chinese/English names,
// with or without a trailing 计划.
func genericCommissionType(s string) (catalog.CommissionType, bool) {
	s = strings.ToLower(strings.TrimSuffix(s, "计划"))
	switch s {
	case "高佣":
		return catalog.CommissionCampaign, true
	}
	return catalog.ParseCommissionType(s)
}

// parsePlatform is catalog.ParsePlatform, case-insensitive.
func parsePlatform(s string) (catalog.Platform, bool) {
	if p, ok := catalog.ParsePlatform(s); ok {
		return p, true
	}
	return catalog.ParsePlatform(strings.ToLower(s))
}

// layout maps the fields of a dialect to column indexes of one header.
type layout struct {
	d   *dialect
	col [nFields]int // -1 = no such column
	n   int          // columns recognised
}

// resolve maps header to d's fields. Header names compare case-insensitively.
func resolve(d *dialect, header []string) layout {
	idx := make(map[string]int, len(header))
	for i, h := range header {
		k := headerKey(h)
		if _, dup := idx[k]; !dup {
			idx[k] = i
		}
	}
	l := layout{d: d}
	for f := range l.col {
		l.col[f] = -1
		for _, name := range d.cols[f] {
			if i, ok := idx[strings.ToLower(name)]; ok {
				l.col[f] = i
				l.n++
				break
			}
		}
	}
	return l
}

// headerKey is how a header cell is compared: lower case, without a unit
// in brackets ("原价(元)", "佣金比例（%）", "商品价格(单位：元)").
func headerKey(h string) string {
	k := strings.ToLower(strings.TrimSpace(h))
	for _, open := range []string{"(", "（"} {
		if i := strings.LastIndex(k, open); i > 0 {
			unit := strings.TrimRight(k[i+len(open):], ")）")
			unit = strings.TrimPrefix(strings.TrimPrefix(unit, "单位："), "单位:")
			if unit == "元" || unit == "%" || unit == "件" {
				k = strings.TrimSpace(k[:i])
			}
		}
	}
	return k
}

// usable says whether the header has the dialect's key columns: an item id
// and some price.
func (l *layout) usable() bool {
	return l.col[fItemID] >= 0 &&
		(l.col[fFinalPrice] >= 0 || l.col[fListPrice] >= 0 || l.col[fListPriceAlt] >= 0)
}

// detect picks the dialect whose key columns are present, preferring the one
// that recognises the most columns. When two dialects tie for the most,
// tie names the other one and the header is ambiguous.
func detect(header []string) (best layout, found bool, tie *dialect) {
	for _, d := range dialects {
		l := resolve(d, header)
		switch {
		case !l.usable():
		case !found || l.n > best.n:
			best, found, tie = l, true, nil
		case l.n == best.n && tie == nil:
			tie = d
		}
	}
	return best, found, tie
}

// headerSummary lists header cells for the unrecognised-header error.
func headerSummary(header []string) string {
	var names []string
	for _, h := range header {
		if h = strings.TrimSpace(h); h != "" {
			names = append(names, cells.Clip(h))
		}
		if len(names) == 40 {
			names = append(names, "…")
			break
		}
	}
	if len(names) == 0 {
		return "(空 empty)"
	}
	return strings.Join(names, ", ")
}

// dialectNames are how the messages name the dialects.
var dialectNames = map[string]string{"chinese": "中文表头 Chinese", "dataoke": "大淘客 dataoke", "haodanku": "好单库 haodanku", "alimama": "阿里妈妈 alimama", "qunke": "Qunke"}

// expectedColumns says, for the unrecognised-header error, which columns a
// file needs, as people write them: the Chinese headers first.
func expectedColumns() string {
	var parts []string
	for _, d := range dialects {
		var prices []string
		for _, f := range []field{fFinalPrice, fListPrice, fListPriceAlt} {
			if len(d.cols[f]) > 0 {
				prices = append(prices, d.cols[f][0])
			}
		}
		parts = append(parts, dialectNames[d.name]+": "+strings.Join(d.cols[fItemID][:min(2, len(d.cols[fItemID]))], " / ")+" + "+strings.Join(prices, " / "))
	}
	return strings.Join(parts, "; ")
}
