package advisor

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/qunke/qunke/internal/catalog"
)

// A shard gives back every entry exactly as it was packed: text of any
// length (an image link past 127 bytes takes a longer length prefix),
// empty values, every figure; repeated values are stored once and
// platforms and shop types are the package constants.
func TestPackedEntriesRoundTrip(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("off heap %v", off), func(t *testing.T) {
			if off {
				ForceOffHeap(t)
			}
			testPackedEntries(t, off)
		})
	}
}

func testPackedEntries(t *testing.T, off bool) {
	b := newShardBuilder("家居/杯子/保温杯")
	var want []Entry
	for i := range 50 {
		e := Entry{ID: int64(10 + i), Item: catalog.Item{
			Platform: catalog.Platform(string([]byte("tmall"))), ItemID: fmt.Sprint(600000 + i),
			Title: fmt.Sprintf("标题 %d 保温杯", i), ShortTitle: fmt.Sprintf("短 %d", i), CategoryPath: "家居/杯子/保温杯",
			Brand: fmt.Sprintf("品牌%d", i%3), ShopID: fmt.Sprint(i % 5), ShopName: fmt.Sprintf("店%d", i%5),
			ShopType: catalog.ShopType(string([]byte("flagship"))), DSRDesc: 480 + i%5, DSRService: i % 2 * 490, DSRShip: 500,
			ImageURL: fmt.Sprintf("https://img.example/%d.jpg", i)},
			Now:       catalog.Observation{At: int64(1e9 + i), ListPrice: 1e12, FinalPrice: int64(900 + i), CommissionRate: 2000, CommissionType: 3, CouponRemain: -1, Sales30: int64(i * 7), Sales2h: -1},
			FirstSeen: int64(1e9 - i), Low: Low{Price: 800, At: 5, OK: true}, NormalLow: Low{}, DaySales: -1, WeekHigh: int64(i * 100)}
		switch i {
		case 7:
			e.Brand, e.ImageURL, e.ShortTitle = "", "", "" // empty values stay empty
		case 8:
			e.ImageURL = "https://img.example/" + strings.Repeat("长", 20000) // 60 kB
		case 9:
			e.Platform, e.ShopType = catalog.JD, catalog.ShopJDSelf
		}
		b.add(&e)
		want = append(want, e)
	}
	sh := buildShard(b)
	for i := range want {
		got := sh.entry(int32(i))
		if *got != want[i] {
			t.Fatalf("entry %d:\n%+v, want\n%+v", i, *got, want[i])
		}
		if sh.key(int32(i)) != want[i].Key() || sh.find(want[i].ID) != i {
			t.Fatalf("entry %d: key %v, found at %d", i, sh.key(int32(i)), sh.find(want[i].ID))
		}
	}
	if sh.find(9) != -1 || sh.find(1000) != -1 {
		t.Error("found an id the shard does not have")
	}
	e0, e1, e4 := sh.entry(0), sh.entry(1), sh.entry(4)
	if unsafe.StringData(e0.CategoryPath) != unsafe.StringData(e1.CategoryPath) || unsafe.StringData(e1.Brand) != unsafe.StringData(e4.Brand) {
		t.Error("repeated values are not shared")
	}
	if unsafe.StringData(string(e0.Platform)) != unsafe.StringData(string(catalog.Tmall)) ||
		unsafe.StringData(string(e0.ShopType)) != unsafe.StringData(string(catalog.ShopFlagship)) {
		t.Error("platform and shop type are not the constants")
	}
	if s := unsafe.Sizeof(packed{}); s > 216 {
		t.Errorf("a packed entry takes %d bytes", s)
	}
	if sh.arena.off != off {
		t.Fatalf("arrays off the heap: %v, want %v", sh.arena.off, off)
	}
	// What the shard handed out outlives it and its memory.
	var kept []*Entry
	for i := range want {
		kept = append(kept, sh.entry(int32(i)))
	}
	freed := make(chan bool)
	runtime.AddCleanup(sh, func(c chan bool) { close(c) }, freed)
	sh = nil
	for i := 0; ; i++ {
		runtime.GC()
		select {
		case <-freed:
		case <-time.After(10 * time.Millisecond):
			if i < 100 {
				continue
			}
			t.Fatal("the shard was never released")
		}
		break
	}
	runtime.GC()
	for i := range want {
		if *kept[i] != want[i] {
			t.Fatalf("entry %d once the shard is gone:\n%+v, want\n%+v", i, *kept[i], want[i])
		}
	}
}
