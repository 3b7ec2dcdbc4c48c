package similar_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/qunke/qunke/internal/advisor/similar"
	"github.com/qunke/qunke/internal/bench"
)

// bigGroup is one group of n synthetic titles with log-normal prices (σ
// 0.45, as the demo market's leaf categories): a leaf category of a
// 10M-item library is one shard of 30k–300k titles.
type bigGroup struct {
	x       *similar.Index
	titles  []string
	prices  []int64
	queries []int32
}

var bigGroups sync.Map // n → *bigGroup

func bigGroupIndex(n int) *bigGroup {
	if g, ok := bigGroups.Load(n); ok {
		return g.(*bigGroup)
	}
	r := rand.New(rand.NewPCG(uint64(n), 3))
	g := &bigGroup{x: similar.NewIndex(), titles: similar.SyntheticTitles(7, n)}
	for i, t := range g.titles {
		g.x.Add(int32(i), 0, t)
		g.prices = append(g.prices, int64(9900*math.Exp(0.45*r.NormFloat64())))
		if i%(n/200) == 0 {
			g.queries = append(g.queries, int32(i))
		}
	}
	g.x.Freeze()
	bigGroups.Store(n, g)
	return g
}

// BenchmarkSimilarBigGroup: a card's substitute search (10 items priced
// between half and double the item's price) in one group of 30k, 100k and
// 300k titles, with the process's CPU time per search (the machine is
// shared: wall time is mostly waiting for a core).
func BenchmarkSimilarBigGroup(b *testing.B) {
	for _, n := range []int{30_000, 100_000, 300_000} {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			g := bigGroupIndex(n)
			i := 0
			c0 := bench.ProcessCPU()
			for b.Loop() {
				q := g.queries[i%len(g.queries)]
				i++
				lo, hi := g.prices[q]/2, g.prices[q]*2
				g.x.Similar(g.titles[q], nil, func(d int32) bool { return g.prices[d] >= lo && g.prices[d] <= hi }, q, 10)
			}
			b.ReportMetric(float64((bench.ProcessCPU()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
