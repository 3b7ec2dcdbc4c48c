// Package advisor judges products: the decision card for any item (is it
// worth recommending, is this the lowest price, what does the commission
// earn, which substitutes are better) and the rankings a selection team
// checks every hour. It reads the catalog and knows nothing downstream.
package advisor

import (
	"sort"

	"github.com/qunke/qunke/internal/catalog"
)

// Low is a lowest final price in effect during some stretch of time and the
// first moment of that stretch at which it was.
type Low struct {
	Price int64
	At    int64
	OK    bool
}

// span is the half-open interval [from, to) of unix seconds.
type span struct{ from, to int64 }

func promoSpans(from, to int64) []span {
	var out []span
	for _, p := range catalog.Promotions(from, to+1) {
		out = append(out, span{p.Start.Unix(), p.End.Unix()})
	}
	return out
}

// lowOutside returns the lowest final price in effect at any moment of
// [a, b] that lies in none of skip (sorted, disjoint) and that was observed
// outside them too, and the earliest such moment. A promotion price that
// lingers past the sale until the next snapshot is still a promotion price.
// obs is an item's history, oldest first.
func lowOutside(obs []catalog.Observation, a, b int64, skip []span) Low {
	var best Low
	win := catalog.Window(obs, a, b)
	for i, o := range win {
		from := max(o.At, a)
		to := b + 1
		if i+1 < len(win) {
			to = min(to, win[i+1].At)
		}
		if o.At > b || from >= to || inSpans(o.At, skip) {
			continue
		}
		// The first moment of [from, to) outside every skipped span.
		for _, s := range skip {
			if s.from <= from && from < s.to {
				from = s.to
			}
		}
		if from >= to {
			continue
		}
		if !best.OK || o.FinalPrice < best.Price {
			best = Low{Price: o.FinalPrice, At: from, OK: true}
		}
	}
	return best
}

func inSpans(t int64, spans []span) bool {
	for _, s := range spans {
		if s.from <= t && t < s.to {
			return true
		}
	}
	return false
}

// lowIn returns the lowest final price in effect during [a, b].
func lowIn(obs []catalog.Observation, a, b int64) Low {
	e, ok := catalog.MinFinal(obs, a, b)
	return Low{Price: e.Price, At: e.At, OK: ok}
}

// typicalPrice is the time-weighted median final price in effect during
// [a, b] outside skip (and observed outside it, as in lowOutside): the price
// a buyer would usually have paid on a normal day. ok is false when no such
// moment exists.
func typicalPrice(obs []catalog.Observation, a, b int64, skip []span) (int64, bool) {
	type piece struct{ price, dur int64 }
	var pieces []piece
	var total int64
	win := catalog.Window(obs, a, b)
	for i, o := range win {
		from, to := max(o.At, a), b+1
		if i+1 < len(win) {
			to = min(to, win[i+1].At)
		}
		if from >= to || inSpans(o.At, skip) {
			continue
		}
		d := to - from
		for _, s := range skip { // subtract the overlap with each skipped span
			if lo, hi := max(from, s.from), min(to, s.to); lo < hi {
				d -= hi - lo
			}
		}
		if d > 0 {
			pieces = append(pieces, piece{o.FinalPrice, d})
			total += d
		}
	}
	if total == 0 {
		return 0, false
	}
	sort.Slice(pieces, func(i, j int) bool { return pieces[i].price < pieces[j].price })
	var acc int64
	for _, p := range pieces {
		acc += p.dur
		if 2*acc >= total {
			return p.price, true
		}
	}
	return pieces[len(pieces)-1].price, true
}
