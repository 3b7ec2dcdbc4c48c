package advisor

import "github.com/qunke/qunke/internal/catalog"

// packStrings moves the text of a shard's entries into one allocation. A
// million entries otherwise hold some seven million small strings, each an
// object the garbage collector marks on every cycle; with one block per
// shard a cycle marks a hundred, and the collector's pauses to the API's
// latency shrink with it. Values repeated within the shard (category,
// brand, shop) are stored once; platforms and shop types become the
// package constants.
func packStrings(entries []Entry) {
	type ref struct{ off, n uint32 }
	var buf []byte
	seen := map[string]ref{}
	add := func(s string, share bool) ref {
		if share {
			if r, ok := seen[s]; ok {
				return r
			}
		}
		r := ref{uint32(len(buf)), uint32(len(s))}
		buf = append(buf, s...)
		if share {
			seen[s] = r
		}
		return r
	}
	const nf = 8
	refs := make([]ref, 0, nf*len(entries))
	for i := range entries {
		it := &entries[i].Item
		for _, f := range [nf]struct {
			s     string
			share bool
		}{{it.ItemID, false}, {it.Title, false}, {it.ShortTitle, false}, {it.CategoryPath, true},
			{it.Brand, true}, {it.ShopID, true}, {it.ShopName, true}, {it.ImageURL, false}} {
			refs = append(refs, add(f.s, f.share))
		}
	}
	all := string(buf)
	str := func(r ref) string { return all[r.off : r.off+r.n] }
	for i := range entries {
		it := &entries[i].Item
		r := refs[nf*i : nf*i+nf]
		it.ItemID, it.Title, it.ShortTitle, it.CategoryPath = str(r[0]), str(r[1]), str(r[2]), str(r[3])
		it.Brand, it.ShopID, it.ShopName, it.ImageURL = str(r[4]), str(r[5]), str(r[6]), str(r[7])
		it.Platform = canonicalPlatform(it.Platform)
		it.ShopType = canonicalShopType(it.ShopType)
	}
}

// canonicalPlatform returns the package constant equal to p (the same
// string without its own allocation), or p.
func canonicalPlatform(p catalog.Platform) catalog.Platform {
	for _, c := range catalog.Platforms {
		if p == c {
			return c
		}
	}
	return p
}

var shopTypes = []catalog.ShopType{catalog.ShopUnknown, catalog.ShopTaobao, catalog.ShopTmall, catalog.ShopFlagship,
	catalog.ShopJDSelf, catalog.ShopPDD}

// canonicalShopType is canonicalPlatform for shop types.
func canonicalShopType(t catalog.ShopType) catalog.ShopType {
	for _, c := range shopTypes {
		if t == c {
			return c
		}
	}
	return t
}
