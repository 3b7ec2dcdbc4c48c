package health

import (
	"math"
	"strconv"
)

// A logistic model of "dies within Horizon days", fitted on the team's own
// history when it holds at least MinDeaths dead groups (docs/health.md).
// It replaces the rule set's risk and state; the rules' reasons still say
// why. Without enough deaths the rule set is in use.

// MinDeaths is how many dead groups the history must hold to fit a model.
const MinDeaths = 10

// nFeat is the number of features.
const nFeat = 6

// features are what the model sees of a group's last day: the same windows
// as the rules (Recent days against the Baseline before them).
//
//	0 leave rate ratio, log((recent+1)/(baseline+1)) of leaves per 1,000 member-days
//	1 members lost over 2×Recent days, as a share (0 when it grew)
//	2 speakers per member-day, recent / baseline (1 when unknown)
//	3 orders per member-day, recent / baseline (1 when too few)
//	4 a burst of leaves after posts (0 or 1)
//	5 members / peak
type features [nFeat]float64

// features computes the last day's features; false before minHistory days.
func (r Rules) features(series []Day, peak int64) (features, bool) {
	var f features
	if len(series) < r.minHistory() {
		return f, false
	}
	for _, d := range series {
		peak = max(peak, d.Members)
	}
	rec := sum(series[len(series)-r.Recent:])
	base := sum(series[max(0, len(series)-r.Recent-r.Baseline) : len(series)-r.Recent])
	rate := func(n, md int64) float64 {
		if md == 0 {
			return 0
		}
		return float64(n) * 1000 / float64(md)
	}
	f[0] = math.Log((rate(rec.leaves, rec.memberDays) + 1) / (rate(base.leaves, base.memberDays) + 1))
	back := min(len(series)-1, 2*r.Recent)
	if then, now := series[len(series)-1-back].Members, series[len(series)-1].Members; then > 0 && now < then {
		f[1] = float64(then-now) / float64(then)
	}
	f[2], f[3] = 1, 1
	if base.active >= 10 && rec.memberDays > 0 && base.memberDays > 0 {
		f[2] = min(3, float64(rec.active*base.memberDays)/float64(rec.memberDays*base.active))
	}
	if base.orders >= 5 {
		rd, bd := rec.memberDays, base.memberDays
		if rd == 0 || bd == 0 {
			rd, bd = rec.days, base.days
		}
		f[3] = min(3, float64(rec.orders*bd)/float64(rd*base.orders))
	}
	if r.leaveBurst(series[len(series)-r.Recent:], base, func(int, string, ...string) {}) > 0 {
		f[4] = 1
	}
	if peak > 0 {
		f[5] = float64(series[len(series)-1].Members) / float64(peak)
	}
	return f, true
}

// Model is a fitted logistic model.
type Model struct {
	W         [nFeat + 1]float64 // weights of the standardized features, then the intercept
	Mean, Std [nFeat]float64
	// Threshold is the probability at which a group is warned (watched at
	// half of it).
	Threshold float64
	Deaths    int // dead groups in the history it was fitted on
	Samples   int // group-days
}

// Prob is the probability that a group with features f dies within Horizon
// days.
func (m *Model) Prob(f features) float64 {
	z := m.W[nFeat]
	for i := range nFeat {
		z += m.W[i] * (f[i] - m.Mean[i]) / m.Std[i]
	}
	return 1 / (1 + math.Exp(-z))
}

// sample is one group-day of the history.
type sample struct {
	f     features
	label bool // died within Horizon days
}

// samples labels every judged day of groups: died within Horizon days or
// not; days after death and the last Horizon days of a living group (their
// outcome unknown) are left out. It returns the samples and the deaths.
func (r Rules) samples(groups []Series) ([]sample, int) {
	plain := r
	plain.Model = nil
	var out []sample
	deaths := 0
	for _, g := range groups {
		vs := plain.Replay(g.Days)
		death := firstDeath(vs, r.minHistory())
		end := len(vs) - Horizon
		if death >= 0 {
			end = death
			deaths++
		}
		var peak int64
		tail := r.tail()
		for i := range max(end, 0) {
			peak = max(peak, g.Days[i].Members)
			if vs[i].State == Dead {
				continue // not yet alive (or dead for a while): nothing to learn
			}
			f, ok := r.features(g.Days[max(0, i+1-tail):i+1], peak)
			if !ok {
				continue
			}
			out = append(out, sample{f: f, label: death >= 0 && death-i <= Horizon})
		}
	}
	return out, deaths
}

// maxSamples bounds the group-days a fit reads: the living groups' days
// are thinned evenly beyond it (every death's days are kept; the classes
// are weighted alike anyway), so a year of 1,000 groups fits in seconds.
const maxSamples = 40000

// thin keeps every positive sample and an even selection of the negatives,
// at most limit in all (deterministic).
func thin(ss []sample, limit int) []sample {
	if len(ss) <= limit {
		return ss
	}
	pos := 0
	for _, x := range ss {
		if x.label {
			pos++
		}
	}
	room := limit - pos
	neg := len(ss) - pos
	if room <= 0 || neg <= room {
		return ss
	}
	out := make([]sample, 0, limit)
	seen := 0
	for _, x := range ss {
		if x.label {
			out = append(out, x)
			continue
		}
		// keep the negative when it moves the kept count to a new step
		if (seen+1)*room/neg > seen*room/neg {
			out = append(out, x)
		}
		seen++
	}
	return out
}

// Fit fits a logistic model on the groups' history (L2-regularised, batch
// gradient descent on standardized features, deterministic). It returns
// nil when the history holds fewer than MinDeaths dead groups.
func (r Rules) Fit(groups []Series) *Model {
	ss, deaths := r.samples(groups)
	if deaths < MinDeaths || len(ss) == 0 {
		return nil
	}
	ss = thin(ss, maxSamples)
	m := &Model{Deaths: deaths, Samples: len(ss), Threshold: 0.5}
	n := float64(len(ss))
	for i := range nFeat {
		var s, s2 float64
		for _, x := range ss {
			s += x.f[i]
			s2 += x.f[i] * x.f[i]
		}
		m.Mean[i] = s / n
		m.Std[i] = math.Sqrt(max(s2/n-m.Mean[i]*m.Mean[i], 0))
		if m.Std[i] < 1e-9 {
			m.Std[i] = 1
		}
	}
	// Positives are few: weight them so both classes count alike.
	pos := 0
	for _, x := range ss {
		if x.label {
			pos++
		}
	}
	if pos == 0 || pos == len(ss) {
		return nil
	}
	wPos, wNeg := n/(2*float64(pos)), n/(2*float64(len(ss)-pos))
	const rate, lambda, rounds = 0.5, 1e-3, 400
	for range rounds {
		var grad [nFeat + 1]float64
		for _, x := range ss {
			p := m.Prob(x.f)
			y, w := 0.0, wNeg
			if x.label {
				y, w = 1, wPos
			}
			e := w * (p - y)
			for i := range nFeat {
				grad[i] += e * (x.f[i] - m.Mean[i]) / m.Std[i]
			}
			grad[nFeat] += e
		}
		for i := range grad {
			g := grad[i] / n
			if i < nFeat {
				g += lambda * m.W[i]
			}
			m.W[i] -= rate * g
		}
	}
	// With balanced weights 0.5 is the even odds; a warning should be
	// surer than that: 0.7.
	m.Threshold = 0.7
	return m
}

// judgeModel sets v's risk and state from the model (dead stays dead) and
// adds the model's fact.
func (m *Model) judge(v *Verdict, f features) {
	p := m.Prob(f)
	v.Risk = int(math.Round(p * 100))
	if v.State != Dead {
		switch {
		case p >= m.Threshold:
			v.State = Warning
		case p >= m.Threshold/2:
			v.State = Watch
		default:
			v.State = OK
		}
	}
	v.Reasons = append(v.Reasons, Reason{Key: "health.model", Args: []string{strconv.Itoa(v.Risk) + "%", strconv.Itoa(m.Deaths)}})
}

// BacktestModel measures the fitted model honestly: the groups are split
// into folds, each fold judged by a model fitted on the others. ok is false
// when a fold's training groups hold fewer than MinDeaths deaths.
func (r Rules) BacktestModel(groups []Series, folds int) (res BacktestResult, ok bool) {
	if folds < 2 {
		folds = 2
	}
	var all []GroupResult
	var agg BacktestResult
	var leads []int
	for k := range folds {
		var train, test []Series
		for i, g := range groups {
			if i%folds == k {
				test = append(test, g)
			} else {
				train = append(train, g)
			}
		}
		m := r.Fit(train)
		if m == nil {
			return BacktestResult{}, false
		}
		rm := r
		rm.Model = m
		part := rm.Backtest(test)
		all = append(all, part.Groups...)
		agg.Dying += part.Dying
		agg.WarnedAhead += part.WarnedAhead
		agg.Warnings += part.Warnings
		agg.FalseAlarms += part.FalseAlarms
		agg.Open += part.Open
		for _, g := range part.Groups {
			if g.DeathDay != 0 && g.WarnDay != 0 {
				leads = append(leads, g.Lead)
			}
		}
	}
	agg.Groups = all
	agg.finish(leads)
	return agg, true
}
