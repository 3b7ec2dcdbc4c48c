package health

import (
	"math/rand/v2"
	"testing"
)

const day0 = 20400 // 2025-11-08

// synth simulates one group's days: members leave with a daily chance that
// rises from decayFrom on (spam, poor deals), speakers and orders follow
// the members' mood. decayFrom < 0: a steady group. The causes are at the
// member level, never the warning's rules.
func synth(seed uint64, days, members int, decayFrom int, dip bool) []Day {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]Day, days)
	m := int64(members)
	for i := range out {
		leaveP := 0.004
		mood := 1.0
		posts := int64(3 + rng.IntN(3))
		if decayFrom >= 0 && i >= decayFrom {
			k := float64(i - decayFrom)
			leaveP += 0.0025 * k // spam and poor deals drive members out
			mood = max(0.05, 1-0.05*k)
			posts += int64(k / 4)
		}
		if dip && i >= days/2 && i < days/2+3 {
			leaveP += 0.006 // a short wobble the group recovers from
		}
		var leaves int64
		for range m {
			if rng.Float64() < min(leaveP, 0.5) {
				leaves++
			}
		}
		joins := int64(0)
		if decayFrom < 0 || i < decayFrom {
			joins = int64(rng.IntN(int(max(1, m/60)) + 1))
		}
		m = m - leaves + joins
		active := int64(float64(m) * 0.15 * mood * (0.8 + 0.4*rng.Float64()))
		orders := int64(float64(m) * 0.02 * mood * (0.7 + 0.6*rng.Float64()))
		out[i] = Day{Day: day0 + int64(i), Members: m, Tracked: true, Joins: joins, LeavesSelf: leaves,
			Active: active, Messages: active * 3, Posts: posts, Orders: orders, IncomeFen: orders * 180}
	}
	return out
}

func TestSteadyGroupIsOK(t *testing.T) {
	r := DefaultRules()
	vs := r.Replay(synth(1, 90, 400, -1, false))
	for _, v := range vs[30:] {
		if v.State != OK && v.State != Watch {
			t.Fatalf("day %d: a steady group is %s: %+v", v.Day, v.State, v.Reasons)
		}
	}
	last := vs[len(vs)-1]
	if last.Score < 80 {
		t.Errorf("steady group scores %d: %+v", last.Score, last.Reasons)
	}
}

func TestDyingGroupWarnedAhead(t *testing.T) {
	r := DefaultRules()
	days := synth(2, 120, 400, 40, false)
	vs := r.Replay(days)
	death, warn := -1, -1
	for i, v := range vs {
		if v.State == Warning && warn < 0 {
			warn = i
		}
		if v.State == Dead {
			death = i
			break
		}
	}
	if death < 0 {
		t.Fatalf("the group never died: members %d of %d", days[len(days)-1].Members, days[0].Members)
	}
	if warn < 0 || death-warn < LeadTarget {
		t.Fatalf("warned on day %d, dead on day %d: want >= %d days ahead", warn, death, LeadTarget)
	}
	if warn < 40 {
		t.Fatalf("warned on day %d, before the decline began (day 40)", warn)
	}
	dead := vs[death]
	if dead.Score != 0 || dead.Reasons[0].Key != "health.dead_share" {
		t.Errorf("death verdict: %+v", dead)
	}
}

func TestDeadDefinition(t *testing.T) {
	r := DefaultRules()
	// Under 30% of the peak.
	ds := []Day{{Day: 1, Members: 100, Orders: 1}, {Day: 2, Members: 29, Orders: 1}}
	if v := r.Judge(ds, Past{}); v.State != Dead {
		t.Errorf("29 of 100: %s", v.State)
	}
	ds[1].Members = 30
	if v := r.Judge(ds, Past{}); v.State == Dead {
		t.Errorf("30 of 100: dead %+v", v.Reasons)
	}
	// A peak under MinPeak is not judged by share.
	if v := r.Judge([]Day{{Day: 1, Members: 10, Orders: 1}, {Day: 2, Members: 2, Orders: 1}}, Past{}); v.State == Dead {
		t.Errorf("2 of 10: dead")
	}
	// The peak given counts (history before the series).
	if v := r.Judge(ds, Past{Peak: 200}); v.State != Dead {
		t.Errorf("30 of a peak of 200: %s", v.State)
	}
	// Quiet: QuietDays days without an order or a speaker.
	q := make([]Day, 14)
	for i := range q {
		q[i] = Day{Day: int64(i), Members: 50}
	}
	if v := r.Judge(q, Past{Lively: true}); v.State != Dead || v.Reasons[0].Key != "health.dead_quiet" {
		t.Errorf("14 quiet days: %+v", v)
	}
	// A group never seen alive (no order, no speaker ever) is not dead for
	// being quiet; an order before the quiet days, in the series, counts.
	if v := r.Judge(q, Past{}); v.State == Dead {
		t.Errorf("14 quiet days of a group never alive: dead")
	}
	if v := r.Judge(append([]Day{{Day: -1, Members: 50, Orders: 1}}, q...), Past{}); v.State != Dead {
		t.Errorf("14 quiet days after an order: %s", v.State)
	}
	q[3].Active = 1
	if v := r.Judge(q, Past{Lively: true}); v.State == Dead {
		t.Errorf("a speaker 11 days ago: dead")
	}
	if v := r.Judge(q[:13], Past{Lively: true}); v.State == Dead {
		t.Errorf("13 days only: dead")
	}
}

func TestJudgeUsesOnlyThePast(t *testing.T) {
	r := DefaultRules()
	days := synth(3, 100, 300, 50, false)
	full := r.Replay(days)
	cut := r.Replay(days[:60])
	for i := range cut {
		if cut[i].State != full[i].State || cut[i].Score != full[i].Score {
			t.Fatalf("day %d judged differently with later days known: %+v vs %+v", i, cut[i], full[i])
		}
	}
}

func TestLeaveBurstAfterPosts(t *testing.T) {
	r := DefaultRules()
	days := synth(4, 40, 500, -1, false)
	days[38].Posts, days[38].LeavesSelf = 6, 30
	v := r.Judge(days, Past{})
	found := false
	for _, re := range v.Reasons {
		if re.Key == "health.leave_burst" {
			found = true
			if re.Args[1] != "30" || re.Args[2] != "6" {
				t.Errorf("burst args %v", re.Args)
			}
		}
	}
	if !found {
		t.Errorf("no burst reason: %+v", v.Reasons)
	}
	days[38].Posts = 0
	for _, re := range r.Judge(days, Past{}).Reasons {
		if re.Key == "health.leave_burst" {
			t.Errorf("a burst without posts is not after posts")
		}
	}
}

func TestBacktestSynthetic(t *testing.T) {
	r := DefaultRules()
	var groups []Series
	for i := range 40 {
		decay := -1
		if i%4 == 0 {
			decay = 20 + i // a quarter of the groups decline from a member-level cause
		}
		groups = append(groups, Series{GroupID: int64(i + 1), Days: synth(uint64(100+i), 150, 200+10*i, decay, i%3 == 1)})
	}
	res := r.Backtest(groups)
	t.Logf("dying %d, warned >= %d days ahead %d (%.0f%%), median lead %d, warnings %d, false %d (%.0f%%)",
		res.Dying, LeadTarget, res.WarnedAhead, float64(res.WarnedAheadBP)/100, res.MedianLead,
		res.Warnings, res.FalseAlarms, float64(res.FalseAlarmBP)/100)
	if res.Dying != 10 {
		t.Errorf("dying %d, want 10", res.Dying)
	}
	if res.WarnedAheadBP < 8000 {
		t.Errorf("warned ahead %d bp, want >= 8000", res.WarnedAheadBP)
	}
	if res.FalseAlarmBP > 2000 {
		t.Errorf("false alarms %d bp, want <= 2000", res.FalseAlarmBP)
	}
	for _, g := range res.Groups {
		if g.DeathDay != 0 && g.WarnDay != 0 && g.Lead != int(g.DeathDay-g.WarnDay) {
			t.Errorf("group %d: lead %d, death %d, warn %d", g.GroupID, g.Lead, g.DeathDay, g.WarnDay)
		}
	}
}

func TestBacktestCounts(t *testing.T) {
	// Built verdict runs: a warning 10 days before death, and a false alarm.
	r := DefaultRules()
	mk := func(n int, f func(i int) Day) []Day {
		out := make([]Day, n)
		for i := range out {
			out[i] = f(i)
			out[i].Day = day0 + int64(i)
		}
		return out
	}
	steady := mk(80, func(i int) Day { return Day{Members: 100, Orders: 5, Active: 10, Tracked: true} })
	res := r.Backtest([]Series{{GroupID: 1, Days: steady}})
	if res.Dying != 0 || res.Warnings != 0 {
		t.Errorf("steady: %+v", res)
	}
	// Dead from the first day: no death to warn of.
	born := mk(30, func(i int) Day { return Day{Members: 100} })
	if res := r.Backtest([]Series{{GroupID: 2, Days: born}}); res.Dying != 0 || res.Groups[0].DeathDay != 0 {
		t.Errorf("born quiet: %+v", res)
	}
}

// synthPopulation is n groups of 150 days, every fourth declining from a
// member-level cause, every third with a short wobble.
func synthPopulation(n int, seed uint64) []Series {
	var groups []Series
	for i := range n {
		decay := -1
		if i%4 == 0 {
			decay = 20 + i%60
		}
		groups = append(groups, Series{GroupID: int64(i + 1), Days: synth(seed+uint64(i), 150, 200+10*(i%30), decay, i%3 == 1)})
	}
	return groups
}

func TestModelFit(t *testing.T) {
	r := DefaultRules()
	if m := r.Fit(synthPopulation(20, 500)); m != nil {
		t.Errorf("fitted on %d deaths, fewer than %d", m.Deaths, MinDeaths)
	}
	groups := synthPopulation(60, 900)
	m := r.Fit(groups)
	if m == nil {
		t.Fatal("no model from 15 deaths")
	}
	// Members lost and leaves rising push the odds of death up; members
	// near the peak push them down.
	if m.W[0] <= 0 || m.W[1] <= 0 || m.W[5] >= 0 {
		t.Errorf("weights %v", m.W)
	}
	res, ok := r.BacktestModel(groups, 3)
	if !ok {
		t.Fatal("a fold without enough deaths")
	}
	t.Logf("model: dying %d, warned ahead %d (%.0f%%), median lead %d, warnings %d, false %d (%.0f%%); deaths fitted %d, samples %d",
		res.Dying, res.WarnedAhead, float64(res.WarnedAheadBP)/100, res.MedianLead, res.Warnings, res.FalseAlarms,
		float64(res.FalseAlarmBP)/100, m.Deaths, m.Samples)
	if res.Dying != 15 || res.WarnedAheadBP < 8000 || res.FalseAlarmBP > 2000 {
		t.Errorf("model backtest: %+v", res)
	}
	// A model in use says so among the reasons.
	r.Model = m
	v := r.Replay(groups[0].Days)
	found := false
	for _, re := range v[len(v)-1].Reasons {
		found = found || re.Key == "health.model"
	}
	if !found {
		t.Errorf("no model reason: %+v", v[len(v)-1].Reasons)
	}
}

// TestWarningHolds: a warned group stays warned while its risk stays at the
// watch level; from ok the same risk is only watched.
func TestWarningHolds(t *testing.T) {
	r := DefaultRules()
	for seed := uint64(1); seed < 50; seed++ {
		days := synth(seed, 120, 400, 40, false)
		plain := r
		for i := r.tail(); i < len(days); i++ {
			series := days[i+1-r.tail() : i+1]
			past := Past{Peak: 400, Lively: true}
			v := plain.Judge(series, past)
			if v.State != Watch {
				continue
			}
			past.Prev = Warning
			if w := plain.Judge(series, past); w.State != Warning {
				t.Fatalf("after a warning, risk %d: %s", w.Risk, w.State)
			}
			past.Prev = OK
			if w := plain.Judge(series, past); w.State != Watch {
				t.Fatalf("after ok, risk %d: %s", w.Risk, w.State)
			}
			return
		}
	}
	t.Fatal("no watched day in the synthetic groups")
}

func TestThin(t *testing.T) {
	var ss []sample
	for i := range 1000 {
		ss = append(ss, sample{label: i%100 == 0})
	}
	out := thin(ss, 100)
	pos := 0
	for _, x := range out {
		if x.label {
			pos++
		}
	}
	if len(out) != 100 || pos != 10 {
		t.Errorf("thinned to %d with %d positives, want 100 with 10", len(out), pos)
	}
	if len(thin(ss[:50], 100)) != 50 {
		t.Error("thinned under the limit")
	}
}
