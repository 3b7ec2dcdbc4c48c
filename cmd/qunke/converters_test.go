package main

import (
	"testing"

	"github.com/qunke/qunke/internal/catalog"
)

// TestConverters: serve --demo converts every platform through the
// stand-in; plain serve registers none until the platforms' clients are
// configured (its posts say so on the board).
func TestConverters(t *testing.T) {
	demo := converters(true)
	for _, p := range catalog.Platforms {
		if demo[p] == nil {
			t.Errorf("--demo converts nothing for %s", p)
		}
	}
	if n := len(converters(false)); n != 0 {
		t.Errorf("plain serve registered %d converters", n)
	}
}
