package advisor

import (
	"encoding/binary"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/qunke/qunke/internal/catalog"
)

// stats is what the advisor works out of an item's history.
type stats struct {
	ID        int64
	Now       catalog.Observation
	FirstSeen int64
	Low       Low
	NormalLow Low
	DaySales  int64
	WeekHigh  int64
}

// packed is an entry as a shard keeps it, less what its library row holds
// (item id, final price, commission rate, 30-day sales, brand, platform,
// shop type): no pointers, so that the collector never walks the millions
// of them, and 72 bytes where an Entry's figures take 176. Times are
// unsigned 32-bit seconds (1970 to 2106), money and counters signed 32-bit
// (to ¥21,474,836.47 and 2,147,483,647); an entry with a figure outside
// those is kept whole in the shard's wide table instead (libRow.wide), so
// every value comes back exactly. Its own text (item id, title, short
// title, image) is in the shard's text block from text on (see
// shardBuilder.addText); the shop is the shard's, by number.
type packed struct {
	at, firstSeen, couponEnd, lowAt, normalLowAt uint32
	listPrice, couponAmount, couponThreshold     int32
	lowPrice, normalLowPrice, weekHigh           int32
	couponRemain, sales2h, daySales              int32
	text, shop                                   uint32
	dsr                                          [3]int16
	commissionType                               catalog.CommissionType
	flags                                        uint8 // lowOK, normalLowOK
}

const (
	lowOK = 1 << iota
	normalLowOK
)

// wideEntry is an entry's figures when one does not fit packed and libRow.
type wideEntry struct {
	stats
	dsr [3]int64
}

// pack writes s and dsr into p and r, or reports that a value does not fit
// (p and r are then partly written).
func pack(s *stats, dsr [3]int, p *packed, r *libRow) bool {
	n := &s.Now
	var drop int64
	if s.WeekHigh > n.FinalPrice {
		drop = (s.WeekHigh - n.FinalPrice) * 10000 / s.WeekHigh
	}
	for _, t := range [...]int64{n.At, s.FirstSeen, n.CouponEnd, s.Low.At, s.NormalLow.At} {
		if t < 0 || t > math.MaxUint32 {
			return false
		}
	}
	for _, v := range [...]int64{n.ListPrice, n.CouponAmount, n.CouponThreshold, n.FinalPrice, n.CommissionRate, n.CouponRemain,
		n.Sales30, n.Sales2h, s.Low.Price, s.NormalLow.Price, s.DaySales, s.WeekHigh, drop} {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return false
		}
	}
	for k, v := range dsr {
		if v < math.MinInt16 || v > math.MaxInt16 {
			return false
		}
		p.dsr[k] = int16(v)
	}
	p.at, p.firstSeen, p.couponEnd, p.lowAt, p.normalLowAt = uint32(n.At), uint32(s.FirstSeen), uint32(n.CouponEnd),
		uint32(s.Low.At), uint32(s.NormalLow.At)
	p.listPrice, p.couponAmount, p.couponThreshold = int32(n.ListPrice), int32(n.CouponAmount), int32(n.CouponThreshold)
	p.lowPrice, p.normalLowPrice, p.weekHigh = int32(s.Low.Price), int32(s.NormalLow.Price), int32(s.WeekHigh)
	p.couponRemain, p.sales2h, p.daySales = int32(n.CouponRemain), int32(n.Sales2h), int32(s.DaySales)
	p.commissionType = n.CommissionType
	if s.Low.OK {
		p.flags |= lowOK
	}
	if s.NormalLow.OK {
		p.flags |= normalLowOK
	}
	r.final, r.rate, r.sales, r.drop = int32(n.FinalPrice), int32(n.CommissionRate), int32(n.Sales30), int32(drop)
	return true
}

// stats returns the figures of entry i.
func (sh *shard) stats(i int32) stats {
	r := &sh.rows[i]
	if r.wide {
		return sh.wideOf(i).stats
	}
	p := &sh.recs[i]
	return stats{ID: r.id, Now: catalog.Observation{At: int64(p.at), ListPrice: int64(p.listPrice),
		CouponAmount: int64(p.couponAmount), CouponThreshold: int64(p.couponThreshold), CouponEnd: int64(p.couponEnd),
		FinalPrice: int64(r.final), CommissionRate: int64(r.rate), CommissionType: p.commissionType,
		CouponRemain: int64(p.couponRemain), Sales30: int64(r.sales), Sales2h: int64(p.sales2h)},
		FirstSeen: int64(p.firstSeen),
		Low:       Low{Price: int64(p.lowPrice), At: int64(p.lowAt), OK: p.flags&lowOK != 0},
		NormalLow: Low{Price: int64(p.normalLowPrice), At: int64(p.normalLowAt), OK: p.flags&normalLowOK != 0},
		DaySales:  int64(p.daySales), WeekHigh: int64(p.weekHigh)}
}

// wideOf returns the wide figures of entry i (whose row says it has them).
func (sh *shard) wideOf(i int32) *wideEntry {
	k, _ := slices.BinarySearch(sh.wideAt, i)
	return &sh.wides[k]
}

// row returns the figures the library sorts and filters entry i by.
func (sh *shard) row(i int32) rowVals {
	r := &sh.rows[i]
	if r.wide {
		w := sh.wideOf(i)
		return rowOf(w.ID, w.WeekHigh, &w.Now)
	}
	return rowVals{id: r.id, final: int64(r.final), rate: int64(r.rate), sales: int64(r.sales), drop: int64(r.drop)}
}

// The flags byte that starts an entry's text.
const (
	textNumericID    = 1 << iota // the item id is a number (catalog.NumericID), written as a uvarint
	textShortInTitle             // the short title is a uvarint offset and length into the title
)

// maxImagePrefixes bounds a shard's table of image link prefixes; links
// past it are kept whole.
const maxImagePrefixes = 4096

// shardBuilder packs a category's entries as they are read.
type shardBuilder struct {
	category  string
	recs      growBuf // packed entries
	rows      growBuf // their library rows
	text      growBuf
	wideAt    []int32 // positions of the entries in wides
	wides     []wideEntry
	brands    []string
	shops     [][2]string // shop id, shop name
	platforms []catalog.Platform
	shopTypes []catalog.ShopType
	imgPre    []string // image link prefixes; the first is ""
	brandIdx  map[string]uint32
	shopIdx   map[[2]string]uint32
	imgPreIdx map[string]uint32
	n         int
}

func newShardBuilder(category string) *shardBuilder {
	return &shardBuilder{category: category, brandIdx: map[string]uint32{}, shopIdx: map[[2]string]uint32{},
		imgPre: []string{""}, imgPreIdx: map[string]uint32{"": 0}}
}

func internIn[T comparable](m map[T]uint32, list *[]T, v T) uint32 {
	id, ok := m[v]
	if !ok {
		id = uint32(len(*list))
		m[v] = id
		*list = append(*list, v)
	}
	return id
}

func internSmall[T comparable](list *[]T, v T) uint16 {
	for i, x := range *list {
		if x == v {
			return uint16(i)
		}
	}
	*list = append(*list, v)
	return uint16(len(*list) - 1)
}

// put appends the bytes of v to g.
func put[T any](g *growBuf, v *T) {
	size := int(unsafe.Sizeof(*v))
	g.reserve(size)
	*(*T)(unsafe.Pointer(&g.mem[g.n])) = *v
	g.n += size
}

// add packs e (of the builder's category), in item id order.
func (b *shardBuilder) add(e *Entry) {
	var p packed
	r := libRow{id: e.ID}
	p.text = uint32(b.text.n)
	b.addText(&e.Item)
	p.shop = internIn(b.shopIdx, &b.shops, [2]string{e.ShopID, e.ShopName})
	r.brand = internIn(b.brandIdx, &b.brands, e.Brand)
	r.platform = uint8(internSmall(&b.platforms, canonicalPlatform(e.Platform)))
	r.shop = uint8(internSmall(&b.shopTypes, canonicalShopType(e.ShopType)))
	s := stats{ID: e.ID, Now: e.Now, FirstSeen: e.FirstSeen, Low: e.Low, NormalLow: e.NormalLow, DaySales: e.DaySales, WeekHigh: e.WeekHigh}
	dsr := [3]int{e.DSRDesc, e.DSRService, e.DSRShip}
	if !pack(&s, dsr, &p, &r) {
		p = packed{text: p.text, shop: p.shop}
		r = libRow{id: r.id, brand: r.brand, platform: r.platform, shop: r.shop, wide: true}
		b.wideAt = append(b.wideAt, int32(b.n))
		b.wides = append(b.wides, wideEntry{stats: s, dsr: [3]int64{int64(dsr[0]), int64(dsr[1]), int64(dsr[2])}})
	}
	put(&b.recs, &p)
	put(&b.rows, &r)
	b.n++
}

// addText appends an entry's text: the flags byte, then the item id (a
// uvarint number, or a uvarint length and the bytes), the title (length,
// bytes), the short title (offset and length into the title, or length,
// bytes) and the image link (its prefix's number in the shard's table,
// then the length and bytes of the rest).
func (b *shardBuilder) addText(it *catalog.Item) {
	t := &b.text
	t.reserve(1 + 4*binary.MaxVarintLen64 + len(it.ItemID) + len(it.Title) + len(it.ShortTitle) + len(it.ImageURL))
	flags := t.n
	t.n++
	var f byte
	if n, ok := catalog.NumericID(it.ItemID); ok {
		f |= textNumericID
		t.n += binary.PutUvarint(t.mem[t.n:], n)
	} else {
		t.putString(it.ItemID)
	}
	t.putString(it.Title)
	if at := strings.Index(it.Title, it.ShortTitle); it.ShortTitle != "" && at >= 0 {
		f |= textShortInTitle
		t.n += binary.PutUvarint(t.mem[t.n:], uint64(at))
		t.n += binary.PutUvarint(t.mem[t.n:], uint64(len(it.ShortTitle)))
	} else {
		t.putString(it.ShortTitle)
	}
	pre := imagePrefix(it.ImageURL)
	id, ok := b.imgPreIdx[pre]
	if !ok && len(b.imgPre) < maxImagePrefixes {
		id = internIn(b.imgPreIdx, &b.imgPre, pre)
	} else if !ok {
		pre = "" // the table is full
	}
	t.n += binary.PutUvarint(t.mem[t.n:], uint64(id))
	t.putString(it.ImageURL[len(pre):])
	t.mem[flags] = f
}

// putString appends s with its uvarint length, in room reserved before.
func (g *growBuf) putString(s string) {
	g.n += binary.PutUvarint(g.mem[g.n:], uint64(len(s)))
	g.n += copy(g.mem[g.n:], s)
}

// imagePrefix is the part of an image link the links of a category are
// likely to share: up to its fifth slash ("https://img.alicdn.com/imgextra/i1/",
// "//img.alicdn.com/bao/uploaded/"), or nothing.
func imagePrefix(u string) string {
	n := 0
	for i := 0; i < len(u); i++ {
		if u[i] == '/' {
			if n++; n == 5 {
				return u[:i+1]
			}
		}
	}
	return ""
}

// len is how many entries b holds.
func (b *shardBuilder) len() int { return b.n }

// release gives b's memory back when no shard is built from it.
func (b *shardBuilder) release() { b.recs.release(); b.rows.release(); b.text.release() }

// textReader reads an entry's text.
type textReader struct {
	s     string
	at    int
	flags byte // the entry's (textNumericID, textShortInTitle)
}

func (r *textReader) uvarint() uint64 {
	var n uint64
	for shift := 0; ; shift += 7 { // as binary.PutUvarint wrote it
		c := r.s[r.at]
		r.at++
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return n
		}
	}
}

func (r *textReader) str() string {
	n := int(r.uvarint())
	s := r.s[r.at : r.at+n]
	r.at += n
	return s
}

// itemID reads the item id: a number, or its text.
func (sh *shard) itemID(r *textReader) (uint64, string, bool) {
	if r.flags&textNumericID != 0 {
		return r.uvarint(), "", true
	}
	return 0, r.str(), false
}

// key returns the catalog key of rec i.
func (sh *shard) key(i int32) catalog.Key {
	r := sh.reader(i)
	n, id, numeric := sh.itemID(&r)
	if numeric {
		id = strconv.FormatUint(n, 10)
	} else {
		id = sh.own(id)
	}
	runtime.KeepAlive(sh)
	return catalog.Key{Platform: sh.platforms[sh.rows[i].platform], ItemID: id}
}

// hasID reports whether rec i's item id is id.
func (sh *shard) hasID(i int32, id string) bool {
	r := sh.reader(i)
	n, s, numeric := sh.itemID(&r)
	defer runtime.KeepAlive(sh)
	if numeric {
		m, ok := catalog.NumericID(id)
		return ok && m == n
	}
	return s == id
}

// reader returns a reader of rec i's text past its flags byte.
func (sh *shard) reader(i int32) textReader {
	at := int(sh.recs[i].text)
	return textReader{s: sh.text, at: at + 1, flags: sh.text[at]}
}

// texts returns the item id, title, short title and image of rec i, as
// strings the caller may keep.
func (sh *shard) texts(i int32) (out [4]string) {
	r := sh.reader(i)
	n, id, numeric := sh.itemID(&r)
	if numeric {
		out[0] = strconv.FormatUint(n, 10)
	} else {
		out[0] = sh.own(id)
	}
	title := r.str()
	out[1] = sh.own(title)
	if r.flags&textShortInTitle != 0 {
		at := int(r.uvarint())
		out[2] = out[1][at : at+int(r.uvarint())]
	} else {
		out[2] = sh.own(r.str())
	}
	pre := sh.imgPre[r.uvarint()]
	if tail := r.str(); pre == "" {
		out[3] = sh.own(tail)
	} else {
		out[3] = pre + tail
	}
	runtime.KeepAlive(sh)
	return out
}

// title returns the title of rec i (in the shard's memory).
func (sh *shard) title(i int32) string {
	r := sh.reader(i)
	sh.itemID(&r)
	return r.str()
}

// entry returns rec i as an Entry of its own.
func (sh *shard) entry(i int32) *Entry {
	p, r := &sh.recs[i], &sh.rows[i]
	s := sh.stats(i)
	t := sh.texts(i)
	dsr := sh.entryDSR(i)
	shop := sh.shops[p.shop]
	e := &Entry{ID: s.ID, Now: s.Now, FirstSeen: s.FirstSeen, Low: s.Low, NormalLow: s.NormalLow, DaySales: s.DaySales,
		WeekHigh: s.WeekHigh, Item: catalog.Item{Platform: sh.platforms[r.platform], ItemID: t[0], Title: t[1], ShortTitle: t[2],
			CategoryPath: sh.category, Brand: sh.brands[r.brand], ShopID: shop[0], ShopName: shop[1], ShopType: sh.shopTypes[r.shop],
			DSRDesc: dsr[0], DSRService: dsr[1], DSRShip: dsr[2], ImageURL: t[3]}}
	runtime.KeepAlive(sh)
	return e
}
