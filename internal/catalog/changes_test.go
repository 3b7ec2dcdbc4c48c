package catalog_test

import (
	"context"
	"slices"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store/storetest"
)

// Two servers importing at once on PostgreSQL: a's cache says where an
// item was before b moved it, so a's commit cannot say which category it
// took the item from; a follower must then reload b's category too, or it
// lists the item in both.
func TestChangesWithWritersInterleaved(t *testing.T) {
	ctx := context.Background()
	db := storetest.Postgres(t)
	a, b := catalog.NewStore(db), catalog.NewStore(db)
	rec := func(cat string, day int64) []catalog.Record {
		return []catalog.Record{{Item: catalog.Item{Platform: catalog.JD, ItemID: "1", Title: "x", CategoryPath: cat},
			Obs: catalog.Observation{At: day * 86400, ListPrice: 100, FinalPrice: 100, Sales2h: catalog.Unknown, CouponRemain: catalog.Unknown}}}
	}
	if _, err := a.Ingest(ctx, rec("甲", 1)); err != nil { // cached by a
		t.Fatal(err)
	}
	w, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	if _, err := b.Ingest(ctx, rec("乙", 2)); err != nil { // meanwhile b moves it
		t.Fatal(err)
	}
	since, err := a.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(rec("丙", 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	ch, err := a.ChangesSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.All && !slices.Contains(ch.Categories, "乙") {
		t.Fatalf("changes %+v: the item left 乙", ch)
	}
}
