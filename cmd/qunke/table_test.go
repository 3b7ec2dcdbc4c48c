package main

import (
	"strings"
	"testing"
)

// TestWideTable: columns line up as a terminal shows them, a Chinese
// character two columns wide; lines without a tab pass through.
func TestWideTable(t *testing.T) {
	var out strings.Builder
	w := newWideTable(&out)
	w.Write([]byte("群\t健康分\t原因\n宝妈福利1群\t100\t\nabc\t0\t成员减少\n总结一行\n"))
	if out.Len() != 0 {
		t.Fatal("written before Flush")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "群           健康分  原因\n" +
		"宝妈福利1群  100     \n" +
		"abc          0       成员减少\n" +
		"总结一行\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	for s, n := range map[string]int{"abc": 3, "宝妈1群": 7, "琳🌸": 4, "老磊🌸️": 6, "（）": 4} {
		if got := displayWidth(s); got != n {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, n)
		}
	}
}
