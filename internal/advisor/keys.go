package advisor

import (
	"cmp"
	"runtime"
	"slices"

	"github.com/qunke/qunke/internal/catalog"
)

// keyIndex finds where an item's entry is (shard<<32 | position) by its
// key, once every category is loaded. Numeric item ids, as every platform
// uses today, are sorted (id, place) pairs per platform family in arena
// memory: 16 bytes an item that the collector never scans, against some 30
// for a Go map, which the heap target then doubles. Other ids are in a map.
type keyIndex struct {
	arena *arena
	num   map[catalog.Platform][]keyAt // by platform family
	str   map[catalog.Key]uint64       // by family key
}

// keyAt is a numeric item id and where its entry is.
type keyAt struct{ id, at uint64 }

// newKeyIndex indexes every entry of shards (sorted by category).
func newKeyIndex(shards []*shard) *keyIndex {
	x := &keyIndex{arena: &arena{}, num: map[catalog.Platform][]keyAt{}, str: map[catalog.Key]uint64{}}
	count := map[catalog.Platform]int{}
	each := func(f func(fam catalog.Platform, n uint64, id string, numeric bool, at uint64)) {
		for s, sh := range shards {
			for i := range sh.recs {
				r := sh.reader(int32(i))
				n, id, numeric := sh.itemID(&r)
				f(sh.platforms[sh.rows[i].platform].Family(), n, id, numeric, uint64(s)<<32|uint64(i))
			}
			runtime.KeepAlive(sh)
		}
	}
	each(func(fam catalog.Platform, _ uint64, _ string, numeric bool, _ uint64) {
		if numeric {
			count[fam]++
		}
	})
	for fam, c := range count {
		x.num[fam] = arenaMake[keyAt](x.arena, c)[:0]
	}
	each(func(fam catalog.Platform, n uint64, id string, numeric bool, at uint64) {
		if numeric {
			x.num[fam] = append(x.num[fam], keyAt{id: n, at: at})
		} else {
			x.str[catalog.Key{Platform: fam, ItemID: string([]byte(id))}] = at
		}
	})
	for _, ks := range x.num {
		slices.SortFunc(ks, func(a, b keyAt) int { return cmp.Compare(a.id, b.id) })
	}
	if x.arena.off {
		runtime.AddCleanup(x, func(a *arena) { a.free() }, x.arena)
	}
	return x
}

// get returns where key's entry is.
func (x *keyIndex) get(key catalog.Key) (uint64, bool) {
	fam := key.Platform.Family()
	if n, ok := catalog.NumericID(key.ItemID); ok {
		ks := x.num[fam]
		i, ok := slices.BinarySearchFunc(ks, n, func(k keyAt, n uint64) int { return cmp.Compare(k.id, n) })
		var at uint64
		if ok {
			at = ks[i].at
		}
		runtime.KeepAlive(x)
		return at, ok
	}
	at, ok := x.str[catalog.Key{Platform: fam, ItemID: key.ItemID}]
	return at, ok
}
