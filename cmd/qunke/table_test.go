package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/growth/ledger"
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

// columnStarts returns, for each cell of a line the table wrote, the
// terminal column it starts at.
func columnStarts(line string) []int {
	var starts []int
	col, inCell := 0, false
	for _, r := range line {
		w := displayWidth(string(r))
		if r != ' ' && !inCell {
			starts = append(starts, col)
		}
		inCell = r != ' '
		col += w
	}
	return starts
}

// TestWideTableColumnsLineUp: in a table mixing Chinese and ASCII cells,
// every column starts at the same terminal column on every line, left-
// and right-aligned (a right-aligned column ends at the same column).
func TestWideTableColumnsLineUp(t *testing.T) {
	rows := "名称\t群数\t收入\n宝妈福利1群\t4\t¥938.89\nabc\t10\t¥1725.72\n数码发烧友（新）\t3\t—\n"
	var out strings.Builder
	w := newWideTable(&out)
	w.Write([]byte(rows))
	w.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := columnStarts(lines[0])
	if len(want) != 3 || want[1] != displayWidth("数码发烧友（新）")+2 {
		t.Fatalf("head starts %v in\n%s", want, out.String())
	}
	for _, l := range lines[1:] {
		if got := columnStarts(l); !slices.Equal(got, want) {
			t.Fatalf("line %q starts columns at %v, the head at %v:\n%s", l, got, want, out.String())
		}
	}

	out.Reset()
	w = newWideTable(&out).rightAligned()
	w.Write([]byte("月\t流出（元）\t成员\t\n1\t12.00\t3\t\n12\t1234.50\t100\t\n"))
	w.Flush()
	lines = strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for _, l := range lines[1:] {
		if displayWidth(l) != displayWidth(lines[0]) {
			t.Fatalf("right-aligned lines end at different columns:\n%s", out.String())
		}
	}
	if !strings.HasSuffix(lines[0], "  成员") || !strings.HasSuffix(lines[2], "   100") {
		t.Fatalf("right alignment:\n%s", out.String())
	}
}

// TestNoOtherTableWriter: the CLI prints its tables through wideTable
// only; text/tabwriter counts a Chinese character as one column.
func TestNoOtherTableWriter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), `"text/tabwriter"`) {
			t.Errorf("%s uses text/tabwriter: print tables with newWideTable", f)
		}
	}
}

// TestWriteBalances: the ledger balance reads as an operator reads it —
// the team's commission income positive, a member's payable positive, and
// a member who owes the team said in words, in both languages.
func TestWriteBalances(t *testing.T) {
	bs := []ledger.Balance{
		{Account: ledger.Account{Kind: ledger.Cash}, Balance: 31626},
		{Account: ledger.Account{Kind: ledger.CommissionIncome}, Balance: -7987},
		{Account: ledger.Account{Kind: ledger.AgentPayable, Member: 7}, Balance: -2295},
		{Account: ledger.Account{Kind: ledger.AgentPayable, Member: 9}, Balance: 300},
	}
	for _, c := range []struct{ lang, income, owes string }{
		{"zh", "79.87 元", "欠团队 3.00 元"},
		{"en", "79.87 yuan", "owes the team 3.00 yuan"},
	} {
		var out strings.Builder
		writeBalances(&out, &globals{lang: c.lang}, bs)
		s := out.String()
		if !strings.Contains(s, c.income) || !strings.Contains(s, c.owes) || strings.Contains(s, "-") {
			t.Errorf("%s:\n%s", c.lang, s)
		}
		if !strings.Contains(s, "22.95") {
			t.Errorf("%s: the payable of #7 missing:\n%s", c.lang, s)
		}
	}
}
