package catalog

import "strconv"

// refCache maps platform ids to Qunke's item ids. Every observation written
// looks its item up here, so the common case — a numeric id, as all four
// platforms use today — is a map keyed by the number; other ids (Taobao's
// newer encrypted ids, say) fall back to the string.
type refCache struct {
	num [4]map[uint64]itemRef // by platformIndex: small slots, kind to the CPU cache
	str map[Key]itemRef
}

func newRefCache() refCache {
	c := refCache{str: map[Key]itemRef{}}
	for i := range c.num {
		c.num[i] = map[uint64]itemRef{}
	}
	return c
}

func platformIndex(p Platform) int {
	switch p {
	case Taobao:
		return 0
	case Tmall:
		return 1
	case JD:
		return 2
	case PDD:
		return 3
	}
	return -1
}

// numericKey returns the numeric map and id for k, when it has one.
func (c *refCache) numericKey(k Key) (map[uint64]itemRef, uint64, bool) {
	p := platformIndex(k.Platform)
	if p < 0 {
		return nil, 0, false
	}
	n, ok := numericID(k.ItemID)
	return c.num[p], n, ok
}

// numericID returns id as a number when it is one written canonically (no
// sign, no leading zero), so that it maps back to exactly the same string.
func numericID(id string) (uint64, bool) {
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

func (c *refCache) get(k Key) (itemRef, bool) {
	if m, n, ok := c.numericKey(k); ok {
		r, ok := m[n]
		return r, ok
	}
	r, ok := c.str[k]
	return r, ok
}

func (c *refCache) put(k Key, r itemRef) {
	if m, n, ok := c.numericKey(k); ok {
		m[n] = r
		return
	}
	c.str[k] = r
}

func (c *refCache) len() int {
	n := len(c.str)
	for _, m := range c.num {
		n += len(m)
	}
	return n
}

// merge copies every entry of o into c.
func (c *refCache) merge(o *refCache) {
	for i, m := range o.num {
		for k, r := range m {
			c.num[i][k] = r
		}
	}
	for k, r := range o.str {
		c.str[k] = r
	}
}
