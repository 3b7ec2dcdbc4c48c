package cells

import "testing"

func TestPercentBP(t *testing.T) {
	for bp, want := range map[int64]string{5000: "50.00%", 1: "0.01%", 0: "0.00%", -250: "-2.50%", 10000: "100.00%"} {
		if got := PercentBP(bp); got != want {
			t.Errorf("PercentBP(%d) = %q, want %q", bp, got, want)
		}
	}
}
