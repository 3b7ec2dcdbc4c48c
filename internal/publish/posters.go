package publish

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/poster"
)

// PosterCache renders deliveries' posters: the part that does not depend on
// the group (image, title, prices, badges) once per product and price, then
// each group's link as a QR code. It keeps the most recent MaxBases product
// parts.
type PosterCache struct {
	R        *poster.Renderer
	MaxBases int // default 48 (a product part holds about 0.9 MB)

	mu    sync.Mutex
	bases map[string]*baseEntry
	order []string // insertion order, for eviction
}

type baseEntry struct {
	once sync.Once
	base *poster.Base
	err  error
}

// Poster implements Posters.
func (c *PosterCache) Poster(ctx context.Context, d *Delivery, _ *community.Group) ([]byte, error) {
	p := poster.Product{Platform: string(d.Item.Platform), Title: d.Title, ListPrice: d.ListPrice, FinalPrice: d.FinalPrice,
		Coupon: d.Coupon, Badges: d.Badges, ImageURL: d.ImageURL}
	key := fmt.Sprintf("%s|%d|%d|%d|%s|%s|%s", d.Item, d.ListPrice, d.FinalPrice, d.Coupon, d.Title, d.ImageURL, strings.Join(d.Badges, ","))
	e := c.entry(key)
	// Render outside the lock; concurrent callers for one product wait for
	// the first (sync.Once). The fetch uses the first caller's context.
	e.once.Do(func() { e.base, e.err = c.R.Base(ctx, p) })
	if e.err != nil {
		c.mu.Lock()
		if c.bases[key] == e {
			delete(c.bases, key) // let a later call try again
		}
		c.mu.Unlock()
		return nil, e.err
	}
	return e.base.PNG(d.Link)
}

func (c *PosterCache) entry(key string) *baseEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bases == nil {
		c.bases = map[string]*baseEntry{}
	}
	if e, ok := c.bases[key]; ok {
		return e
	}
	limit := c.MaxBases
	if limit <= 0 {
		limit = 48
	}
	for len(c.bases) >= limit && len(c.order) > 0 {
		delete(c.bases, c.order[0])
		c.order = c.order[1:]
	}
	e := &baseEntry{}
	c.bases[key] = e
	c.order = append(c.order, key)
	return e
}
