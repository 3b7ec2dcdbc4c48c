package feed

import (
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/msg"

	"github.com/qunke/qunke/internal/catalog"
)

// conv turns one row of cells into a catalog.Record, collecting the
// problems of that row.
type conv struct {
	file   string
	opt    Options
	header []string
	layout
	excel bool // cells come from a spreadsheet (Excel serial dates allowed)

	// per row
	line  int
	cells []string
	probs []Problem
}

// cell returns the trimmed value of f in the current row, "" when the column
// is missing or the cell means "absent".
func (c *conv) cell(f field) string {
	if f >= nFields {
		return ""
	}
	i := c.col[f]
	if i < 0 || i >= len(c.cells) {
		return ""
	}
	v := strings.TrimSpace(c.cells[i])
	if cells.Absent(v) {
		return ""
	}
	return v
}

// colName is the header name of f's column, "" when there is none.
func (c *conv) colName(f field) string {
	if f >= nFields {
		return ""
	}
	if i := c.col[f]; i >= 0 && i < len(c.header) {
		return c.header[i]
	}
	return ""
}

func (c *conv) fail(f field, value string, reason *msg.Error) {
	c.probs = append(c.probs, Problem{File: c.file, Line: c.line, Column: c.colName(f), Value: cells.Clip(value), Reason: reason})
}

// cellState says whether a numeric cell was absent, good or bad.
type cellState uint8

const (
	cellAbsent cellState = iota
	cellOK
	cellBad
)

func (c *conv) num(f field, parse func(string) (int64, string)) (int64, cellState) {
	v := c.cell(f)
	if v == "" {
		return 0, cellAbsent
	}
	n, why := parse(v)
	if why != "" {
		c.fail(f, v, cells.Reason(why))
		return 0, cellBad
	}
	return n, cellOK
}

func (c *conv) time(f field, endOfDay bool) (int64, cellState) {
	v := c.cell(f)
	if v == "" {
		return 0, cellAbsent
	}
	t, why := parseTime(v, endOfDay, c.excel)
	if why != "" {
		c.fail(f, v, cells.Reason(why))
		return 0, cellBad
	}
	if t == 0 {
		return 0, cellAbsent
	}
	return t, cellOK
}

func (c *conv) score(f field) int {
	v := c.cell(f)
	if v == "" {
		return 0
	}
	n, why := parseScore(v)
	if why != "" {
		c.fail(f, v, cells.Reason(why))
	}
	return n
}

// convert reads the current row. It returns false when the row has problems
// (left in c.probs).
func (c *conv) convert(line int, row []string) (catalog.Record, bool) {
	c.line, c.cells, c.probs = line, row, c.probs[:0]
	var rec catalog.Record
	it, o := &rec.Item, &rec.Obs
	d := c.d

	if v := c.cell(fItemID); v != "" {
		if why := cells.ID(v); why != "" {
			c.fail(fItemID, v, cells.Reason(why))
		} else {
			it.ItemID = v
		}
	}
	it.Title = c.cell(fTitle)
	it.ShortTitle = c.cell(fShortTitle)
	it.Brand = c.cell(fBrand)
	it.ShopID = c.cell(fShopID)
	it.ShopName = c.cell(fShopName)
	it.ImageURL = normURL(c.cell(fImage))
	it.CategoryPath = c.category()
	it.DSRDesc = c.score(fDSRDesc)
	it.DSRService = c.score(fDSRService)
	it.DSRShip = c.score(fDSRShip)

	if v := c.cell(fShopType); v != "" {
		if st, ok := d.shopType(v); ok {
			it.ShopType = st
		} else {
			c.fail(fShopType, v, msg.New("feed.unknown_shop_type", cells.Clip(v)))
		}
	}

	// Platform: the row's own column, else the shop type, else the default.
	platformKnown := true
	if v := c.cell(fPlatform); v != "" {
		if p, ok := parsePlatform(v); ok {
			it.Platform = p
		} else {
			c.fail(fPlatform, v, msg.New("feed.unknown_platform", cells.Clip(v)))
		}
	} else {
		switch it.ShopType {
		case catalog.ShopTmall:
			it.Platform = catalog.Tmall
		case catalog.ShopTaobao:
			it.Platform = catalog.Taobao
		case catalog.ShopJDSelf:
			it.Platform = catalog.JD
		case catalog.ShopPDD:
			it.Platform = catalog.PDD
		default:
			it.Platform, rec.PlatformDefault = c.opt.Platform, true
		}
		platformKnown = it.Platform != ""
	}
	if it.Platform == catalog.Tmall && it.ShopType == catalog.ShopUnknown {
		it.ShopType = catalog.ShopTmall
	}

	// Snapshot time.
	o.At = c.opt.At
	if t, st := c.time(fAt, false); st == cellOK {
		o.At = t
	}

	// Prices.
	list, listSt := c.num(fListPrice, cells.Money)
	listFrom := fListPrice
	if listSt == cellAbsent {
		list, listSt = c.num(fListPriceAlt, cells.Money)
		if c.col[fListPrice] < 0 || listSt != cellAbsent {
			listFrom = fListPriceAlt
		}
	}
	final, finalSt := c.num(fFinalPrice, cells.Money)
	coupon, couponSt := c.num(fCouponAmount, cells.Money)
	threshold, thresholdSt := c.num(fCouponThreshold, cells.Money)
	if v := c.cell(fCouponText); v != "" && (thresholdSt == cellAbsent || couponSt == cellAbsent) {
		t, hasT, a, hasA := couponText(v)
		if thresholdSt == cellAbsent && hasT {
			threshold = t
		}
		if couponSt == cellAbsent && hasA {
			coupon = a
		}
	}
	couponEnd, _ := c.time(fCouponEnd, true)

	// Commission.
	var rate int64
	if d.rate == rateBP {
		rate, _ = c.num(fCommissionRate, cells.BasisPoints)
	} else {
		rate, _ = c.num(fCommissionRate, cells.Percent)
	}
	o.CommissionRate = rate
	if v := c.cell(fCommissionType); v != "" {
		if ct, ok := d.commissionType(v); ok {
			o.CommissionType = ct
		} else if d.strictCommission {
			c.fail(fCommissionType, v, msg.New("feed.unknown_commission_type", cells.Clip(v)))
		}
	}

	// Counters.
	o.Sales30, _ = c.num(fSales30, cells.Count)
	if n, st := c.num(fSales2h, cells.Count); st == cellOK {
		o.Sales2h = n
	} else {
		o.Sales2h = catalog.Unknown
	}
	o.CouponRemain = catalog.Unknown
	if n, st := c.num(fCouponRemain, cells.Count); st == cellOK {
		o.CouponRemain = n
	} else if st == cellAbsent {
		total, st1 := c.num(fCouponTotal, cells.Count)
		got, st2 := c.num(fCouponReceived, cells.Count)
		if st1 == cellOK && st2 == cellOK {
			o.CouponRemain = max(total-got, 0)
		}
	}

	if len(c.probs) > 0 {
		return rec, false
	}
	if !platformKnown {
		c.probs = append(c.probs, Problem{File: c.file, Line: c.line, Reason: msg.New("feed.no_platform")})
		return rec, false
	}

	// A coupon's conditions mean nothing without the coupon.
	if coupon > 0 {
		o.CouponAmount = coupon
		o.CouponThreshold = threshold
		o.CouponEnd = couponEnd
	}
	hasList, hasFinal := listSt == cellOK, finalSt == cellOK
	switch {
	case hasList && !hasFinal:
		final = list
		if coupon > 0 && list >= threshold {
			final = list - coupon
		}
	case hasFinal && !hasList:
		list = final
		if coupon > 0 && final+coupon >= threshold {
			list = final + coupon
		}
	}
	o.ListPrice, o.FinalPrice = list, final

	if fe := rec.Check(); fe != nil {
		f := c.checkField(fe.Field, &rec, hasFinal, hasList, listFrom)
		c.probs = append(c.probs, Problem{File: c.file, Line: c.line, Column: c.colName(f), Value: cells.Clip(c.cell(f)), Reason: fe.Msg})
		return rec, false
	}
	return rec, true
}

// category builds the category path from a name column or a top-level id.
func (c *conv) category() string {
	name := normPath(c.cell(fCategory))
	if sub := normPath(c.cell(fCategory2)); sub != "" {
		switch {
		case name == "":
			name = sub
		case name != sub && !strings.HasSuffix(name, "/"+sub):
			name += "/" + sub
		}
	}
	if name != "" {
		return name
	}
	v := c.cell(fCategoryID)
	if v == "" {
		return ""
	}
	if n, err := strconv.Atoi(v); err == nil {
		return c.d.categories[n] // "" for ids we do not know
	}
	return normPath(v) // a name where an id was expected: keep it
}

// checkField maps a catalog.FieldError field back to the column to blame.
func (c *conv) checkField(name string, rec *catalog.Record, hasFinal, hasList bool, listFrom field) field {
	o, it := &rec.Obs, &rec.Item
	pick := func(fs ...field) field {
		for _, f := range fs {
			if c.col[f] >= 0 {
				return f
			}
		}
		return fs[0]
	}
	switch name {
	case "item_id":
		return fItemID
	case "platform":
		return fPlatform
	case "at":
		return fAt
	case "list_price":
		if hasList {
			return listFrom
		}
		return pick(fFinalPrice, listFrom)
	case "final_price":
		switch {
		case hasFinal:
			return fFinalPrice
		case o.CouponAmount > 0 && hasList:
			return fCouponAmount
		}
		return pick(fFinalPrice, listFrom)
	case "coupon_amount":
		return fCouponAmount
	case "coupon_threshold":
		return pick(fCouponThreshold, fCouponText)
	case "commission_rate":
		return fCommissionRate
	case "sales30":
		return fSales30
	case "sales2h":
		if o.Sales2h < catalog.Unknown {
			return fSales2h
		}
		return pick(fCouponRemain, fCouponReceived)
	case "dsr":
		for _, x := range []struct {
			f field
			v int
		}{{fDSRDesc, it.DSRDesc}, {fDSRService, it.DSRService}, {fDSRShip, it.DSRShip}} {
			if x.v < 0 || x.v > 500 {
				return x.f
			}
		}
		return fDSRDesc
	}
	return nFields // unknown field: whole-row problem
}
