package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows how far long work has come: a redrawn bar on a terminal,
// a plain line every 10% (or 5 s) otherwise, so logs stay readable.
type progress struct {
	w       io.Writer
	tty     bool
	label   string
	bytes   bool // done/total count bytes rather than items
	start   time.Time
	last    time.Time
	lastPct int64
	drawn   bool
}

func newProgress(w io.Writer, label string, bytes bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	now := time.Now()
	return &progress{w: w, tty: tty, label: label, bytes: bytes, start: now, last: now, lastPct: -1}
}

func (p *progress) amount(n int64) string {
	if p.bytes {
		return humanBytes(n)
	}
	return groupDigits(n)
}

// Update reports done out of total (total 0 when unknown).
func (p *progress) Update(done, total int64) {
	now := time.Now()
	pct := int64(-1)
	if total > 0 {
		pct = min(100, done*100/total)
	}
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond && pct != 100 {
			return
		}
		p.last, p.drawn = now, true
		rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-3)
		if pct >= 0 {
			const width = 30
			fill := int(pct * width / 100)
			fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %s/%s %s/s ", p.label, strings.Repeat("=", fill),
				strings.Repeat(" ", width-fill), pct, p.amount(done), p.amount(total), p.amount(int64(rate)))
		} else {
			fmt.Fprintf(p.w, "\r%s %s %s/s ", p.label, p.amount(done), p.amount(int64(rate)))
		}
		return
	}
	if (pct >= 0 && pct/10 > p.lastPct/10) || now.Sub(p.last) >= 5*time.Second {
		p.last, p.lastPct = now, pct
		if pct >= 0 {
			fmt.Fprintf(p.w, "%s %d%% (%s/%s)\n", p.label, pct, p.amount(done), p.amount(total))
		} else {
			fmt.Fprintf(p.w, "%s %s\n", p.label, p.amount(done))
		}
	}
}

// Finish ends the bar's line.
func (p *progress) Finish() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
