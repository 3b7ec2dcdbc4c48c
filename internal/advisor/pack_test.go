package advisor

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
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
		if sh.find(want[i].ID) != i {
			t.Fatalf("entry %d found at %d", i, sh.find(want[i].ID))
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
	if s := unsafe.Sizeof(packed{}) + unsafe.Sizeof(libRow{}); s > 104 {
		t.Errorf("a packed entry and its row take %d bytes", s)
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

// Figures past what the 32-bit fields hold (a price over ¥21,474,836.47,
// counters out of int32, times before 1970 or after 2106), at their edges
// and just past them, come back exactly, and so does the text however
// it is stored (numeric or other item ids, a short title inside the title
// or not, image links with and without a shared prefix).
func TestPackedEdgeValuesRoundTrip(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("off heap %v", off), func(t *testing.T) {
			if off {
				ForceOffHeap(t)
			}
			testPackedEdges(t)
		})
	}
}

func testPackedEdges(t *testing.T) {
	const (
		maxU32 = int64(math.MaxUint32)
		max32  = int64(math.MaxInt32)
		min32  = int64(math.MinInt32)
	)
	base := Entry{Item: catalog.Item{Platform: catalog.Taobao, Title: "保温杯 大容量 316不锈钢 男女 便携 水杯", ShortTitle: "316不锈钢",
		CategoryPath: "家居/杯子", Brand: "b", ShopID: "1", ShopName: "店", DSRDesc: 480,
		ImageURL: "https://img.alicdn.com/imgextra/i1/2200/O1CN01abc.jpg"},
		Now: catalog.Observation{At: 1.7e9, ListPrice: 1000, FinalPrice: 900, CommissionRate: 2000, CommissionType: catalog.CommissionGeneral,
			CouponRemain: catalog.Unknown, Sales30: 10, Sales2h: catalog.Unknown},
		FirstSeen: 1.6e9, Low: Low{Price: 800, At: 1.65e9, OK: true}, DaySales: -1, WeekHigh: 1000}
	edits := []func(e *Entry){
		func(e *Entry) {},
		func(e *Entry) { e.Now.FinalPrice, e.Now.ListPrice = max32, max32 },          // ¥21,474,836.47 fits
		func(e *Entry) { e.Now.FinalPrice = max32 + 1 },                              // one fen more does not
		func(e *Entry) { e.Now.ListPrice = catalog.MaxPrice },                        // ¥100,000,000
		func(e *Entry) { e.WeekHigh = max32 + 1 },                                    // a drop from a price past it
		func(e *Entry) { e.WeekHigh, e.Now.FinalPrice = max32, min32 },               // a drop of 200% fits
		func(e *Entry) { e.WeekHigh, e.Now.FinalPrice = 1, min32 },                   // a drop past int32
		func(e *Entry) { e.Low.Price, e.NormalLow = max32+5, Low{Price: min32 - 1} }, // lows past it
		func(e *Entry) { e.Now.Sales30, e.DaySales = catalog.MaxCounter, -catalog.MaxCounter },
		func(e *Entry) { e.Now.Sales30, e.Now.Sales2h, e.Now.CouponRemain = min32, min32, min32 }, // the most negative that fits
		func(e *Entry) { e.Now.CouponRemain = min32 - 1 },
		func(e *Entry) { e.Now.Sales2h = max32 + 1 },
		func(e *Entry) { e.Now.CouponAmount, e.Now.CouponThreshold = max32+1, -1 },
		func(e *Entry) { e.Now.CommissionRate = max32 + 1 },
		func(e *Entry) { e.Now.At, e.Now.CouponEnd = maxU32, maxU32 }, // 2106-02-07, the last second that fits
		func(e *Entry) { e.Now.At = maxU32 + 1 },                      // after it
		func(e *Entry) { e.Now.CouponEnd = maxU32 + 1 },
		func(e *Entry) { e.FirstSeen = -1 }, // before 1970
		func(e *Entry) { e.Low.At, e.NormalLow.At = -86400, maxU32+1 },
		func(e *Entry) { e.NormalLow = Low{Price: 5, At: 7, OK: true}; e.Low = Low{Price: 3, At: 0} }, // a low not OK keeps its figures
		func(e *Entry) { e.DSRDesc, e.DSRService, e.DSRShip = math.MaxInt16, math.MinInt16, math.MaxInt16+1 },
		func(e *Entry) { e.ItemID = "0123" },                 // not canonical: kept as text
		func(e *Entry) { e.ItemID = "18446744073709551615" }, // 20 digits
		func(e *Entry) { e.ItemID = "9223372036854775807" },  // the largest 19 digits
		func(e *Entry) { e.ItemID = "AAEc-xZ9" },
		func(e *Entry) { e.ItemID = "" },
		func(e *Entry) { e.ShortTitle = "保温杯 大容量 316不锈钢 男女 便携 水杯" }, // the whole title
		func(e *Entry) { e.ShortTitle = "不在标题里" },
		func(e *Entry) { e.Title, e.ShortTitle = "", "" },
		func(e *Entry) { e.ImageURL = "//img.alicdn.com/bao/uploaded/i1/x.jpg" },
		func(e *Entry) { e.ImageURL = "https://a/b/c/d/" }, // nothing past the prefix
		func(e *Entry) { e.ImageURL = "x.jpg" },
	}
	b := newShardBuilder("家居/杯子")
	var want []Entry
	for i, edit := range edits {
		e := base
		e.ID, e.ItemID = int64(100+i), strconv.Itoa(5000+i)
		edit(&e)
		b.add(&e)
		want = append(want, e)
	}
	sh := buildShard(b)
	wide := 0
	for i := range want {
		got := sh.entry(int32(i))
		if *got != want[i] {
			t.Fatalf("entry %d:\n%+v, want\n%+v", i, *got, want[i])
		}
		if v, w := sh.row(int32(i)), rowOf(want[i].ID, want[i].WeekHigh, &want[i].Now); v != w {
			t.Errorf("entry %d: row %+v, want %+v", i, v, w)
		}
		if sh.rows[i].wide {
			wide++
		}
	}
	if wide != len(sh.wides) || wide != 15 {
		t.Errorf("%d wide entries, %d in the table", wide, len(sh.wides))
	}
	if sh.rows[0].wide || sh.rows[1].wide || !sh.rows[2].wide {
		t.Error("a figure that fits 32 bits made its entry wide, or one that does not did not")
	}
	// Sales past 32 bits keep the percentiles exact.
	if sh.sales32 != nil || len(sh.sales30) != len(want) {
		t.Fatalf("sales kept as %d narrow, %d wide", len(sh.sales32), len(sh.sales30))
	}
	if p := sh.percentile(catalog.MaxCounter); p != float64(len(want)-1)/float64(len(want)) {
		t.Errorf("percentile of the largest sales %v", p)
	}
	// Every item is found by its key, whatever its id.
	keys := newKeyIndex([]*shard{sh})
	for i := range want {
		at, ok := keys.get(want[i].Key())
		if !ok || at != uint64(i) {
			t.Errorf("entry %d (%v): found %v at %d", i, want[i].Key(), ok, at)
		}
	}
	if _, ok := keys.get(catalog.Key{Platform: catalog.Tmall, ItemID: "5000"}); !ok {
		t.Error("tmall:5000 is taobao:5000")
	}
	for _, k := range []catalog.Key{{Platform: catalog.JD, ItemID: "5000"}, {Platform: catalog.Taobao, ItemID: "4999"}, {Platform: catalog.Taobao, ItemID: "x"}} {
		if _, ok := keys.get(k); ok {
			t.Errorf("found %v", k)
		}
	}
}

// Image links keep coming back whole once the shard's table of link
// prefixes is full.
func TestImagePrefixTableFull(t *testing.T) {
	b := newShardBuilder("c")
	n := maxImagePrefixes + 100
	for i := range n {
		e := Entry{ID: int64(i + 1), Item: catalog.Item{Platform: catalog.JD, ItemID: strconv.Itoa(i + 1), CategoryPath: "c",
			ImageURL: fmt.Sprintf("https://img%d.example/a/b/%d.jpg", i, i)}}
		b.add(&e)
	}
	if len(b.imgPre) != maxImagePrefixes {
		t.Fatalf("%d prefixes", len(b.imgPre))
	}
	sh := buildShard(b)
	for i := range n {
		if got, want := sh.entry(int32(i)).ImageURL, fmt.Sprintf("https://img%d.example/a/b/%d.jpg", i, i); got != want {
			t.Fatalf("entry %d: image %q, want %q", i, got, want)
		}
	}
}
