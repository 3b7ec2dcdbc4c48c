package similar

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// Vocabulary for generated titles.
var (
	tMarketing = []string{"官方旗舰店", "正品", "包邮", "2026新款", "新款", "特价", "爆款", "官方", "旗舰", "热卖", "限时秒杀", "现货速发"}
	tProducts  = []string{"保温杯", "水杯", "纸巾", "抽纸", "湿巾", "手机壳", "充电器", "数据线", "牙刷", "牙膏",
		"洗发水", "沐浴露", "洗衣液", "拖鞋", "运动鞋", "卫衣", "羽绒服", "连衣裙", "背包", "雨伞", "台灯", "枕头",
		"被子", "毛巾", "饭盒", "保鲜盒", "电饭煲", "空气炸锅", "吹风机", "剃须刀", "耳机", "鼠标", "键盘", "袜子"}
	tBrands = []string{"象印", "虎牌", "膳魔师", "苏泊尔", "美的", "小米", "华为", "维达", "清风", "心相印", "飞利浦",
		"欧乐B", "海飞丝", "舒肤佳", "蓝月亮", "安踏", "李宁", "南极人", "罗技", "公牛", "九阳", "格力"}
	tAttrs = []string{"大容量", "便携", "男女", "学生", "儿童", "家用", "不锈钢", "加厚", "防摔", "静音", "无线", "快充",
		"透明", "简约", "韩版", "宽松", "纯棉", "加绒", "冬季", "夏季", "抗菌", "除螨", "原装", "网红", "情侣", "办公室",
		"车载", "迷你", "柔软", "耐用", "大号", "小号", "套装", "礼盒", "温度显示", "一次性"}
	tWords = []string{"316", "304", "500ml", "1l", "5l", "iPhone15", "iphone14", "pro", "max", "usb", "typec",
		"20w", "3层", "120抽", "24包", "xl", "2026", "abc", "m"}
	tSeps = []string{"", "", "", " ", "【", "】", "，", "!", "🔥", "❤️", "/", "　", "（", "）"}
)

// genTitle returns a random title built from the vocabulary, with random
// separators, upper case and full-width ASCII.
func genTitle(r *rand.Rand) string {
	var b strings.Builder
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	add := func(s string) {
		b.WriteString(pick(tSeps))
		if s != "" && s[0] < 0x80 {
			switch r.IntN(4) {
			case 0:
				s = strings.ToUpper(s)
			case 1:
				s = toFullWidth(s)
			}
		}
		b.WriteString(s)
	}
	if r.IntN(2) == 0 {
		add(pick(tMarketing))
	}
	add(pick(tBrands))
	for range 1 + r.IntN(3) {
		add(pick(tAttrs))
	}
	add(pick(tProducts))
	if r.IntN(2) == 0 {
		add(pick(tWords))
	}
	if r.IntN(3) == 0 {
		add(pick(tMarketing))
	}
	return b.String()
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		if '!' <= c && c <= '~' {
			c += 0xFEE0
		}
		b.WriteRune(c)
	}
	return b.String()
}

// refNormalize is an independent, naive normaliser for generated titles:
// Han characters kept, ASCII letters and digits (full-width folded) lower-
// cased, a space between Han and ASCII runs, anything else a space.
func refNormalize(s string) string {
	var b strings.Builder
	prev := 0 // 0 space, 1 han, 2 ascii
	for _, c := range s {
		if 0xFF01 <= c && c <= 0xFF5E {
			c -= 0xFEE0
		}
		kind := 0
		switch {
		case unicode.Is(unicode.Han, c):
			kind = 1
		case c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)):
			kind, c = 2, unicode.ToLower(c)
		}
		if kind == 0 || prev != 0 && prev != kind {
			b.WriteByte(' ')
		}
		if kind != 0 {
			b.WriteRune(c)
		}
		prev = kind
	}
	return " " + b.String() + " "
}

// refMatch reports whether a normalised title matches a query term: a CJK
// string of two or more characters by all its bigrams, one CJK character
// anywhere, an ASCII word as a whole word.
func refMatch(norm, term string) bool {
	rs := []rune(term)
	switch {
	case rs[0] < 0x80:
		return strings.Contains(norm, " "+strings.ToLower(term)+" ")
	case len(rs) == 1:
		return strings.ContainsRune(norm, rs[0])
	}
	for i := 0; i+1 < len(rs); i++ {
		if !strings.Contains(norm, string(rs[i:i+2])) {
			return false
		}
	}
	return true
}

func build(titles []string, groups []int32) *Index {
	x := NewIndex()
	for i, s := range titles {
		g := int32(0)
		if groups != nil {
			g = groups[i]
		}
		x.Add(int32(i), g, s)
	}
	x.Freeze()
	return x
}

func ids(ms []Match) []int32 {
	out := make([]int32, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// substituteIndex: three hand-written titles among 300 generated fillers in
// which the generic marketing words are common, as in a real library.
func substituteIndex() (*Index, []string) {
	titles := []string{
		0: "【官方旗舰】象印保温杯316不锈钢500ml 正品包邮",
		1: "官方旗舰店正品包邮 纸巾",
		2: "虎牌保温杯316不锈钢大容量",
		3: "2026新款官方旗舰正品包邮抽纸3层120抽",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for len(titles) < 300 {
		titles = append(titles, "官方旗舰店正品包邮2026新款"+tAttrs[r.IntN(len(tAttrs))]+tProducts[1+r.IntN(len(tProducts)-1)])
	}
	return build(titles, nil), titles
}

func TestSimilarSubstitute(t *testing.T) {
	x, _ := substituteIndex()
	got := x.Similar("【官方旗舰】象印保温杯316不锈钢500ml 正品包邮", nil, nil, 0, 5)
	if len(got) == 0 || got[0].ID != 2 {
		t.Fatalf("best match = %+v, want item 2 (虎牌保温杯316不锈钢大容量)", got)
	}
	score := func(id int32) float32 {
		for _, m := range got {
			if m.ID == id {
				return m.Score
			}
		}
		return 0
	}
	if s2, s1 := score(2), score(1); s2 <= s1 {
		t.Errorf("substitute scores %v, generic-only item %v", s2, s1)
	}
	if got[0].Shared != 5 { // 保温 温杯 316 不锈 锈钢
		t.Errorf("shared = %d, want 5", got[0].Shared)
	}
	for _, m := range got {
		if m.Score < 0 || m.Score > 1 {
			t.Errorf("score %v out of range", m.Score)
		}
	}
	// Identical title scores 1.
	self := x.Similar("虎牌保温杯316不锈钢大容量", nil, nil, -1, 1)
	if len(self) != 1 || self[0].ID != 2 || math.Abs(float64(self[0].Score)-1) > 1e-5 {
		t.Errorf("self match = %+v", self)
	}
	for _, tc := range []struct {
		title string
		want  int32
	}{
		{"膳魔师保温杯大容量", 2},
		{"象印500ml", 0},
		{"维达抽纸3层120抽 官方旗舰", 3},
		{"纸巾", 1},
	} {
		got := x.Similar(tc.title, nil, nil, -1, 1)
		if len(got) != 1 || got[0].ID != tc.want {
			t.Errorf("Similar(%q) = %+v, want item %d", tc.title, got, tc.want)
		}
	}
}

func TestSimilarFilters(t *testing.T) {
	titles := []string{
		0: "象印保温杯316不锈钢500ml",
		1: "虎牌保温杯316不锈钢大容量",
		2: "膳魔师保温杯316不锈钢",
		3: "象印保温杯316不锈钢500ml",
		4: "苏泊尔保温杯316",
		5: "维达纸巾",
	}
	groups := []int32{7, 7, 9, 7, 3, 1}
	x := build(titles, groups)
	q := titles[0]
	even := func(id int32) bool { return id%2 == 0 }
	for _, tc := range []struct {
		name    string
		groups  []int32
		keep    func(int32) bool
		exclude int32
		k       int
		want    []int32
	}{
		{"all", nil, nil, -1, 10, []int32{0, 3, 2, 1, 4}},
		{"exclude self", nil, nil, 0, 10, []int32{3, 2, 1, 4}},
		{"k", nil, nil, 0, 2, []int32{3, 2}},
		{"k zero", nil, nil, 0, 0, nil},
		{"group", []int32{7}, nil, 0, 10, []int32{3, 1}},
		{"groups", []int32{9, 3}, nil, 0, 10, []int32{2, 4}},
		{"groups duplicated and unknown", []int32{9, 9, 42}, nil, -1, 10, []int32{2}},
		{"no groups", []int32{}, nil, -1, 10, nil},
		{"keep", nil, even, -1, 10, []int32{0, 2, 4}},
		{"keep and group", []int32{7}, even, 0, 10, nil},
		{"keep none", nil, func(int32) bool { return false }, -1, 10, nil},
		{"exclude unknown", nil, nil, 99, 3, []int32{0, 3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(x.Similar(q, tc.groups, tc.keep, tc.exclude, tc.k))
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := x.Similar("完全无关", nil, nil, -1, 5); got != nil {
		t.Errorf("no shared terms: got %v", got)
	}
	if got := x.Similar("", nil, nil, -1, 5); got != nil {
		t.Errorf("empty title: got %v", got)
	}
}

func TestSimilarTies(t *testing.T) {
	var titles []string
	var groups []int32
	for i := range 50 {
		titles = append(titles, "南极人纯棉加厚袜子")
		groups = append(groups, int32(i%3))
	}
	x := build(titles, groups)
	want := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for range 3 {
		got := x.Similar("南极人纯棉加厚袜子", nil, nil, -1, 10)
		if !slices.Equal(ids(got), want) {
			t.Fatalf("ties: got %v, want %v", ids(got), want)
		}
		for _, m := range got {
			if m.Score != got[0].Score {
				t.Fatalf("scores differ: %+v", got)
			}
		}
	}
	if got := ids(x.Similar("南极人纯棉加厚袜子", []int32{1, 2}, nil, 1, 4)); !slices.Equal(got, []int32{2, 4, 5, 7}) {
		t.Errorf("ties in groups: got %v", got)
	}
}

// refSimilar scores every title against q by brute force.
type refIndex struct {
	sets   []map[string]bool
	df     map[string]int
	groups []int32
}

func newRef(titles []string, groups []int32) *refIndex {
	r := &refIndex{df: map[string]int{}, groups: groups}
	for _, s := range titles {
		set := map[string]bool{}
		for _, t := range Terms(s) {
			set[t] = true
		}
		for t := range set {
			r.df[t]++
		}
		r.sets = append(r.sets, set)
	}
	return r
}

func (r *refIndex) weight(t string) float64 {
	n, df := float64(len(r.sets)), float64(r.df[t])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

func (r *refIndex) score(q map[string]bool, d int) float64 {
	var shared, union float64
	for t := range q {
		w := r.weight(t)
		union += w
		if r.sets[d][t] {
			shared += w
		}
	}
	for t := range r.sets[d] {
		if !q[t] {
			union += r.weight(t)
		}
	}
	if union == 0 {
		return 0
	}
	return shared / union
}

// TestSimilarReference compares Similar with a brute-force scorer, exact
// (nothing capped) and with caps low enough that common terms are
// lookup-only.
func TestSimilarReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 3000
	titles := make([]string, n)
	groups := make([]int32, n)
	for i := range titles {
		titles[i] = genTitle(r)
		groups[i] = int32(r.IntN(8))
	}
	ref := newRef(titles, groups)
	for _, tc := range []struct {
		name     string
		lim      limits
		minShare float64 // of the reference top k found
	}{
		{"exact", defaultLimits, 1},
		// Ending the scan at the bound, with small pools, changes nothing
		// while no scan cap applies: every candidate that could still win
		// gets its lookups.
		{"bounded, small pools", limits{perTermCap: perTermCap, scanBudget: scanBudget, rerankPool: 2, extraCap: 3, boundAlways: true}, 1},
		{"capped", limits{perTermCap: 150, scanBudget: 400, rerankPool: 16, extraCap: 64}, 0.6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := build(titles, groups)
			x.lim = tc.lim
			found, total := 0, 0
			for qi := range 200 {
				id := int32(r.IntN(n))
				var gs []int32
				if qi%2 == 0 {
					gs = []int32{groups[id]}
				}
				const k = 10
				// Every third query keeps only ordinals not divisible by 3,
				// as a card keeps a price band.
				var keep func(int32) bool
				if qi%3 == 1 {
					keep = func(d int32) bool { return d%3 != 0 }
				}
				got := x.Similar(titles[id], gs, keep, id, k)
				q := ref.sets[id]
				var want []float64
				for d := range n {
					if int32(d) == id || gs != nil && groups[d] != gs[0] || keep != nil && !keep(int32(d)) {
						continue
					}
					if s := ref.score(q, d); s > 0 {
						want = append(want, s)
					}
				}
				slices.Sort(want)
				slices.Reverse(want)
				want = want[:min(k, len(want))]
				if len(got) != len(want) {
					t.Fatalf("query %d: %d matches, want %d", id, len(got), len(want))
				}
				for i, m := range got {
					if s := ref.score(q, int(m.ID)); math.Abs(s-float64(m.Score)) > 1e-4 {
						t.Fatalf("query %d: item %d score %v, reference %v", id, m.ID, m.Score, s)
					}
					if i > 0 && worse(hit{score: got[i-1].Score, ext: got[i-1].ID}, hit{score: m.Score, ext: m.ID}) {
						t.Fatalf("query %d: results out of order: %+v", id, got)
					}
					if gs != nil && groups[m.ID] != gs[0] || m.ID == id || keep != nil && !keep(m.ID) {
						t.Fatalf("query %d: item %d should be filtered", id, m.ID)
					}
					total++
					if float64(m.Score) >= want[len(want)-1]-1e-4 {
						found++
					}
					if tc.minShare == 1 && math.Abs(float64(m.Score)-want[i]) > 1e-4 {
						t.Fatalf("query %d: rank %d score %v, reference %v", id, i, m.Score, want[i])
					}
				}
			}
			t.Logf("share %.3f of %d", float64(found)/float64(total), total)
			if share := float64(found) / float64(total); share < tc.minShare {
				t.Errorf("only %.2f of the results are in the reference top k", share)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	titles := []string{
		0: "【官方旗舰】象印保温杯316不锈钢500ml",
		1: "维达抽纸3层120抽 纸巾",
		2: "iPhone15 手机壳 防摔",
		3: "IPHONE15 PRO 手机壳透明",
		4: "iphone14手机壳",
		5: "清风纸巾 24包",
		6: "保温 杯",
		7: "膳魔师保温饭盒",
		8: "杯子",
		9: "ＡＢＣ１２３湿巾",
	}
	groups := []int32{5, 1, 2, 2, 2, 1, 5, 5, 5, 1} // internal order differs from ordinals
	x := build(titles, groups)
	for _, tc := range []struct {
		query string
		want  []int32
	}{
		{"保温", []int32{0, 6, 7}},
		{"纸巾", []int32{1, 5}},
		{"保温杯", []int32{0}},
		{"杯", []int32{0, 6, 8}},
		{"巾", []int32{1, 5, 9}},
		{"手", []int32{2, 3, 4}},
		{"保 杯", []int32{0, 6}},
		{"iphone15 手机壳", []int32{2, 3}},
		{"IPHONE15手机壳", []int32{2, 3}},
		{"ｉｐｈｏｎｅ１５", []int32{2, 3}},
		{"iphone", nil},
		{"abc123", []int32{9}},
		{"手机壳 透明", []int32{3}},
		{"316", []int32{0}},
		{"【保温】！", []int32{0, 6, 7}},
		{"", nil},
		{"！！！", nil},
		{"咖啡", nil},
		{"保温 咖啡", nil},
		{"咖", nil},
		{"纸巾 手机壳", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got, total := x.Search(tc.query, nil, 0, 100)
			if !slices.Equal(got, tc.want) || total != len(tc.want) {
				t.Errorf("Search(%q) = %v, %d; want %v", tc.query, got, total, tc.want)
			}
		})
	}
	got, total := x.Search("杯", func(id int32) bool { return id != 0 }, 0, 1)
	if !slices.Equal(got, []int32{6}) || total != 2 {
		t.Errorf("keep: got %v, %d", got, total)
	}
}

func TestSearchPaging(t *testing.T) {
	var titles []string
	for i := range 1000 {
		if i%3 == 0 {
			titles = append(titles, fmt.Sprintf("保温杯%d号", i))
		} else {
			titles = append(titles, "纸巾")
		}
	}
	groups := make([]int32, len(titles))
	for i := range groups {
		groups[i] = int32(i % 7)
	}
	for _, tc := range []struct {
		name   string
		groups []int32
	}{{"identity", nil}, {"grouped", groups}} {
		t.Run(tc.name, func(t *testing.T) {
			x := build(titles, tc.groups)
			all, total := x.Search("保温", nil, 0, 1<<30)
			if total != 334 || len(all) != 334 || !slices.IsSorted(all) {
				t.Fatalf("all: %d results, total %d", len(all), total)
			}
			var paged []int32
			for off := 0; ; off += 25 {
				page, tot := x.Search("保温", nil, off, 25)
				if tot != total {
					t.Fatalf("offset %d: total %d, want %d", off, tot, total)
				}
				if len(page) == 0 {
					break
				}
				paged = append(paged, page...)
			}
			if !slices.Equal(paged, all) {
				t.Errorf("pages differ from the full list")
			}
			odd := func(id int32) bool { return id%2 == 1 }
			page, tot := x.Search("保温", odd, 10, 5)
			if tot != 167 || !slices.Equal(page, []int32{63, 69, 75, 81, 87}) {
				t.Errorf("keep paging: %v, %d", page, tot)
			}
			if page, tot := x.Search("保温", nil, 0, 0); page != nil || tot != 334 {
				t.Errorf("limit 0: %v, %d", page, tot)
			}
			if page, tot := x.Search("保温", nil, 300, math.MaxInt); len(page) != 34 || tot != 334 {
				t.Errorf("limit MaxInt: %d results, total %d", len(page), tot)
			}
			if page, tot := x.Search("保温", nil, 1000, 10); page != nil || tot != 334 {
				t.Errorf("past the end: %v, %d", page, tot)
			}
		})
	}
}

// TestSearchReference checks Search against a naive scan of normalised
// titles on a few thousand generated titles.
func TestSearchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 4000
	titles := make([]string, n)
	norms := make([]string, n)
	groups := make([]int32, n)
	for i := range titles {
		titles[i] = genTitle(r)
		norms[i] = refNormalize(titles[i])
		groups[i] = int32(r.IntN(20))
	}
	x := build(titles, groups)
	one := build(titles, nil) // one group: ordinals are the internal ids
	if !one.identity || x.identity {
		t.Fatal("the indexes do not cover both id layouts")
	}
	// Query terms: pieces of titles (2-4 CJK characters, single characters,
	// ASCII words) and some that occur nowhere.
	pieces := func() string {
		norm := strings.Fields(norms[r.IntN(n)])
		f := []rune(norm[r.IntN(len(norm))])
		switch {
		case f[0] < 0x80:
			s := string(f)
			if r.IntN(2) == 0 {
				s = strings.ToUpper(s)
			}
			return s
		case r.IntN(8) == 0:
			return "咖啡"
		}
		l := 1 + r.IntN(min(4, len(f)))
		i := r.IntN(len(f) - l + 1)
		return string(f[i : i+l])
	}
	for range 400 {
		var terms []string
		for range 1 + r.IntN(3) {
			terms = append(terms, pieces())
		}
		var want []int32
		for d, norm := range norms {
			ok := true
			for _, term := range terms {
				ok = ok && refMatch(norm, term)
			}
			if ok {
				want = append(want, int32(d))
			}
		}
		query := strings.Join(terms, " ")
		got, total := x.Search(query, nil, 0, n)
		if !slices.Equal(got, want) || total != len(want) {
			t.Fatalf("Search(%q): %d results (total %d), reference %d\ngot  %v\nwant %v",
				query, len(got), total, len(want), got[:min(10, len(got))], want[:min(10, len(want))])
		}
		var each []int32
		x.Each(query, func(id int32) { each = append(each, id) })
		if !slices.Equal(each, want) {
			t.Fatalf("Each(%q): %d results, reference %d", query, len(each), len(want))
		}
		for _, ix := range []*Index{x, one} {
			calls := 0
			ix.Matching(query, func(ids []int32) {
				calls++
				if !slices.Equal(ids, want) && len(ids)+len(want) > 0 {
					t.Fatalf("Matching(%q), identity %v: %d results, reference %d", query, ix.identity, len(ids), len(want))
				}
			})
			if calls != 1 {
				t.Fatalf("Matching(%q) called fn %d times", query, calls)
			}
		}
	}
}

func TestConcurrentQueries(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	titles := make([]string, 2000)
	groups := make([]int32, len(titles))
	for i := range titles {
		titles[i] = genTitle(r)
		groups[i] = int32(i % 5)
	}
	x := build(titles, groups)
	type result struct {
		sim []Match
		ids []int32
	}
	run := func(i int) result {
		got, _ := x.Search(tProducts[i%len(tProducts)], nil, 0, 50)
		return result{x.Similar(titles[i], []int32{groups[i]}, nil, int32(i), 5), got}
	}
	want := make([]result, 200)
	for i := range want {
		want[i] = run(i)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range want {
				i := (i + g*37) % len(want)
				if got := run(i); !slices.Equal(got.sim, want[i].sim) || !slices.Equal(got.ids, want[i].ids) {
					t.Errorf("query %d differs under concurrency", i)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestAddPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	x := NewIndex()
	x.Add(3, 0, "保温杯")
	mustPanic("same id", func() { x.Add(3, 0, "水杯") })
	mustPanic("smaller id", func() { x.Add(1, 0, "水杯") })
	mustPanic("negative group", func() { x.Add(4, -1, "水杯") })
	mustPanic("query before Freeze", func() { x.Search("保温", nil, 0, 1) })
	x.Add(10, 1<<30, "保温水杯") // gaps and sparse groups are fine
	x.Freeze()
	x.Freeze()
	mustPanic("Add after Freeze", func() { x.Add(11, 0, "水杯") })
	if got, total := x.Search("保温", nil, 0, 10); !slices.Equal(got, []int32{3, 10}) || total != 2 {
		t.Errorf("gaps: got %v, %d", got, total)
	}
	if got := ids(x.Similar("保温杯", []int32{1 << 30}, nil, -1, 5)); !slices.Equal(got, []int32{10}) {
		t.Errorf("sparse group: got %v", got)
	}
	if x.Len() != 2 || x.SizeBytes() <= 0 {
		t.Errorf("Len %d, SizeBytes %d", x.Len(), x.SizeBytes())
	}
	empty := NewIndex()
	empty.Freeze()
	if got, total := empty.Search("保温", nil, 0, 10); got != nil || total != 0 {
		t.Errorf("empty index search: %v %d", got, total)
	}
	if got := empty.Similar("保温", nil, nil, -1, 10); got != nil {
		t.Errorf("empty index similar: %v", got)
	}
}
