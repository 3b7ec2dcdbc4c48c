package similar

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const (
	benchTitles = 1_000_000
	benchGroups = 200 // ~5,000 titles per group
)

// benchCorpus generates titles like a Taoke library: a marketing prefix
// (common: 官方旗舰店, 正品, 包邮, 2026新款), a brand, attribute words
// (5–8: real ones and Zipf-distributed synthetic words made of Zipf-distributed
// characters), the group's product word, often a spec word ("500ml",
// "iphone15") and sometimes a marketing suffix. About 30 characters.
type benchCorpus struct {
	r        *rand.Rand
	words    []string // synthetic attribute words
	brands   []string
	products []string // one per group
	zw, zb   *rand.Zipf
}

func newBenchCorpus(seed uint64) *benchCorpus {
	r := rand.New(rand.NewPCG(seed, 1))
	zc := rand.NewZipf(r, 1.1, 8, 2999)
	char := func() string { return string(rune(0x4E00 + 5*zc.Uint64())) }
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(char())
		}
		return b.String()
	}
	c := &benchCorpus{r: r}
	for range 30000 {
		c.words = append(c.words, word(2+r.IntN(2)))
	}
	for range 800 {
		c.brands = append(c.brands, word(2))
	}
	for g := range benchGroups {
		if g < len(tProducts) {
			c.products = append(c.products, tProducts[g])
		} else {
			c.products = append(c.products, word(2)+tProducts[g%len(tProducts)])
		}
	}
	c.zw = rand.NewZipf(r, 1.05, 4, uint64(len(c.words)-1))
	c.zb = rand.NewZipf(r, 1.2, 4, uint64(len(c.brands)-1))
	return c
}

func (c *benchCorpus) title(group int) string {
	r := c.r
	var b strings.Builder
	sep := func() {
		if r.IntN(5) == 0 {
			b.WriteByte(' ')
		}
	}
	if r.IntN(5) < 3 {
		b.WriteString("【")
		b.WriteString(tMarketing[r.IntN(len(tMarketing))])
		b.WriteString("】")
	}
	b.WriteString(c.brands[c.zb.Uint64()])
	sep()
	for range 5 + r.IntN(4) {
		if r.IntN(2) == 0 {
			b.WriteString(tAttrs[r.IntN(len(tAttrs))])
		} else {
			b.WriteString(c.words[c.zw.Uint64()])
		}
		sep()
	}
	b.WriteString(c.products[group])
	if r.IntN(2) == 0 {
		sep()
		switch r.IntN(3) {
		case 0:
			b.WriteString(tWords[r.IntN(len(tWords))])
		case 1:
			b.WriteString(strconv.Itoa(100 * (1 + r.IntN(20))))
			b.WriteString("ml")
		default:
			b.WriteString("iPhone")
			b.WriteString(strconv.Itoa(11 + r.IntN(6)))
		}
	}
	if r.IntN(5) < 2 {
		sep()
		b.WriteString(tMarketing[r.IntN(len(tMarketing))])
	}
	return b.String()
}

type benchQuery struct {
	id, group int32
	title     string
}

var bench struct {
	once    sync.Once
	x       *Index
	queries []benchQuery
	heapMB  float64 // live heap of the frozen index
	sizeMB  float64 // SizeBytes
	buildS  float64
	runes   float64 // mean title length in characters
}

func benchIndex(b *testing.B) *Index {
	b.Helper()
	bench.once.Do(func() {
		c := newBenchCorpus(42)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		start := time.Now()
		x := NewIndex()
		runes := 0
		for i := range benchTitles {
			g := c.r.IntN(benchGroups)
			t := c.title(g)
			runes += utf8.RuneCountInString(t)
			if i%5003 == 0 {
				bench.queries = append(bench.queries, benchQuery{int32(i), int32(g), t})
			}
			x.Add(int32(i), int32(g), t)
		}
		x.Freeze()
		bench.buildS = time.Since(start).Seconds()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		bench.x = x
		bench.heapMB = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / 1e6
		bench.sizeMB = float64(x.SizeBytes()) / 1e6
		bench.runes = float64(runes) / benchTitles
	})
	return bench.x
}

func reportIndex(b *testing.B) {
	b.ReportMetric(bench.heapMB, "index-MB")
	b.ReportMetric(bench.sizeMB, "SizeBytes-MB")
	b.ReportMetric(bench.buildS, "build-s")
	b.ReportMetric(bench.runes, "chars/title")
}

// BenchmarkSimilar: 10 most similar items for titles of the index, in the
// item's own group (~5,000 titles) and over all 1M.
func BenchmarkSimilar(b *testing.B) {
	for _, tc := range []struct {
		name  string
		group bool
	}{{"group", true}, {"all", false}} {
		b.Run(tc.name, func(b *testing.B) {
			x := benchIndex(b)
			qs := bench.queries
			i := 0
			for b.Loop() {
				q := qs[i%len(qs)]
				i++
				var gs []int32
				if tc.group {
					gs = []int32{q.group}
				}
				if len(x.Similar(q.title, gs, nil, q.id, 10)) == 0 {
					b.Fatal("no match")
				}
			}
			b.StopTimer()
			// The share of top-10 slots an uncapped run agrees with.
			same, all := 0, 0
			for _, q := range qs[:min(len(qs), 100)] {
				var gs []int32
				if tc.group {
					gs = []int32{q.group}
				}
				got := x.Similar(q.title, gs, nil, q.id, 10)
				lim := x.lim
				x.lim = limits{perTermCap: math.MaxInt, scanBudget: math.MaxInt, rerankPool: math.MaxInt32, extraCap: math.MaxInt32}
				want := x.Similar(q.title, gs, nil, q.id, 10)
				x.lim = lim
				for i := range min(len(got), len(want)) {
					all++
					if got[i].ID == want[i].ID {
						same++
					}
				}
			}
			b.ReportMetric(float64(same)/float64(max(all, 1)), "exact-share")
			reportIndex(b)
		})
	}
}

// BenchmarkSearch: first page (20) and total for typical search-box queries.
func BenchmarkSearch(b *testing.B) {
	for _, tc := range []struct{ name, query string }{
		{"2char-common", "正品"},
		{"2char-product", "纸巾"},
		{"3char", "保温杯"},
		{"1char", "大"},
		{"mixed", "iphone15 手机壳"},
		{"3terms", "官方旗舰 大容量 杯"},
		{"none", "咖啡机"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			x := benchIndex(b)
			total := 0
			for b.Loop() {
				_, total = x.Search(tc.query, nil, 0, 20)
			}
			b.ReportMetric(float64(total), "matches")
			b.ReportMetric(bench.heapMB, "index-MB")
		})
	}
}
