package community

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestDaysFromStaysMatchesRollup checks the plain computation from the
// memberships against the member_days rollup, day by day, on random joins
// and leaves (some the same day, some leaves without a join, some still in).
func TestDaysFromStaysMatchesRollup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		groups := []int64{addGroup(t, s, "甲群"), addGroup(t, s, "乙群")}
		r := rand.New(rand.NewPCG(7, 14))
		var evs []MemberEvent
		hows := []LeaveHow{LeaveSelf, LeaveRemoved, ""}
		for i := range 60 {
			g := groups[i%2]
			user := fmt.Sprintf("u%d", i)
			d := r.IntN(20)
			if i%7 != 0 { // every seventh leaves with no join on record
				evs = append(evs, join(fmt.Sprintf("j%d", i), g, user, at(d, r.IntN(24))))
			}
			if i%3 != 0 {
				evs = append(evs, leave(fmt.Sprintf("l%d", i), g, user, at(d+r.IntN(6), r.IntN(24)), hows[i%3]))
			}
		}
		apply(t, s, evs...)
		from, to := at(-2, 0), at(30, 0)
		plain, err := s.DaysFromStays(ctx, 0, from, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			want, err := s.MemberDays(ctx, g, from, to)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]MemberDay{}
			for _, d := range plain[g] {
				got[d.Day.Unix()] = d
			}
			one, err := s.DaysFromStays(ctx, g, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(one) != 1 || len(one[g]) != len(plain[g]) {
				t.Fatalf("group %d alone: %d days, with all groups %d", g, len(one[g]), len(plain[g]))
			}
			moves := 0
			for _, w := range want {
				p := got[w.Day.Unix()]
				p.GroupID, p.Day = w.GroupID, w.Day
				w.Active, w.Messages = 0, 0
				if p != w {
					t.Errorf("group %d day %s: plain %+v, rollup %+v", g, w.Day.Format("01-02"), p, w)
				}
				moves += w.Joins + w.LeavesSelf + w.LeavesRemoved + w.LeavesOther
			}
			if moves == 0 {
				t.Fatalf("group %d: no joins or leaves to compare", g)
			}
		}
	})
}
