package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
)

// Issue 11 items 1 and 6: a server's advisor sees `qunke import items` run
// on its database by another command, once it catches up (serve polls every
// advisor.FollowEvery), and the rows that say neither platform nor category
// add no second item.
func TestServerSeesCLIImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "q.db")
	if _, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "200", "--days", "20", "--groups=false"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dbPath) // the server's own handle
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs := catalog.NewStore(db)
	a := advisor.New(cs, advisor.Options{})
	if err := a.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	es, _, err := a.Library(ctx, advisor.LibraryQuery{Platform: catalog.Tmall, Limit: 1})
	if err != nil || len(es) == 0 {
		t.Fatalf("no tmall item in the demo: %v", err)
	}
	tmall := es[0]
	feed := filepath.Join(dir, "x.csv")
	csv := "item_id,title,final_price\n" + tmall.ItemID + "," + tmall.Title + ",1.00\n990000000001,无类目新品,9.90\n"
	if err := os.WriteFile(feed, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runCLI(t, "--db", dbPath, "import", "items", "--platform", "taobao", "--at", "2030-01-01 10:00", feed); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	_, total, err := a.Library(ctx, advisor.LibraryQuery{})
	if err != nil || total != 201 {
		t.Fatalf("library lists %d items (%v), want 201", total, err)
	}
	c, err := a.Card(ctx, catalog.Key{Platform: catalog.Taobao, ItemID: tmall.ItemID})
	if err != nil {
		t.Fatal(err)
	}
	if c.Item.Platform != catalog.Tmall || c.Item.CategoryPath != tmall.CategoryPath || c.Now.FinalPrice != 100 {
		t.Errorf("card: %s in %q at %d, want the tmall item in %q at its new price 100", c.Item.Platform, c.Item.CategoryPath,
			c.Now.FinalPrice, tmall.CategoryPath)
	}
}
