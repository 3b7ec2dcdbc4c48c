package advisor

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/qunke/qunke/internal/catalog"
)

func TestPackStrings(t *testing.T) {
	var entries, want []Entry
	for i := range 50 {
		e := Entry{ID: int64(i), Item: catalog.Item{
			Platform: catalog.Platform(string([]byte("tmall"))), ItemID: fmt.Sprint(600000 + i),
			Title: fmt.Sprintf("标题 %d 保温杯", i), ShortTitle: fmt.Sprintf("短 %d", i), CategoryPath: "家居/杯子/保温杯",
			Brand: fmt.Sprintf("品牌%d", i%3), ShopID: fmt.Sprint(i % 5), ShopName: fmt.Sprintf("店%d", i%5),
			ShopType: catalog.ShopType(string([]byte("flagship"))), ImageURL: fmt.Sprintf("https://img.example/%d.jpg", i)}}
		if i == 7 {
			e.Brand, e.ImageURL = "", "" // empty values stay empty
		}
		entries, want = append(entries, e), append(want, e)
	}
	packStrings(entries)
	for i := range entries {
		if entries[i] != want[i] {
			t.Fatalf("entry %d: %+v, want %+v", i, entries[i].Item, want[i].Item)
		}
	}
	// Repeated values share their bytes; constants are the package's.
	if unsafe.StringData(entries[0].CategoryPath) != unsafe.StringData(entries[1].CategoryPath) ||
		unsafe.StringData(entries[1].Brand) != unsafe.StringData(entries[4].Brand) {
		t.Error("repeated values are not shared")
	}
	if unsafe.StringData(string(entries[0].Platform)) != unsafe.StringData(string(catalog.Tmall)) ||
		unsafe.StringData(string(entries[0].ShopType)) != unsafe.StringData(string(catalog.ShopFlagship)) {
		t.Error("platform and shop type are not the constants")
	}
}
