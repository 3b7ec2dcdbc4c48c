package main

import (
	"bytes"
	"io"
	"strings"
)

// wideTable lines up tab-separated cells as text/tabwriter does, but counts
// a Chinese character (or an emoji) as two columns, as a terminal shows it,
// so group names in Chinese do not push the columns apart. Lines without a
// tab are written as they are. Nothing is written before Flush. It is the
// one table writer of the CLI: every command that prints a table writes
// through it (TestNoOtherTableWriter).
type wideTable struct {
	out   io.Writer
	buf   bytes.Buffer
	right bool
}

func newWideTable(out io.Writer) *wideTable { return &wideTable{out: out} }

// rightAligned makes the table pad its cells on the left, so that figures
// line up at their ends; end each line with a tab to align its last cell too.
func (t *wideTable) rightAligned() *wideTable {
	t.right = true
	return t
}

func (t *wideTable) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the table: every cell but a line's last is padded to its
// column's width plus two spaces.
func (t *wideTable) Flush() error {
	lines := strings.SplitAfter(t.buf.String(), "\n")
	t.buf.Reset()
	var widths []int
	for _, l := range lines {
		if !strings.Contains(l, "\t") {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(l, "\n"), "\t")
		for i, c := range cells[:len(cells)-1] {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, l := range lines {
		if !strings.Contains(l, "\t") {
			b.WriteString(l)
			continue
		}
		nl := strings.HasSuffix(l, "\n")
		cells := strings.Split(strings.TrimSuffix(l, "\n"), "\t")
		for i, c := range cells {
			switch {
			case i == len(cells)-1:
				b.WriteString(c)
			case t.right:
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
				b.WriteString(c)
			default:
				b.WriteString(c)
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		if nl {
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

// displayWidth is how many terminal columns s takes: two for East Asian
// wide and full-width characters and emoji, none for joiners and variation
// selectors, one for the rest.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == 0x200B || r == 0x200C || r == 0x200D || (r >= 0xFE00 && r <= 0xFE0F):
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
			r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xA000 && r <= 0xA4CF,
			r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
			r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1F64F,
			r >= 0x1F900 && r <= 0x1F9FF, r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}
