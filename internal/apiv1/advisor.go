package apiv1

import (
	"math"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/advisor/extract"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// Item is an item as the library and the rankings list it.
type Item struct {
	Platform   string    `json:"platform"`
	ItemID     string    `json:"item_id"`
	Title      string    `json:"title"`
	Category   string    `json:"category"`
	Brand      string    `json:"brand"`
	ShopName   string    `json:"shop_name"`
	ShopType   string    `json:"shop_type"`
	FinalPrice int64     `json:"final_price_fen"`
	ListPrice  int64     `json:"list_price_fen"`
	Coupon     int64     `json:"coupon_fen"`
	RateBP     int64     `json:"commission_rate_bp"`
	Sales30    int64     `json:"sales30"`
	Sales2h    int64     `json:"sales2h"` // -1: not reported
	ObservedAt time.Time `json:"observed_at"`
	Rank       *int      `json:"rank"`  // rankings only
	Value      *int64    `json:"value"` // what a ranking sorts by
}

// NewItem is the library's row for e.
func NewItem(e *advisor.Entry) Item {
	return Item{Platform: string(e.Platform), ItemID: e.ItemID, Title: e.Title, Category: e.CategoryPath, Brand: e.Brand,
		ShopName: e.ShopName, ShopType: string(e.ShopType), FinalPrice: e.Now.FinalPrice, ListPrice: e.Now.ListPrice,
		Coupon: e.Now.CouponAmount, RateBP: e.Now.CommissionRate, Sales30: e.Now.Sales30, Sales2h: e.Now.Sales2h,
		ObservedAt: Unix(e.Now.At)}
}

// Library is a page of the library.
type Library struct {
	Total int     `json:"total"`
	Items []Item  `json:"items"`
	Next  *string `json:"next"` // the page after this one: ?after=next; null on the last
}

// NewLibrary is the page of rows out of total; next is the cursor of the
// page after it ("": none).
func NewLibrary(rows []*advisor.Entry, total int, next string) Library {
	out := Library{Total: total, Items: []Item{}}
	for _, e := range rows {
		out.Items = append(out.Items, NewItem(e))
	}
	if next != "" {
		out.Next = &next
	}
	return out
}

// Ranking is a ranking's rows.
type Ranking struct {
	Kind  string `json:"kind"`
	Items []Item `json:"items"`
}

// NewRanking is the ranking kind's rows.
func NewRanking(kind advisor.RankKind, rows []advisor.RankRow) Ranking {
	out := Ranking{Kind: string(kind), Items: []Item{}}
	for _, row := range rows {
		it := NewItem(row.Entry)
		rank, value := row.Rank, row.Value
		it.Rank, it.Value = &rank, &value
		out.Items = append(out.Items, it)
	}
	return out
}

// Report is what a check found in a message.
type Report struct {
	Results []Result `json:"results"`
	Message string   `json:"message"` // set when nothing was found
}

// Result is one product reference of a checked message.
type Result struct {
	Ref     Ref    `json:"ref"`
	Status  string `json:"status"` // ok, needs_resolving, not_in_catalog, error
	Message string `json:"message"`
	// MessagePrice is the price the message states for the item (券后29.9).
	MessagePrice *int64 `json:"message_price_fen"`
	Card         *Card  `json:"card"` // when ok
}

// Ref is a product reference as found in the text.
type Ref struct {
	Kind         string `json:"kind"` // url, coupon_url, id, share_code, short_link
	Raw          string `json:"raw"`
	ByteStart    int    `json:"byte_start"` // Raw is text[byte_start:byte_end]
	ByteEnd      int    `json:"byte_end"`
	Platform     string `json:"platform"` // "" while unknown
	ItemID       string `json:"item_id"`  // "" while it needs resolving
	Code         string `json:"code"`
	TaobaoFamily bool   `json:"taobao_family"`
	NeedsResolve bool   `json:"needs_resolve"`
	Wrapped      bool   `json:"wrapped"`
}

func newRef(r extract.Ref) Ref {
	return Ref{Kind: string(r.Kind), Raw: r.Raw, ByteStart: r.Start, ByteEnd: r.End, Platform: string(r.Platform),
		ItemID: r.ItemID, Code: r.Code, TaobaoFamily: r.TaobaoFamily, NeedsResolve: r.NeedsResolve, Wrapped: r.Wrapped}
}

// NewReport is rep as sent, its messages in lang.
func NewReport(rep *advisor.Report, lang i18n.Lang) Report {
	out := Report{Results: []Result{}, Message: text(lang, rep.Message)}
	for _, r := range rep.Results {
		res := Result{Ref: newRef(r.Ref), Status: string(r.Status), Message: text(lang, r.Message)}
		if r.MessagePrice != 0 {
			p := r.MessagePrice
			res.MessagePrice = &p
		}
		if r.Card != nil {
			c := NewCard(r.Card)
			res.Card = &c
		}
		out.Results = append(out.Results, res)
	}
	return out
}

// Card is the advisor's decision card (see docs/scoring.md).
type Card struct {
	Item       CardItem    `json:"item"`
	Now        Observation `json:"now"`
	LowAll     *Low        `json:"low_all_time"` // null: no history
	Low30      *Low        `json:"low_30d"`
	Low90      *Low        `json:"low_90d"`
	Low180     *Low        `json:"low_180d"`
	NormalLow  *Low        `json:"low_outside_promotions"`
	Promos     []PromoLow  `json:"promotions"`
	Typical    int64       `json:"typical_price_fen"`
	InPromo    string      `json:"in_promotion"` // "" outside promotions
	Position   string      `json:"position"`
	RateBP     int64       `json:"commission_rate_bp"`
	EarnFen    int64       `json:"earn_per_order_fen"`
	FeeBP      int64       `json:"service_fee_bp"`
	DaySales   int64       `json:"day_sales"`
	Sales7d    int64       `json:"sales30_7d_ago"` // -1: unknown
	Trend      string      `json:"trend"`
	SalesPctBP int64       `json:"sales_percentile_bp"` // share of the category selling less
	Tmall      bool        `json:"tmall"`
	DSRAvg     [3]int      `json:"category_dsr_avg"` // ×100, as dsr_desc
	Score      int         `json:"score"`
	Reasons    []Reason    `json:"reasons"`
	Subs       []Sub       `json:"substitutes"`
}

// CardItem is the card's item: its descriptive attributes.
type CardItem struct {
	ID         int64  `json:"id"` // Qunke's own
	Platform   string `json:"platform"`
	ItemID     string `json:"item_id"`
	Title      string `json:"title"`
	ShortTitle string `json:"short_title"`
	Category   string `json:"category"`
	Brand      string `json:"brand"`
	ShopID     string `json:"shop_id"`
	ShopName   string `json:"shop_name"`
	ShopType   string `json:"shop_type"`
	DSRDesc    int    `json:"dsr_desc"` // ×100, 0: unknown
	DSRService int    `json:"dsr_service"`
	DSRShip    int    `json:"dsr_ship"`
	ImageURL   string `json:"image_url"`
}

// Observation is one snapshot of an item.
type Observation struct {
	ObservedAt      time.Time  `json:"observed_at"`
	ListPrice       int64      `json:"list_price_fen"`
	Coupon          int64      `json:"coupon_fen"`
	CouponThreshold int64      `json:"coupon_threshold_fen"`
	CouponEnd       *time.Time `json:"coupon_end"`
	FinalPrice      int64      `json:"final_price_fen"`
	RateBP          int64      `json:"commission_rate_bp"`
	CommissionType  string     `json:"commission_type"`
	CouponRemain    int64      `json:"coupon_remain"` // -1: not reported
	Sales30         int64      `json:"sales30"`
	Sales2h         int64      `json:"sales2h"` // -1: not reported
}

var commissionTypes = map[catalog.CommissionType]string{catalog.CommissionUnknown: "unknown",
	catalog.CommissionGeneral: "general", catalog.CommissionTargeted: "targeted",
	catalog.CommissionMarketing: "marketing", catalog.CommissionCampaign: "campaign"}

// NewObservation is o as sent.
func NewObservation(o catalog.Observation) Observation {
	ct, ok := commissionTypes[o.CommissionType]
	if !ok {
		ct = "unknown"
	}
	return Observation{ObservedAt: Unix(o.At), ListPrice: o.ListPrice, Coupon: o.CouponAmount,
		CouponThreshold: o.CouponThreshold, CouponEnd: UnixOrNil(o.CouponEnd), FinalPrice: o.FinalPrice,
		RateBP: o.CommissionRate, CommissionType: ct, CouponRemain: o.CouponRemain, Sales30: o.Sales30, Sales2h: o.Sales2h}
}

// Low is a lowest price and when it was first in effect.
type Low struct {
	Price int64     `json:"price_fen"`
	At    time.Time `json:"at"`
}

func newLow(l advisor.Low) *Low {
	if !l.OK {
		return nil
	}
	return &Low{Price: l.Price, At: Unix(l.At)}
}

// PromoLow is the lowest price during one run of a big promotion.
type PromoLow struct {
	Name  string    `json:"name"`
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	Low   *Low      `json:"low"`
}

// Reason is one of the score's reasons, with its points.
type Reason struct {
	Code   string `json:"code"`
	Points int    `json:"points"`
	ZH     string `json:"zh"`
	EN     string `json:"en"`
}

// Sub is a similar item that may be the better pick.
type Sub struct {
	Platform   string   `json:"platform"`
	ItemID     string   `json:"item_id"`
	Title      string   `json:"title"`
	FinalPrice int64    `json:"final_price_fen"`
	RateBP     int64    `json:"commission_rate_bp"`
	Sales30    int64    `json:"sales30"`
	Similarity float32  `json:"similarity"`
	Better     []string `json:"better"` // cheaper_now, higher_commission, better_sales
}

// NewCard is c as sent.
func NewCard(c *advisor.Card) Card {
	it := c.Item
	out := Card{
		Item: CardItem{ID: it.ID, Platform: string(it.Platform), ItemID: it.ItemID, Title: it.Title, ShortTitle: it.ShortTitle,
			Category: it.CategoryPath, Brand: it.Brand, ShopID: it.ShopID, ShopName: it.ShopName, ShopType: string(it.ShopType),
			DSRDesc: it.DSRDesc, DSRService: it.DSRService, DSRShip: it.DSRShip, ImageURL: it.ImageURL},
		Now: NewObservation(c.Now), LowAll: newLow(c.LowAll), Low30: newLow(c.Low30), Low90: newLow(c.Low90),
		Low180: newLow(c.Low180), NormalLow: newLow(c.NormalLow), Promos: []PromoLow{}, Typical: c.Typical,
		InPromo: c.InPromo, Position: string(c.Position), RateBP: c.RateBP, EarnFen: c.EarnFen, FeeBP: c.FeeBP,
		DaySales: c.DaySales, Sales7d: c.Sales7d, Trend: c.Trend, SalesPctBP: int64(math.Round(c.SalesPct * 10000)), Tmall: c.Tmall,
		Score: c.Score, Reasons: []Reason{}, Subs: []Sub{},
	}
	for k, avg := range c.DSRAvg {
		out.DSRAvg[k] = int(math.Round(avg))
	}
	for _, p := range c.Promos {
		out.Promos = append(out.Promos, PromoLow{Name: p.Name, Label: p.Label, Start: Unix(p.Start), Low: newLow(p.Low)})
	}
	for _, r := range c.Reasons {
		out.Reasons = append(out.Reasons, Reason{Code: r.Code, Points: r.Points, ZH: r.ZH, EN: r.EN})
	}
	for _, s := range c.Substitutes {
		out.Subs = append(out.Subs, Sub{Platform: s.Platform, ItemID: s.ItemID, Title: s.Title, FinalPrice: s.FinalPrice,
			RateBP: s.RateBP, Sales30: s.Sales30, Similarity: s.Similarity, Better: nonNil(s.Better)})
	}
	return out
}

// History is an item's observations in a window, oldest first.
type History struct {
	Platform     string        `json:"platform"`
	ItemID       string        `json:"item_id"`
	Observations []Observation `json:"observations"`
}

// NewHistory is key's observations obs.
func NewHistory(key catalog.Key, obs []catalog.Observation) History {
	out := History{Platform: string(key.Platform), ItemID: key.ItemID, Observations: []Observation{}}
	for _, o := range obs {
		out.Observations = append(out.Observations, NewObservation(o))
	}
	return out
}

// text is err in lang, "" for none.
func text(lang i18n.Lang, err error) string {
	if err == nil {
		return ""
	}
	return msg.In(lang, err)
}
