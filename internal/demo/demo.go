// Package demo generates a deterministic synthetic Taoke market: items across
// twenty categories on Taobao, Tmall, JD and PDD, observed at regular
// snapshots with list prices, coupons, commissions and sales that move the way
// the real market does — mostly steady prices, coupons that come and go,
// deep discounts around 618, Double 11 and the Spring Festival sale, sales
// that follow price, the odd viral hit and the odd dead listing.
//
// Everything about item i follows from (Seed, i) alone, so an item's history
// can be generated on its own (History) or together with every other item in
// time order (Snapshots), with identical results. Generation does not
// allocate per observation and never holds all observations in memory.
package demo

import (
	"math"
	"slices"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/shanghai"
)

// Config describes a market.
type Config struct {
	Seed      uint64
	Items     int
	Snapshots int           // snapshots per item
	Interval  time.Duration // between snapshots (default 24h)
	End       time.Time     // time of the last snapshot
}

// Defaults applied by New to zero fields.
const (
	DefaultItems     = 1000
	DefaultSnapshots = 90
	DefaultInterval  = 24 * time.Hour
)

// DefaultEnd is used when Config.End is zero: 10:00 on 1 December 2025,
// Asia/Shanghai, so a default market has seen 618 and Double 11.
var DefaultEnd = time.Date(2025, 12, 1, 10, 0, 0, 0, shanghai.Zone)

// Market generates the synthetic market described by a Config.
type Market struct {
	cfg  Config
	seed uint64
	dt   float64 // interval in days
	ctx  []snapCtx

	shops      []shop
	sample     int   // the item given SampleJDItem (-1: none)
	brandStart []int // first global brand index of each top category

	// Per-step constants derived from the interval.
	tViral, tDie, tList, tRate, tType, tFlash, tSwitch uint64 // cumulative thresholds of the rare events
	tNewCoupon, tRevert                                uint64
	popRev, popNoise                                   float64
	boostKeep, deadKeep                                float64
	s30Keep, s30Fill                                   float64
	flashSteps                                         uint8
}

// snapCtx is what every item shares at one snapshot.
type snapCtx struct {
	at       int64
	promoEnd int64      // end of the running promotion, 0 if none
	promo    int16      // running promotion (index into the market's list), -1 if none
	next     int16      // promotion starting within the pre-sale window, -1 if none
	phase    uint8      // 0 none, 1 ordinary promotion day, 2 opening days, 3 run-up to and peak day
	partP    uint64     // threshold: an item takes part in the running or next promotion
	salesMul float32    // demand multiplier for items taking part
	spill    float32    // demand multiplier for the others
	hourMul  float32    // share of a day's sales in the two hours before at, times 12
	season   [4]float32 // demand multiplier by leaf season
}

// Rare events per day; each snapshot draws at most one of them per item.
const (
	rateViral      = 0.0005 // an item goes viral
	rateDie        = 0.0003 // a listing dies: sales fade, no more coupons
	rateListChange = 1.0 / 25
	rateCommission = 1.0 / 100
	rateCommType   = 1.0 / 600
	rateFlash      = 1.0 / 220 // a one-day flash sale outside the big promotions
	rateSwitch     = 1.0 / 40  // the shop swaps its coupon for another
	rateNewCoupon  = 1.0 / 4   // a coupon appears on an item without one
	rateRevert     = 1.0 / 5   // a pre-promotion price rise is taken back
	preSaleDays    = 10        // prices may rise this many days before a promotion
	renewChance    = 0.6       // an expiring coupon is renewed as it was
)

// diurnal is the relative sales rate in the two hours ending at each hour of
// the day (Asia/Shanghai): quiet nights, busy evenings.
var diurnal = [24]float64{1.3, 0.9, 0.5, 0.3, 0.2, 0.15, 0.2, 0.35, 0.6, 0.85, 1.05, 1.15,
	1.2, 1.2, 1.1, 1.05, 1.05, 1.05, 1.1, 1.25, 1.45, 1.65, 1.75, 1.6}

// New returns the market for cfg, filling zero fields with defaults.
func New(cfg Config) *Market {
	if cfg.Items <= 0 {
		cfg.Items = DefaultItems
	}
	if cfg.Snapshots <= 0 {
		cfg.Snapshots = DefaultSnapshots
	}
	if cfg.Interval < time.Second {
		cfg.Interval = DefaultInterval
	}
	if cfg.End.IsZero() {
		cfg.End = DefaultEnd
	}
	iv := int64(cfg.Interval / time.Second)
	m := &Market{cfg: cfg, seed: mix64(cfg.Seed ^ 0x7a0b_6e1d_c0de_5eed), dt: float64(iv) / 86400}
	dt := m.dt
	p := func(rate float64) float64 { return 1 - math.Exp(-rate*dt) }
	cum := 0.0
	next := func(rate float64) uint64 { cum += p(rate); return chance(math.Min(cum, 0.99)) }
	m.tViral = next(rateViral)
	m.tDie = next(rateDie)
	m.tList = next(rateListChange)
	m.tRate = next(rateCommission)
	m.tType = next(rateCommType)
	m.tFlash = next(rateFlash)
	m.tSwitch = next(rateSwitch)
	m.tNewCoupon = chance(p(rateNewCoupon))
	m.tRevert = chance(p(rateRevert))
	m.popRev = p(1.0 / 60)            // popularity drifts back to normal over two months
	m.popNoise = 0.12 * math.Sqrt(dt) // and wanders meanwhile
	m.boostKeep = math.Exp(-dt / 12)  // a viral boost fades over a couple of weeks
	m.deadKeep = math.Exp(-dt / 5)    // a dead listing's demand fades within days
	m.s30Keep = math.Exp(-dt / 30)    // Sales30 is a rolling 30-day sum
	m.s30Fill = 30 * (1 - m.s30Keep)  // of the daily rate
	m.flashSteps = uint8(min(max(math.Round(1/dt), 1), 255))

	// Snapshot contexts.
	n := cfg.Snapshots
	end := cfg.End.Unix()
	first := end - int64(n-1)*iv
	promos := catalog.Promotions(first, end+preSaleDays*86400+1)
	m.ctx = make([]snapCtx, n)
	mean := 0.0
	for _, d := range diurnal {
		mean += d
	}
	mean /= 24
	for s := range m.ctx {
		at := first + int64(s)*iv
		c := &m.ctx[s]
		*c = snapCtx{at: at, promo: -1, next: -1, salesMul: 1, spill: 1}
		day := shanghai.Day(at)
		// Seasonal goods: summer demand peaks mid-July, winter demand mid-January.
		doy := float64(time.Unix(at, 0).In(shanghai.Zone).YearDay())
		c.season = [4]float32{1,
			float32(1 + 0.7*math.Cos(2*math.Pi*(doy-196)/365)),
			float32(1 + 0.7*math.Cos(2*math.Pi*(doy-15)/365)),
			1}
		c.hourMul = float32(diurnal[(at+shanghai.Offset-day*86400)/3600] / mean)
		if pr, ok := catalog.PromotionAt(at); ok {
			k := slices.IndexFunc(promos, func(q catalog.Promotion) bool { return q.Start.Equal(pr.Start) })
			c.promo, c.promoEnd = int16(k), pr.End.Unix()
			c.partP = chance(participation(pr.Name))
			peak, first := shanghai.Day(pr.Peak.Unix()), shanghai.Day(pr.Start.Unix())
			switch {
			case day == peak:
				c.phase, c.salesMul = 3, 6
			case day >= peak-2 && day < peak:
				c.phase, c.salesMul = 3, 3.5
			case day < first+3:
				c.phase, c.salesMul = 2, 2.2
			default:
				c.phase, c.salesMul = 1, 1.4
			}
			c.spill = 1 + (c.salesMul-1)/4
			if pr.Name == catalog.PromoSpring {
				c.season[seasonNewYear] = 1.8 // 年货: nuts, gift boxes, liquor, tea
			}
			continue
		}
		for k, pr := range promos {
			if start := pr.Start.Unix(); at < start && start-at <= preSaleDays*86400 {
				c.next = int16(k)
				c.partP = chance(participation(pr.Name))
				c.salesMul, c.spill = 0.85, 0.85 // shoppers wait for the sale
				break
			}
		}
	}
	m.buildShops()
	m.sample = m.sampleIndex()
	return m
}

func participation(name string) float64 {
	switch name {
	case catalog.PromoDouble11:
		return 0.85
	case catalog.Promo618:
		return 0.7
	}
	return 0.55
}

// Config returns the market's configuration with defaults filled in.
func (m *Market) Config() Config { return m.cfg }

// At returns the time of snapshot s (unix seconds).
func (m *Market) At(s int) int64 { return m.ctx[s].at }

func (m *Market) itemSeed(i int, stream uint64) uint64 {
	return mix64(m.seed ^ mix64(uint64(i)*4+stream+0x632be59bd9b4e019))
}

// Item returns item i's descriptive attributes. It depends only on the seed
// and i; keys are unique for 0 <= i < 100,000,000.
func (m *Market) Item(i int) catalog.Item {
	it, _ := m.buildItem(i, make([]byte, 0, 256))
	return it
}

// History returns all Snapshots observations of item i, oldest first,
// appended to dst[:0].
func (m *Market) History(i int, dst []catalog.Observation) []catalog.Observation {
	dst = dst[:0]
	var st itemState
	m.initState(i, &st)
	for s := range m.ctx {
		dst = append(dst, catalog.Observation{})
		m.step(&st, &m.ctx[s], &dst[len(dst)-1])
	}
	return dst
}

// Snapshots walks time order: for s = 0..Snapshots-1 it calls fn with the
// records of every item at snapshot s, items in index order. recs is reused
// between calls: fn may change the observations but must not keep recs or
// change the items. Item strings are built once. Snapshots stops at the first
// error fn returns and returns it.
func (m *Market) Snapshots(fn func(s int, at int64, recs []catalog.Record) error) error {
	n := m.cfg.Items
	recs := make([]catalog.Record, n)
	states := make([]itemState, n)
	buf := make([]byte, 0, 256)
	for i := range recs {
		recs[i].Item, buf = m.buildItem(i, buf)
		m.initState(i, &states[i])
	}
	for s := range m.ctx {
		c := &m.ctx[s]
		for i := range states {
			m.step(&states[i], c, &recs[i].Obs)
		}
		if err := fn(s, c.at, recs); err != nil {
			return err
		}
	}
	return nil
}

// itemState is everything an item carries from one snapshot to the next.
type itemState struct {
	r       rng
	cEnd    int64   // coupon end
	v0      float64 // base daily sales at the reference price
	pop     float32 // popularity, 1 = normal
	boost   float32 // viral boost on top of pop
	s30     float32 // rolling 30-day sales
	el      float32 // price elasticity
	pmul    float32 // demand multiplier for the current final price
	cUse    float32 // share of buyers who take the coupon
	ref     int32   // reference final price, fen
	orig    int32   // list price the item was launched at
	base    int32   // everyday list price
	lastF   int32   // final price pmul belongs to
	cAmt    int32   // coupon amount, 0 = none
	cThr    int32   // coupon threshold
	cRemain int32   // coupons left
	rate    int16   // commission, basis points
	seen    int16   // promotion whose participation is decided
	ctype   int8
	flags   uint8
	off     uint8 // promotion list-price cut, percent; 0 = not taking part
	raise   uint8 // pre-promotion rise, percent
	flash   uint8 // flash-sale snapshots left
	flashOf uint8 // flash-sale cut, percent
	style   uint8 // price-ending style
	season  uint8 // leaf season
}

const (
	fDead     = 1 << iota // listing died
	fNoCoupon             // shop never issues coupons
	fNo2h                 // feed does not report 2-hour sales
	fNoRemain             // feed does not report coupons left
	fPromoCp              // the coupon is a promotion's
)

// couponTiers are coupon amounts in fen.
var couponTiers = [...]int32{300, 500, 1000, 2000, 3000, 5000, 10000}

// thresholds are the "满X" amounts in fen.
var thresholds = [...]int32{1900, 2900, 3900, 4900, 5900, 6900, 7900, 8900, 9900, 10900, 11900, 12900,
	13900, 14900, 15900, 16900, 17900, 18900, 19900, 22900, 24900, 26900, 29900, 34900, 39900, 49900,
	59900, 69900, 79900, 89900, 99900, 119900, 149900, 199900, 249900, 299900, 399900}

func (m *Market) initState(i int, st *itemState) {
	c := m.core(i)
	lf := &leaves[c.leaf]
	tp := &tops[lf.top]
	sh := &m.shops[c.shop]
	*st = itemState{r: rng{m.itemSeed(i, 1)}, pop: 1, seen: -1}
	r := &st.r
	st.style = uint8(r.intn(3))
	st.season = lf.season
	price := lf.median * math.Exp(lf.sigma*r.normal())
	switch sh.plat {
	case catalog.PDD:
		price *= 0.85
	case catalog.JD:
		price *= 1.05
	}
	price = min(max(price, 9.9), 3999)
	st.orig = int32(nicePrice(int64(price*100), st.style))
	st.orig = min(max(st.orig, 990), 399900)
	st.base = st.orig
	st.ref = int32(float64(st.orig) * 0.92)
	st.el = float32(r.between(1.2, 2.8))
	st.cUse = float32(r.between(0.3, 0.9))

	// Demand: heavy-tailed, higher for categories that sell in volume and
	// for items cheap for their category.
	plat := 1.0
	switch sh.plat {
	case catalog.Taobao:
		plat = 0.8
	case catalog.JD:
		plat = 0.7
	case catalog.PDD:
		plat = 1.3
	}
	v := 30 * math.Exp(1.3*r.normal()) * tp.sales * plat * math.Pow(lf.median/price, 0.7)
	st.v0 = min(max(v, 0.05), 30000)

	// Commission: category band, JD lower.
	rate := r.between(float64(tp.commLo), float64(tp.commHi))
	if sh.plat == catalog.JD {
		rate *= 0.5
	}
	st.rate = int16(min(max(int64(rate)/10*10, 100), 5000))
	switch k := r.intn(100); {
	case k < 55:
		st.ctype = int8(catalog.CommissionGeneral)
	case k < 80:
		st.ctype = int8(catalog.CommissionMarketing)
	case k < 90:
		st.ctype = int8(catalog.CommissionTargeted)
	default:
		st.ctype = int8(catalog.CommissionCampaign)
	}
	if sh.plat == catalog.JD || sh.plat == catalog.PDD {
		st.flags |= fNo2h | fNoRemain
	}
	if r.intn(4) == 0 {
		st.flags |= fNoCoupon
	}
	first := &m.ctx[0]
	if st.flags&fNoCoupon == 0 && r.intn(10) < 6 {
		m.newCoupon(st, first.at, st.base, 0)
		st.cRemain = int32(float64(st.cRemain) * r.between(0.2, 1))
	}
	f := st.base
	if st.cAmt > 0 && st.base >= st.cThr {
		f -= st.cAmt
	}
	st.lastF = f
	st.pmul = float32(priceMul(f, st.ref, st.el))
	st.s30 = float32(st.v0 * float64(st.pmul*first.season[st.season]) * 30 * r.between(0.8, 1.2))
}

func priceMul(f, ref int32, el float32) float64 {
	return min(max(math.Pow(float64(f)/float64(ref), -float64(el)), 0.1), 30)
}

// newCoupon gives the item a fresh coupon sized for list price list: a
// normal one, or a bigger one for a promotion ending at promoEnd (> 0).
func (m *Market) newCoupon(st *itemState, at int64, list int32, promoEnd int64) {
	r := &st.r
	promo := promoEnd > 0
	var frac float64
	if promo {
		frac = r.between(0.12, 0.3)
	} else {
		frac = r.between(0.05, 0.25)
	}
	amt := int32(0)
	for _, t := range couponTiers {
		if float64(t) <= float64(list)*frac {
			amt = t
		}
	}
	if amt == 0 {
		if list*2 < 5*couponTiers[0] { // under 7.50 yuan: no coupon at all
			st.cAmt, st.cThr, st.cEnd, st.cRemain = 0, 0, 0, 0
			st.flags &^= fPromoCp
			return
		}
		amt = couponTiers[0]
	}
	st.cAmt = amt
	st.cThr = 0
	switch k := r.intn(100); {
	case k < 45: // 无门槛
	case k < 95: // 满X减Y the item itself reaches
		for _, t := range thresholds {
			if t <= list && t >= 2*amt {
				st.cThr = t
			}
		}
	default: // needs two pieces
		for _, t := range thresholds {
			if t > list && t >= 2*amt {
				st.cThr = t
				break
			}
		}
	}
	if promo {
		st.cEnd = promoEnd - 1
		st.flags |= fPromoCp
	} else {
		st.cEnd = m.couponEnd(st, at)
		st.flags &^= fPromoCp
	}
	st.cRemain = int32(min(max(st.v0*r.between(10, 60), 1000), 100000)) / 100 * 100
}

// couponEnd is the last second of a day 0..13 days after at.
func (m *Market) couponEnd(st *itemState, at int64) int64 {
	end := (shanghai.Day(at)+1+int64(st.r.intn(14)))*86400 - shanghai.Offset - 1
	if end <= at {
		end += 86400
	}
	return end
}

// nicePrice rounds fen to a price a shop would ask: 9.9, 29.9 / 29 / 30,
// 129 / 128, 1299 / 1298, depending on the shop's style.
func nicePrice(fen int64, style uint8) int64 {
	var v int64
	switch {
	case fen < 1000:
		v = (fen+50)/100*100 - 10
	case fen < 10000:
		switch style {
		case 0:
			v = (fen+50)/100*100 - 10
		case 1:
			v = (fen+500)/1000*1000 - 100
		default:
			v = (fen + 50) / 100 * 100
		}
	case fen < 100000:
		v = (fen+500)/1000*1000 - 100
		if style == 1 {
			v -= 100
		}
	default:
		v = (fen+5000)/10000*10000 - 100
		if style == 1 {
			v -= 100
		}
	}
	return max(v, 90)
}

// shelf is the everyday list price, including a pre-promotion rise.
func (st *itemState) shelf() int32 {
	if st.raise == 0 {
		return st.base
	}
	return min(cut(st.base, -int(st.raise), st.style), 399900)
}

func cut(fen int32, pct int, style uint8) int32 {
	return int32(nicePrice(int64(fen)*int64(100-pct)/100, style))
}

// step advances the item to snapshot c and writes its observation to o.
func (m *Market) step(st *itemState, c *snapCtx, o *catalog.Observation) {
	r := &st.r
	at := c.at
	dead := st.flags&fDead != 0

	// Popularity.
	if dead {
		st.pop *= float32(m.deadKeep)
	} else {
		pop := float64(st.pop)
		pop += (1-pop)*m.popRev + pop*m.popNoise*(r.float()-0.5)
		st.pop = float32(max(pop, 0.05))
	}
	st.boost *= float32(m.boostKeep)

	// At most one rare event.
	switch e := r.next(); {
	case e < m.tViral:
		if !dead {
			st.boost += st.pop * float32(r.between(4, 25))
		}
	case e < m.tDie:
		st.flags |= fDead
		dead = true
	case e < m.tList:
		if c.promo >= 0 && st.seen == c.promo && st.off > 0 {
			break // prices are locked during a promotion the item takes part in
		}
		st.base = min(max(int32(nicePrice(int64(float64(st.orig)*r.between(0.88, 1.12)), st.style)), 990), 399900)
	case e < m.tRate:
		st.rate = int16(min(max(int64(float64(st.rate)*r.between(0.75, 1.35))/10*10, 100), 5000))
	case e < m.tType:
		st.ctype = int8(1 + r.intn(4))
	case e < m.tFlash:
		if !dead && st.flash == 0 {
			st.flash, st.flashOf = m.flashSteps, uint8(10+r.intn(21))
		}
	case e < m.tSwitch:
		if st.cAmt > 0 && !dead && st.flags&fPromoCp == 0 {
			m.newCoupon(st, at, st.shelf(), 0)
		}
	}

	// Promotions: decide once per promotion whether the item takes part, how
	// deep it cuts, and whether it raises its price beforehand (先涨后降).
	if c.next >= 0 && st.seen != c.next && c.promo < 0 {
		st.seen, st.off = c.next, 0
		if !dead && r.next() < c.partP {
			st.off = uint8(5 + r.intn(16))
			if r.intn(10) < 3 {
				st.raise = uint8(5 + r.intn(11))
			}
		}
	}
	if c.promo >= 0 && st.seen != c.promo {
		st.seen, st.off = c.promo, 0
		if !dead && r.next() < c.partP {
			st.off = uint8(5 + r.intn(16))
		}
	}
	inPromo := c.promo >= 0 && st.off > 0
	if st.raise > 0 && c.promo < 0 && c.next < 0 && r.next() < m.tRevert {
		st.raise = 0
	}

	// List price: the everyday price, perhaps raised ahead of a promotion,
	// cut during one.
	shelf := st.shelf()
	list := shelf
	pct := 0
	if inPromo {
		pct = int(st.off)
		switch c.phase {
		case 1:
			pct /= 2
		case 3:
			pct += 5
		}
		list = cut(list, pct, st.style)
	}

	// Coupons: expire, renew, appear; promotions bring bigger ones.
	if st.cAmt > 0 && (at >= st.cEnd || st.cRemain <= 0) {
		if !dead && st.flags&fPromoCp == 0 && r.float() < renewChance {
			st.cEnd = m.couponEnd(st, at)
			st.cRemain = int32(min(max(st.v0*r.between(10, 60), 1000), 100000)) / 100 * 100
		} else {
			st.cAmt, st.cThr, st.cEnd, st.cRemain = 0, 0, 0, 0
			st.flags &^= fPromoCp
		}
	}
	if inPromo && !dead && st.flags&(fNoCoupon|fPromoCp) == 0 {
		// Sized for the deepest promotion price, so it applies throughout.
		m.newCoupon(st, at, cut(shelf, int(st.off)+5, st.style), c.promoEnd)
	} else if st.cAmt == 0 && !dead && st.flags&fNoCoupon == 0 && r.next() < m.tNewCoupon {
		m.newCoupon(st, at, shelf, 0)
	}

	// Flash sale.
	if st.flash > 0 {
		list = cut(list, int(st.flashOf), st.style)
		st.flash--
	}

	// Final price: the coupon applies when the item reaches the threshold and
	// leaves at least 30% of the price.
	final := list
	if st.cAmt > 0 && list >= st.cThr && st.cAmt*10 <= list*7 {
		final = list - st.cAmt
	}

	// Sales.
	if final != st.lastF {
		st.lastF = final
		st.pmul = float32(priceMul(final, st.ref, st.el))
	}
	mul := c.spill
	if inPromo {
		mul = c.salesMul
	}
	mul *= c.season[st.season]
	daily := st.v0 * float64(st.pop+st.boost) * float64(st.pmul*mul) * (0.85 + 0.3*r.float())
	s30 := float64(st.s30)*m.s30Keep + daily*m.s30Fill
	st.s30 = float32(s30)

	o.At = at
	o.ListPrice = int64(list)
	o.FinalPrice = int64(final)
	o.CommissionRate = int64(st.rate)
	o.CommissionType = catalog.CommissionType(st.ctype)
	o.Sales30 = int64(s30)
	if st.flags&fNo2h != 0 {
		o.Sales2h = catalog.Unknown
	} else {
		mu := daily / 12 * float64(c.hourMul)
		z := (r.float() + r.float() + r.float() - 1.5) * 2 // ~N(0, 1)
		o.Sales2h = max(int64(mu+math.Sqrt(mu)*z+r.float()), 0)
	}
	if st.cAmt > 0 {
		used := daily*m.dt*float64(st.cUse)*(0.7+0.6*r.float()) + 4*r.float()
		st.cRemain = max(st.cRemain-int32(used), 0)
		o.CouponAmount, o.CouponThreshold, o.CouponEnd = int64(st.cAmt), int64(st.cThr), st.cEnd
		o.CouponRemain = int64(st.cRemain)
	} else {
		o.CouponAmount, o.CouponThreshold, o.CouponEnd, o.CouponRemain = 0, 0, 0, 0
	}
	if st.flags&fNoRemain != 0 {
		o.CouponRemain = catalog.Unknown
	}
}

// AppendRecords appends the records of items [from, to) — every snapshot of
// each, oldest first — to dst, for callers that write a market in one go.
func (m *Market) AppendRecords(dst []catalog.Record, from, to int) []catalog.Record {
	var obs []catalog.Observation
	for i := from; i < to; i++ {
		it := m.Item(i)
		obs = m.History(i, obs)
		for _, o := range obs {
			dst = append(dst, catalog.Record{Item: it, Obs: o})
		}
	}
	return dst
}
