package demo

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/shanghai"
)

var testEnd = time.Date(2025, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// collect returns every record of a market, [item][snapshot], via Snapshots.
func collect(t testing.TB, m *Market) (items []catalog.Item, obs [][]catalog.Observation) {
	t.Helper()
	n := m.Config().Items
	items = make([]catalog.Item, n)
	obs = make([][]catalog.Observation, n)
	err := m.Snapshots(func(s int, at int64, recs []catalog.Record) error {
		if len(recs) != n {
			t.Fatalf("snapshot %d: %d records, want %d", s, len(recs), n)
		}
		if at != m.At(s) {
			t.Fatalf("snapshot %d at %d, want %d", s, at, m.At(s))
		}
		for i := range recs {
			if s == 0 {
				items[i] = recs[i].Item
			}
			obs[i] = append(obs[i], recs[i].Obs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return items, obs
}

func TestConfigDefaults(t *testing.T) {
	c := New(Config{}).Config()
	if c.Items != DefaultItems || c.Snapshots != DefaultSnapshots || c.Interval != DefaultInterval || !c.End.Equal(DefaultEnd) {
		t.Fatalf("defaults: %+v", c)
	}
	m := New(Config{Items: 3, Snapshots: 5, Interval: 2 * time.Hour, End: testEnd})
	for s := range 5 {
		if want := testEnd.Unix() - int64(4-s)*7200; m.At(s) != want {
			t.Fatalf("At(%d) = %d, want %d", s, m.At(s), want)
		}
	}
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Items: 50, Snapshots: 60, End: testEnd}
	a, b := New(cfg), New(cfg)
	cfg.Seed = 43
	c := New(cfg)
	sameItems, sameHist := 0, 0
	for i := range 50 {
		if a.Item(i) != b.Item(i) {
			t.Fatalf("item %d differs between two markets with the same seed", i)
		}
		ha, hb := a.History(i, nil), b.History(i, nil)
		if !slices.Equal(ha, hb) {
			t.Fatalf("history %d differs between two markets with the same seed", i)
		}
		if a.Item(i) == c.Item(i) {
			sameItems++
		}
		if slices.Equal(ha, c.History(i, nil)) {
			sameHist++
		}
	}
	if sameItems > 0 || sameHist > 0 {
		t.Fatalf("another seed repeats %d items and %d histories of 50", sameItems, sameHist)
	}
	// An item does not depend on how many others the market has.
	big := New(Config{Seed: 42, Items: 5000, Snapshots: 60, End: testEnd})
	if big.Item(7) != a.Item(7) || !slices.Equal(big.History(7, nil), a.History(7, nil)) {
		t.Fatal("item 7 depends on the number of items")
	}
}

func TestHistoryMatchesSnapshots(t *testing.T) {
	for _, iv := range []time.Duration{24 * time.Hour, 6 * time.Hour} {
		m := New(Config{Seed: 7, Items: 300, Snapshots: 120, Interval: iv, End: testEnd})
		items, obs := collect(t, m)
		var h []catalog.Observation
		for i := range items {
			if items[i] != m.Item(i) {
				t.Fatalf("%v: item %d from Snapshots differs from Item", iv, i)
			}
			h = m.History(i, h)
			if len(h) != 120 {
				t.Fatalf("History(%d) has %d observations", i, len(h))
			}
			for s := range h {
				if h[s] != obs[i][s] {
					t.Fatalf("%v: item %d snapshot %d: History %+v, Snapshots %+v", iv, i, s, h[s], obs[i][s])
				}
			}
		}
	}
}

func TestSnapshotsStopsOnError(t *testing.T) {
	m := New(Config{Items: 10, Snapshots: 10, End: testEnd})
	stop := errors.New("stop")
	calls := 0
	err := m.Snapshots(func(s int, at int64, recs []catalog.Record) error {
		calls++
		if s == 3 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 4 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func TestRecordsValid(t *testing.T) {
	for _, iv := range []time.Duration{24 * time.Hour, 3 * time.Hour, 7 * 24 * time.Hour} {
		m := New(Config{Seed: 3, Items: 2000, Snapshots: 150, Interval: iv, End: testEnd})
		keys := make(map[catalog.Key]bool)
		err := m.Snapshots(func(s int, at int64, recs []catalog.Record) error {
			for i := range recs {
				r := &recs[i]
				if err := r.Check(); err != nil {
					t.Fatalf("%v: item %d snapshot %d: %v (%+v)", iv, i, s, err, r.Obs)
				}
				o := &r.Obs
				if o.At != at || o.FinalPrice <= 0 || o.FinalPrice > o.ListPrice {
					t.Fatalf("item %d snapshot %d: bad price or time: %+v", i, s, o)
				}
				if o.CouponAmount > 0 && o.CouponEnd <= at {
					t.Fatalf("item %d snapshot %d: coupon ended before the observation: %+v", i, s, o)
				}
				if o.CouponAmount == 0 && (o.CouponEnd != 0 || o.CouponThreshold != 0) {
					t.Fatalf("item %d snapshot %d: coupon fields without a coupon: %+v", i, s, o)
				}
				if o.CouponAmount > 0 && o.FinalPrice != o.ListPrice && o.FinalPrice != o.ListPrice-o.CouponAmount {
					t.Fatalf("item %d snapshot %d: final price is neither list nor list minus coupon: %+v", i, s, o)
				}
				if o.CommissionRate < 100 || o.CommissionRate > 5000 || o.CommissionType < 1 || o.CommissionType > 4 {
					t.Fatalf("item %d snapshot %d: commission %d type %d", i, s, o.CommissionRate, o.CommissionType)
				}
				if s > 0 {
					continue
				}
				it := &r.Item
				if keys[it.Key()] {
					t.Fatalf("duplicate key %v", it.Key())
				}
				keys[it.Key()] = true
				id := it.ItemID
				switch it.Platform {
				case catalog.Taobao, catalog.Tmall:
					if len(id) != 12 || id[0] < '5' || id[0] > '7' {
						t.Fatalf("taobao id %q", id)
					}
					if !strings.HasPrefix(it.ImageURL, "https://img.alicdn.com/imgextra/i") {
						t.Fatalf("image %q", it.ImageURL)
					}
				case catalog.JD:
					if len(id) < 8 || len(id) > 14 {
						t.Fatalf("jd id %q", id)
					}
				case catalog.PDD:
					if len(id) != 11 {
						t.Fatalf("pdd id %q", id)
					}
				default:
					t.Fatalf("platform %q", it.Platform)
				}
				if !digits(id) || !digits(it.ShopID) || !strings.HasPrefix(it.ImageURL, "https://") {
					t.Fatalf("ids: %+v", it)
				}
				if n := utf8.RuneCountInString(it.ShortTitle); n < 8 || n > 14 {
					t.Fatalf("short title %q has %d characters", it.ShortTitle, n)
				}
				if n := utf8.RuneCountInString(it.Title); n < 12 || n > 30 {
					t.Fatalf("title %q has %d characters", it.Title, n)
				}
				if strings.Count(it.CategoryPath, "/") != 2 || !strings.Contains(it.Title, it.Brand) {
					t.Fatalf("category or brand: %+v", it)
				}
				for _, d := range []int{it.DSRDesc, it.DSRService, it.DSRShip} {
					if d < 450 || d > 495 {
						t.Fatalf("DSR %d: %+v", d, it)
					}
				}
				if it.ShopName == "" || it.ShopType == catalog.ShopUnknown {
					t.Fatalf("shop: %+v", it)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRealism checks the market behaves like the real one in the ways the
// product relies on.
func TestRealism(t *testing.T) {
	const n, snaps = 3000, 200 // 15 May .. 1 Dec 2025: 618 and Double 11
	m := New(Config{Seed: 11, Items: n, Snapshots: snaps, End: testEnd})
	items, obs := collect(t, m)
	inPromo := make([]bool, snaps)
	for s := range snaps {
		_, inPromo[s] = catalog.PromotionAt(m.At(s))
	}

	var priceChanges, counterChanges, transitions int
	var promoRatio []float64
	var lowInPromo, lowOutside, promoItems int
	var cheapRatio []float64
	var viral, dying, commChanged, typeChanged, couponReset int
	for i, h := range obs {
		// Change rates between consecutive snapshots.
		changedComm, changedType := false, false
		for s := 1; s < snaps; s++ {
			a, b := &h[s-1], &h[s]
			transitions++
			if a.ListPrice != b.ListPrice || a.FinalPrice != b.FinalPrice || a.CouponAmount != b.CouponAmount || a.CouponThreshold != b.CouponThreshold {
				priceChanges++
			}
			if a.Sales30 != b.Sales30 || a.Sales2h != b.Sales2h || a.CouponRemain != b.CouponRemain {
				counterChanges++
			}
			changedComm = changedComm || a.CommissionRate != b.CommissionRate
			changedType = changedType || a.CommissionType != b.CommissionType
			if a.CouponAmount > 0 && a.CouponAmount == b.CouponAmount && b.CouponRemain > a.CouponRemain {
				couponReset++
			}
		}
		if changedComm {
			commChanged++
		}
		if changedType {
			typeChanged++
		}

		// Promotions: average final price in and out, and where the low falls.
		var sumIn, sumOut float64
		var nIn, nOut int
		low := h[0].FinalPrice
		for s := range h {
			low = min(low, h[s].FinalPrice)
			if inPromo[s] {
				sumIn += float64(h[s].FinalPrice)
				nIn++
			} else {
				sumOut += float64(h[s].FinalPrice)
				nOut++
			}
		}
		promoRatio = append(promoRatio, (sumIn/float64(nIn))/(sumOut/float64(nOut)))
		atLowIn, atLowOut := false, false
		for s := range h {
			if h[s].FinalPrice == low {
				if inPromo[s] {
					atLowIn = true
				} else {
					atLowOut = true
				}
			}
		}
		if atLowIn {
			lowInPromo++
		}
		if atLowOut {
			lowOutside++
		}
		promoItems++

		// Sales follow price: 2-hour sales at below-median prices against the rest.
		if h[0].Sales2h != catalog.Unknown && h[0].Sales30 > 300 {
			fs := make([]int64, snaps)
			for s := range h {
				fs[s] = h[s].FinalPrice
			}
			slices.Sort(fs)
			med := fs[snaps/2]
			var cheap, dear, nc, nd float64
			for s := range h {
				if h[s].FinalPrice < med {
					cheap += float64(h[s].Sales2h)
					nc++
				} else {
					dear += float64(h[s].Sales2h)
					nd++
				}
			}
			if nc > 5 && nd > 5 && dear > 0 {
				cheapRatio = append(cheapRatio, (cheap/nc)/(dear/nd))
			}
		}

		// Viral hits and dying listings: 30-day sales jump or collapse.
		first, peak, last := h[0].Sales30, int64(0), h[snaps-1].Sales30
		for s := range h {
			if s >= 30 && h[s].Sales30 > 4*h[s-30].Sales30+20 && !inPromo[s] {
				viral++
				break
			}
			peak = max(peak, h[s].Sales30)
		}
		if peak > 50 && last*10 < peak && first > 50 {
			dying++
		}
		_ = i
	}
	fr := float64(priceChanges) / float64(transitions)
	t.Logf("price changes %.1f%% of snapshots, counter changes %.1f%%", 100*fr, 100*float64(counterChanges)/float64(transitions))
	if fr < 0.02 || fr > 0.30 {
		t.Errorf("price changes in %.1f%% of snapshots, want 2%%..30%%", 100*fr)
	}
	if fc := float64(counterChanges) / float64(transitions); fc < 0.8 {
		t.Errorf("counters change in only %.1f%% of snapshots", 100*fc)
	}
	slices.Sort(promoRatio)
	mean := 0.0
	for _, r := range promoRatio {
		mean += r
	}
	mean /= float64(len(promoRatio))
	t.Logf("promotion/normal final price: mean %.3f, median %.3f", mean, promoRatio[len(promoRatio)/2])
	if mean > 0.95 {
		t.Errorf("promotions do not lower prices: in/out ratio %.3f", mean)
	}
	t.Logf("lowest price reached in a promotion by %.1f%% of items, on a normal day by %.1f%%",
		100*float64(lowInPromo)/float64(promoItems), 100*float64(lowOutside)/float64(promoItems))
	if lowInPromo*2 < promoItems {
		t.Errorf("only %d of %d items reach their low in a promotion", lowInPromo, promoItems)
	}
	if lowOutside*20 < promoItems || lowOutside*10 > promoItems*6 {
		t.Errorf("%d of %d items reach their low on a normal day, want 5%%..60%%", lowOutside, promoItems)
	}
	slices.Sort(cheapRatio)
	t.Logf("2h sales cheap/dear: median %.2f over %d items", cheapRatio[len(cheapRatio)/2], len(cheapRatio))
	if len(cheapRatio) < 100 || cheapRatio[len(cheapRatio)/2] < 1.15 {
		t.Errorf("sales do not follow price: median cheap/dear %.2f over %d items", cheapRatio[len(cheapRatio)/2], len(cheapRatio))
	}
	t.Logf("viral %d, dying %d, commission changed %d, type changed %d, coupon resets %d (of %d items)",
		viral, dying, commChanged, typeChanged, couponReset, n)
	if viral < n/200 || viral > n/4 || dying < n/500 || dying > n/10 {
		t.Errorf("viral %d, dying %d of %d items", viral, dying, n)
	}
	if commChanged < n/5 || commChanged > n*98/100 || typeChanged < n/50 || typeChanged > n/2 {
		t.Errorf("commission changed on %d items, type on %d, of %d", commChanged, typeChanged, n)
	}
	if couponReset < n/10 {
		t.Errorf("coupon counts reset only %d times", couponReset)
	}

	// Seasons: winter goods sell more in late November than in July, summer
	// goods the other way round (snapshot 60 is mid-July, 190 late November).
	var summerJul, summerNov, winterJul, winterNov float64
	for i, it := range items {
		switch {
		case strings.HasSuffix(it.CategoryPath, "/羽绒服") || strings.HasSuffix(it.CategoryPath, "/保暖内衣"):
			winterJul += float64(obs[i][60].Sales30)
			winterNov += float64(obs[i][190].Sales30)
		case strings.HasSuffix(it.CategoryPath, "/凉席") || strings.HasSuffix(it.CategoryPath, "/电风扇"):
			summerJul += float64(obs[i][60].Sales30)
			summerNov += float64(obs[i][190].Sales30)
		}
	}
	t.Logf("30-day sales Nov/Jul: winter goods %.2f, summer goods %.2f", winterNov/winterJul, summerNov/summerJul)
	if winterNov < 1.5*winterJul || summerJul < 1.5*summerNov {
		t.Errorf("no seasons: winter goods Nov/Jul %.2f, summer goods %.2f", winterNov/winterJul, summerNov/summerJul)
	}

	// Catalogue: categories, platforms, prices, titles.
	tops := map[string]int{}
	plats := map[catalog.Platform]int{}
	titles := map[string]bool{}
	nice := 0
	for i, it := range items {
		top, _, _ := strings.Cut(it.CategoryPath, "/")
		tops[top]++
		plats[it.Platform]++
		titles[it.Title] = true
		lp := obs[i][0].ListPrice
		if lp%100 == 90 || lp%100 == 0 {
			nice++
		}
	}
	if len(tops) != 20 {
		t.Errorf("%d top-level categories, want 20", len(tops))
	}
	for top, c := range tops {
		if c*100 < n/2 || c*100 > 15*n {
			t.Errorf("category %s has %d of %d items", top, c, n)
		}
	}
	share := func(ps ...catalog.Platform) float64 {
		c := 0
		for _, p := range ps {
			c += plats[p]
		}
		return float64(c) / n
	}
	t.Logf("platforms: taobao+tmall %.2f, jd %.2f, pdd %.2f", share(catalog.Taobao, catalog.Tmall), share(catalog.JD), share(catalog.PDD))
	if s := share(catalog.Taobao, catalog.Tmall); s < 0.70 || s > 0.80 {
		t.Errorf("taobao+tmall share %.2f", s)
	}
	if s := share(catalog.JD); s < 0.11 || s > 0.19 {
		t.Errorf("jd share %.2f", s)
	}
	if s := share(catalog.PDD); s < 0.07 || s > 0.13 {
		t.Errorf("pdd share %.2f", s)
	}
	if len(titles)*100 < 97*n {
		t.Errorf("only %d distinct titles of %d", len(titles), n)
	}
	if nice*10 < 9*n {
		t.Errorf("only %d of %d list prices end in .9 or .0", nice, n)
	}
	for _, w := range []string{"保温", "面霜", "纸巾", "牙膏", "猫粮", "耳机", "T恤"} {
		c := 0
		for _, it := range items {
			if strings.Contains(it.Title, w) {
				c++
			}
		}
		if c < 3 {
			t.Errorf("only %d titles contain %q", c, w)
		}
	}
}

// TestListPriceBand checks launch prices stay in the 9.9 .. 3999 yuan band
// and spread across it.
func TestListPriceBand(t *testing.T) {
	m := New(Config{Seed: 5, Items: 5000, Snapshots: 1, End: testEnd})
	var lo, hi int
	for i := range 5000 {
		h := m.History(i, nil)
		lp := h[0].ListPrice
		var st itemState
		m.initState(i, &st)
		if st.orig < 990 || st.orig > 399900 {
			t.Fatalf("item %d launched at %s", i, cells.Yuan(int64(st.orig)))
		}
		if lp < 2000 {
			lo++
		}
		if lp > 100000 {
			hi++
		}
	}
	if lo < 50 || hi < 20 {
		t.Errorf("price spread: %d items under 20 yuan, %d over 1000", lo, hi)
	}
}

func TestNicePrice(t *testing.T) {
	for _, c := range []struct {
		fen   int64
		style uint8
		want  int64
	}{
		{990, 0, 990}, {1234, 0, 1190}, {2950, 0, 2990}, {2950, 1, 2900}, {2950, 2, 3000},
		{12800, 0, 12900}, {12800, 1, 12800}, {129900, 0, 129900}, {129900, 1, 129800}, {10, 0, 90},
	} {
		if got := nicePrice(c.fen, c.style); got != c.want {
			t.Errorf("nicePrice(%d, %d) = %d, want %d", c.fen, c.style, got, c.want)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	m := New(Config{Seed: 1, Items: 100, Snapshots: 150, End: testEnd})
	dst := make([]catalog.Observation, 0, 150)
	if n := testing.AllocsPerRun(50, func() { dst = m.History(17, dst) }); n != 0 {
		t.Errorf("History allocates %v times", n)
	}
	// Snapshots allocates per item, never per observation.
	allocs := func(snaps int) float64 {
		m := New(Config{Seed: 1, Items: 100, Snapshots: snaps, End: testEnd})
		return testing.AllocsPerRun(5, func() {
			m.Snapshots(func(int, int64, []catalog.Record) error { return nil })
		})
	}
	if a, b := allocs(10), allocs(200); a != b || a > 110 {
		t.Errorf("Snapshots allocates %v times for 10 snapshots, %v for 200", a, b)
	}
	if size := unsafe.Sizeof(itemState{}); size >= 200 {
		t.Errorf("item state is %d bytes", size)
	}
}

// TestSample logs a few items for eyeballing (go test -v -run Sample).
func TestSample(t *testing.T) {
	m := New(Config{Seed: 1, Items: 8, Snapshots: 200, End: testEnd})
	for i := range 8 {
		it := m.Item(i)
		h := m.History(i, nil)
		low, lowAt := h[0].FinalPrice, h[0].At
		for _, o := range h {
			if o.FinalPrice < low {
				low, lowAt = o.FinalPrice, o.At
			}
		}
		last := h[len(h)-1]
		p, _ := catalog.PromotionAt(lowAt)
		t.Logf("%s:%s %s | %s | %s | %s %s (%s) | list %s final %s, low %s on %s %s, 月销 %d, 佣金 %s",
			it.Platform, it.ItemID, it.Title, it.ShortTitle, it.CategoryPath, it.ShopName, it.ShopType, it.Brand,
			cells.Yuan(last.ListPrice), cells.Yuan(last.FinalPrice), cells.Yuan(low),
			time.Unix(lowAt, 0).In(shanghai.Zone).Format(time.DateOnly), p.Label, last.Sales30, catalog.Percent(last.CommissionRate))
	}
}

// TestSpringSale covers the Spring Festival sale (25 Jan .. 14 Feb 2026):
// lower prices while it runs and New Year goods selling more.
func TestSpringSale(t *testing.T) {
	end := time.Date(2026, 2, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	m := New(Config{Seed: 21, Items: 2000, Snapshots: 60, End: end})
	items, obs := collect(t, m)
	var in, out, nIn, nOut float64
	var before, during float64
	for i, h := range obs {
		for s := range h {
			p, ok := catalog.PromotionAt(h[s].At)
			if ok && p.Name != catalog.PromoSpring {
				t.Fatalf("unexpected promotion %s", p.Name)
			}
			f := float64(h[s].FinalPrice) / float64(h[0].FinalPrice)
			if ok {
				in, nIn = in+f, nIn+1
			} else {
				out, nOut = out+f, nOut+1
			}
		}
		if strings.HasSuffix(items[i].CategoryPath, "/坚果") || strings.HasSuffix(items[i].CategoryPath, "/零食大礼包") {
			before += float64(h[30].Sales30) // 21 Jan
			during += float64(h[50].Sales30) // 10 Feb
		}
	}
	t.Logf("spring sale: relative final price %.3f in, %.3f out; 年货 30-day sales x%.2f", in/nIn, out/nOut, during/before)
	if in/nIn > 0.97*out/nOut {
		t.Errorf("spring sale does not lower prices: %.3f in, %.3f out", in/nIn, out/nOut)
	}
	if during < 1.3*before {
		t.Errorf("New Year goods do not sell more in the spring sale: x%.2f", during/before)
	}
}

// TestItemText checks titles and short titles over many items and seeds.
func TestItemText(t *testing.T) {
	for _, seed := range []uint64{0, 1, 1 << 40} {
		m := New(Config{Seed: seed, Items: 20000, Snapshots: 1, End: testEnd})
		ids := make(map[string]bool, 20000)
		for i := range 20000 {
			it := m.Item(i)
			if n := utf8.RuneCountInString(it.ShortTitle); n < 8 || n > 14 {
				t.Fatalf("short title %q has %d characters", it.ShortTitle, n)
			}
			if n := utf8.RuneCountInString(it.Title); n < 12 || n > 30 {
				t.Fatalf("title %q has %d characters", it.Title, n)
			}
			k := it.Key().String()
			if ids[k] {
				t.Fatalf("duplicate item key %s", k)
			}
			ids[k] = true
		}
	}
}

// TestSampleJDItem: every market, whatever its seed, has the README's JD
// item among its first items, and its ids stay unique.
func TestSampleJDItem(t *testing.T) {
	for seed := range uint64(30) {
		m := New(Config{Seed: seed, Items: 3000, Snapshots: 2, End: testEnd})
		found := -1
		seen := map[catalog.Key]int{}
		for i := range 3000 {
			it := m.Item(i)
			k := catalog.Key{Platform: it.Platform, ItemID: it.ItemID}
			if it.Platform == catalog.Tmall {
				k.Platform = catalog.Taobao
			}
			if j, dup := seen[k]; dup {
				t.Fatalf("seed %d: items %d and %d are both %s", seed, j, i, k)
			}
			seen[k] = i
			if it.Platform == catalog.JD && it.ItemID == SampleJDItem {
				found = i
			}
		}
		if found < 0 || found > 200 {
			t.Errorf("seed %d: the sample JD item is item %d, want one of the first 200", seed, found)
		}
	}
}
