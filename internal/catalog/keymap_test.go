package catalog

import "testing"

func TestKeyMapKeepsIDsDistinct(t *testing.T) {
	c := NewKeyMap[itemRef]()
	keys := []Key{
		{Taobao, "600000000001"}, {JD, "600000000001"},
		{Taobao, "0600000000001"},        // a leading zero is another string
		{Taobao, "18446744073709551616"}, // beyond uint64
		{Taobao, "6Mbx1aBcD"},            // an encrypted id
		{Tmall, "7Mbx1aBcD"},
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

// Taobao and Tmall are one family: an id is one item whichever label a
// feed gives it, numeric or not.
func TestKeyMapTaobaoTmallOneItem(t *testing.T) {
	c := NewKeyMap[itemRef]()
	c.Put(Key{Tmall, "600000000001"}, itemRef{id: 1})
	c.Put(Key{Taobao, "6Mbx1aBcD"}, itemRef{id: 2})
	if r, ok := c.Get(Key{Taobao, "600000000001"}); !ok || r.id != 1 {
		t.Errorf("taobao key of a tmall item: %v %v", r, ok)
	}
	if r, ok := c.Get(Key{Tmall, "6Mbx1aBcD"}); !ok || r.id != 2 {
		t.Errorf("tmall key of a taobao item: %v %v", r, ok)
	}
	c.Put(Key{Taobao, "600000000001"}, itemRef{id: 3})
	if c.Len() != 2 {
		t.Errorf("len %d, want 2", c.Len())
	}
}
