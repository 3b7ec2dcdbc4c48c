package bench

import (
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
)

// TestCardParts: the breakdown's rest is the card less its two parts, and
// the slowest 1 % are the cards of most CPU.
func TestCardParts(t *testing.T) {
	us := func(n int) time.Duration { return time.Duration(n) * time.Microsecond }
	var cs []cardSample
	for i := range 200 {
		c := cardSample{wall: us(100 + i), cpu: us(90 + i), hist: advisor.Span{Wall: us(30), CPU: us(20)},
			subs: advisor.Span{Wall: us(50), CPU: us(40)}, observations: 365, category: 1000}
		if i == 150 || i == 7 { // the two slowest: long substitutes in a big category
			c.cpu, c.subs.CPU, c.category = us(5000), us(4900), 90000
		}
		cs = append(cs, c)
	}
	parts, tail := cardParts(cs)
	if len(parts) != 3 || parts[0].Name != "history" || parts[1].Name != "substitutes" || parts[2].Name != "rest" {
		t.Fatalf("parts %+v", parts)
	}
	if parts[0].CPUP50 != us(20) || parts[0].WallP99 != us(30) || parts[0].CPUMeanSlowest != us(20) {
		t.Errorf("history %+v", parts[0])
	}
	if parts[1].CPUMeanSlowest != us(4900) {
		t.Errorf("substitutes of the slowest: %v, want 4.9ms", parts[1].CPUMeanSlowest)
	}
	// rest of a card: wall 100+i-80, CPU 90+i-60 (the two slow ones: 5000-20-4900).
	if r := parts[2]; r.WallP50 != us(120) || r.CPUMeanSlowest != us(80) {
		t.Errorf("rest %+v", r)
	}
	if tail.N != 2 || tail.Category != 90000 || tail.Observations != 365 || tail.CategoryAll != (198*1000+2*90000)/200.0 {
		t.Errorf("tail %+v", tail)
	}
}
