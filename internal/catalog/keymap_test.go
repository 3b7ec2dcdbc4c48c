package catalog

import "testing"

func TestKeyMapKeepsIDsDistinct(t *testing.T) {
	c := NewKeyMap[itemRef]()
	keys := []Key{
		{Taobao, "600000000001"}, {Tmall, "600000000001"}, {JD, "600000000001"},
		{Taobao, "0600000000001"},        // a leading zero is another string
		{Taobao, "18446744073709551616"}, // beyond uint64
		{Taobao, "6Mbx1aBcD"},            // an encrypted id
		{PDD, ""},
		{Platform("amazon"), "600000000001"}, // not a known platform: kept by string
	}
	for i, k := range keys {
		c.Put(k, itemRef{id: int64(i + 1)})
	}
	for i, k := range keys {
		r, ok := c.Get(k)
		if !ok || r.id != int64(i+1) {
			t.Errorf("%v: got %v %v, want id %d", k, r, ok, i+1)
		}
	}
	if _, ok := c.Get(Key{Taobao, "600000000002"}); ok {
		t.Error("found a key never put")
	}
	if c.Len() != len(keys) {
		t.Errorf("len %d, want %d", c.Len(), len(keys))
	}
}
