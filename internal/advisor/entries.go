package advisor

import (
	"encoding/binary"
	"runtime"
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

// packed is an entry as a shard keeps it: no pointers, so that the
// collector never walks the millions of them, and about half the size of
// an Entry. Its own text (item id, title, short title, image) is in the
// shard's text block from text on, each length-prefixed; the values a
// category repeats (brand, shop, platform, shop type) are the shard's,
// by number.
type packed struct {
	stats
	text     uint32
	brand    uint32
	shop     uint32
	dsr      [3]int32
	platform uint16
	shopType uint16
}

// shardBuilder packs a category's entries as they are read.
type shardBuilder struct {
	category  string
	recs      growBuf // packed entries
	text      growBuf
	varint    []byte
	brands    []string
	shops     [][2]string // shop id, shop name
	platforms []catalog.Platform
	shopTypes []catalog.ShopType
	brandIdx  map[string]uint32
	shopIdx   map[[2]string]uint32
}

func newShardBuilder(category string) *shardBuilder {
	return &shardBuilder{category: category, brandIdx: map[string]uint32{}, shopIdx: map[[2]string]uint32{}}
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

// add packs e (of the builder's category), in item id order.
func (b *shardBuilder) add(e *Entry) {
	p := packed{stats: stats{ID: e.ID, Now: e.Now, FirstSeen: e.FirstSeen, Low: e.Low, NormalLow: e.NormalLow,
		DaySales: e.DaySales, WeekHigh: e.WeekHigh}}
	p.text = uint32(b.text.n)
	for _, s := range [4]string{e.ItemID, e.Title, e.ShortTitle, e.ImageURL} {
		b.varint = binary.AppendUvarint(b.varint[:0], uint64(len(s)))
		b.text.append(b.varint)
		b.text.reserve(len(s))
		b.text.n += copy(b.text.mem[b.text.n:], s)
	}
	p.brand = internIn(b.brandIdx, &b.brands, e.Brand)
	p.shop = internIn(b.shopIdx, &b.shops, [2]string{e.ShopID, e.ShopName})
	p.dsr = [3]int32{int32(e.DSRDesc), int32(e.DSRService), int32(e.DSRShip)}
	p.platform = internSmall(&b.platforms, canonicalPlatform(e.Platform))
	p.shopType = internSmall(&b.shopTypes, canonicalShopType(e.ShopType))
	size := int(unsafe.Sizeof(p))
	b.recs.reserve(size)
	*(*packed)(unsafe.Pointer(&b.recs.mem[b.recs.n])) = p
	b.recs.n += size
}

// len is how many entries b holds.
func (b *shardBuilder) len() int { return b.recs.n / int(unsafe.Sizeof(packed{})) }

// release gives b's memory back when no shard is built from it.
func (b *shardBuilder) release() { b.recs.release(); b.text.release() }

// texts returns the item id, title, short title and image of rec i.
func (sh *shard) texts(i int32) (out [4]string) {
	at := int(sh.recs[i].text)
	for k := range out {
		var n int
		for shift := 0; ; shift += 7 { // the uvarint AppendUvarint wrote
			c := sh.text[at]
			at++
			n |= int(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
		out[k] = sh.text[at : at+n]
		at += n
	}
	return out
}

// title returns the title of rec i.
func (sh *shard) title(i int32) string { return sh.texts(i)[1] }

// key returns the catalog key of rec i.
func (sh *shard) key(i int32) catalog.Key {
	return catalog.Key{Platform: sh.platforms[sh.recs[i].platform], ItemID: sh.own(sh.texts(i)[0])}
}

// entry returns rec i as an Entry of its own.
func (sh *shard) entry(i int32) *Entry {
	p := &sh.recs[i]
	t := sh.texts(i)
	for k := range t {
		t[k] = sh.own(t[k])
	}
	shop := sh.shops[p.shop]
	e := &Entry{ID: p.ID, Now: p.Now, FirstSeen: p.FirstSeen, Low: p.Low, NormalLow: p.NormalLow, DaySales: p.DaySales,
		WeekHigh: p.WeekHigh, Item: catalog.Item{Platform: sh.platforms[p.platform], ItemID: t[0], Title: t[1], ShortTitle: t[2],
			CategoryPath: sh.category, Brand: sh.brands[p.brand], ShopID: shop[0], ShopName: shop[1], ShopType: sh.shopTypes[p.shopType],
			DSRDesc: int(p.dsr[0]), DSRService: int(p.dsr[1]), DSRShip: int(p.dsr[2]), ImageURL: t[3]}}
	runtime.KeepAlive(sh)
	return e
}
