package channel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	u16 := UTF16Units
	for _, tc := range []struct {
		name         string
		text         string
		first, limit int
		size         func(rune) int
		want         []string
	}{
		{"empty", "", 10, 10, u16, nil},
		{"only white space", " \n\n \t", 10, 10, u16, nil},
		{"fits", "abc\ndef", 10, 10, u16, []string{"abc\ndef"}},
		{"exactly at limit", "abcdefghij", 10, 10, u16, []string{"abcdefghij"}},
		{"one over the limit, no break", "abcdefghijk", 10, 10, u16, []string{"abcdefghij", "k"}},
		{"cut at the last line break", "abc\ndef\nghij", 10, 10, u16, []string{"abc\ndef", "ghij"}},
		{"line break right after the limit", "abcdefghij\nxyz", 10, 10, u16, []string{"abcdefghij", "xyz"}},
		{"CRLF", "abcdefghij\r\nxyz", 10, 10, u16, []string{"abcdefghij", "xyz"}},
		{"space when no line break", "aaaa bbbb cccc", 10, 10, u16, []string{"aaaa bbbb", "cccc"}},
		{"first limit differs", "aa\nbbbbbbbb\ncc", 4, 11, u16, []string{"aa", "bbbbbbbb\ncc"}},
		{"a single line longer than the limit", "短\n一二三四五六七八九十壹贰", 5, 5, u16, []string{"短", "一二三四五", "六七八九十", "壹贰"}},
		{"surrogate pair at the boundary", "abcdefghi😀z", 10, 10, u16, []string{"abcdefghi", "😀z"}},
		{"surrogate pair exactly fills", "abcdefgh😀z", 10, 10, u16, []string{"abcdefgh😀", "z"}},
		{"ZWJ family kept whole", "abcdef👨\u200d👩\u200d👧", 10, 10, u16, []string{"abcdef", "👨\u200d👩\u200d👧"}},
		{"variation selector kept with its base", "abcdefghi❤\ufe0fx", 10, 10, u16, []string{"abcdefghi", "❤\ufe0fx"}},
		{"bytes: no UTF-8 split", "一二三四", 7, 7, UTF8Bytes, []string{"一二", "三四"}},
		{"blank lines between parts dropped", "aaaa\n\n\n\nbbbb", 6, 6, u16, []string{"aaaa", "bbbb"}},
		{"invalid UTF-8 replaced", "ab\xffcd", 10, 10, UTF8Bytes, []string{"ab\ufffdcd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.text, tc.first, tc.limit, tc.size)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("Split(%q) = %q, want %q", tc.text, got, tc.want)
			}
			for i, c := range got {
				lim := tc.limit
				if i == 0 {
					lim = tc.first
				}
				if Size(c, tc.size) > lim {
					t.Errorf("chunk %d %q: size %d over %d", i, c, Size(c, tc.size), lim)
				}
				if !utf8.ValidString(c) {
					t.Errorf("chunk %d is not valid UTF-8", i)
				}
			}
		})
	}
}

// Nothing but separators is lost, and the chunks are in order.
func TestSplitKeepsContent(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		b.WriteString("第")
		b.WriteString(strings.Repeat("货😀", i%17))
		if i%5 == 0 {
			b.WriteString(" 券后价 ¥19.9")
		}
		b.WriteString("\n")
	}
	text := b.String()
	chunks := Split(text, 1024, 4096, UTF16Units)
	strip := func(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }
	if strip(strings.Join(chunks, "")) != strip(text) {
		t.Fatal("content changed by splitting")
	}
	if Size(chunks[0], UTF16Units) > 1024 {
		t.Fatal("first chunk over 1024")
	}
	for _, c := range chunks[1:] {
		if Size(c, UTF16Units) > 4096 {
			t.Fatal("chunk over 4096")
		}
	}
}
