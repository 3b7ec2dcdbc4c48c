package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/catalog/feed"
	"github.com/qunke/qunke/internal/catalog/load"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

var day0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Unix()

// importCSV imports a CSV feed as `qunke import items` does.
func importCSV(t *testing.T, s *catalog.Store, csv string, at int64, platform catalog.Platform) load.Result {
	t.Helper()
	res, err := load.Reader(context.Background(), s, "x.csv", strings.NewReader(csv), int64(len(csv)),
		load.Options{Feed: feed.Options{At: at, Platform: platform}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	return res
}

func itemCount(t *testing.T, s *catalog.Store) int64 {
	t.Helper()
	n, _, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 11 item 1: a Tmall item re-imported with --platform taobao (rows
// with no platform, shop type or category) became a second item.
func TestTaobaoTmallAreOneItem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := catalog.NewStore(db)
		importCSV(t, s, "item_id,platform,title,category,shop_type,final_price\n"+
			"600000000001,tmall,保温杯 500ml,家居/水杯,tmall,59.00\n"+
			"600000000002,taobao,陶瓷杯,家居/水杯,taobao,19.00\n", day0, "")
		// Another process (its own cache), then this one again (cached ids).
		for i, w := range []*catalog.Store{catalog.NewStore(db), s} {
			res := importCSV(t, w, "item_id,title,final_price\n600000000001,保温杯 500ml,55.00\n600000000002,陶瓷杯,18.00\n",
				day0+int64(i+1)*86400, catalog.Taobao)
			if res.Stats.ItemsNew != 0 {
				t.Fatalf("import %d: %d new items, want 0", i, res.Stats.ItemsNew)
			}
		}
		// A row that says Tmall for a Taobao item: the same item, relabelled.
		importCSV(t, s, "item_id,platform,title,final_price\n600000000002,tmall,陶瓷杯,17.00\n", day0+3*86400, "")
		if n := itemCount(t, s); n != 2 {
			t.Fatalf("%d items, want 2", n)
		}
		it, err := s.Find(ctx, catalog.Key{Platform: catalog.Taobao, ItemID: "600000000001"})
		if err != nil {
			t.Fatal(err)
		}
		if it.Platform != catalog.Tmall || it.CategoryPath != "家居/水杯" {
			t.Errorf("item 1 is %s in %q, want the stored tmall label and category", it.Platform, it.CategoryPath)
		}
		obs, err := s.Observations(ctx, it.ID, 0, catalog.Forever)
		if err != nil || len(obs) != 3 {
			t.Fatalf("item 1 has %d observations (%v), want 3 in one history", len(obs), err)
		}
		if it2, err := s.Find(ctx, catalog.Key{Platform: catalog.Taobao, ItemID: "600000000002"}); err != nil || it2.Platform != catalog.Tmall {
			t.Errorf("item 2: %+v %v, want relabelled tmall by the row's own platform", it2, err)
		}
	})
}

// Issue 11 item 5: a feed without a column must not wipe what the item had.
func TestAbsentColumnsKeepStoredValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := catalog.NewStore(db)
		importCSV(t, s, "item_id,platform,title,short_title,category,brand,shop_name,shop_type,dsr_desc,dsr_service,dsr_ship,image_url,final_price\n"+
			"1001,taobao,面霜 50g,面霜,美妆/面部护肤/面霜,雅诗,雅诗旗舰店,flagship,4.9,4.8,4.7,https://img.alicdn.com/a.jpg,199.00\n", day0, "")
		key := catalog.Key{Platform: catalog.Taobao, ItemID: "1001"}
		want, err := s.Find(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		// No DSR, shop or image columns; an empty category cell; a parent category.
		for i, csv := range []string{
			"item_id,title,final_price\n1001,面霜 50g,189.00\n",
			"item_id,title,category,dsr_desc,final_price\n1001,面霜 50g,,,179.00\n",
			"item_id,title,category,final_price\n1001,面霜 50g,美妆,169.00\n",
		} {
			if res := importCSV(t, s, csv, day0+int64(i+1)*86400, catalog.Taobao); res.Stats.ItemsUpdated != 0 {
				t.Errorf("import %d: %d items updated, want 0 (nothing changed)", i, res.Stats.ItemsUpdated)
			}
			for j, st := range []*catalog.Store{s, catalog.NewStore(db)} {
				got, err := st.Find(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("import %d (store %d): stored item became\n%+v, want\n%+v", i, j, got, want)
				}
			}
		}
		// Explicit values replace.
		res := importCSV(t, s, "item_id,title,category,dsr_desc,shop_type,final_price\n1001,面霜 30g,美妆/护肤套装,4.5,tmall,159.00\n", day0+5*86400, "")
		if res.Stats.ItemsUpdated != 1 {
			t.Errorf("explicit values: %d items updated, want 1", res.Stats.ItemsUpdated)
		}
		got, err := s.Find(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		// (A Tmall shop makes it a Tmall item: the row's own word.)
		want.Title, want.CategoryPath, want.DSRDesc, want.ShopType, want.Platform = "面霜 30g", "美妆/护肤套装", 450, catalog.ShopTmall, catalog.Tmall
		if got != want {
			t.Fatalf("explicit values: got\n%+v, want\n%+v", got, want)
		}
	})
}

// Two servers on one PostgreSQL importing the same new item at once: the
// second waits for the first and writes to its item, never a second one
// (nor fails on the unique index).
func TestConcurrentWritersAddOneItem(t *testing.T) {
	db := storetest.Postgres(t)
	rec := catalog.Record{Item: catalog.Item{Platform: catalog.Tmall, ItemID: "700", Title: "保温杯"},
		Obs: catalog.Observation{At: day0, FinalPrice: 1000, Sales2h: catalog.Unknown, CouponRemain: catalog.Unknown}}
	other := rec
	other.Item.Platform, other.Obs.At = catalog.Taobao, day0+60
	w1, err := catalog.NewStore(db).Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w1.Rollback()
	if err := w1.Add([]catalog.Record{rec}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	s2 := catalog.NewStore(db)
	go func() {
		_, err := s2.Ingest(context.Background(), []catalog.Record{other})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the second writer reach the first one's row
	if _, err := w1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("second writer: %v", err)
	}
	if n := itemCount(t, s2); n != 1 {
		t.Fatalf("%d items, want 1", n)
	}
}

// A store's cache must not hide what another process wrote since: the
// latest import wins, whichever process made it.
func TestCacheSeesOtherWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := catalog.NewStore(db), catalog.NewStore(db)
		feed := func(cat string) string {
			return "item_id,platform,title,category,final_price\n1001,taobao,面霜,美妆/" + cat + ",99.00\n"
		}
		importCSV(t, a, feed("面霜"), day0, "")
		importCSV(t, b, feed("乳液"), day0+86400, "")
		importCSV(t, a, feed("面霜"), day0+2*86400, "")
		it, err := b.Find(ctx, catalog.Key{Platform: catalog.Taobao, ItemID: "1001"})
		if err != nil {
			t.Fatal(err)
		}
		if it.CategoryPath != "美妆/面霜" {
			t.Fatalf("category %q after the latest import said 美妆/面霜", it.CategoryPath)
		}
	})
}
