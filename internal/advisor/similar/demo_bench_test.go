package similar_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor/similar"
	"github.com/qunke/qunke/internal/bench"
	"github.com/qunke/qunke/internal/demo"
)

// demoShards indexes the largest categories of the 1M-item demo market one
// index per category, as the advisor does, and picks query titles from them.
var demoShards = sync.OnceValues(func() ([]*similar.Index, [][2]int32) {
	prices = map[int32][]int64{}
	const items, shards = 1_000_000, 4
	m := demo.New(demo.Config{Seed: 1, Items: items, Snapshots: 2, Interval: 24 * time.Hour,
		End: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	byCat := map[string][]int{}
	for i := range items {
		c := m.Item(i).CategoryPath
		byCat[c] = append(byCat[c], i)
	}
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	slices.SortFunc(cats, func(a, b string) int { return len(byCat[b]) - len(byCat[a]) })
	var xs []*similar.Index
	var qs [][2]int32 // shard, ordinal
	for s, c := range cats[:shards] {
		x := similar.NewIndex()
		var ps []int64
		for _, i := range byCat[c] {
			h := m.History(i, nil)
			ps = append(ps, h[len(h)-1].FinalPrice)
		}
		for ord, i := range byCat[c] {
			x.Add(int32(ord), 0, m.Item(i).Title)
			if ord%97 == 0 {
				qs = append(qs, [2]int32{int32(s), int32(ord)})
			}
		}
		x.Freeze()
		xs = append(xs, x)
		prices[int32(s)] = ps
	}
	titles = map[[2]int32]string{}
	for _, q := range qs {
		titles[q] = m.Item(byCat[cats[q[0]]][q[1]]).Title
	}
	return xs, qs
})

var (
	titles map[[2]int32]string
	prices map[int32][]int64 // by shard, the final price of each ordinal
)

// BenchmarkSimilarDemo: a card's substitute search, 10 similar items in the
// item's category (about 15,000 demo titles) priced between half and double
// the item's price.
func BenchmarkSimilarDemo(b *testing.B) {
	xs, qs := demoShards()
	i := 0
	c0 := bench.ProcessCPU()
	for b.Loop() {
		q := qs[i%len(qs)]
		i++
		ps := prices[q[0]]
		lo, hi := ps[q[1]]/2, ps[q[1]]*2
		xs[q[0]].Similar(titles[q], nil, func(d int32) bool { return ps[d] >= lo && ps[d] <= hi }, q[1], 10)
	}
	b.ReportMetric(float64((bench.ProcessCPU()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
}
