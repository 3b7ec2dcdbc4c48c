package insight

import "sort"

// Lifetime is how long something lasted (a group from its first member to
// its death, a member's stay) and whether it ended: Ended false is a
// right-censored lifetime, still going when last seen.
type Lifetime struct {
	Days  float64
	Ended bool
}

// Step is one event time of a Kaplan–Meier curve: at T, AtRisk lifetimes
// had lasted at least T, Ended of them ended at T, Censored were last seen
// at T, and Survival is the estimate of P(lifetime > T).
type Step struct {
	T        float64
	AtRisk   int
	Ended    int
	Censored int
	Survival float64
}

// Curve is a Kaplan–Meier survival curve, one step per distinct time.
type Curve []Step

// KaplanMeier estimates the survival function from right-censored lifetimes:
// S(t) = Π_{t_i ≤ t} (1 − d_i / n_i), where d_i lifetimes end at t_i and n_i
// are at risk just before it (those lasting at least t_i). A lifetime
// censored at the same time as an ending counts as at risk at it, as is the
// convention.
func KaplanMeier(lifetimes []Lifetime) Curve {
	ls := append([]Lifetime(nil), lifetimes...)
	sort.Slice(ls, func(i, j int) bool { return ls[i].Days < ls[j].Days })
	return kmSorted(ls, nil)
}

// kmSorted is KaplanMeier over lifetimes sorted by Days, each counted w[i]
// times (once when w is nil): the bootstrap's resamples are weights over
// the groups, sorted once.
func kmSorted(ls []Lifetime, w []int) Curve {
	weight := func(i int) int {
		if w == nil {
			return 1
		}
		return w[i]
	}
	n := 0
	for i := range ls {
		n += weight(i)
	}
	var c Curve
	s := 1.0
	for i := 0; i < len(ls); {
		t := ls[i].Days
		var d, cens int
		for ; i < len(ls) && ls[i].Days == t; i++ {
			if ls[i].Ended {
				d += weight(i)
			} else {
				cens += weight(i)
			}
		}
		if d+cens == 0 {
			continue
		}
		if d > 0 {
			s *= 1 - float64(d)/float64(n)
		}
		c = append(c, Step{T: t, AtRisk: n, Ended: d, Censored: cens, Survival: s})
		n -= d + cens
	}
	return c
}

// At is S(t): the survival after every step at or before t (1 before the
// first).
func (c Curve) At(t float64) float64 {
	i := sort.Search(len(c), func(i int) bool { return c[i].T > t })
	if i == 0 {
		return 1
	}
	return c[i-1].Survival
}
