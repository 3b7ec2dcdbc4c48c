package insight

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestMeasure builds a month of one group's members and orders through the
// owners' methods and checks the measured curves against the figures
// worked by hand: 10 members from 2026-01-01, 2 leave on 01-11, so
// 10×10 + 8×21 = 268 member-days in January; 5.36 yuan of income: 2 fen a
// member-day; 2 leaves / 268 member-days. A group with members and no
// orders is left out; with no data at all, the defaults are used.
func TestMeasure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs, ost := community.NewStore(db), orders.NewStore(db)
		sim := &Simulator{Members: cs, Income: ost}
		now := time.Date(2026, 1, 31, 12, 0, 0, 0, shanghai.Zone)
		plan := Plan{BudgetFen: 100_000, FanPriceFen: 1000, Months: 12}
		run, err := sim.Run(ctx, plan, RunOptions{Now: now, WindowDays: 30})
		if err != nil || run.Source != "defaults" {
			t.Fatalf("empty database: %q %v", run.Source, err)
		}
		a := &community.Group{Name: "甲群", Channel: community.Manual, PIDTaobao: "mm_1_2_111", Active: true}
		b := &community.Group{Name: "乙群", Channel: community.Manual, PIDTaobao: "mm_1_2_222", Active: true}
		for _, g := range []*community.Group{a, b} {
			if err := cs.Save(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		join := time.Date(2026, 1, 1, 9, 0, 0, 0, shanghai.Zone)
		var evs []community.MemberEvent
		for i := range 10 {
			for _, g := range []*community.Group{a, b} {
				id := fmt.Sprint(g.ID, "-", i)
				evs = append(evs, community.MemberEvent{Key: "j" + id, Source: community.SourceSheet, GroupID: g.ID,
					Kind: community.Join, At: join, ExternalID: id})
				if i < 2 && g == a {
					evs = append(evs, community.MemberEvent{Key: "l" + id, Source: community.SourceSheet, GroupID: g.ID,
						Kind: community.Leave, At: join.AddDate(0, 0, 10), ExternalID: id, LeaveHow: community.LeaveSelf})
				}
			}
		}
		if _, err := cs.ApplyEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		paid := time.Date(2026, 1, 15, 20, 0, 0, 0, shanghai.Zone).Unix()
		if _, err := ost.Import(ctx, []orders.Order{{TradeID: "1", AdzoneID: "111", ItemID: "9", PaidAt: paid,
			Status: orders.Paid, PaidAmount: 10_000, EstIncome: 536}}); err != nil {
			t.Fatal(err)
		}
		m, ok, err := Measure(ctx, cs, ost, now, 30, 12, Defaults)
		if err != nil || !ok {
			t.Fatalf("measure: %v %v", ok, err)
		}
		if m.Groups != 1 || m.MemberDays != 268 || m.IncomeFen != 536 || math.Abs(m.IncomePerMemberDay-2) > 1e-9 ||
			math.Abs(m.LeavePerDay-2.0/268) > 1e-12 || len(m.Samples) != 1 || m.Samples[0].Weight != 268 {
			t.Fatalf("measured %+v", m)
		}
		if m.Samples[0].Life != (Lifetime{Days: 31}) {
			t.Fatalf("lifetime %+v, want 31 days, still alive", m.Samples[0].Life)
		}
		want := MonthlyIncome([]float64{2}, dailySurvival(2.0/268, 12), 12)
		for k := range want {
			if math.Abs(m.Curves.MemberIncome[k]-want[k]) > 1e-9 {
				t.Fatalf("member income month %d = %v, want %v", k, m.Curves.MemberIncome[k], want[k])
			}
		}
		run, err = sim.Run(ctx, plan, RunOptions{Now: now, WindowDays: 30})
		if err != nil || run.Source != "measured" || run.Band.Resamples != 0 {
			t.Fatalf("run: %q band %d %v", run.Source, run.Band.Resamples, err)
		}
		if run, err = sim.Run(ctx, plan, RunOptions{Now: now, Defaults: true}); err != nil || run.Source != "defaults" {
			t.Fatalf("--defaults: %q %v", run.Source, err)
		}
	})
}
