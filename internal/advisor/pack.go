package advisor

import "github.com/qunke/qunke/internal/catalog"

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
