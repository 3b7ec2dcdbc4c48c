package catalog

import "strconv"

// KeyMap maps items to values of type V, by identity: taobao:1 and tmall:1
// are one key (see Key). The common case — a numeric
// id, as all four platforms use today — is a map keyed by the number, with no
// pointers for the garbage collector to follow and small slots kind to the
// CPU cache; other ids (Taobao's newer encrypted ids, say) fall back to the
// string. The catalog keeps its item ids in one (every observation written
// looks its item up), the advisor its in-memory entries. The zero value is
// not usable: call NewKeyMap. It is not safe for concurrent writes.
type KeyMap[V any] struct {
	num [3]map[uint64]V // by platformIndex
	str map[Key]V       // by family key
}

// NewKeyMap returns an empty map.
func NewKeyMap[V any]() KeyMap[V] {
	c := KeyMap[V]{str: map[Key]V{}}
	for i := range c.num {
		c.num[i] = map[uint64]V{}
	}
	return c
}

func platformIndex(p Platform) int {
	switch p.Family() {
	case Taobao:
		return 0
	case JD:
		return 1
	case PDD:
		return 2
	}
	return -1
}

// numericKey returns the numeric map and id for k, when it has one.
func (c *KeyMap[V]) numericKey(k Key) (map[uint64]V, uint64, bool) {
	p := platformIndex(k.Platform)
	if p < 0 {
		return nil, 0, false
	}
	n, ok := NumericID(k.ItemID)
	return c.num[p], n, ok
}

// NumericID returns id as a number when it is one written canonically (no
// sign, no leading zero), so that it maps back to exactly the same string.
func NumericID(id string) (uint64, bool) {
	if len(id) == 0 || len(id) > 19 || id[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil
}

// Get returns the value for k.
func (c *KeyMap[V]) Get(k Key) (V, bool) {
	if m, n, ok := c.numericKey(k); ok {
		r, ok := m[n]
		return r, ok
	}
	r, ok := c.str[familyKey(k)]
	return r, ok
}

// Put sets the value for k.
func (c *KeyMap[V]) Put(k Key, r V) {
	if m, n, ok := c.numericKey(k); ok {
		m[n] = r
		return
	}
	c.str[familyKey(k)] = r
}

func familyKey(k Key) Key { return Key{k.Platform.Family(), k.ItemID} }

// Len returns the number of keys.
func (c *KeyMap[V]) Len() int {
	n := len(c.str)
	for _, m := range c.num {
		n += len(m)
	}
	return n
}

// Merge copies every entry of o into c.
func (c *KeyMap[V]) Merge(o *KeyMap[V]) {
	for i, m := range o.num {
		for k, r := range m {
			c.num[i][k] = r
		}
	}
	for k, r := range o.str {
		c.str[k] = r
	}
}
