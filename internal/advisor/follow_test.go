package advisor_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// lastSeen returns item i of m as last observed, an hour later.
func lastSeen(m *demo.Market, i int) catalog.Record {
	obs := m.History(i, nil)
	o := obs[len(obs)-1]
	o.At += 3600
	return catalog.Record{Item: m.Item(i), Obs: o}
}

func libraryTotal(t *testing.T, a *advisor.Advisor, q advisor.LibraryQuery) ([]*advisor.Entry, int) {
	t.Helper()
	q.Limit = advisor.MaxRankRows
	es, total, err := a.Library(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return es, total
}

// Issue 11 item 1: the library must list each item once, however the
// categories were loaded. An item imported with no category: its card
// loaded the "" category, which read every item, and the library then added
// every other category (each item twice). An item moved by another process
// after its category was loaded alone: the library kept the old copy.
func TestLibraryListsEachItemOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cardFirst bool // the card is asked for before the import
		change    func(r *catalog.Record)
		want      int
	}{
		{"no category", false, func(r *catalog.Record) { r.Item.ItemID, r.Item.CategoryPath = "990000000001", "" }, 61},
		{"moved", true, func(r *catalog.Record) { r.Item.CategoryPath = "测试/新类目" }, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				m, s := loadDemo(t, db, 60, 30)
				a := advisor.New(s, advisor.Options{})
				rec := lastSeen(m, 0)
				card := func() {
					if _, err := a.Card(ctx, rec.Item.Key()); err != nil {
						t.Fatal(err)
					}
				}
				if tc.cardFirst {
					card()
				}
				tc.change(&rec)
				if _, err := catalog.NewStore(db).Ingest(ctx, []catalog.Record{rec}); err != nil {
					t.Fatal(err)
				}
				if !tc.cardFirst {
					card()
				}
				if _, total := libraryTotal(t, a, advisor.LibraryQuery{}); total != tc.want {
					t.Fatalf("library lists %d items, want %d", total, tc.want)
				}
			})
		})
	}
}

// A card for an item of a category that came after the full load catches
// up instead of dropping the loaded state: the next search must not read
// the whole catalog again (minutes at 10M items), and an item that moved
// to a new category at the same time is listed once, in its new category.
func TestCardOfNewCategoryKeepsEverythingLoaded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, s := loadDemo(t, db, 60, 30)
		a := advisor.New(s, advisor.Options{})
		if err := a.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		moved, added := lastSeen(m, 0), lastSeen(m, 1)
		moved.Item.CategoryPath = "测试/新类目"
		added.Item.ItemID, added.Item.CategoryPath = "990000000004", "测试/又一个类目"
		if _, err := catalog.NewStore(db).Ingest(ctx, []catalog.Record{moved, added}); err != nil {
			t.Fatal(err)
		}
		c, err := a.Card(ctx, added.Item.Key()) // not in memory: read, with its new category
		if err != nil {
			t.Fatal(err)
		}
		if c.Item.CategoryPath != added.Item.CategoryPath {
			t.Fatalf("card in %q, want %q", c.Item.CategoryPath, added.Item.CategoryPath)
		}
		if !a.AllLoaded() {
			t.Fatal("the card of an item in a new category dropped the loaded state")
		}
		if _, total := libraryTotal(t, a, advisor.LibraryQuery{}); total != 61 {
			t.Fatalf("library lists %d items, want 61 (the moved item once)", total)
		}
		if es, total := libraryTotal(t, a, advisor.LibraryQuery{Category: "测试/新类目"}); total != 1 || es[0].ItemID != moved.Item.ItemID {
			t.Fatalf("new category lists %d items, want the moved one", total)
		}
	})
}

// Issue 11 item 6: a server's advisor sees imports made through another
// store (another process), reloading only the categories they changed.
func TestCatchUpWithOtherImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, s := loadDemo(t, db, 60, 30)
		a := advisor.New(s, advisor.Options{})
		if err := a.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		other := catalog.NewStore(db)
		moved, cheaper, added := lastSeen(m, 0), lastSeen(m, 1), lastSeen(m, 2)
		for i := 1; cheaper.Item.CategoryPath == moved.Item.CategoryPath; i++ {
			cheaper = lastSeen(m, i)
		}
		from := moved.Item.CategoryPath
		moved.Item.CategoryPath = "测试/新类目"
		cheaper.Obs.FinalPrice = cheaper.Obs.FinalPrice / 2
		added.Item.ItemID, added.Item.CategoryPath = "990000000002", from
		if _, err := other.Ingest(ctx, []catalog.Record{moved, cheaper, added}); err != nil {
			t.Fatal(err)
		}
		if _, total := libraryTotal(t, a, advisor.LibraryQuery{}); total != 60 {
			t.Fatalf("before catching up: %d items, want the 60 loaded", total)
		}
		cats, err := a.CatchUp(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{from, cheaper.Item.CategoryPath, "测试/新类目"}
		slices.Sort(want)
		if !slices.Equal(cats, want) {
			t.Errorf("reloaded %q, want only the changed %q", cats, want)
		}
		if _, total := libraryTotal(t, a, advisor.LibraryQuery{}); total != 61 {
			t.Errorf("after catching up: %d items, want 61", total)
		}
		if es, total := libraryTotal(t, a, advisor.LibraryQuery{Category: "测试/新类目"}); total != 1 || es[0].ItemID != moved.Item.ItemID {
			t.Errorf("new category lists %d items, want the moved one", total)
		}
		es, _ := libraryTotal(t, a, advisor.LibraryQuery{Category: cheaper.Item.CategoryPath})
		for _, e := range es {
			if e.ItemID == cheaper.Item.ItemID && e.Now.FinalPrice != cheaper.Obs.FinalPrice {
				t.Errorf("price %d, want the new %d", e.Now.FinalPrice, cheaper.Obs.FinalPrice)
			}
		}
		if cats, err := a.CatchUp(ctx); err != nil || len(cats) != 0 {
			t.Errorf("nothing changed, yet reloaded %q (%v)", cats, err)
		}

		// Follow polls: a later import shows without a call.
		fctx, stop := context.WithCancel(ctx)
		defer stop()
		go a.Follow(fctx, 10*time.Millisecond, slog.New(slog.DiscardHandler))
		more := lastSeen(m, 3)
		more.Item.ItemID = "990000000003"
		if _, err := other.Ingest(ctx, []catalog.Record{more}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, total := libraryTotal(t, a, advisor.LibraryQuery{}); total == 62 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Follow did not pick up the import within 5 s")
			}
		}
	})
}
