package advisor_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	msgpkg "github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

var demoEnd = time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// loadDemo writes a small demo market and returns it.
func loadDemo(t *testing.T, db *store.DB, items, days int) (*demo.Market, *catalog.Store) {
	t.Helper()
	ctx := context.Background()
	m := demo.New(demo.Config{Seed: 5, Items: items, Snapshots: days, Interval: 24 * time.Hour, End: demoEnd})
	s := catalog.NewStore(db)
	if _, err := s.Ingest(ctx, m.AppendRecords(nil, 0, items)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// bruteLow: the lowest final price in effect at any moment of [a, b] that
// is in no promotion (skipPromos) — checked at every moment it can change.
func bruteLow(obs []catalog.Observation, a, b int64, skipPromos bool) (price, at int64, ok bool) {
	moments := []int64{a}
	for _, o := range obs {
		moments = append(moments, o.At)
	}
	for _, p := range catalog.Promotions(a, b+1) {
		moments = append(moments, p.End.Unix())
	}
	slices.Sort(moments)
	for _, m := range moments {
		if m < a || m > b {
			continue
		}
		if _, in := catalog.PromotionAt(m); in && skipPromos {
			continue
		}
		o, have := catalog.At(obs, m)
		if _, setInPromo := catalog.PromotionAt(o.At); have && setInPromo && skipPromos {
			continue // a promotion price lingering past the sale is still one
		}
		if have && (!ok || o.FinalPrice < price) {
			price, at, ok = o.FinalPrice, m, true
		}
	}
	return
}

func TestCardsMatchBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, s := loadDemo(t, db, 120, 420)
		a := advisor.New(s, advisor.Options{})
		rng := rand.New(rand.NewPCG(1, 1))
		var obs []catalog.Observation
		positions := map[advisor.Position]int{}
		for trial := 0; trial < 40; trial++ {
			i := rng.IntN(120)
			it := m.Item(i)
			obs = m.History(i, obs)
			c, err := a.Card(ctx, it.Key())
			if err != nil {
				t.Fatal(err)
			}
			now := obs[len(obs)-1]
			if c.Now != now {
				t.Fatalf("%s: now %+v, want %+v", it.Key(), c.Now, now)
			}
			for _, w := range []struct {
				name string
				got  advisor.Low
				from int64
			}{{"all", c.LowAll, obs[0].At}, {"30d", c.Low30, now.At - 30*86400}, {"90d", c.Low90, now.At - 90*86400}, {"180d", c.Low180, now.At - 180*86400}} {
				p, at, ok := bruteLow(obs, w.from, now.At, false)
				if w.got != (advisor.Low{Price: p, At: at, OK: ok}) {
					t.Fatalf("%s low %s: got %+v, want %d@%d", it.Key(), w.name, w.got, p, at)
				}
			}
			p, at, ok := bruteLow(obs, obs[0].At, now.At, true)
			if c.NormalLow != (advisor.Low{Price: p, At: at, OK: ok}) {
				t.Fatalf("%s normal-day low: got %+v, want %d@%d", it.Key(), c.NormalLow, p, at)
			}
			for _, pr := range c.Promos {
				if _, in := catalog.PromotionAt(pr.Low.At); !in {
					t.Fatalf("%s: %s low at %d is not in a promotion", it.Key(), pr.Label, pr.Low.At)
				}
				if pr.Low.Price < c.LowAll.Price {
					t.Fatalf("%s: promotion low below the all-time low", it.Key())
				}
			}
			if want := now.FinalPrice * now.CommissionRate * 9000 / 1e8; c.EarnFen != want {
				t.Fatalf("earn %d, want %d", c.EarnFen, want)
			}
			if c.Score < 0 || c.Score > 100 || len(c.Reasons) == 0 {
				t.Fatalf("score %d with %d reasons", c.Score, len(c.Reasons))
			}
			sum := 0
			for _, r := range c.Reasons {
				sum += r.Points
				if r.ZH == "" || r.EN == "" {
					t.Fatalf("reason %q lacks a language", r.Code)
				}
			}
			if max(0, min(100, sum)) != c.Score {
				t.Fatalf("score %d is not the sum of its reasons %d", c.Score, sum)
			}
			if len(c.Substitutes) > 10 {
				t.Fatalf("%d substitutes", len(c.Substitutes))
			}
			for _, sub := range c.Substitutes {
				e := sub.Entry
				if e.ID == c.Item.ID || e.CategoryPath != it.CategoryPath || e.Now.FinalPrice < now.FinalPrice/2 || e.Now.FinalPrice > now.FinalPrice*2 {
					t.Fatalf("substitute %s (%s ¥%d) for %s (%s ¥%d)", e.Title, e.CategoryPath, e.Now.FinalPrice, it.Title, it.CategoryPath, now.FinalPrice)
				}
				if slices.Contains(sub.Better, "cheaper_now") != (e.Now.FinalPrice < now.FinalPrice) {
					t.Fatalf("cheaper_now mark wrong")
				}
			}
			positions[c.Position]++
		}
		if len(positions) < 2 {
			t.Errorf("40 demo items all in one price position: %v", positions)
		}
	})
}

// A price that beats every normal day is a historic low even when a
// promotion once went lower: "lowest" on a normal day means beating normal days.
func TestNormalDayLowBeatsNormalDays(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(storetest.SQLite(t))
	cst := time.FixedZone("CST", 8*3600)
	at := func(m time.Month, d int) int64 { return time.Date(2025, m, d, 10, 0, 0, 0, cst).Unix() }
	item := catalog.Item{Platform: catalog.Tmall, ItemID: "700000000001", Title: "测试保温杯", CategoryPath: "居家日用/水具/保温杯"}
	var recs []catalog.Record
	add := func(t int64, final int64) {
		recs = append(recs, catalog.Record{Item: item, Obs: catalog.Observation{At: t, ListPrice: 10000, FinalPrice: final,
			CommissionRate: 2000, Sales30: 100, Sales2h: catalog.Unknown, CouponRemain: catalog.Unknown}})
	}
	add(at(9, 1), 10000)
	add(at(11, 1), 8000)  // Double 11
	add(at(11, 12), 9500) // back to normal
	add(at(11, 25), 9000) // today: lower than any normal day, above the 双11 price
	if _, err := s.Ingest(ctx, recs); err != nil {
		t.Fatal(err)
	}
	c, err := advisor.New(s, advisor.Options{}).Card(ctx, item.Key())
	if err != nil {
		t.Fatal(err)
	}
	if c.LowAll.Price != 8000 || c.NormalLow.Price != 9000 || c.Position != advisor.HistoricLow {
		t.Fatalf("all-time %d, normal-day %d, position %s; want 8000, 9000, historic_low", c.LowAll.Price, c.NormalLow.Price, c.Position)
	}
	if len(c.Promos) != 1 || c.Promos[0].Name != catalog.PromoDouble11 || c.Promos[0].Low.Price != 8000 {
		t.Fatalf("promotion lows %+v", c.Promos)
	}
	if c.Typical != 9500 && c.Typical != 10000 {
		t.Fatalf("typical %d", c.Typical)
	}
}

// item is a demo item with its latest observation, for brute-force scans.
type item struct {
	it  catalog.Item
	now catalog.Observation
}

// latest returns the first n demo items with their latest observations.
func latest(m *demo.Market, n int) []item {
	var all []item
	var obs []catalog.Observation
	for i := 0; i < n; i++ {
		obs = m.History(i, obs)
		all = append(all, item{m.Item(i), obs[len(obs)-1]})
	}
	return all
}

func TestRankMatchesScan(t *testing.T) {
	ctx := context.Background()
	m, s := loadDemo(t, storetest.SQLite(t), 400, 30)
	a := advisor.New(s, advisor.Options{})
	all := latest(m, 400)
	top := all[0].it.CategoryPath[:strings.Index(all[0].it.CategoryPath, "/")]
	rows, err := a.Rank(ctx, advisor.RankQuery{Kind: advisor.RankCommission, Category: top, MinRateBP: 500, MaxPrice: 50000, Limit: 15})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, x := range all {
		if strings.HasPrefix(x.it.CategoryPath, top+"/") && x.now.CommissionRate >= 500 && x.now.FinalPrice <= 50000 {
			want = append(want, x.now.CommissionRate)
		}
	}
	slices.Sort(want)
	slices.Reverse(want)
	want = want[:min(15, len(want))]
	if len(rows) != len(want) || len(rows) == 0 {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if r.Value != want[i] || r.Rank != i+1 || !strings.HasPrefix(r.Entry.CategoryPath, top) {
			t.Fatalf("row %d: %+v value %d, want %d", i, r.Entry.Title, r.Value, want[i])
		}
	}
	for _, k := range advisor.RankKinds {
		rows, err := a.Rank(ctx, advisor.RankQuery{Kind: k, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(rows); i++ {
			if rows[i].Value > rows[i-1].Value {
				t.Fatalf("%s not sorted at %d", k, i)
			}
		}
		if k != advisor.RankLows && len(rows) == 0 {
			t.Errorf("ranking %s is empty on the demo market", k)
		}
	}
	if _, err := a.Rank(ctx, advisor.RankQuery{Kind: "best"}); err == nil {
		t.Fatal("unknown ranking accepted")
	}
	for _, off := range []int{-5, -1, advisor.MaxRankRows + 1} {
		if _, err := a.Rank(ctx, advisor.RankQuery{Kind: advisor.RankHot, Offset: off, Limit: 5}); err == nil {
			t.Fatalf("offset %d accepted", off)
		}
	}
	page2, err := a.Rank(ctx, advisor.RankQuery{Kind: advisor.RankCommission, Offset: 5, Limit: 5})
	if err != nil || len(page2) != 5 || page2[0].Rank != 6 {
		t.Fatalf("second page: %v %+v", err, page2)
	}
	first10, _ := a.Rank(ctx, advisor.RankQuery{Kind: advisor.RankCommission, Limit: 10})
	if page2[0].Entry.ID != first10[5].Entry.ID {
		t.Fatal("page 2 does not continue page 1")
	}
}

func TestServiceFee(t *testing.T) {
	ctx := context.Background()
	m, s := loadDemo(t, storetest.SQLite(t), 20, 10)
	it := m.Item(3)
	zero := int64(0)
	c, err := advisor.New(s, advisor.Options{ServiceFeeBP: &zero}).Card(ctx, it.Key())
	if err != nil {
		t.Fatal(err)
	}
	if want := c.Now.FinalPrice * c.Now.CommissionRate / 10000; c.FeeBP != 0 || c.EarnFen != want {
		t.Fatalf("zero fee: fee %d earn %d, want 0 and %d", c.FeeBP, c.EarnFen, want)
	}
	for _, bad := range []int64{-1, 10001, -9000000000000000} {
		if advisor.ValidServiceFee(bad) == nil {
			t.Errorf("fee %d accepted", bad)
		}
	}
}

func TestCheckMessages(t *testing.T) {
	ctx := context.Background()
	m, s := loadDemo(t, storetest.SQLite(t), 50, 40)
	a := advisor.New(s, advisor.Options{})
	var known catalog.Item
	for i := 0; i < 50; i++ {
		if it := m.Item(i); it.Platform == catalog.JD {
			known = it
			break
		}
	}
	msg := "🔥【京东】" + known.Title + "\n👉 https://item.jd.com/" + known.ItemID + ".html 到手价见图\n" +
		"再来一个 https://item.jd.com/" + known.ItemID + ".html\n" +
		"不在库里的：https://item.jd.com/100000000001.html\n" +
		"复制这条信息￥AbCdEfGh123￥打开手机淘宝\n客服电话 13812345678"
	rep, err := a.Check(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []advisor.Status
	for _, r := range rep.Results {
		statuses = append(statuses, r.Status)
	}
	want := []advisor.Status{advisor.StatusOK, advisor.StatusNotInCatalog, advisor.StatusNeedsResolving}
	if !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if rep.Results[0].Card.Item.ItemID != known.ItemID {
		t.Fatalf("card for %s", rep.Results[0].Card.Item.ItemID)
	}
	// The price a message states is reported beside the catalog's.
	rep, err = a.Check(ctx, known.Title+" 券后29.9\nhttps://item.jd.com/"+known.ItemID+".html\n另一个 https://item.jd.com/100000000001.html 到手价9.9")
	if err != nil || len(rep.Results) != 2 || rep.Results[0].MessagePrice != 2990 || rep.Results[1].MessagePrice != 990 {
		t.Fatalf("stated prices: %+v, %v", rep, err)
	}
	for _, garbage := range []string{"", "😀😀😀🎉", string([]byte{0xff, 0xfe, 0, 1, 2, 0x80}), strings.Repeat("便宜好物 59.9元 ", 100000)} {
		rep, err := a.Check(ctx, garbage)
		if err != nil || len(rep.Results) != 0 || !errors.Is(rep.Message, msgpkg.New("advisor.nothing_found")) {
			t.Fatalf("garbage %q: %v %+v", garbage[:min(20, len(garbage))], err, rep)
		}
	}
}

// Cards and rankings asked for at once, while categories are still loading,
// give the same answers as asked one at a time.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	m, s := loadDemo(t, storetest.SQLite(t), 200, 30)
	serial := map[catalog.Key]int{}
	for i := 0; i < 200; i += 7 {
		it := m.Item(i)
		c, err := advisor.New(s, advisor.Options{}).Card(ctx, it.Key())
		if err != nil {
			t.Fatal(err)
		}
		serial[it.Key()] = c.Score
	}
	a := advisor.New(s, advisor.Options{})
	errs := make(chan error, 64)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for k, want := range serial {
				if g%2 == 0 {
					if _, err := a.Rank(ctx, advisor.RankQuery{Kind: advisor.RankHot}); err != nil {
						errs <- err
						return
					}
				}
				c, err := a.Card(ctx, k)
				if err != nil {
					errs <- err
					return
				}
				if c.Score != want {
					errs <- fmt.Errorf("%s: score %d concurrently, %d alone", k, c.Score, want)
					return
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestLibraryMatchesScan(t *testing.T) {
	ctx := context.Background()
	m, s := loadDemo(t, storetest.SQLite(t), 500, 20)
	a := advisor.New(s, advisor.Options{})
	all := latest(m, 500)
	// A 2-character word taken from a real title.
	word := string([]rune(all[7].it.Title)[2:4])
	for _, q := range []advisor.LibraryQuery{
		{Text: word, Limit: 20},
		{Text: word, MaxPrice: 20000, Sort: "price", Limit: 5, Offset: 1},
		{MinRateBP: 1000, Platform: catalog.JD, Sort: "commission", Limit: 10},
		{Category: all[0].it.CategoryPath[:strings.Index(all[0].it.CategoryPath, "/")], Sort: "-price", Limit: 7},
	} {
		rows, total, err := a.Library(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want []item
		for _, x := range all {
			if (q.Text == "" || strings.Contains(x.it.Title, q.Text)) && (q.Platform == "" || x.it.Platform == q.Platform) &&
				(q.Category == "" || strings.HasPrefix(x.it.CategoryPath, q.Category+"/")) &&
				(q.MaxPrice == 0 || x.now.FinalPrice <= q.MaxPrice) && x.now.CommissionRate >= q.MinRateBP {
				want = append(want, x)
			}
		}
		if total != len(want) || total == 0 {
			t.Fatalf("%+v: total %d, want %d", q, total, len(want))
		}
		for i := 1; i < len(rows); i++ {
			a, b := rows[i-1].Now, rows[i].Now
			bad := map[string]bool{"": a.Sales30 < b.Sales30, "price": a.FinalPrice > b.FinalPrice,
				"-price": a.FinalPrice < b.FinalPrice, "commission": a.CommissionRate < b.CommissionRate}[q.Sort]
			if bad {
				t.Fatalf("%+v: rows out of order at %d", q, i)
			}
		}
		if len(rows) != min(q.Limit, len(want)-q.Offset) {
			t.Fatalf("%+v: %d rows", q, len(rows))
		}
	}
	if _, _, err := a.Library(ctx, advisor.LibraryQuery{Sort: "random"}); err == nil {
		t.Fatal("unknown sort accepted")
	}
}

// TestLibraryPagesByCursor: pages read after the last row of the page
// before reach every item, in order, past MaxRankRows of offset; the page
// before a row is the page that led to it.
func TestLibraryPagesByCursor(t *testing.T) {
	ctx := context.Background()
	_, s := loadDemo(t, storetest.SQLite(t), 500, 5)
	a := advisor.New(s, advisor.Options{})
	t.Run("scan", func(t *testing.T) { libraryPagesByCursor(t, ctx, a) })
	t.Run("walk", func(t *testing.T) {
		advisor.ForceLibraryWalk(t, true)
		libraryPagesByCursor(t, ctx, a)
	})
	if _, err := advisor.ParseCursor("12_x"); err == nil {
		t.Error("a bad cursor parsed")
	}
}

func libraryPagesByCursor(t *testing.T, ctx context.Context, a *advisor.Advisor) {
	for _, sort := range advisor.LibrarySorts {
		whole, total, err := a.Library(ctx, advisor.LibraryQuery{Sort: sort, Limit: 1000})
		if err != nil || total != 500 || len(whole) != 500 {
			t.Fatalf("sort %q: %d of %d rows, %v", sort, len(whole), total, err)
		}
		q := advisor.LibraryQuery{Sort: sort, Limit: 30}
		var got, prevPage []*advisor.Entry
		for page := 0; ; page++ {
			rows, _, err := a.Library(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				break
			}
			if page > 0 {
				c := advisor.LibraryCursor(q, rows[0])
				back, _, err := a.Library(ctx, advisor.LibraryQuery{Sort: sort, Limit: 30, Before: &c})
				if err != nil || len(back) != len(prevPage) || back[0].ID != prevPage[0].ID || back[len(back)-1].ID != prevPage[len(prevPage)-1].ID {
					t.Fatalf("sort %q page %d: the page before has %d rows, want the %d of the page before (%v)", sort, page, len(back), len(prevPage), err)
				}
			}
			got, prevPage = append(got, rows...), rows
			c := advisor.LibraryCursor(q, rows[len(rows)-1])
			q.After = &c
		}
		if len(got) != len(whole) {
			t.Fatalf("sort %q: paging read %d rows, want %d", sort, len(got), len(whole))
		}
		for i := range got {
			if got[i].ID != whole[i].ID {
				t.Fatalf("sort %q: row %d is item %d, want %d", sort, i, got[i].ID, whole[i].ID)
			}
		}
	}
}

// TestCardsFromMemory: once every category is loaded, a card's item comes
// from memory; it is the same card the catalog gives, for every item, and an
// item imported since (another process's import) is still found.
func TestCardsFromMemory(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	m, s := loadDemo(t, db, 60, 20)
	cold := advisor.New(s, advisor.Options{})
	warm := advisor.New(s, advisor.Options{})
	if err := warm.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		it := m.Item(i)
		key := it.Key()
		want, err := cold.Card(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		cold.Refresh() // keep cold reading the catalog
		got, err := warm.Card(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got.Item != want.Item || got.Score != want.Score || len(got.Substitutes) != len(want.Substitutes) {
			t.Fatalf("%v: from memory %+v (score %d), from the catalog %+v (score %d)", key, got.Item, got.Score, want.Item, want.Score)
		}
		if got.Item.ShortTitle == "" || got.Item.ImageURL == "" {
			t.Fatalf("%v: the card lost the short title or image: %+v", key, got.Item)
		}
	}
	// The item comes from memory: a title changed behind the advisor's back
	// shows after Refresh, as in the rankings.
	first := m.Item(0)
	recs := m.AppendRecords(nil, 0, 1)
	renamed := recs[len(recs)-1] // its latest snapshot again, under a new title
	renamed.Item.Title = "改过的标题"
	if _, err := s.Ingest(ctx, []catalog.Record{renamed}); err != nil {
		t.Fatal(err)
	}
	if c, err := warm.Card(ctx, first.Key()); err != nil || c.Item.Title != first.Title {
		t.Fatalf("before Refresh: %v, %v", c.Item.Title, err)
	}
	warm.Refresh()
	if err := warm.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := warm.Card(ctx, first.Key()); err != nil || c.Item.Title != "改过的标题" {
		t.Fatalf("after Refresh: %v, %v", c.Item.Title, err)
	}
	// A new item written after the warm-up: not in memory, found in the catalog.
	rec := m.AppendRecords(nil, 0, 1)[0]
	rec.Item.ItemID = "900000000001"
	rec.Item.Title = "新上架的测试商品 保温杯"
	if _, err := s.Ingest(ctx, []catalog.Record{rec}); err != nil {
		t.Fatal(err)
	}
	c, err := warm.Card(ctx, rec.Item.Key())
	if err != nil || c.Item.Title != rec.Item.Title {
		t.Fatalf("new item: %+v, %v", c, err)
	}
	if _, err := warm.Card(ctx, catalog.Key{Platform: catalog.Taobao, ItemID: "1"}); err == nil {
		t.Fatal("an unknown item gave a card")
	}
}

// TestLibraryQueriesMatchReference: random combinations of every filter and
// sort give exactly the page and total a plain scan gives (ties by item id).
func TestLibraryQueriesMatchReference(t *testing.T) {
	ctx := context.Background()
	const n = 400
	m, s := loadDemo(t, storetest.SQLite(t), n, 20)
	a := advisor.New(s, advisor.Options{})
	type ref struct {
		item
		id, drop int64
	}
	var all []ref
	var obs []catalog.Observation
	for i := range n {
		obs = m.History(i, obs)
		now := obs[len(obs)-1]
		it := m.Item(i)
		st, err := s.Find(ctx, it.Key())
		if err != nil {
			t.Fatal(err)
		}
		var drop int64
		if hi, ok := catalog.MaxFinal(obs, now.At-7*86400, now.At); ok && hi.Price > now.FinalPrice {
			drop = (hi.Price - now.FinalPrice) * 10000 / hi.Price
		}
		all = append(all, ref{item{it, now}, st.ID, drop})
	}
	key := map[string]func(r ref) int64{
		"sales": func(r ref) int64 { return r.now.Sales30 }, "price": func(r ref) int64 { return -r.now.FinalPrice },
		"-price": func(r ref) int64 { return r.now.FinalPrice }, "commission": func(r ref) int64 { return r.now.CommissionRate },
		"drop": func(r ref) int64 { return r.drop },
	}
	rng := rand.New(rand.NewPCG(11, 12))
	pick := func() ref { return all[rng.IntN(n)] }
	nonEmpty := 0
	defer func() {
		if nonEmpty < 100 {
			t.Errorf("only %d of the queries matched anything", nonEmpty)
		}
	}()
	for qi := range 300 {
		var q advisor.LibraryQuery
		for rng.IntN(2) == 0 && q.Text == "" { // two Chinese characters of a title
			title := []rune(pick().it.Title)
			at := rng.IntN(len(title) - 1)
			if unicode.Is(unicode.Han, title[at]) && unicode.Is(unicode.Han, title[at+1]) {
				q.Text = string(title[at : at+2])
			}
		}
		if rng.IntN(3) == 0 {
			q.Brand = pick().it.Brand
		}
		if rng.IntN(3) == 0 {
			q.Platform = pick().it.Platform
		}
		if rng.IntN(4) == 0 {
			q.ShopType = pick().it.ShopType
		}
		if rng.IntN(3) == 0 {
			q.Category = strings.Split(pick().it.CategoryPath, "/")[0]
		}
		if rng.IntN(3) == 0 {
			q.MinPrice = pick().now.FinalPrice
		}
		if rng.IntN(3) == 0 {
			q.MaxPrice = pick().now.FinalPrice
		}
		if rng.IntN(3) == 0 {
			q.MinRateBP = pick().now.CommissionRate
		}
		if rng.IntN(3) == 0 {
			q.MinSales = pick().now.Sales30
		}
		q.Sort = advisor.LibrarySorts[rng.IntN(len(advisor.LibrarySorts))]
		q.Offset, q.Limit = rng.IntN(5), 1+rng.IntN(30)

		var want []ref
		for _, r := range all {
			x := r.it
			if (q.Text == "" || strings.Contains(x.Title, q.Text)) && (q.Brand == "" || x.Brand == q.Brand) &&
				(q.Platform == "" || x.Platform == q.Platform) && (q.ShopType == "" || x.ShopType == q.ShopType) &&
				(q.Category == "" || strings.HasPrefix(x.CategoryPath, q.Category+"/")) &&
				(q.MinPrice == 0 || r.now.FinalPrice >= q.MinPrice) && (q.MaxPrice == 0 || r.now.FinalPrice <= q.MaxPrice) &&
				r.now.CommissionRate >= q.MinRateBP && r.now.Sales30 >= q.MinSales {
				want = append(want, r)
			}
		}
		k := key[q.Sort]
		slices.SortFunc(want, func(a, b ref) int {
			if ka, kb := k(a), k(b); ka != kb {
				return int(min(max(kb-ka, -1), 1))
			}
			return int(a.id - b.id)
		})
		if len(want) > 0 {
			nonEmpty++
		}
		page := want[min(q.Offset, len(want)):min(q.Offset+q.Limit, len(want))]
		for _, walk := range []bool{false, true} {
			// Walking each shard's sort order (as a short search in a
			// big category does) must give the same page and total.
			advisor.ForceLibraryWalk(t, walk)
			rows, total, err := a.Library(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(want) {
				t.Fatalf("query %d %+v (walk %v): total %d, want %d", qi, q, walk, total, len(want))
			}
			if len(rows) != len(page) {
				t.Fatalf("query %d %+v (walk %v): %d rows, want %d", qi, q, walk, len(rows), len(page))
			}
			for i, e := range rows {
				if e.ID != page[i].id {
					t.Fatalf("query %d %+v (walk %v): row %d is item %d, want %d", qi, q, walk, i, e.ID, page[i].id)
				}
			}
		}
	}
}

// TestCardTracedIsCard: the benchmark's traced card is the card, and its
// trace names the history's length and the category's size.
func TestCardTracedIsCard(t *testing.T) {
	ctx := context.Background()
	m, s := loadDemo(t, storetest.SQLite(t), 60, 40)
	a := advisor.New(s, advisor.Options{})
	cpuCalls := 0
	for i := range 10 {
		it := m.Item(i * 6)
		key := it.Key()
		want, err := a.Card(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		tr := advisor.CardTrace{CPU: func() time.Duration { cpuCalls++; return time.Duration(cpuCalls) }}
		got, err := a.CardTraced(ctx, key, &tr)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: traced card differs:\n%+v\nwant\n%+v", key, got, want)
		}
		titles := 0
		for j := range 60 {
			if m.Item(j).CategoryPath == want.Item.CategoryPath {
				titles++
			}
		}
		if tr.Observations != len(want.History) || tr.Category != titles {
			t.Fatalf("%s: trace says %d observations, %d titles; want %d, %d", key, tr.Observations, tr.Category, len(want.History), titles)
		}
		// Each part reads the clock when it starts and when it ends.
		if tr.History.CPU != 1 || tr.Substitutes.CPU != 1 {
			t.Fatalf("%s: CPU clock differences %v, %v; want 1 each", key, tr.History.CPU, tr.Substitutes.CPU)
		}
	}
}
