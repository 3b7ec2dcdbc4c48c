package extract

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/catalog"
)

// corpusEntry is one message of testdata/corpus.txt with the references
// Find must return for it.
type corpusEntry struct {
	name, category string
	line           int // of the "===" header
	text           string
	want           []string // "kind platform value"
}

func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	fh, err := os.Open("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var (
		out    []corpusEntry
		cur    *corpusEntry
		body   []string
		inWant bool
	)
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "=== "):
			head := strings.TrimPrefix(l, "=== ")
			name, cat, _ := strings.Cut(head, " ")
			out = append(out, corpusEntry{name: name, category: strings.Trim(cat, "[]"), line: n})
			cur, body, inWant = &out[len(out)-1], nil, false
		case cur == nil:
			// header comments
		case l == "--- want":
			cur.text, inWant = strings.Join(body, "\n"), true
		case inWant:
			if l = strings.TrimSpace(l); l != "" {
				cur.want = append(cur.want, l)
			}
		default:
			body = append(body, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range out {
		if e.text == "" {
			t.Fatalf("corpus line %d: %s has no text or no \"--- want\"", e.line, e.name)
		}
	}
	return out
}

func describe(r Ref) string {
	p := string(r.Platform)
	if p == "" {
		p = "-"
	}
	v := r.ItemID
	if v == "" {
		v = r.Raw
	}
	s := string(r.Kind) + " " + p + " " + v
	if r.Wrapped {
		s += " wrapped"
	}
	return s
}

func TestCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 60 {
		t.Fatalf("corpus has %d messages, want at least 60", len(corpus))
	}
	names := make(map[string]bool)
	cats := make(map[string]int)
	for _, e := range corpus {
		if names[e.name] {
			t.Errorf("corpus: duplicate name %s", e.name)
		}
		names[e.name] = true
		cats[e.category]++
		t.Run(e.name, func(t *testing.T) {
			refs := Find(e.text)
			got := make([]string, len(refs))
			for i, r := range refs {
				got[i] = describe(r)
				checkRef(t, e.text, r)
			}
			if strings.Join(got, "\n") != strings.Join(e.want, "\n") {
				t.Errorf("corpus line %d:\ngot:\n\t%s\nwant:\n\t%s", e.line, strings.Join(got, "\n\t"), strings.Join(e.want, "\n\t"))
			}
		})
	}
	t.Logf("%d messages; categories: %v", len(corpus), cats)
}

// checkRef checks what must hold of every reference Find returns.
func checkRef(t testing.TB, text string, r Ref) {
	t.Helper()
	if r.Start < 0 || r.End > len(text) || r.Start >= r.End || text[r.Start:r.End] != r.Raw {
		t.Fatalf("ref %+v: bad span for text of %d bytes", r, len(text))
	}
	switch r.Kind {
	case KindURL, KindCouponURL, KindID, KindShareCode, KindShortLink:
	default:
		t.Fatalf("ref %+v: unknown kind", r)
	}
	switch r.Platform {
	case "", catalog.Taobao, catalog.Tmall, catalog.JD, catalog.PDD:
	default:
		t.Fatalf("ref %+v: unknown platform", r)
	}
	if r.ItemID != "" && digits(r.ItemID, 4, 19) == "" {
		t.Fatalf("ref %+v: item id is not 4 to 19 digits", r)
	}
	if (r.ItemID == "") == (r.Code == "") {
		t.Fatalf("ref %+v: want exactly one of ItemID and Code", r)
	}
	if r.ItemID == "" && !r.NeedsResolve || r.ItemID != "" && r.NeedsResolve != (r.Platform == "") {
		t.Fatalf("ref %+v: NeedsResolve wrong", r)
	}
	if (r.Platform == catalog.Taobao || r.Platform == catalog.Tmall) && !r.TaobaoFamily {
		t.Fatalf("ref %+v: Taobao/Tmall ref not TaobaoFamily", r)
	}
	if (r.Platform == catalog.JD || r.Platform == catalog.PDD) && r.TaobaoFamily {
		t.Fatalf("ref %+v: JD/PDD ref marked TaobaoFamily", r)
	}
}

// checkRefs checks the invariants of a whole result.
func checkRefs(t testing.TB, text string, refs []Ref) {
	t.Helper()
	if len(refs) > MaxRefs {
		t.Fatalf("%d refs, more than MaxRefs", len(refs))
	}
	seen := make(map[string]bool)
	end := 0
	for _, r := range refs {
		checkRef(t, text, r)
		if r.Start < end {
			t.Fatalf("ref %+v overlaps or precedes the previous one (ending at %d)", r, end)
		}
		end = r.End
		k := r.key()
		if seen[k] {
			t.Fatalf("ref %+v: duplicate", r)
		}
		seen[k] = true
	}
}

func TestFindDetails(t *testing.T) {
	text := "看看 https://detail.tmall.com/item.htm?id=612345678901 吧"
	refs := Find(text)
	if len(refs) != 1 {
		t.Fatalf("got %d refs", len(refs))
	}
	r := refs[0]
	want := Ref{Kind: KindURL, Platform: catalog.Tmall, TaobaoFamily: true, ItemID: "612345678901",
		Raw: "https://detail.tmall.com/item.htm?id=612345678901", Start: len("看看 "), End: len("看看 https://detail.tmall.com/item.htm?id=612345678901")}
	if r != want {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	keys := r.Keys()
	if len(keys) != 2 || keys[0] != (catalog.Key{Platform: catalog.Tmall, ItemID: "612345678901"}) || keys[1].Platform != catalog.Taobao {
		t.Fatalf("keys %v", keys)
	}

	code := Find("复制￥AbCdEfGh123￥打开淘宝")[0]
	if code.Code != "AbCdEfGh123" || code.Raw != "￥AbCdEfGh123￥" || !code.NeedsResolve || code.Platform != "" || !code.TaobaoFamily || code.Keys() != nil {
		t.Fatalf("share code %+v", code)
	}
	short := Find("https://s.click.taobao.com/t?e=m%3D2%26s%3Dabc 和 https://m.tb.cn/h.AbC?sm=1")
	if len(short) != 2 || short[0].Code != "s.click.taobao.com/t?e=m=2&s=abc" || short[1].Code != "m.tb.cn/h.AbC" {
		t.Fatalf("short links %+v", short)
	}
	id := Find("商品ID：6543210987654")[0]
	if len(id.Keys()) != len(catalog.Platforms) {
		t.Fatalf("unknown-platform id keys %v", id.Keys())
	}
}

func TestFindEdgeCases(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"invalid utf-8", "\xff\xfe￥AbCdEfGh123\xff https://item.jd.com/1234567.html\xc3", []string{"url jd 1234567"}},
		{"marker is invalid utf-8", "\xa5AbCdEfGh123\xa5", nil},
		{"code at text edges", "￥AbCdEfGh123￥", []string{"share_code - ￥AbCdEfGh123￥"}},
		{"code too short", "￥AbCdEf1￥", nil},
		{"code too long", "￥AbCdEfGh12345￥", []string{"share_code - ￥AbCdEfGh12345￥"}},
		{"code too long 15", "￥AbCdEfGh1234567￥", nil},
		{"code one class", "￥abcdefghijk￥", nil},
		{"mixed strong markers", "€AbCdEfGh123￥", []string{"share_code - €AbCdEfGh123￥"}},
		{"url at end, trailing dot", "见 item.jd.com/100012345678.html.", []string{"url jd 100012345678"}},
		{"host only", "https://item.jd.com", nil},
		{"port", "http://item.jd.com:80/100012345678.html", []string{"url jd 100012345678"}},
		{"protocol-relative", "//item.taobao.com/item.htm?id=612345678901", []string{"url taobao 612345678901"}},
		{"id param lookalikes only", "https://item.taobao.com/item.htm?spm=1&pvid=123456789012&sid=123456789012", nil},
		{"id too short", "https://item.taobao.com/item.htm?id=12345", nil},
		{"id not digits", "https://item.taobao.com/item.htm?id=12345678901x", nil},
		{"3.cn needs exact host", "13.cn/abc x.3.cn/abc", nil},
		{"short link without path", "https://m.tb.cn/ https://u.jd.com", nil},
		{"entity amp twice", "https://item.taobao.com/item.htm?a=1&amp;amp;id=612345678901", []string{"url taobao 612345678901"}},
		{"label with space only", "商品id 1234567890", []string{"id - 1234567890"}},
		{"label then decimal", "ID: 1234567890.5", nil},
		{"label then letters", "ID: 1234567890abc", nil},
		{"id 20 digits", "ID: 12345678901234567890", nil},
		{"id 8 digits", "ID: 12345678", nil},
		{"repeat keeps first", "京东ID:123456789012 京东ID:123456789012 SKU:123456789012", []string{"id jd 123456789012"}},
		{"unknown id yields to known", "ID:123456789012 京东ID:123456789012", []string{"id jd 123456789012"}},
		{"unknown id dropped for later known", "ID:123456789012 https://item.jd.com/123456789012.html", []string{"url jd 123456789012"}},
		{"weak without cue", "（Ab3dEfGh12K）", nil},
		{"weak with cue", "（Ab3dEfGh12K）淘宝", []string{"share_code - （Ab3dEfGh12K）"}},
		{"weak needs both cases", "（AB3DEFGH12K）淘宝", nil},
		{"weak punct marker", "，Ab3dEfGh12K，淘宝", nil},
		{"tag glued to letters", "73:/ HU0854X 淘宝", nil},
		{"tag with code on line", "73:/ HU0854 ￥AbCdEfGh123￥", []string{"share_code - ￥AbCdEfGh123￥"}},
		{"tag lines separate", "73:/ HU0854 好物\n8:/ CZ3457 好物2", []string{"share_code - 73:/ HU0854", "share_code - 8:/ CZ3457"}},
		{"nested url in unknown host", "https://x.example.com/go?u=https://item.taobao.com/item.htm?id=612345678901&z=1", []string{"url taobao 612345678901 wrapped"}},
		{"glued url is not wrapped", "https://item.jd.com/100012345678.htmlhttps://item.jd.com/100012345679.html", []string{"url jd 100012345678", "url jd 100012345679"}},
		{"deny window stops at the line", "订单号：123\nID：612345678901", []string{"id - 612345678901"}},
		{"generic id 10 digits not 1", "ID: 2700000000", []string{"id - 2700000000"}},
		{"generic id 18 digits no birth date", "ID: 123456789012345678", []string{"id - 123456789012345678"}},
		{"uppercase host", "HTTPS://ITEM.JD.COM/100012345678.HTML", []string{"url jd 100012345678"}},
		{"encoded comma stays in url", "https://uland.taobao.com/coupon/edetail?union_lens=a%2Cb&itemId=612345678901", []string{"coupon_url taobao 612345678901"}},
		{"literal comma ends url", "https://uland.taobao.com/coupon/edetail?a=1,itemId=612345678901", []string{"coupon_url - https://uland.taobao.com/coupon/edetail?a=1"}},
		{"html entity quotes", "href=&quot;https://item.taobao.com/item.htm?id=612345678901&quot;&gt;", []string{"url taobao 612345678901"}},
		{"ids around a slash", "商品ID：612345678901/623456789012", []string{"id - 612345678901"}},
		{"id in a path", "见 example.com/item/ID:612345678901", nil},
		{"crlf", "商品ID：\r\n612345678901\r\nhttps://item.jd.com/100012345678.html\r\n", []string{"id - 612345678901", "url jd 100012345678"}},
		{"tag covered by item url", "73:/ HU0854 https://item.taobao.com/item.htm?id=612345678901", []string{"url taobao 612345678901"}},
		{"jd share code is not taobao's", "29:/￥Ab12Cd34Ef%，↖复制全部内容到【京東】", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refs := Find(tc.text)
			checkRefs(t, tc.text, refs)
			var got []string
			for _, r := range refs {
				got = append(got, describe(r))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Find(%q):\ngot  %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestFindCap(t *testing.T) {
	var b strings.Builder
	for i := range 3 * MaxRefs {
		fmt.Fprintf(&b, "https://item.jd.com/%d.html\n", 100000000000+i)
	}
	refs := Find(b.String())
	checkRefs(t, b.String(), refs)
	if len(refs) != MaxRefs || refs[0].ItemID != "100000000000" || refs[MaxRefs-1].ItemID != fmt.Sprint(100000000000+MaxRefs-1) {
		t.Fatalf("got %d refs, first %+v", len(refs), refs[0])
	}
}

// TestFindLarge runs Find over inputs that would be slow for a quadratic
// scanner: one huge run of platform hosts, one huge line of weakly marked
// codes and tags, a megabyte of digits after a label.
func TestFindLarge(t *testing.T) {
	inputs := map[string]string{
		"hosts":   strings.Repeat("a.taobao.com/", 80000),
		"nested":  "https://x.com/?" + strings.Repeat("u=https://www.taobao.com/item?&", 30000),
		"codes":   "淘宝 " + strings.Repeat("（Ab3dEfGh12K）", 40000),
		"tags":    strings.Repeat("73:/ HU0854 ", 80000) + strings.Repeat(" ", 100000),
		"digits":  "ID:" + strings.Repeat("1", 1<<20),
		"amp":     "https://item.taobao.com/item.htm?" + strings.Repeat("&amp;", 200000) + "id=612345678901",
		"percent": strings.Repeat("%2", 300000),
		"dots":    "https://m.tb.cn/h.a" + strings.Repeat(".", 1<<20),
		"paths":   strings.Repeat(strings.Repeat("x.taobao.com/"+strings.Repeat("itemdetail", 90)+"?id=x&", 33)+" ", 35),
		"pdd":     strings.Repeat("a.yangkeduo.com/"+strings.Repeat("coupo", 200)+"?goods_id=x&", 1000),
		"labels":  strings.Repeat("商品ID 123456789012 ", 60000),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			checkRefs(t, in, Find(in))
		})
	}
}

func TestNoResolver(t *testing.T) {
	var res Resolver = NoResolver{}
	refs := Find("https://item.jd.com/100012345678.html ￥AbCdEfGh123￥")
	r, err := res.Resolve(context.Background(), refs[0])
	if err != nil || r != refs[0] {
		t.Fatalf("resolved ref: %+v %v", r, err)
	}
	_, err = res.Resolve(context.Background(), refs[1])
	if !errors.Is(err, ErrNoResolver) || !strings.Contains(err.Error(), "需要解析") {
		t.Fatalf("share code: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := res.Resolve(ctx, refs[0]); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// FuzzFind feeds arbitrary text to Find: it must never panic and every
// reference must satisfy checkRefs.
//
//	go test -run '^$' -fuzz FuzzFind -fuzztime 60s ./internal/advisor/extract/
func FuzzFind(f *testing.F) {
	for _, e := range loadCorpus(f) {
		f.Add(e.text)
	}
	f.Add("\xff￥AbCdEfGh123￥\xa5")
	f.Add("https%253A%252F%252Fitem.taobao.com%252Fitem.htm%253Fid%253D723456789012")
	f.Add("商品ID：\n6543210987654 73:/ HU0854 （Ab3dEfGh12K）淘宝 /Bv2Qn7XsKpM//")
	f.Fuzz(func(t *testing.T, text string) {
		refs := Find(text)
		checkRefs(t, text, refs)
		if utf8.ValidString(text) {
			for _, r := range refs {
				if !utf8.ValidString(r.Raw) {
					t.Fatalf("ref %+v: raw cuts a character", r)
				}
			}
		}
	})
}

// TestFindWrapped: an item URL inside another site's URL is reported, with
// Wrapped set and Raw covering the inner URL only.
func TestFindWrapped(t *testing.T) {
	text := "https://evil.example/?u=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D600000000001"
	refs := Find(text)
	if len(refs) != 1 {
		t.Fatalf("got %+v", refs)
	}
	r := refs[0]
	inner := "https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D600000000001"
	if !r.Wrapped || r.ItemID != "600000000001" || r.Platform != catalog.Taobao || r.Raw != inner || r.Start != len(text)-len(inner) {
		t.Fatalf("got %+v", r)
	}
	if plain := Find("https://item.taobao.com/item.htm?id=600000000001")[0]; plain.Wrapped {
		t.Fatalf("plain URL marked wrapped: %+v", plain)
	}
}
