package demo_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// membersDays is how much posting history the member tests play.
const membersDays = 30

func postedFor(t *testing.T, db *store.DB, days int) {
	t.Helper()
	ctx := context.Background()
	m := demo.New(demo.Config{Seed: 3, Items: 400, Snapshots: 40 + days, Interval: 24 * time.Hour, End: ordersEnd})
	cs := catalog.NewStore(db)
	if _, err := cs.Ingest(ctx, m.AppendRecords(nil, 0, 400)); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedPosting(ctx, db, advisor.New(cs, advisor.Options{}), &channels{}, ordersEnd, days); err != nil {
		t.Fatal(err)
	}
}

// daysDigest sums up every group's member days in the registry.
func daysDigest(t *testing.T, reg *community.Store, from time.Time) string {
	t.Helper()
	all, err := reg.AllMemberDays(context.Background(), from, ordersEnd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(all)
}

func TestMembersThroughTheRegistry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		postedFor(t, db, membersDays)
		start := time.Now()
		plan, st, err := demo.Members(ctx, db, 1, ordersEnd)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("members written in %v: %+v", time.Since(start), st)
		if plan.Days != membersDays+1 || st.Members < 2000 || st.Events < st.Members || st.Messages == 0 {
			t.Fatalf("plan of %d days, %+v", plan.Days, st)
		}
		// The ground truth does not move once written (orders read it after).
		if again, err := demo.MemberLives(ctx, db, 1, ordersEnd); err != nil || !reflect.DeepEqual(again, plan) {
			t.Fatalf("the plan changed once written (%v)", err)
		}
		reg := community.NewStore(db)
		gs, err := reg.List(ctx, community.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]*community.Group{}
		for _, g := range gs {
			byID[g.ID] = g
		}
		sources := map[community.Source]int{}
		for _, g := range plan.Groups {
			sources[community.Source(g.Source)]++
			days, err := reg.MemberDays(ctx, g.GroupID, plan.Start, ordersEnd)
			if err != nil {
				t.Fatal(err)
			}
			if len(days) < len(g.Days)-1 {
				t.Fatalf("%s: %d days in the registry, %d simulated", g.Name, len(days), len(g.Days))
			}
			// Every finished day is in the registry as simulated: members,
			// joins, leaves (how: sheets do not say), who spoke.
			for k, want := range g.Days[:len(g.Days)-1] {
				got := days[k]
				leaves := got.LeavesSelf + got.LeavesRemoved + got.LeavesOther
				speakers := 0
				if g.Told {
					speakers = want.Speakers
				}
				if !got.Day.Equal(want.Day) || got.Members != want.Members || got.Joins != want.Joins || leaves != want.Leaves ||
					got.Active != speakers || leaves > 0 && (g.Source == "sheet") != (got.LeavesOther == leaves) {
					t.Fatalf("%s day %d: registry %+v, simulated %+v", g.Name, k, got, want)
				}
			}
			if has, err := reg.HasMembers(ctx, g.GroupID); !has || err != nil {
				t.Fatalf("%s: has members %v %v", g.Name, has, err)
			}
			if byID[g.GroupID].Members != int64(g.Days[len(g.Days)-1].Members) && len(g.Days) > 0 {
				// Today is not over: the count is of now, within today's joins and leaves.
				d := g.Days[len(g.Days)-1]
				if n := byID[g.GroupID].Members; n < int64(g.Days[len(g.Days)-2].Members-d.Leaves) || n > int64(g.Days[len(g.Days)-2].Members+d.Joins) {
					t.Fatalf("%s: group says %d members, the simulation %d", g.Name, n, d.Members)
				}
			}
		}
		if sources[community.SourceWeCom] == 0 || sources[community.SourceTelegram] == 0 || sources[community.SourceSheet] == 0 {
			t.Fatalf("sources %v", sources)
		}
		// People: an invited member carries its inviter; the sister groups share people.
		all := func(src community.Source) []community.MemberRow {
			var rows []community.MemberRow
			for {
				page, total, err := reg.Members(ctx, community.MemberFilter{Source: src, Limit: 500, Offset: len(rows)})
				if err != nil || total == 0 {
					t.Fatalf("%s members %d %v", src, total, err)
				}
				rows = append(rows, page...)
				if len(page) == 0 || len(rows) >= total {
					return rows
				}
			}
		}
		// WeCom: join scenes as WeCom gives them; a member's invitation names
		// the inviter, a purchase comes through its 活码 state.
		hows := map[string]int{}
		for _, r := range all(community.SourceWeCom) {
			_, ms, err := reg.Member(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				switch {
				case m.JoinHow == community.JoinInvite && m.Inviter != "":
					hows["invite"]++
				case m.JoinHow == community.JoinQR && m.InviteLink == "tf-1":
					hows["bought"]++
				case m.JoinHow == community.JoinQR && m.InviteLink == "" && m.Inviter == "":
					hows["qr"]++
				default:
					t.Fatalf("wecom membership %+v", m)
				}
				if !m.In() && m.LeaveHow != community.LeaveSelf && m.LeaveHow != community.LeaveRemoved {
					t.Fatalf("wecom leave %+v", m)
				}
			}
		}
		if hows["invite"] == 0 || hows["bought"] == 0 || hows["qr"] == 0 {
			t.Fatalf("wecom joins %v", hows)
		}
		rows := all(community.SourceTelegram)
		invited, links, twice := 0, 0, 0
		for _, r := range rows {
			if r.Groups > 1 {
				twice++
			}
			_, ms, err := reg.Member(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.JoinHow != community.JoinLink || m.InviteLink == "" {
					t.Fatalf("telegram membership %+v", m)
				}
				if m.Inviter != "" && m.InviteName != "" {
					invited++
				}
				links++
			}
		}
		if invited == 0 || twice == 0 {
			t.Fatalf("%d telegram memberships, %d invited with a named link, %d people in two groups", links, invited, twice)
		}

		// Each member's 会员运营ID is bound to them: the orders that carry
		// one are credited to its member.
		if st.Bound < 1000 {
			t.Fatalf("%d ids bound", st.Bound)
		}
		if _, err := demo.Orders(ctx, db, 1, ordersEnd); err != nil {
			t.Fatal(err)
		}
		people, err := reg.ByPersonID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mrows, err := db.QueryContext(ctx, `SELECT special_id, member_id FROM orders WHERE special_id <> ''`)
		if err != nil {
			t.Fatal(err)
		}
		credited := 0
		for mrows.Next() {
			var special string
			var member int64
			if err := mrows.Scan(&special, &member); err != nil {
				t.Fatal(err)
			}
			if want := people[community.PersonKey("taobao", "special_id", special)]; member != want {
				t.Fatalf("an order of 会员运营ID %s credited to member %d, want %d", special, member, want)
			}
			if member != 0 {
				credited++
			}
		}
		mrows.Close()
		if credited < 50 {
			t.Fatalf("%d orders credited to members", credited)
		}

		// Again: nothing changes.
		before := daysDigest(t, reg, plan.Start)
		if _, st2, err := demo.Members(ctx, db, 1, ordersEnd); err != nil || st2.Events != 0 || daysDigest(t, reg, plan.Start) != before {
			t.Fatalf("second run: %+v %v, changed %v", st2, err, daysDigest(t, reg, plan.Start) != before)
		}
	})
}

// A dying group's orders fade out with its members.
func TestOrdersFadeWithTheMembers(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	postedFor(t, db, membersDays)
	plan, err := demo.MemberLives(ctx, db, 1, ordersEnd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Orders(ctx, db, 1, ordersEnd); err != nil {
		t.Fatal(err)
	}
	// An order's 会员运营ID is a member's of its group.
	ids := map[int64]map[string]bool{}
	for _, g := range plan.Groups {
		ids[g.GroupID] = map[string]bool{}
		for _, id := range g.SpecialIDs() {
			ids[g.GroupID][id] = true
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT group_id, special_id FROM orders WHERE special_id <> '' AND delivery_id <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	special, strangers := 0, 0
	for rows.Next() {
		var g int64
		var id string
		if err := rows.Scan(&g, &id); err != nil {
			t.Fatal(err)
		}
		special++
		if !ids[g][id] {
			strangers++
		}
	}
	rows.Close()
	if special < 50 || strangers != 0 {
		t.Fatalf("%d orders with a 会员运营ID, %d of no member of their group", special, strangers)
	}
	// 秒杀快抢群 posts Taobao items all day and sheds members to its flood.
	var g *demo.GroupLife
	for i := range plan.Groups {
		if plan.Groups[i].Name == "秒杀快抢群" {
			g = &plan.Groups[i]
		}
	}
	if g == nil || g.Days[len(g.Days)-2].Members*2 > g.Peak {
		t.Fatalf("秒杀快抢群 %+v", g)
	}
	// Orders per post in the week after its purchase and in the last week.
	week := func(from int) (float64, int) {
		posts := 0
		for _, d := range g.Days[from : from+7] {
			posts += d.Posts
		}
		var n int
		a, b := g.Days[from].Day.Unix(), g.Days[from+7].Day.Unix()
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders o JOIN deliveries d ON d.id = o.delivery_id
			WHERE o.group_id = $1 AND d.sent_at >= $2 AND d.sent_at < $3`, g.GroupID, a, b).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return float64(n) / float64(max(posts, 1)), n
	}
	early, ne := week(4)
	late, nl := week(len(g.Days) - 8)
	if ne < 20 || late > early/2 {
		t.Fatalf("秒杀快抢群: %.2f orders a post (%d) after the purchase, %.2f (%d) in the last week", early, ne, late, nl)
	}
}
