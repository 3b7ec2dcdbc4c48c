package advisor_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestLibraryWalkMatchesScan: categories of a few dozen items, where equal
// prices, rates and drops meet at page boundaries: walking each shard's sort
// order gives the very pages and totals that reading every match gives
// (TestLibraryQueriesMatchReference checks that against a plain scan), for
// searches, whole categories, offsets and cursors both ways.
func TestLibraryWalkMatchesScan(t *testing.T) {
	ctx := context.Background()
	const n = 3000
	m, s := loadDemo(t, storetest.SQLite(t), n, 3)
	a := advisor.New(s, advisor.Options{})
	rng := rand.New(rand.NewPCG(21, 22))
	ask := func(q advisor.LibraryQuery, walk bool) ([]*advisor.Entry, int) {
		advisor.ForceLibraryWalk(t, walk)
		rows, total, err := a.Library(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rows, total
	}
	same := func(qi int, q advisor.LibraryQuery) []*advisor.Entry {
		want, wantTotal := ask(q, false)
		got, total := ask(q, true)
		if total != wantTotal || len(got) != len(want) {
			t.Fatalf("query %d %+v: walking gave %d rows of %d, reading every match %d of %d", qi, q, len(got), total, len(want), wantTotal)
		}
		for i := range got {
			if got[i].ID != want[i].ID {
				t.Fatalf("query %d %+v: row %d is item %d walking, %d reading every match", qi, q, i, got[i].ID, want[i].ID)
			}
		}
		return want
	}
	cursors := 0
	for qi := range 400 {
		q := advisor.LibraryQuery{Sort: advisor.LibrarySorts[rng.IntN(len(advisor.LibrarySorts))], Limit: 1 + rng.IntN(40), Offset: rng.IntN(3)}
		for rng.IntN(3) > 0 && q.Text == "" {
			title := []rune(m.Item(rng.IntN(n)).Title)
			at := rng.IntN(len(title) - 1)
			if unicode.Is(unicode.Han, title[at]) && unicode.Is(unicode.Han, title[at+1]) {
				q.Text = string(title[at : at+2])
			}
		}
		if rng.IntN(3) == 0 {
			q.Category = m.Item(rng.IntN(n)).CategoryPath
			if rng.IntN(2) == 0 {
				q.Category = strings.Split(q.Category, "/")[0]
			}
		}
		rows := same(qi, q)
		if len(rows) == 0 {
			continue
		}
		c := advisor.LibraryCursor(q, rows[rng.IntN(len(rows))])
		after, before := q, q
		after.After, before.Before = &c, &c
		same(qi, after)
		same(qi, before)
		cursors++
	}
	if cursors < 200 {
		t.Errorf("only %d of the queries had rows", cursors)
	}
}
