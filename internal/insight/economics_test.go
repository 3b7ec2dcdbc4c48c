package insight

import (
	"math"
	"testing"
	"time"
)

// TestWorkedExample is docs/economics.md's worked example: 10 yuan a member,
// 2 fen a member-day, no one leaving: payback takes 500 days; two months
// (60 days) need about 17 fen a member-day, and on a cash basis the
// settlement month comes on top; with churn it takes longer, or never.
func TestWorkedExample(t *testing.T) {
	cac := float64(CAC(100_000, 100)) // 1,000 yuan for 100 members: 10 yuan each
	if cac != 1000 {
		t.Fatalf("CAC = %v fen, want 1000", cac)
	}
	flat := []float64{2}
	if d, ok := PaybackDay(cac, flat, nil, 2000); !ok || d != 500 {
		t.Fatalf("payback at 2 fen/day = %d (%v), want 500 days", d, ok)
	}
	need := BreakEvenIncome(cac, 60)
	if math.Round(need) != 17 {
		t.Fatalf("income for a 60-day payback = %.2f fen, want about 17", need)
	}
	if d, ok := PaybackDay(cac, []float64{17}, nil, 2000); !ok || d != 59 {
		t.Fatalf("payback at 17 fen/day = %d (%v), want 59 days", d, ok)
	}
	// Joined 2026-01-01 (Shanghai): the 59th day is 2026-02-28, its income
	// settles and is paid on 2026-03-20: 78 days after joining.
	joined := JoinDay(time.Date(2026, 1, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	if d, ok := CashPaybackDay(cac, []float64{17}, nil, 2000, joined); !ok || d != 78 {
		t.Fatalf("cash payback = %d (%v), want 78 days", d, ok)
	}
	// At 2 fen the 500th day is 2027-05-15, paid 2027-06-20: 535 days.
	if d, ok := CashPaybackDay(cac, flat, nil, 2000, joined); !ok || d != 535 {
		t.Fatalf("cash payback at 2 fen = %d (%v), want 535 days", d, ok)
	}
	// Churn: 0.3% of members leave each day. At 2 fen the lifetime value is
	// 2/0.003 ≈ 667 fen < 1000: never pays back; at 17 fen it takes longer
	// than 59 days.
	surv := make([]float64, 3000)
	for a := range surv {
		surv[a] = math.Pow(0.997, float64(a))
	}
	if d, ok := PaybackDay(cac, flat, surv, 3000); ok {
		t.Fatalf("with churn 2 fen/day paid back at %d days, want never", d)
	}
	if d, ok := PaybackDay(cac, []float64{17}, surv, 3000); !ok || d <= 59 || d > 70 {
		t.Fatalf("with churn 17 fen/day pays back at %d (%v), want a little over 59", d, ok)
	}
	if ltv := LTV(flat, surv, 3000); math.Abs(ltv-2/0.003) > 1 {
		t.Fatalf("LTV = %.1f, want about %.1f", ltv, 2/0.003)
	}
}

func TestSettlement(t *testing.T) {
	day := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400 }
	for _, c := range []struct{ earned, paid int64 }{
		{day(2026, 1, 1), day(2026, 2, 20)},
		{day(2026, 1, 31), day(2026, 2, 20)},
		{day(2026, 2, 1), day(2026, 3, 20)},
		{day(2026, 12, 15), day(2027, 1, 20)},
	} {
		if got := Settlement(c.earned); got != c.paid {
			t.Errorf("Settlement(%d) = %d, want %d", c.earned, got, c.paid)
		}
	}
}

// TestKaplanMeier checks the estimator against a hand-computed example.
// Lifetimes (days; + censored): 3, 5, 5, 6+, 8, 10+, 12.
//
//	t=3:  n=7, d=1 → S = 6/7            = 0.857143
//	t=5:  n=6, d=2 → S = 6/7 × 4/6      = 0.571429
//	t=6+: n=4, censored                  (S stays)
//	t=8:  n=3, d=1 → S = 0.571429 × 2/3 = 0.380952
//	t=10+: n=2, censored
//	t=12: n=1, d=1 → S = 0
func TestKaplanMeier(t *testing.T) {
	c := KaplanMeier([]Lifetime{{12, true}, {3, true}, {5, true}, {6, false}, {5, true}, {8, true}, {10, false}})
	want := []Step{
		{3, 7, 1, 0, 6.0 / 7}, {5, 6, 2, 0, 4.0 / 7}, {6, 4, 0, 1, 4.0 / 7},
		{8, 3, 1, 0, 8.0 / 21}, {10, 2, 0, 1, 8.0 / 21}, {12, 1, 1, 0, 0},
	}
	if len(c) != len(want) {
		t.Fatalf("got %d steps %+v, want %d", len(c), c, len(want))
	}
	for i, w := range want {
		g := c[i]
		if g.T != w.T || g.AtRisk != w.AtRisk || g.Ended != w.Ended || g.Censored != w.Censored || math.Abs(g.Survival-w.Survival) > 1e-9 {
			t.Errorf("step %d = %+v, want %+v", i, g, w)
		}
	}
	for _, p := range []struct{ t, s float64 }{{0, 1}, {2.9, 1}, {3, 6.0 / 7}, {7, 4.0 / 7}, {11, 8.0 / 21}, {20, 0}} {
		if got := c.At(p.t); math.Abs(got-p.s) > 1e-9 {
			t.Errorf("S(%v) = %v, want %v", p.t, got, p.s)
		}
	}
}

// TestMemberSurvivalAndIncomeByAge checks the per-member-day spreading and
// survival against a small example worked by hand.
func TestMemberSurvivalAndIncomeByAge(t *testing.T) {
	// Day 100: A joins; day 101: B joins; A leaves on 102 (present 100, 101);
	// B still in on 103 (now).
	stays := []Stay{{100, 102}, {101, -1}}
	income := map[int64]float64{100: 10, 101: 6, 102: 4, 103: 8}
	r := IncomeByAge(stays, income, 103, 4)
	// age 0: A on 100 (10/1), B on 101 (6/2) → (10+3)/2 = 6.5
	// age 1: A on 101 (6/2), B on 102 (4/1) → (3+4)/2 = 3.5
	// age 2: B on 103 (8/1) → 8; age 3: nobody
	for i, w := range []float64{6.5, 3.5, 8} {
		if math.Abs(r[i]-w) > 1e-9 {
			t.Errorf("income at age %d = %v, want %v", i, r[i], w)
		}
	}
	if !math.IsNaN(r[3]) {
		t.Errorf("income at age 3 = %v, want none", r[3])
	}
	// A ended after 2 days, B censored after 3: S = 1 at ages 0,1; 1/2 after.
	s := MemberSurvival(stays, 103, 4)
	for i, w := range []float64{1, 1, 0.5, 0.5} {
		if math.Abs(s[i]-w) > 1e-9 {
			t.Errorf("survival at age %d = %v, want %v", i, s[i], w)
		}
	}
}

// TestKaplanMeierWeights: a lifetime counted w times (the bootstrap's
// weights) gives the curve of the lifetimes repeated.
func TestKaplanMeierWeights(t *testing.T) {
	ls := []Lifetime{{3, true}, {5, false}, {5, true}, {8, true}, {9, false}}
	w := []int{2, 0, 3, 1, 2}
	var rep []Lifetime
	for i, l := range ls {
		for range w[i] {
			rep = append(rep, l)
		}
	}
	got, want := kmSorted(ls, w), KaplanMeier(rep)
	if len(got) != len(want) {
		t.Fatalf("weighted %+v, repeated %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d weighted %+v, repeated %+v", i, got[i], want[i])
		}
	}
}
