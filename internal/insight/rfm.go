package insight

import (
	"slices"
)

// MemberRFM is one buying member's recency, frequency and money over its
// counted orders (credited to it, neither invalid nor refunded), its
// scores and segment (docs/cohorts.md).
type MemberRFM struct {
	MemberID int64
	Name     string // filled by the readers that show it
	FirstDay int64  // Shanghai day of the first order
	LastDay  int64  // Shanghai day of the latest order: recency
	Orders   int64  // frequency
	MoneyFen int64  // estimated income of its orders: money
	R, F, M  int    // 1..5, 5 the best fifth
	Segment  Segment
}

// Segment is an RFM segment: which of recency, frequency and money are
// high (a score of 4 or 5: the member beats at least three fifths of the
// buyers there).
type Segment string

// The eight segments, in the order pages show them: money high first.
const (
	SegChampions   Segment = "champions"    // R F M high: 重要价值
	SegBigNew      Segment = "big_new"      // R M high, F low: 重要发展
	SegBigSlipping Segment = "big_slipping" // F M high, R low: 重要保持
	SegBigLost     Segment = "big_lost"     // M high, R F low: 重要挽留
	SegLoyal       Segment = "loyal"        // R F high, M low: 一般价值
	SegNew         Segment = "new"          // R high, F M low: 一般发展
	SegSlipping    Segment = "slipping"     // F high, R M low: 一般保持
	SegHibernating Segment = "hibernating"  // all low: 一般挽留
)

// Segments lists the segments in page order.
var Segments = []Segment{SegChampions, SegBigNew, SegBigSlipping, SegBigLost, SegLoyal, SegNew, SegSlipping, SegHibernating}

// ParseSegment reads a segment's key.
func ParseSegment(s string) (Segment, bool) {
	if slices.Contains(Segments, Segment(s)) {
		return Segment(s), true
	}
	return "", false
}

// LabelKey is the segment's name in the message catalogs.
func (s Segment) LabelKey() string { return "cohorts.seg." + string(s) }

// HintKey is what the segment's members call for, in the catalogs.
func (s Segment) HintKey() string { return "cohorts.seg_hint." + string(s) }

// Index is the segment's place in Segments (-1: none).
func (s Segment) Index() int { return slices.Index(Segments, s) }

// HighScore is the lowest score counted as high.
const HighScore = 4

// SegmentOf names the segment of scores r, f, m.
func SegmentOf(r, f, m int) Segment {
	hr, hf, hm := r >= HighScore, f >= HighScore, m >= HighScore
	switch {
	case hm && hr && hf:
		return SegChampions
	case hm && hr:
		return SegBigNew
	case hm && hf:
		return SegBigSlipping
	case hm:
		return SegBigLost
	case hr && hf:
		return SegLoyal
	case hr:
		return SegNew
	case hf:
		return SegSlipping
	}
	return SegHibernating
}

// Quintile is the score of a value among n values of which below are
// strictly lower: 1 + floor(5 × below / n), so equal values share a score
// and the order of members never matters.
func Quintile(below, n int) int {
	if n <= 0 {
		return 1
	}
	return 1 + 5*below/n
}

// ScoreRFM scores every member (recency by the latest order's day: later
// is better) and names its segment, in place.
func ScoreRFM(ms []MemberRFM) {
	n := len(ms)
	if n == 0 {
		return
	}
	vals := make([]int64, n)
	score := func(get func(*MemberRFM) int64, set func(*MemberRFM, int)) {
		for i := range ms {
			vals[i] = get(&ms[i])
		}
		slices.Sort(vals)
		for i := range ms {
			below, _ := slices.BinarySearch(vals, get(&ms[i]))
			set(&ms[i], Quintile(below, n))
		}
	}
	score(func(m *MemberRFM) int64 { return m.LastDay }, func(m *MemberRFM, v int) { m.R = v })
	score(func(m *MemberRFM) int64 { return m.Orders }, func(m *MemberRFM, v int) { m.F = v })
	score(func(m *MemberRFM) int64 { return m.MoneyFen }, func(m *MemberRFM, v int) { m.M = v })
	for i := range ms {
		ms[i].Segment = SegmentOf(ms[i].R, ms[i].F, ms[i].M)
	}
}
