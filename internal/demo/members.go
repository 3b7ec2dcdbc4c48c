package demo

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// The demo's members live the way a deal group's members do. Each group
// starts the window with the members it had (founders who joined over the
// months before; some groups were filled with bought members), and every
// Shanghai day:
//
//   - Members join: bought in batches (a purchase has a day, a size and a
//     unit price in fen, kept for the cost pages), invited by members who
//     like the group, and organic (someone finds the group). Invitations and
//     organic joins follow the group's engagement; a group stops at its
//     capacity.
//   - Members speak: each has a talkativeness (most lurk, a few chat) and
//     speaks on a day with a chance that follows engagement.
//   - Members leave, each with a daily hazard that is the sum of four
//     causes, so every leave has the cause that drew it:
//     churn (ordinary turnover, higher for bought members);
//     age (boredom, rising with months in the group, strong for bought ones);
//     spam (posts per day above what the group tolerates, accumulated as
//     annoyance over the last weeks);
//     poor deals (the share of the group's posts that are poor deals, beyond
//     what the group accepts, accumulated as distrust).
//     A disengaged group (low engagement) multiplies the last three.
//   - Engagement follows annoyance, distrust and how full the group still is
//     against its peak, and moves a quarter of the way each day.
//
// Whether a post is a poor deal comes from what the demo's posts already say
// about themselves: the advisor's badges and the discount (poorDeal).
//
// Nothing decides that a group dies: a few groups have traits that make
// these hazards high (a flood of posts, poor deals, a crowd of bought
// members growing bored), and they empty day by day. MemberLives reports
// which did and when, by the rule in GroupLife.

// LeaveCause is why a simulated member left.
type LeaveCause string

const (
	CauseChurn LeaveCause = "churn"      // ordinary turnover
	CauseAge   LeaveCause = "age"        // bored after months in the group
	CauseSpam  LeaveCause = "spam"       // more posts than the group stands
	CausePoor  LeaveCause = "poor_deals" // too many poor deals
)

// JoinKind is how a simulated member came.
type JoinKind string

const (
	JoinFounder JoinKind = "founder" // in the group before the window
	JoinBought  JoinKind = "bought"  // bought in a batch
	JoinInvited JoinKind = "invited" // invited by a member
	JoinOrganic JoinKind = "organic" // found the group
)

// Death rule of the ground truth: a group is dead from the first day its
// members are under DeadShare of its peak so far, or (where the channel
// tells who speaks) the DeadSilentDays-th day in a row nobody spoke.
const (
	DeadShare      = 0.30
	DeadSilentDays = 7
)

// MemberPlan is the simulated ground truth of the demo's members.
type MemberPlan struct {
	Start  time.Time // first day, Shanghai midnight
	Days   int
	Groups []GroupLife
}

// GroupLife is one group's simulated window.
type GroupLife struct {
	GroupID int64
	Name    string
	Source  string // "wecom", "telegram" or "sheet" (community's sources)
	ChatID  string // the platform chat ("" for hand-kept groups)
	Told    bool   // the channel tells who speaks: Telegram (WeCom's customer-group API and a hand sheet do not)
	Days    []LifeDay
	Peak    int // most members on a day's end
	// DeathDay is the index in Days of the day the group died by the death
	// rule, -1 while it lives.
	DeathDay  int
	Leaves    map[LeaveCause]int
	Purchases []Purchase

	members []simMember
	talk    []simTalk
}

// Died is the day the group died (zero if it lives).
func (g *GroupLife) Died() time.Time {
	if g.DeathDay < 0 {
		return time.Time{}
	}
	return g.Days[g.DeathDay].Day
}

// MainCause is the cause of most of the group's leaves.
func (g *GroupLife) MainCause() LeaveCause {
	best, n := CauseChurn, -1
	for _, c := range []LeaveCause{CauseChurn, CauseAge, CauseSpam, CausePoor} {
		if g.Leaves[c] > n {
			best, n = c, g.Leaves[c]
		}
	}
	return best
}

// LifeDay is one simulated day of a group.
type LifeDay struct {
	Day        time.Time // Shanghai midnight
	Members    int       // at the end of the day
	Joins      int
	Leaves     int
	Speakers   int
	Messages   int
	Posts      int
	PoorPosts  int
	Engagement float64 // 0..1, 1 = a lively group
	Annoyance  float64 // accumulated excess posts (spam)
	Distrust   float64 // accumulated poor deals
}

// Purchase is a batch of bought members.
type Purchase struct {
	Day     time.Time
	Members int   // joined (a full group takes fewer)
	UnitFen int64 // price per member, fen
	Link    string
}

// simMember is one membership in the simulation.
type simMember struct {
	ext, union, name string
	kind             JoinKind
	joined, left     int64 // unix; left 0 = still in
	inviter          int   // index of the inviting member, -1
	batch            int   // purchase index for bought members, -1
	frailty, talk    float64
	cause            LeaveCause
	removed          bool
}

// simTalk is one member's messages on one day.
type simTalk struct {
	member, day, n int
	at             int64
}

// traits make a group's character (defaultTraits for a group the demo did
// not make).
type traits struct {
	age        int     // days the group ran before the window
	bought     float64 // share of founders who were bought
	boughtAge  [2]int  // founders bought this many days before the window (range)
	tolerance  float64 // posts per day the members stand
	picky      float64 // how much poor deals weigh
	acceptPoor float64 // share of poor deals members let pass
	invite     float64 // invitations per member per day at full engagement
	organic    float64 // organic joins per day at full engagement
	talk       float64 // talkativeness multiplier
	purchases  []buy
	shareWith  string  // another group whose founders some of these are (same platform)
	shareFrac  float64 // share of founders who are also in shareWith
}

type buy struct {
	day     int // day of the window
	n       int
	unitFen int64
}

// groupTraits are the demo groups' characters, by name. The dying ones:
// 秒杀快抢群 (a flood of posts after a big purchase), 白领下午茶 (poor deals
// for picky members), 大学城好物群 (poor deals and a little too many), and
// 宝妈福利3群 (filled with bought members months ago, now bored).
// 学生党省钱群 gets the same posts as 大学城好物群 and lives: its members
// hunt for anything and invite their classmates.
var groupTraits = map[string]traits{
	"宝妈福利1群": {age: 320, tolerance: 9, picky: 1, acceptPoor: 0.4, invite: 0.003, organic: 1.2, talk: 1.2},
	"宝妈福利2群": {age: 200, tolerance: 9, picky: 1, acceptPoor: 0.4, invite: 0.0025, organic: 0.8, talk: 1.1, shareWith: "宝妈福利1群", shareFrac: 0.12, purchases: []buy{{20, 60, 150}}},
	"宝妈福利3群": {age: 200, bought: 0.9, boughtAge: [2]int{80, 130}, tolerance: 9, picky: 1, acceptPoor: 0.4, invite: 0.0004, organic: 0.1, talk: 0.7},
	"学生党省钱群": {age: 240, tolerance: 6, picky: 0.5, acceptPoor: 0.9, invite: 0.004, organic: 1.5, talk: 1.4, purchases: []buy{{12, 80, 90}}},
	"大学城好物群": {age: 120, tolerance: 3, picky: 1.3, acceptPoor: 0.35, invite: 0.002, organic: 0.6, talk: 1.2, shareWith: "学生党省钱群", shareFrac: 0.15},
	"数码发烧友":  {age: 400, tolerance: 4, picky: 1, acceptPoor: 0.5, invite: 0.002, organic: 0.5, talk: 1.5},
	"数码内购群":  {age: 90, tolerance: 4, picky: 1, acceptPoor: 0.5, invite: 0.0008, organic: 0.1, talk: 0.8},
	"白领下午茶":  {age: 180, tolerance: 4, picky: 1.4, acceptPoor: 0.1, invite: 0.0015, organic: 0.3, talk: 1},
	"演示直播群":  {age: 60, tolerance: 60, picky: 0.6, acceptPoor: 0.6, invite: 0.002, organic: 1, talk: 0.8},
	"秒杀快抢群":  {age: 30, bought: 0.3, boughtAge: [2]int{10, 30}, tolerance: 5, picky: 0.8, acceptPoor: 0.5, invite: 0.001, organic: 0.5, talk: 1, purchases: []buy{{3, 260, 120}}},
}

var defaultTraits = traits{age: 180, tolerance: 6, picky: 1, acceptPoor: 0.5, invite: 0.002, organic: 0.5, talk: 1}

// Hazard constants (per member per day).
const (
	hChurn   = 0.0016 // ordinary turnover
	hAge     = 0.0028 // boredom at three months, before the member's sensitivity
	hSpam    = 0.03   // per unit of annoyance
	hPoor    = 0.03   // per unit of distrust
	stockMix = 0.06   // annoyance and distrust take in this share of each day
	engMove  = 0.25   // engagement moves this share of the way each day
)

// memberGroup is what the simulation knows of a group.
type memberGroup struct {
	id       int64
	name     string
	channel  community.Channel
	target   string
	members  int
	capacity int
}

// dayLoad is a group's posts on one day.
type dayLoad struct{ posts, poor int }

// MemberLives simulates the members of the demo's groups from the first
// day a post was sent up to now, from the groups and their posts in db. It
// writes nothing; the same seed, groups and posts give the same lives, and a
// later now only adds days.
func MemberLives(ctx context.Context, db *store.DB, seed uint64, now time.Time) (*MemberPlan, error) {
	groups, err := community.NewStore(db).List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	ds, err := publish.NewStore(db).Board(ctx, time.Unix(0, 0), now.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	first := shanghai.Day(now.Unix()) - 60
	seen := false
	for _, d := range ds {
		if d.Status == publish.Sent && d.SentAt > 0 && d.SentAt <= now.Unix() {
			if day := shanghai.Day(d.SentAt); !seen || day < first {
				first, seen = day, true
			}
		}
	}
	days := int(shanghai.Day(now.Unix())-first) + 1
	loads := map[int64][]dayLoad{}
	for _, d := range ds {
		if d.Status != publish.Sent || d.SentAt <= 0 || d.SentAt > now.Unix() {
			continue
		}
		l := loads[d.GroupID]
		if l == nil {
			l = make([]dayLoad, days)
			loads[d.GroupID] = l
		}
		k := int(shanghai.Day(d.SentAt) - first)
		l[k].posts++
		if poorDeal(d) {
			l[k].poor++
		}
	}
	plan := &MemberPlan{Start: time.Unix(first*86400-shanghai.Offset, 0).In(shanghai.Zone), Days: days}
	for _, g := range groups {
		mg := memberGroup{id: g.ID, name: g.Name, channel: g.Channel, target: g.Target, members: founders(g.Name), capacity: int(g.Capacity)}
		if l := loads[g.ID]; l != nil {
			plan.Groups = append(plan.Groups, simulateGroup(seed, mg, first, l))
		} else {
			plan.Groups = append(plan.Groups, simulateGroup(seed, mg, first, make([]dayLoad, days)))
		}
	}
	return plan, nil
}

// founders is how many members a group had when the window began: the
// demo's own count for its groups (not the group's member count, which
// Members sets to the simulation's end), some 50 to 200 for any other.
func founders(name string) int {
	for _, d := range demoGroups {
		if d.name == name {
			return int(d.members)
		}
	}
	return 50 + int(hashString(name)%150)
}

// poorDeal reports whether a post is a poor deal: its quality, from the
// advisor's badges it carries (历史最低 0.5, 接近史低 0.35, 30天最低 0.25, a
// promotion price 0.2) plus its discount off the list price (0.5 at 30% off
// and more), is under 0.3.
func poorDeal(d *publish.Delivery) bool {
	q := 0.0
	for _, b := range d.Badges {
		switch {
		case b == "历史最低":
			q = max(q, 0.5)
		case b == "接近史低":
			q = max(q, 0.35)
		case b == "30天最低":
			q = max(q, 0.25)
		case strings.HasSuffix(b, "价"):
			q = max(q, 0.2)
		}
	}
	if d.ListPrice > 0 && d.FinalPrice < d.ListPrice {
		q += min(float64(d.ListPrice-d.FinalPrice)/float64(d.ListPrice)/0.3, 1) * 0.5
	}
	return q < 0.3
}

// Where a group's members are known from: the registry's sources.
const (
	srcWeCom    = "wecom"
	srcTelegram = "telegram"
	srcSheet    = "sheet"
)

func sourceOf(ch community.Channel) string {
	switch ch {
	case community.WeCom:
		return srcWeCom
	case community.Telegram:
		return srcTelegram
	}
	return srcSheet
}

// simulateGroup plays one group's window: days loads from day first
// (Shanghai day number).
func simulateGroup(seed uint64, g memberGroup, first int64, loads []dayLoad) GroupLife {
	tr, ok := groupTraits[g.name]
	if !ok {
		tr = defaultTraits
	}
	r := rng{s: mix64(seed ^ 0x3e3b_e2ab_0c1d ^ hashString(g.name))}
	src := sourceOf(g.channel)
	life := GroupLife{GroupID: g.id, Name: g.name, Source: src, DeathDay: -1, Leaves: map[LeaveCause]int{},
		Told: src == srcTelegram}
	switch src {
	case srcWeCom:
		life.ChatID = "wr" + token(hashString("chat:"+g.name), 28)
	case srcTelegram:
		life.ChatID = g.target
	}
	capacity := g.capacity
	if capacity <= 0 {
		capacity = 500
	}
	start := first*86400 - shanghai.Offset

	// Founders.
	nf := g.members
	for i := range nf {
		m := simMember{kind: JoinFounder, inviter: -1, batch: -1}
		var age int
		if r.float() < tr.bought {
			m.kind = JoinBought
			age = tr.boughtAge[0] + r.intn(max(tr.boughtAge[1]-tr.boughtAge[0], 1))
		} else {
			age = 1 + r.intn(max(tr.age, 1))
		}
		m.joined = start - int64(age)*86400 + int64(r.intn(86400))
		home, idx := g.name, i
		if tr.shareWith != "" && r.float() < tr.shareFrac {
			// Someone who is also in the sister group: the same person.
			home = tr.shareWith // its founder i
		}
		life.members = append(life.members, newMember(&r, m, src, home, idx))
	}
	for k, b := range tr.purchases {
		life.Purchases = append(life.Purchases, Purchase{
			Day:     time.Unix(start+int64(b.day)*86400, 0).In(shanghai.Zone),
			UnitFen: b.unitFen, Link: fmt.Sprintf("tf-%d", k+1)})
	}

	var annoy, distrust, eng float64
	peak, silent := 0, 0
	in := func(m *simMember, at int64) bool { return m.joined <= at && (m.left == 0 || m.left > at) }
	for d := range loads {
		day0 := start + int64(d)*86400
		load := loads[d]
		excess := 0.0
		if load.posts > 0 {
			excess = max(float64(load.posts)/tr.tolerance-1, 0)
		}
		poorX := 0.0
		if load.posts > 0 {
			share := float64(load.poor) / float64(load.posts)
			poorX = max(share-tr.acceptPoor, 0) / (1 - tr.acceptPoor) * tr.picky
		}
		annoy += stockMix * (min(excess, 3) - annoy)
		distrust += stockMix * (poorX - distrust)

		n := 0
		for i := range life.members {
			if in(&life.members[i], day0) {
				n++
			}
		}
		crowd := 1.0
		if peak > 0 {
			crowd = min(float64(n)/(0.8*float64(peak)), 1)
		}
		target := math.Exp(-1.2*annoy-1.2*distrust) * (0.55 + 0.45*crowd)
		if d == 0 {
			eng = target
		} else {
			eng += engMove * (target - eng)
		}
		ld := LifeDay{Day: time.Unix(day0, 0).In(shanghai.Zone), Posts: load.posts, PoorPosts: load.poor,
			Engagement: eng, Annoyance: annoy, Distrust: distrust}

		// Joins.
		join := func(m simMember) {
			if n >= capacity {
				return
			}
			m.joined = day0 + int64(r.intn(86400))
			life.members = append(life.members, newMember(&r, m, src, g.name, len(life.members)))
			n++
			ld.Joins++
		}
		for k, b := range tr.purchases {
			if b.day == d {
				before := ld.Joins
				for range b.n {
					join(simMember{kind: JoinBought, inviter: -1, batch: k})
				}
				life.Purchases[k].Members = ld.Joins - before
			}
		}
		var inviters []int
		for i := range life.members {
			if m := &life.members[i]; in(m, day0) && m.kind != JoinBought {
				inviters = append(inviters, i)
			}
		}
		for range poisson(&r, float64(len(inviters))*tr.invite*eng) {
			join(simMember{kind: JoinInvited, inviter: inviters[r.intn(len(inviters))], batch: -1})
		}
		for range poisson(&r, tr.organic*eng) {
			join(simMember{kind: JoinOrganic, inviter: -1, batch: -1})
		}

		// Leaves and talk, member by member in join order.
		dis := (1.6 - eng) / 0.6 // 1 in a lively group, up to 2.7 in a dead one
		for i := range life.members {
			m := &life.members[i]
			if !in(m, day0) {
				continue
			}
			ageDays := float64(day0-m.joined) / 86400
			sens, turn := 0.3, 1.0
			switch m.kind {
			case JoinBought:
				sens, turn = 5, 1.6
			case JoinInvited:
				sens, turn = 0.25, 0.8
			}
			hz := [4]float64{
				hChurn * turn * m.frailty,
				hAge * sens * math.Pow(min(ageDays/90, 2.5), 1.5) * m.frailty * dis,
				hSpam * annoy * m.frailty * dis,
				hPoor * distrust * m.frailty * dis,
			}
			total := hz[0] + hz[1] + hz[2] + hz[3]
			if r.float() < 1-math.Exp(-total) {
				u := r.float() * total
				c := 0
				for c < 3 && u >= hz[c] {
					u -= hz[c]
					c++
				}
				m.cause = []LeaveCause{CauseChurn, CauseAge, CauseSpam, CausePoor}[c]
				m.removed = c == 0 && r.intn(8) == 0 // the odd ad poster the owner removes
				m.left = max(day0+int64(r.intn(86400)), m.joined+60)
				life.Leaves[m.cause]++
				ld.Leaves++
				continue
			}
			if p := min(m.talk*eng*tr.talk, 0.95); r.float() < p {
				k := 1 + poisson(&r, 4*m.talk*eng*tr.talk)
				life.talk = append(life.talk, simTalk{member: i, day: d, n: k, at: day0 + int64(8*time.Hour/time.Second) + int64(r.intn(15*3600))})
				ld.Speakers++
				ld.Messages += k
			}
		}
		for i := range life.members {
			if in(&life.members[i], day0+86400-1) {
				ld.Members++
			}
		}
		peak = max(peak, ld.Members)
		if ld.Speakers == 0 {
			silent++
		} else {
			silent = 0
		}
		if life.DeathDay < 0 && (float64(ld.Members) < DeadShare*float64(peak) || life.Told && silent >= DeadSilentDays) {
			life.DeathDay = d
		}
		life.Days = append(life.Days, ld)
	}
	life.Peak = peak
	return life
}

// specialIDAt is the 会员运营ID (Alimama special_id) of the k-th member
// (modulo their number) in the group at t; "" when it had none.
func (g *GroupLife) specialIDAt(t int64, k int) string {
	var in []int
	for i := range g.members {
		if m := &g.members[i]; m.joined <= t && (m.left == 0 || m.left > t) {
			in = append(in, i)
		}
	}
	if len(in) == 0 {
		return ""
	}
	return SpecialID(g.Source, g.members[in[k%len(in)]].ext)
}

// SpecialID is the Alimama 会员运营ID the demo gives a member (source and
// external id): ten digits, the same in every group, so binding it to the
// member (community's Bind, platform "taobao", kind "special_id") credits
// the member's demo orders to them.
func SpecialID(source, externalID string) string {
	return strconv.FormatUint(2_000_000_000+hashString(source+":"+externalID)%7_000_000_000, 10)
}

// SpecialIDs lists the 会员运营ID of every member the group ever had, by
// external id.
func (g *GroupLife) SpecialIDs() map[string]string {
	out := make(map[string]string, len(g.members))
	for i := range g.members {
		out[g.members[i].ext] = SpecialID(g.Source, g.members[i].ext)
	}
	return out
}

// newMember gives m its person: ids and a name from (home group, index),
// so the same person has the same ids in every group; and its own
// frailty and talkativeness.
func newMember(r *rng, m simMember, src string, home string, idx int) simMember {
	h := mix64(hashString(src+":"+home) ^ uint64(idx)*0x9e3779b97f4a7c15)
	switch src {
	case srcWeCom:
		m.ext = "wm" + token(h, 30)
		if h%5 < 3 {
			m.union = "o" + token(mix64(h), 27)
		}
	case srcTelegram:
		m.ext = strconv.FormatUint(1_000_000_000+h%6_000_000_000, 10)
	default:
		m.ext = "wxid_" + lowerToken(h, 14)
	}
	m.name = nickname(h)
	m.frailty = math.Exp(0.5 * r.normal())
	switch k := r.intn(100); {
	case k < 55:
		m.talk = 0.01 // lurkers
	case k < 90:
		m.talk = r.between(0.08, 0.3)
	default:
		m.talk = r.between(0.5, 0.9)
	}
	return m
}

// token is n characters of base64url from h.
func token(h uint64, n int) string {
	var b []byte
	for len(b) < n {
		var raw [8]byte
		for i := range raw {
			raw[i] = byte(h >> (8 * i))
		}
		b = base64.RawURLEncoding.AppendEncode(b, raw[:])
		h = mix64(h + 1)
	}
	return string(b[:n])
}

func lowerToken(h uint64, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		h = mix64(h + uint64(i))
		b[i] = chars[h%uint64(len(chars))]
	}
	return string(b)
}

var (
	nickFirst = []string{"小", "阿", "大", "老", "", "", "", ""}
	nickMid   = []string{"鹿", "杰", "芳", "敏", "静", "磊", "婷", "涛", "丽", "燕", "强", "霞", "萌", "楠", "雪", "琳",
		"橙子", "糖糖", "豆豆", "乐乐", "果果", "星星", "木木", "朵朵", "Lily", "Amy", "Tony", "Kevin", "Coco", "Momo"}
	nickLast = []string{"", "", "", "", "妈妈", "宝妈", "爸", "姐", "哥", "同学", "酱", "_", "🍊", "🌸", "呀", "不吃香菜", "爱省钱", "在路上"}
)

func nickname(h uint64) string {
	h = mix64(h ^ 0x6e69_636b)
	a := nickFirst[h%uint64(len(nickFirst))]
	b := nickMid[(h>>8)%uint64(len(nickMid))]
	c := nickLast[(h>>16)%uint64(len(nickLast))]
	if c == "_" {
		c = strconv.Itoa(int(h>>24)%90 + 10)
	}
	return a + b + c
}
