package similar

import (
	"slices"
	"strings"
	"testing"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		name, title string
		want        string // terms joined by "|"
	}{
		{"empty", "", ""},
		{"punctuation only", "【】[]()（）、，。!！～·…“”《》", ""},
		{"bigrams", "保温杯", "保温|温杯"},
		{"single character", "杯", "杯"},
		{"brackets and digits",
			"【官方旗舰】象印保温杯316不锈钢大容量男女学生便携水杯",
			"官方|方旗|旗舰|象印|印保|保温|温杯|316|不锈|锈钢|钢大|大容|容量|量男|男女|女学|学生|生便|便携|携水|水杯"},
		{"ascii word lower-cased", "iPhone15 手机壳", "iphone15|手机|机壳"},
		{"ascii next to cjk", "5L大桶水", "5l|大桶|桶水"},
		{"full-width ascii", "ＡＢＣ１２３　保温杯Ｉｐｈｏｎｅ１５", "abc123|保温|温杯|iphone15"},
		{"full-width punctuation", "保温杯（５００ｍｌ）！", "保温|温杯|500ml"},
		{"emoji stripped", "🔥爆款🔥保温杯❤️👍🏻", "爆款|保温|温杯"},
		{"keycap emoji stripped", "1️⃣纸巾 2⃣湿巾 #️⃣", "纸巾|湿巾"},
		{"decimal kept", "1.5L 到手59.9元", "1.5l|到手|59.9|元"},
		{"dot not between digits", "保温杯...v2.0版 3.x", "保温|温杯|v2.0|版|3|x"},
		{"spaces split runs", "男 女 学生", "男|女|学生"},
		{"no bigram across runs", "水杯/保温杯", "水杯|保温|温杯"},
		{"other letters", "Café ÜBER", "café|über"},
		{"kana", "ポケモン", "ポケ|ケモ|モン"},
		{"duplicates kept", "纸巾纸巾", "纸巾|巾纸|纸巾"},
		{"symbols", "¥99 ®小米™ 500㎖", "99|小米|500"},
		{"mixed model", "WH-1000XM4耳机", "wh|1000xm4|耳机"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(Terms(tc.title), "|")
			if got != tc.want {
				t.Errorf("Terms(%q) = %q, want %q", tc.title, got, tc.want)
			}
		})
	}
}

func TestTermsInvalidUTF8(t *testing.T) {
	got := Terms("保温\xff\xfe杯abc\x80")
	want := []string{"保温", "杯", "abc"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendTokensNoAlloc(t *testing.T) {
	title := "【官方旗舰】象印保温杯316不锈钢大容量男女学生便携水杯iPhone15"
	toks, wb := appendTokens(nil, nil, title)
	allocs := testing.AllocsPerRun(100, func() {
		toks, wb = appendTokens(toks[:0], wb[:0], title)
	})
	if allocs != 0 {
		t.Errorf("appendTokens allocates %v times per call", allocs)
	}
}
