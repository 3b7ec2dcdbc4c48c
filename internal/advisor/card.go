package advisor

import (
	"context"
	"time"

	"github.com/qunke/qunke/internal/catalog"
)

// Position says where today's price stands against the item's history.
type Position string

const (
	HistoricLow Position = "historic_low" // 史低: at or below every earlier price (outside promotions, unless today is one)
	NearLow     Position = "near_low"     // 接近史低: within 5% of it
	Normal      Position = "normal"       // 常价
	AboveNormal Position = "above_normal" // 高于常价: above the usual price of the last 90 days
)

// PromoLow is an item's lowest price during one run of a big promotion.
type PromoLow struct {
	Name  string // "618", "double11", "spring"
	Label string // "618", "双11", "年货节"
	Start int64
	Low   Low
}

// Substitute is a similar item that may be the better pick.
type Substitute struct {
	Entry      *Entry
	Platform   string
	ItemID     string
	Title      string
	FinalPrice int64
	RateBP     int64
	Sales30    int64
	Similarity float32
	Better     []string // "cheaper_now", "higher_commission", "better_sales"
}

// Card is the advisor's judgement of one item.
type Card struct {
	Item     catalog.StoredItem
	Now      catalog.Observation
	Observed time.Time

	LowAll    Low
	Low30     Low
	Low90     Low
	Low180    Low
	NormalLow Low // the lowest on a normal day, all time
	Promos    []PromoLow
	Typical   int64  // time-weighted median outside promotions, last 90 days
	InPromo   string // the promotion running now, if any
	Position  Position

	RateBP   int64
	EarnFen  int64 // final price x rate, less the platform's service fee
	FeeBP    int64
	DaySales int64
	Sales7d  int64   // 30-day sales a week ago, -1 unknown
	Trend    string  // "rising", "falling", "flat", "unknown"
	SalesPct float64 // share of the category selling less

	Tmall  bool
	DSRAvg [3]float64

	Score       int
	Reasons     []Reason
	Substitutes []Substitute
	History     []catalog.Observation
}

// nearLowBP is how close to the low counts as "near" (5%).
const nearLowBP = 500

// card builds the card of one item from its whole history (oldest first).
// tr, when not nil, receives the substitutes' cost.
func (a *Advisor) card(ctx context.Context, it catalog.StoredItem, obs []catalog.Observation, tr *CardTrace) (*Card, error) {
	now := obs[len(obs)-1]
	first := obs[0].At
	c := &Card{Item: it, Now: now, Observed: now.Time(), History: obs, RateBP: now.CommissionRate, FeeBP: a.feeBP}
	promos := promoSpans(first, now.At)
	c.LowAll = lowIn(obs, first, now.At)
	c.Low30 = lowIn(obs, now.At-30*day, now.At)
	c.Low90 = lowIn(obs, now.At-90*day, now.At)
	c.Low180 = lowIn(obs, now.At-180*day, now.At)
	c.NormalLow = lowOutside(obs, first, now.At, promos)
	for _, p := range catalog.Promotions(first, now.At+1) {
		l := lowIn(obs, max(first, p.Start.Unix()), min(now.At, p.End.Unix()-1))
		if l.OK {
			c.Promos = append(c.Promos, PromoLow{Name: p.Name, Label: p.Label, Start: p.Start.Unix(), Low: l})
		}
	}
	if p, ok := catalog.PromotionAt(now.At); ok {
		c.InPromo = p.Label
	}
	typical, hasTypical := typicalPrice(obs, now.At-90*day, now.At, promos)
	c.Typical = typical
	// "The lowest price" on a normal day means beating normal days; during a
	// promotion it means beating everything.
	ref := c.NormalLow
	if c.InPromo != "" || !ref.OK {
		ref = c.LowAll
	}
	switch {
	case now.FinalPrice <= ref.Price:
		c.Position = HistoricLow
	case now.FinalPrice*10000 <= ref.Price*(10000+nearLowBP):
		c.Position = NearLow
	case hasTypical && now.FinalPrice > typical:
		c.Position = AboveNormal
	default:
		c.Position = Normal
	}
	c.EarnFen = earn(now.FinalPrice, now.CommissionRate, a.feeBP)
	c.DaySales, c.Sales7d, c.Trend = -1, -1, "unknown"
	if o, ok := catalog.At(obs, now.At-day); ok {
		c.DaySales = now.Sales30 - o.Sales30
	}
	if o, ok := catalog.At(obs, now.At-7*day); ok {
		c.Sales7d = o.Sales30
		switch {
		case now.Sales30*10 > o.Sales30*11:
			c.Trend = "rising"
		case now.Sales30*10 < o.Sales30*9:
			c.Trend = "falling"
		default:
			c.Trend = "flat"
		}
	}
	c.Tmall = it.Platform == catalog.Tmall || it.ShopType == catalog.ShopTmall || it.ShopType == catalog.ShopFlagship || it.ShopType == catalog.ShopJDSelf
	sh, err := a.idx.shard(ctx, it.CategoryPath)
	if err != nil {
		return nil, err
	}
	c.DSRAvg = sh.dsrAvg
	c.SalesPct = sh.percentile(now.Sales30)
	if tr != nil {
		done := tr.begin(&tr.Substitutes)
		c.Substitutes = a.substitutes(sh, it, now)
		done()
		tr.Category = sh.sim.Len()
	} else {
		c.Substitutes = a.substitutes(sh, it, now)
	}
	c.Score, c.Reasons = score(c)
	return c, nil
}

// earn is the commission one order earns: final price x rate, less the
// platform's service fee on it. Integer fen, rounded down.
func earn(finalFen, rateBP, feeBP int64) int64 {
	return finalFen * rateBP * (10000 - feeBP) / 1e8
}

// maxSubstitutes is how many similar items a card offers.
const maxSubstitutes = 10

// substitutes returns the items most like it in its category within a
// comparable price band (half to double its price), each marked with how it
// is better.
func (a *Advisor) substitutes(sh *shard, it catalog.StoredItem, now catalog.Observation) []Substitute {
	self := int32(sh.find(it.ID))
	lo, hi := now.FinalPrice/2, now.FinalPrice*2
	keep := func(i int32) bool {
		p := sh.row(i).final
		return p >= lo && p <= hi
	}
	matches := sh.sim.Similar(it.Title, nil, keep, self, maxSubstitutes)
	var out []Substitute // nil when there are none, as before
	if len(matches) > 0 {
		out = make([]Substitute, 0, len(matches))
	}
	for _, m := range matches {
		e := sh.entry(m.ID)
		s := Substitute{Entry: e, Platform: string(e.Platform), ItemID: e.ItemID, Title: e.Title,
			FinalPrice: e.Now.FinalPrice, RateBP: e.Now.CommissionRate, Sales30: e.Now.Sales30, Similarity: m.Score}
		if e.Now.FinalPrice < now.FinalPrice {
			s.Better = append(s.Better, "cheaper_now")
		}
		if e.Now.CommissionRate > now.CommissionRate {
			s.Better = append(s.Better, "higher_commission")
		}
		if e.Now.Sales30 > now.Sales30 {
			s.Better = append(s.Better, "better_sales")
		}
		out = append(out, s)
	}
	return out
}
