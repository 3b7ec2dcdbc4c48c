package catalog

import (
	"testing"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

func cst(y int, m time.Month, d, h, min, s int) int64 {
	return time.Date(y, m, d, h, min, s, 0, time.FixedZone("CST", 8*3600)).Unix()
}

func TestPromotionAtBoundaries(t *testing.T) {
	cases := []struct {
		at   int64
		name string // "" = none
	}{
		{cst(2025, 5, 30, 23, 59, 59), ""},
		{cst(2025, 5, 31, 0, 0, 0), Promo618},
		{cst(2025, 6, 18, 23, 59, 59), Promo618},
		{cst(2025, 6, 19, 0, 0, 0), ""},
		{cst(2025, 10, 19, 23, 59, 59), ""},
		{cst(2025, 10, 20, 0, 0, 0), PromoDouble11},
		{cst(2025, 11, 11, 23, 59, 59), PromoDouble11},
		{cst(2025, 11, 12, 0, 0, 0), ""},
		{cst(2025, 8, 1, 12, 0, 0), ""},
		// 2026: New Year 17 Feb, sale 25 Jan .. 14 Feb inclusive.
		{cst(2026, 1, 24, 23, 59, 59), ""},
		{cst(2026, 1, 25, 0, 0, 0), PromoSpring},
		{cst(2026, 2, 14, 23, 59, 59), PromoSpring},
		{cst(2026, 2, 15, 0, 0, 0), ""},
		{cst(2026, 2, 17, 10, 0, 0), ""},
		// 2027: New Year 6 Feb, sale 14 Jan .. 3 Feb inclusive.
		{cst(2027, 1, 13, 23, 59, 59), ""},
		{cst(2027, 1, 14, 0, 0, 0), PromoSpring},
		{cst(2027, 2, 3, 23, 59, 59), PromoSpring},
		{cst(2027, 2, 4, 0, 0, 0), ""},
		// 2023: the earliest New Year in the table (22 Jan): the sale starts in December.
		{cst(2022, 12, 30, 0, 0, 0), PromoSpring},
		{cst(2022, 12, 29, 23, 59, 59), ""},
		// A UTC instant that is already the next day in Shanghai.
		{time.Date(2025, 5, 30, 16, 0, 0, 0, time.UTC).Unix(), Promo618},
		{time.Date(2025, 5, 30, 15, 59, 59, 0, time.UTC).Unix(), ""},
		// Outside the New Year table: no spring sale, but 618 and 双11 still run.
		{cst(2017, 1, 20, 12, 0, 0), ""},
		{cst(2040, 2, 1, 12, 0, 0), ""},
		{cst(2036, 1, 15, 12, 0, 0), ""},
		{cst(2040, 6, 18, 12, 0, 0), Promo618},
		{cst(2040, 11, 11, 12, 0, 0), PromoDouble11},
		// Before e-commerce sales existed, and far in the future.
		{cst(2005, 11, 11, 12, 0, 0), ""},
		{cst(2120, 11, 11, 12, 0, 0), ""},
		{0, ""},
		{-1 << 40, ""},
		{1 << 40, ""},
	}
	for _, c := range cases {
		p, ok := PromotionAt(c.at)
		if ok != (c.name != "") || p.Name != c.name {
			t.Errorf("PromotionAt(%s) = %q, %v; want %q", time.Unix(c.at, 0).In(shanghai.Zone), p.Name, ok, c.name)
		}
		if ok && !p.Contains(c.at) {
			t.Errorf("PromotionAt(%d) returned %s which does not contain it", c.at, p.Name)
		}
	}
}

func TestPromotionFields(t *testing.T) {
	p, ok := PromotionAt(cst(2025, 11, 1, 10, 0, 0))
	if !ok || p.Label != "双11" || p.Peak.Unix() != cst(2025, 11, 11, 0, 0, 0) ||
		p.Start.Unix() != cst(2025, 10, 20, 0, 0, 0) || p.End.Unix() != cst(2025, 11, 12, 0, 0, 0) {
		t.Fatalf("double 11: %+v", p)
	}
	p, ok = PromotionAt(cst(2025, 6, 1, 10, 0, 0))
	if !ok || p.Label != "618" || p.Peak.Unix() != cst(2025, 6, 18, 0, 0, 0) {
		t.Fatalf("618: %+v", p)
	}
	// Every spring sale lasts three weeks, ends two days before New Year's
	// day (last sale day New Year - 3) and peaks inside the sale.
	for _, c := range promoCNY {
		ny := time.Date(c.y, time.Month(c.m), c.d, 0, 0, 0, 0, shanghai.Zone)
		p, ok := PromotionAt(ny.AddDate(0, 0, -3).Unix())
		if !ok || p.Name != PromoSpring || p.Label != "年货节" {
			t.Errorf("%d: no spring sale three days before New Year", c.y)
			continue
		}
		if !p.End.Equal(ny.AddDate(0, 0, -2)) || !p.Start.Equal(ny.AddDate(0, 0, -23)) || !p.Contains(p.Peak.Unix()) {
			t.Errorf("%d: spring sale %v .. %v peak %v", c.y, p.Start, p.End, p.Peak)
		}
		if _, ok := PromotionAt(ny.Unix()); ok {
			t.Errorf("%d: promotion on New Year's day", c.y)
		}
	}
	// Zone: the bounds are Shanghai midnights.
	if h, m, _ := p.Start.In(shanghai.Zone).Clock(); h != 0 || m != 0 {
		t.Errorf("start not at midnight: %v", p.Start)
	}
}

func TestPromotionsRange(t *testing.T) {
	ps := Promotions(cst(2025, 1, 1, 0, 0, 0), cst(2026, 1, 1, 0, 0, 0))
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	want := []string{PromoSpring, Promo618, PromoDouble11}
	if len(names) != len(want) {
		t.Fatalf("2025: %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("2025: %v, want %v", names, want)
		}
	}
	for i := 1; i < len(ps); i++ {
		if !ps[i-1].End.Before(ps[i].Start) && !ps[i-1].End.Equal(ps[i].Start) {
			t.Fatalf("not in time order: %v", names)
		}
	}
	// Overlap is by [from, to): touching the end does not count, touching the start does.
	end618 := cst(2025, 6, 19, 0, 0, 0)
	if got := Promotions(end618, end618+86400); len(got) != 0 {
		t.Errorf("range starting at 618's end: %d promotions", len(got))
	}
	if got := Promotions(end618-1, end618+86400); len(got) != 1 || got[0].Name != Promo618 {
		t.Errorf("range covering 618's last second: %v", got)
	}
	start618 := cst(2025, 5, 31, 0, 0, 0)
	if got := Promotions(start618-86400, start618); len(got) != 0 {
		t.Errorf("range ending at 618's start: %d promotions", len(got))
	}
	if got := Promotions(start618, start618); got != nil {
		t.Errorf("empty range: %v", got)
	}
	// 2018..2035 has a spring sale every year; 2040 has none.
	if got := Promotions(cst(2018, 1, 1, 0, 0, 0), cst(2036, 1, 1, 0, 0, 0)); len(got) != 18*3 {
		t.Errorf("2018..2035: %d promotions, want %d", len(got), 18*3)
	}
	if got := Promotions(cst(2040, 1, 1, 0, 0, 0), cst(2041, 1, 1, 0, 0, 0)); len(got) != 2 {
		t.Errorf("2040: %d promotions, want 2 (no New Year date known)", len(got))
	}
	// Returned slices are copies: changing one does not change the calendar.
	ps[0].Name = "changed"
	if p, _ := PromotionAt(ps[0].Start.Unix()); p.Name != PromoSpring {
		t.Errorf("Promotions shares the calendar")
	}
}

func TestPromotionAtAllocs(t *testing.T) {
	at := cst(2025, 11, 1, 10, 0, 0)
	n := testing.AllocsPerRun(100, func() {
		for d := int64(0); d < 400; d++ {
			PromotionAt(at + d*86400)
		}
	})
	if n != 0 {
		t.Errorf("PromotionAt allocates %v times per run", n)
	}
}

func BenchmarkPromotionAt(b *testing.B) {
	at := cst(2025, 1, 1, 10, 0, 0)
	hits := 0
	for i := 0; b.Loop(); i++ {
		if _, ok := PromotionAt(at + int64(i%365)*86400); ok {
			hits++
		}
	}
	_ = hits
}
