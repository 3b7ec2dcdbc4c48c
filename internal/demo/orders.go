package demo

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Demo orders follow the demo's posts: every post sent to a group with an
// Alimama placement brings members' clicks and orders, the way the
// trade's numbers go.
//
//   - How many: each post sells about members × 0.3% orders (Poisson), the
//     members the group has that day in the member simulation (MemberLives)
//     times its engagement (1 in a lively group), so a dying group's orders
//     fade out with it; more
//     for cheap items (under ¥10: ×1.6, under ¥30: ×1.2), far fewer for
//     dear ones (over ¥50: ×(50/price)^0.9, ¥500: ×0.13), more with the
//     advisor's badges (历史最低 ×1.8, 接近史低 ×1.3, 30天最低 ×1.2, a
//     promotion price ×1.2).
//   - When: the click comes minutes to hours after the post (log-normal,
//     median 25 minutes, at most 10 hours), the order 1-15 minutes after
//     the click and the payment 10 s to 2 min after that. Orders whose
//     payment would come after now are not there yet.
//   - What becomes of it: 8% become invalid (失效) within two days; the
//     rest are received 3 to 10 days after payment and settled (结算, the
//     merchant pays the commission: Alimama's 结算时间) 0 to 2 days after
//     that; 2% of the received are refunded (维权). The publisher is paid
//     on the 20th of the month after settlement: the settlement forecast
//     shows that, not the orders. (Alimama's tk_earning_time is "订单确认
//     收货后且商家完成佣金支付的时间": settling is not the monthly payout.)
//   - Money: the post's final price per piece; the commission rate is the
//     item's in the catalog when the post went out (5-30% when unknown);
//     the estimate is paid × rate less the 10% service fee (技术服务费).
//   - 5% more orders come through placements no group has, so the
//     unattributed list has something to show.
//
// Everything an order is follows from (seed, post id, its number); only
// its status depends on now. Running Orders again with the same seed and
// now changes nothing (every order comes back unchanged); with a later now
// the statuses move on, as a later report would move them.

// demoOrderBase starts the demo's trade ids (19 digits, like Alimama's).
const demoOrderBase = 3_100_000_000_000_000_000

type demoPost struct {
	id, group, sentAt, price int64
	platform, item, title    string
	badges                   string
	adzone, adzoneName, pid  string
	members                  int64
	engagement               float64 // 0..1 (1 when unknown)
	simulated                bool    // members come from the member simulation (0 is 0)
	life                     *GroupLife
}

// Orders generates the orders of the sent posts (Taobao and Tmall items,
// groups with an Alimama placement) paid up to now and imports them with
// orders.Store.Import, which attributes them. It returns how many orders
// it gave Import (new, updated or unchanged).
func Orders(ctx context.Context, db *store.DB, seed uint64, now time.Time) (int, error) {
	posts, err := sentPosts(ctx, db, now)
	if err != nil {
		return 0, fmt.Errorf("demo orders: posts: %w", err)
	}
	lives, err := MemberLives(ctx, db, seed, now)
	if err != nil {
		return 0, fmt.Errorf("demo orders: members: %w", err)
	}
	lives.setMembers(posts)
	cs := catalog.NewStore(db)
	rates := map[string]int64{}
	rate := func(p *demoPost) int64 {
		key := fmt.Sprintf("%s:%s:%d", p.platform, p.item, p.sentAt/86400)
		if r, ok := rates[key]; ok {
			return r
		}
		r := int64(0)
		if o, ok, err := cs.ValueAt(ctx, catalog.Key{Platform: catalog.Platform(p.platform), ItemID: p.item}, p.sentAt); err == nil && ok {
			r = o.CommissionRate
		}
		if r <= 0 {
			r = 500 + int64(mix64(seed^hashString(p.item))%2500)
		}
		rates[key] = r
		return r
	}
	var out []orders.Order
	var from []int // the post of each order
	for i := range posts {
		p := &posts[i]
		r := rng{s: mix64(seed ^ 0x0dde_0dde ^ uint64(p.id)*0x9e3779b97f4a7c15)}
		n := min(poisson(&r, expectedOrders(p)), 99) // two digits of the trade id
		for k := range n {
			if o, ok := demoOrder(&r, p, rate(p), seed, k, now.Unix()); ok {
				out = append(out, o)
				from = append(from, i)
			}
		}
	}
	// Orders through placements no group has: 5% more, of the posts that
	// sold (so with the same mix of items and prices).
	stray := len(out) / 20
	for k := 0; k < stray; k++ {
		r := rng{s: mix64(seed ^ 0x57a7 ^ uint64(k)*0xbf58476d1ce4e5b9)}
		p := posts[from[r.intn(len(from))]]
		p.id, p.adzone = -1-int64(k), strconv.Itoa(109_990+r.intn(3)) // "-1-k": ids of their own
		p.adzoneName, p.pid = "旧推广位"+p.adzone[len(p.adzone)-1:], "mm_120033_2841001_"+p.adzone
		if o, ok := demoOrder(&r, &p, rate(&p), seed, 0, now.Unix()); ok {
			out = append(out, o)
		}
	}
	s := orders.NewStore(db)
	for rest := out; len(rest) > 0; {
		n := min(len(rest), 20000)
		if _, err := s.Import(ctx, rest[:n]); err != nil {
			return 0, fmt.Errorf("demo orders: %w", err)
		}
		rest = rest[n:]
	}
	return len(out), nil
}

// sentPosts returns the Taobao and Tmall posts sent by now to groups with
// an Alimama placement, by id.
func sentPosts(ctx context.Context, db *store.DB, now time.Time) ([]demoPost, error) {
	groups, err := community.NewStore(db).List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	byID := map[int64]*community.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	ds, err := publish.NewStore(db).Board(ctx, time.Unix(0, 0), now.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	var posts []demoPost
	for _, d := range ds {
		g := byID[d.GroupID]
		if d.Status != publish.Sent || d.SentAt <= 0 || d.SentAt > now.Unix() || g == nil || g.AdzoneID() == "" ||
			d.Item.Platform != catalog.Taobao && d.Item.Platform != catalog.Tmall {
			continue
		}
		posts = append(posts, demoPost{id: d.ID, group: d.GroupID, sentAt: d.SentAt, price: d.FinalPrice,
			platform: string(d.Item.Platform), item: d.Item.ItemID, title: d.Title, badges: strings.Join(d.Badges, "\n"),
			adzone: g.AdzoneID(), adzoneName: g.Name, pid: g.PIDTaobao, members: g.Members, engagement: 1})
	}
	slices.SortFunc(posts, func(a, b demoPost) int { return cmp.Compare(a.id, b.id) })
	return posts, nil
}

// setMembers gives each post its group's members and engagement on the
// day it was sent.
func (p *MemberPlan) setMembers(posts []demoPost) {
	byGroup := map[int64]*GroupLife{}
	for i := range p.Groups {
		byGroup[p.Groups[i].GroupID] = &p.Groups[i]
	}
	first := shanghai.Day(p.Start.Unix())
	for i := range posts {
		g := byGroup[posts[i].group]
		if g == nil {
			continue
		}
		if k := int(shanghai.Day(posts[i].sentAt) - first); k >= 0 && k < len(g.Days) {
			posts[i].members, posts[i].engagement = int64(g.Days[k].Members), g.Days[k].Engagement
			posts[i].simulated, posts[i].life = true, g
		}
	}
}

// expectedOrders is the mean number of orders a post brings.
func expectedOrders(p *demoPost) float64 {
	members := float64(p.members)
	if members <= 0 && !p.simulated {
		members = 200
	}
	f := members * 0.003 * p.engagement
	switch yuan := float64(p.price) / 100; {
	case yuan < 10:
		f *= 1.6
	case yuan < 30:
		f *= 1.2
	case yuan > 50: // dearer things sell much less in a deal group
		f *= math.Pow(50/yuan, 0.9)
	}
	for _, b := range strings.Split(p.badges, "\n") {
		switch {
		case b == "历史最低":
			f *= 1.8
		case b == "接近史低":
			f *= 1.3
		case b == "30天最低":
			f *= 1.2
		case strings.HasSuffix(b, "价"):
			f *= 1.2
		}
	}
	return f
}

// poisson draws a Poisson(mean) count (Knuth; means here are small).
func poisson(r *rng, mean float64) int {
	limit, p, k := math.Exp(-mean), 1.0, 0
	for {
		p *= r.float()
		if p <= limit || k > 200 {
			return k
		}
		k++
	}
}

// demoOrder is order k of post p; ok is false when it is not paid by now.
func demoOrder(r *rng, p *demoPost, rateBP int64, seed uint64, k int, now int64) (orders.Order, bool) {
	// Every draw is made whatever now is, so the order does not depend on it.
	delay := math.Min(math.Exp(math.Log(25*60)+0.9*r.normal()), 10*3600)
	click := p.sentAt + 30 + int64(delay)
	created := click + 60 + int64(r.intn(14*60))
	paid := created + 10 + int64(r.intn(110))
	qty := int64(1)
	if r.intn(10) == 0 {
		qty = 2
	}
	price := max(p.price, 100)
	paidAmount := price*qty - int64(r.intn(int(min(price/20, 500))+1)) // shop discounts of a few fen
	fee := int64(1000)
	est := paidAmount * rateBP / 10000 * (10000 - fee) / 10000
	fate := r.float()
	invalidAfter := int64(r.between(3600, 2*86400))
	received := paid + int64(r.between(3*86400, 10*86400))
	settled := received + int64(r.between(0, 2*86400))
	refunded := r.float() < 0.02
	special := ""
	if r.intn(4) == 0 {
		// A quarter come through a member's 会员运营ID: a member in the
		// group when the post went out.
		k := r.intn(int(max(p.members, 1)))
		if p.life != nil {
			special = p.life.specialIDAt(p.sentAt, k)
		} else {
			special = strconv.Itoa(5_000_000 + int(p.group)*1000 + k)
		}
	}
	if paid > now {
		return orders.Order{}, false
	}
	id := demoOrderBase + (seed%1000)*1_000_000_000_000 + uint64(p.id+1_000_000)*100 + uint64(k)
	orderType := "淘宝"
	if p.platform == "tmall" {
		orderType = "天猫"
	}
	media := ""
	if parts := strings.Split(p.pid, "_"); len(parts) == 4 {
		media = parts[2]
	}
	o := orders.Order{
		Platform: orders.PlatformTaobao, TradeID: strconv.FormatUint(id, 10), ParentID: strconv.FormatUint(id, 10),
		OrderType: orderType, ItemID: p.item, Title: p.title, Quantity: qty, UnitPrice: price, PaidAmount: paidAmount,
		CommissionRate: rateBP, EstIncome: est, ServiceFeeRate: fee, Status: orders.Paid,
		ClickAt: click, CreatedAt: created, PaidAt: paid, MediaID: media, MediaName: "群客演示",
		AdzoneID: p.adzone, AdzoneName: p.adzoneName, SpecialID: special,
	}
	switch {
	case fate < 0.08:
		if paid+invalidAfter <= now {
			o.Status = orders.Invalid
		}
	case settled <= now:
		o.Status, o.SettledAt, o.SettledAmount, o.SettledIncome = orders.Settled, settled, paidAmount, est
		if refunded && settled+5*86400 <= now {
			o.Status, o.Dispute = orders.Refunded, "维权订单"
		}
	case received <= now:
		o.Status = orders.Received
	}
	return o, true
}

func hashString(s string) uint64 {
	h := uint64(1469598103934665603)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}
