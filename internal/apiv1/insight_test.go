package apiv1

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/insight"
)

// TestSimulationEdgesFinite: whatever the curves and the plan (no groups,
// one, too few or enough for a band; no cost; no revenue; growth without
// a ceiling that outruns float64), the run's JSON encodes (no NaN or Inf,
// which encoding/json refuses), its band status says what it is, and the
// band's lines have no "NaN" or "Inf" in them.
func TestSimulationEdgesFinite(t *testing.T) {
	flat := insight.Defaults.Curves(120)
	zero := flat
	zero.MemberIncome = make([]float64, 120)
	huge := flat
	huge.MemberIncome = insight.MonthlyIncome([]float64{1e6}, nil, 120)
	huge.MemberSurvival, huge.GroupSurvival = nil, nil
	groups := func(n int, inc []float64) []insight.GroupSample {
		gs := make([]insight.GroupSample, n)
		for i := range gs {
			gs[i] = insight.GroupSample{MemberIncome: inc, Life: insight.Lifetime{Days: float64(30 * i), Ended: i%2 == 0}, Weight: float64(i)}
		}
		return gs
	}
	plan := insight.Plan{BudgetFen: 1_000_000, ReinvestBP: 5000, FanPriceFen: 1000, Months: 36, MaxGroups: 20}
	for _, tc := range []struct {
		name   string
		c      insight.Curves
		p      func(insight.Plan) insight.Plan
		groups []insight.GroupSample
		band   string
	}{
		{"no groups", flat, nil, nil, "none"},
		{"one group", flat, nil, groups(1, flat.MemberIncome), "thin"},
		{"below the threshold", flat, nil, groups(insight.MinBandGroups-1, flat.MemberIncome), "thin"},
		{"at the threshold", flat, nil, groups(insight.MinBandGroups, flat.MemberIncome), "ok"},
		{"zero cost", flat, func(p insight.Plan) insight.Plan { p.BudgetFen = 0; return p }, groups(12, flat.MemberIncome), "ok"},
		{"zero revenue", zero, nil, groups(12, zero.MemberIncome), "ok"},
		{"zero revenue, zero cost", zero, func(p insight.Plan) insight.Plan { p.BudgetFen = 0; return p }, groups(12, nil), "ok"},
		{"one month", flat, func(p insight.Plan) insight.Plan { p.Months = 1; return p }, groups(12, flat.MemberIncome), "ok"},
		{"no ceiling, all reinvested, 120 months", huge, func(p insight.Plan) insight.Plan {
			p.MaxGroups, p.ReinvestBP, p.FanPriceFen, p.Months = 0, 10000, 1, 120
			return p
		}, groups(12, huge.MemberIncome), "ok"},
	} {
		p := plan
		if tc.p != nil {
			p = tc.p(p)
		}
		if err := p.Check(); err != nil {
			t.Fatalf("%s: plan %v", tc.name, err)
		}
		run := insight.Run{Source: "measured", Result: insight.Simulate(tc.c, p), Measured: insight.Measured{Groups: len(tc.groups)}}
		run.Band = insight.Bootstrap(tc.c, p, tc.groups, 50, 1)
		s := NewSimulation(p, run)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if s.Band != tc.band {
			t.Errorf("%s: band %q, want %q", tc.name, s.Band, tc.band)
		}
		if len(s.Months) != p.Months || (s.Band == "ok") != (s.CumulativeEndP10Fen != nil) {
			t.Errorf("%s: %d months, end band %v", tc.name, len(s.Months), s.CumulativeEndP10Fen)
		}
		lines := strings.Join(s.BandLines(func(k string, a ...any) string { return k + fmt.Sprint(a...) }), "\n")
		if strings.Contains(lines, "NaN") || strings.Contains(lines, "Inf") || strings.Contains(string(b), "NaN") {
			t.Errorf("%s: %s", tc.name, lines)
		}
		if tc.band == "thin" && !strings.Contains(lines, "simulate.band_thin") {
			t.Errorf("%s: no thin-data line: %q", tc.name, lines)
		}
		for _, m := range run.Result.Months {
			if math.IsNaN(m.Cumulative) || math.IsNaN(m.Members) {
				t.Errorf("%s: month %d has NaN: %+v", tc.name, m.Month, m)
				break
			}
		}
	}
}
