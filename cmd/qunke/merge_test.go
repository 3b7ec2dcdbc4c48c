package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
)

// A process stopped after migration 0008 committed but before its merges
// were folded (kill -9 at the first start) must not fold a later item's
// observations into a merged item's: SQLite gives a new item the deleted
// loser's id when it was the highest, so the next command finishes the
// merges before anything else.
func TestMergesFinishedAfterInterruptedMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "q.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	item := `INSERT INTO items (id, platform, item_id, title, created_at, updated_at) VALUES ($1, $2, '700', 'x', 0, $3)`
	for _, args := range [][]any{{1, "tmall", 200}, {2, "taobao", 100}} { // 2, the highest id, loses
		if _, err := db.ExecContext(ctx, item, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil { // and the process stops here
		t.Fatal(err)
	}
	db.Close()

	feed := filepath.Join(dir, "jd.csv")
	if err := os.WriteFile(feed, []byte("item_id,title,final_price\n555,新品,9.90\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runCLI(t, "--db", dbPath, "import", "items", "--platform", "jd", "--at", "2030-01-01 10:00", feed); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	db, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := catalog.NewStore(db)
	for key, want := range map[catalog.Key]int{{Platform: catalog.JD, ItemID: "555"}: 1, {Platform: catalog.Tmall, ItemID: "700"}: 0} {
		it, err := s.Find(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := s.Observations(ctx, it.ID, 0, catalog.Forever)
		if err != nil || len(obs) != want {
			t.Errorf("%s (id %d): %d observations (%v), want %d", key, it.ID, len(obs), err, want)
		}
	}
}
