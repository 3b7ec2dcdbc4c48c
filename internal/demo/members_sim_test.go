package demo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/shanghai"
)

// simDays is the demo's window: 60 days of posts and today.
const simDays = 61

// steady is a load of posts per day of which poor are poor deals.
func steady(posts, poor int) []dayLoad {
	l := make([]dayLoad, simDays)
	for i := range simDays - 1 {
		l[i] = dayLoad{posts, poor}
	}
	return l
}

// demoLoads are the demo groups with loads like their plans give them.
var demoLoads = []struct {
	g    memberGroup
	load []dayLoad
	dies bool
}{
	{memberGroup{1, "宝妈福利1群", community.WeCom, "robot-1", 463, 500}, steady(6, 0), false},
	{memberGroup{2, "宝妈福利2群", community.WeCom, "robot-2", 388, 500}, steady(6, 0), false},
	{memberGroup{3, "宝妈福利3群", community.Manual, "", 205, 500}, steady(6, 0), true},
	{memberGroup{4, "学生党省钱群", community.Telegram, "-1004", 492, 500}, steady(4, 3), false},
	{memberGroup{5, "大学城好物群", community.Telegram, "-1005", 311, 500}, steady(4, 3), true},
	{memberGroup{6, "数码发烧友", community.Telegram, "-1006", 157, 500}, steady(2, 0), false},
	{memberGroup{7, "数码内购群", community.WeCom, "robot-7", 96, 500}, steady(2, 0), false},
	{memberGroup{8, "白领下午茶", community.Manual, "", 240, 500}, steady(2, 2), true},
	{memberGroup{9, "演示直播群", community.Telegram, "-1009", 120, 500}, steady(48, 0), false},
	{memberGroup{10, "秒杀快抢群", community.WeCom, "robot-10", 150, 500}, steady(12, 4), true},
}

var simFirst = shanghai.Day(testEnd.Unix()) - simDays + 1

func TestMemberLivesDeterministic(t *testing.T) {
	for _, d := range demoLoads {
		a, b := simulateGroup(1, d.g, simFirst, d.load), simulateGroup(1, d.g, simFirst, d.load)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: two runs with seed 1 differ", d.g.name)
		}
		if c := simulateGroup(2, d.g, simFirst, d.load); reflect.DeepEqual(a.Days, c.Days) {
			t.Fatalf("%s: seeds 1 and 2 give the same days", d.g.name)
		}
		// A later now only adds days: the past stays as it was.
		longer := simulateGroup(1, d.g, simFirst, append(append([]dayLoad{}, d.load...), make([]dayLoad, 10)...))
		if !reflect.DeepEqual(longer.Days[:simDays], a.Days) {
			t.Fatalf("%s: ten more days change the past", d.g.name)
		}
	}
}

func TestGroupsDieFromTheirCauses(t *testing.T) {
	want := map[string][]LeaveCause{
		"秒杀快抢群":  {CauseSpam},
		"白领下午茶":  {CausePoor},
		"大学城好物群": {CauseSpam, CausePoor},
		"宝妈福利3群": {CauseAge},
	}
	died := 0
	for _, seed := range []uint64{1, 2, 3} {
		for _, d := range demoLoads {
			g := simulateGroup(seed, d.g, simFirst, d.load)
			if (g.DeathDay >= 0) != d.dies {
				t.Errorf("seed %d: %s death day %d, want dying %v (peak %d, last %d)", seed, g.Name, g.DeathDay, d.dies,
					g.Peak, g.Days[len(g.Days)-1].Members)
				continue
			}
			if !d.dies {
				continue
			}
			died++
			// It died of its causes: they drew most of its leaves.
			n := 0
			for _, c := range want[g.Name] {
				n += g.Leaves[c]
			}
			total := 0
			for _, v := range g.Leaves {
				total += v
			}
			if n*10 < total*7 {
				t.Errorf("seed %d: %s: %d of %d leaves from %v: %v", seed, g.Name, n, total, want[g.Name], g.Leaves)
			}
			// Not on day one, and not by fiat: it emptied through leaves
			// spread over weeks, no day taking more than a tenth of its peak,
			// and more left in the fortnight before death than in the first.
			if g.DeathDay < 14 {
				t.Errorf("seed %d: %s died on day %d", seed, g.Name, g.DeathDay)
			}
			lost := 0
			var early, late [2]float64 // leaves, member-days
			for i, day := range g.Days[:g.DeathDay+1] {
				if day.Leaves*10 > g.Peak {
					t.Errorf("seed %d: %s lost %d of %d members on day %d", seed, g.Name, day.Leaves, g.Peak, i)
				}
				lost += day.Leaves
				if i < 14 {
					early[0], early[1] = early[0]+float64(day.Leaves), early[1]+float64(day.Members)
				}
				if i > g.DeathDay-14 {
					late[0], late[1] = late[0]+float64(day.Leaves), late[1]+float64(day.Members)
				}
			}
			if float64(lost) < (1-DeadShare)*float64(g.Peak)-float64(g.Peak-g.Days[0].Members)-20 {
				t.Errorf("seed %d: %s lost only %d members through leaves by its death (peak %d)", seed, g.Name, lost, g.Peak)
			}
			if late[0]/late[1] <= early[0]/early[1] {
				t.Errorf("seed %d: %s: leave rate %.4f in the first fortnight, %.4f in the last before death", seed, g.Name,
					early[0]/early[1], late[0]/late[1])
			}
			// Its orders' drivers fall with it.
			if last := g.Days[g.DeathDay]; last.Engagement >= g.Days[0].Engagement {
				t.Errorf("seed %d: %s engagement %v at death, %v at start", seed, g.Name, last.Engagement, g.Days[0].Engagement)
			}
		}
	}
	if died != 12 {
		t.Fatalf("%d deaths in three seeds, want 12", died)
	}
}

// Take the cause away and the group lives: deaths come from the posts and
// the members, not from a decision.
func TestWithoutTheirCausesTheyLive(t *testing.T) {
	calm := map[string][]dayLoad{
		"秒杀快抢群":  steady(4, 0),
		"白领下午茶":  steady(2, 0),
		"大学城好物群": steady(3, 0),
	}
	for _, d := range demoLoads {
		load, ok := calm[d.g.name]
		if !ok {
			continue
		}
		if g := simulateGroup(1, d.g, simFirst, load); g.DeathDay >= 0 {
			t.Errorf("%s died on day %d with %d posts a day, all good deals", g.Name, g.DeathDay, load[0].posts)
		}
	}
}

func TestSimulatedPeople(t *testing.T) {
	byName := map[string]GroupLife{}
	for _, d := range demoLoads {
		g := simulateGroup(1, d.g, simFirst, d.load)
		byName[g.Name] = g
		if g.Source != sourceOf(d.g.channel) {
			t.Fatalf("%s: source %s", g.Name, g.Source)
		}
		kinds := map[JoinKind]int{}
		seen := map[string]bool{}
		for _, m := range g.members {
			kinds[m.kind]++
			if seen[m.ext] {
				t.Fatalf("%s: %s twice", g.Name, m.ext)
			}
			seen[m.ext] = true
			ok := false
			switch g.Source {
			case srcWeCom:
				ok = strings.HasPrefix(m.ext, "wm") && len(m.ext) == 32 && (m.union == "" || len(m.union) == 28)
			case srcTelegram:
				ok = digits(m.ext) && len(m.ext) == 10
			case srcSheet:
				ok = strings.HasPrefix(m.ext, "wxid_")
			}
			if !ok || m.name == "" || m.left != 0 && m.left <= m.joined || m.kind == JoinInvited && m.inviter < 0 {
				t.Fatalf("%s: member %+v", g.Name, m)
			}
			if m.left != 0 && m.cause == "" {
				t.Fatalf("%s: a leave without a cause: %+v", g.Name, m)
			}
		}
		if kinds[JoinFounder]+kinds[JoinBought] < d.g.members || kinds[JoinOrganic] == 0 {
			t.Fatalf("%s: joins %v", g.Name, kinds)
		}
		// Days add up: members move by joins and leaves.
		for i := 1; i < len(g.Days); i++ {
			if g.Days[i].Members != g.Days[i-1].Members+g.Days[i].Joins-g.Days[i].Leaves {
				t.Fatalf("%s day %d: %+v after %+v", g.Name, i, g.Days[i], g.Days[i-1])
			}
		}
	}
	// Purchases are recorded with their price.
	p := byName["秒杀快抢群"].Purchases
	if len(p) != 1 || p[0].Members == 0 || p[0].UnitFen != 120 {
		t.Fatalf("purchases %+v", p)
	}
	// Invited members are invited by members of the group.
	invited := 0
	for _, m := range byName["学生党省钱群"].members {
		if m.kind == JoinInvited {
			invited++
		}
	}
	if invited < 20 {
		t.Fatalf("学生党省钱群: %d invited", invited)
	}
	// Founders shared with a sister group are the same people there.
	in1 := map[string]bool{}
	for _, m := range byName["宝妈福利1群"].members {
		in1[m.ext] = true
	}
	both := 0
	for _, m := range byName["宝妈福利2群"].members {
		if in1[m.ext] {
			both++
		}
	}
	if both < 10 {
		t.Fatalf("%d members in both 宝妈 groups", both)
	}
}
