package extract

import (
	"strings"
	"testing"
)

func TestStatedPrices(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []int64 // per reference, fen
	}{
		{"【好物】https://item.jd.com/100012345678.html 到手价59", []int64{5900}},
		{"某某坚果 券后29.9\n商品ID：612345678901", []int64{2990}},
		{"券后价：¥19.90元 https://item.taobao.com/item.htm?id=612345678901", []int64{1990}},
		{"到手 ￥ 8.8 https://item.jd.com/100012345678.html", []int64{880}},
		{"https://item.jd.com/100012345678.html 原价99", []int64{0}},
		{"https://item.jd.com/100012345678.html 券后价29.999", []int64{0}},
		{"券后0 https://item.jd.com/100012345678.html", []int64{0}},
		// Two items: each price goes to its own.
		{"A 券后29.9 https://item.jd.com/100012345678.html\nB 券后价 9.9 https://item.jd.com/100087654321.html", []int64{2990, 990}},
		{"https://item.jd.com/100012345678.html 券后29.9\nhttps://item.jd.com/100087654321.html 到手价9.9", []int64{2990, 990}},
		{"https://item.jd.com/100012345678.html\nhttps://item.jd.com/100087654321.html 到手价9.9", []int64{0, 990}},
	} {
		refs := Find(tc.text)
		got := StatedPrices(tc.text, refs)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %d refs, want %d", tc.text, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: ref %d (%s) price %d, want %d", tc.text, i, refs[i].Raw, got[i], tc.want[i])
			}
		}
	}
}

// TestStatedPricesBounded: a megabyte of labels costs one pass.
func TestStatedPricesBounded(t *testing.T) {
	text := strings.Repeat("券后9.9券后", 100000) + " https://item.jd.com/100012345678.html"
	got := StatedPrices(text, Find(text))
	if len(got) != 1 || got[0] != 990 {
		t.Fatalf("got %v", got)
	}
	if n := len(priceMentions(text)); n != maxPriceMentions {
		t.Fatalf("%d mentions, want the cap %d", n, maxPriceMentions)
	}
}
