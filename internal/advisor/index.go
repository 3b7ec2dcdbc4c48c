package advisor

import (
	"context"
	"slices"
	"sync"

	"github.com/qunke/qunke/internal/advisor/similar"
	"github.com/qunke/qunke/internal/catalog"
)

const day = 86400

// Entry is what the advisor keeps in memory about one item: enough to rank
// it and to offer it as a substitute without reading its history again.
type Entry struct {
	ID int64
	catalog.Item
	Now       catalog.Observation // the latest observation
	FirstSeen int64               // time of the first observation
	Low       Low                 // all-time lowest final price, promotions included
	// NormalLow is the lowest final price outside the big promotions.
	NormalLow Low
	// DaySales is how much the 30-day sales rose over the 24 hours before
	// Now: a day's sales, give or take what fell out of the window (-1 when
	// there is no observation a day earlier).
	DaySales int64
	// WeekHigh is the highest final price in effect in the 7 days before Now.
	WeekHigh int64
}

// newEntry summarises an item's history (oldest first, not empty).
func newEntry(it *catalog.StoredItem, obs []catalog.Observation) Entry {
	now := obs[len(obs)-1]
	e := Entry{ID: it.ID, Item: it.Item, Now: now, FirstSeen: obs[0].At, DaySales: -1}
	// Rankings and substitutes never show these; a million entries are
	// lighter without them (a card reads its own item from the catalog).
	e.ShortTitle, e.ImageURL, e.ShopID = "", "", ""
	first := obs[0].At
	e.Low = lowIn(obs, first, now.At)
	e.NormalLow = lowOutside(obs, first, now.At, promoSpans(first, now.At))
	if o, ok := catalog.At(obs, now.At-day); ok {
		e.DaySales = now.Sales30 - o.Sales30
	}
	if hi, ok := catalog.MaxFinal(obs, now.At-7*day, now.At); ok {
		e.WeekHigh = hi.Price
	}
	return e
}

// shard holds one category's items.
type shard struct {
	category string
	entries  []Entry // by item id
	sim      *similar.Index
	dsrAvg   [3]float64 // average DSR (description, service, shipping) of shops that report one
	sales30  []int64    // sorted, for percentiles
}

func buildShard(category string, entries []Entry) *shard {
	sh := &shard{category: category, entries: entries, sim: similar.NewIndex()}
	var sum [3]float64
	var n [3]int
	for i := range entries {
		e := &entries[i]
		sh.sim.Add(int32(i), 0, e.Title)
		for k, v := range [3]int{e.DSRDesc, e.DSRService, e.DSRShip} {
			if v > 0 {
				sum[k] += float64(v)
				n[k]++
			}
		}
		sh.sales30 = append(sh.sales30, e.Now.Sales30)
	}
	sh.sim.Freeze()
	for k := range sum {
		if n[k] > 0 {
			sh.dsrAvg[k] = sum[k] / float64(n[k])
		}
	}
	slices.Sort(sh.sales30)
	return sh
}

// percentile returns the share of the category selling less than sales30.
func (sh *shard) percentile(sales30 int64) float64 {
	if len(sh.sales30) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(sh.sales30, sales30)
	return float64(i) / float64(len(sh.sales30))
}

// find returns the entry for item id.
func (sh *shard) find(id int64) (*Entry, int) {
	i, ok := slices.BinarySearchFunc(sh.entries, id, func(e Entry, id int64) int {
		switch {
		case e.ID < id:
			return -1
		case e.ID > id:
			return 1
		}
		return 0
	})
	if !ok {
		return nil, -1
	}
	return &sh.entries[i], i
}

// index keeps the shards, loading each category when first asked for it.
type index struct {
	s      *catalog.Store
	mu     sync.Mutex
	shards map[string]*shard
	all    bool // every category is loaded
}

func (x *index) shard(ctx context.Context, category string) (*shard, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if sh, ok := x.shards[category]; ok {
		return sh, nil
	}
	var entries []Entry
	err := x.s.EachHistory(ctx, category, func(it *catalog.StoredItem, obs []catalog.Observation) error {
		entries = append(entries, newEntry(it, obs))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sh := buildShard(category, entries)
	x.shards[category] = sh
	return sh, nil
}

// loadAll loads every category in one pass over the catalog.
func (x *index) loadAll(ctx context.Context) ([]*shard, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.all {
		byCat := map[string][]Entry{}
		err := x.s.EachHistory(ctx, "", func(it *catalog.StoredItem, obs []catalog.Observation) error {
			if _, done := x.shards[it.CategoryPath]; !done {
				byCat[it.CategoryPath] = append(byCat[it.CategoryPath], newEntry(it, obs))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for c, es := range byCat {
			x.shards[c] = buildShard(c, es)
		}
		x.all = true
	}
	out := make([]*shard, 0, len(x.shards))
	for _, sh := range x.shards {
		out = append(out, sh)
	}
	slices.SortFunc(out, func(a, b *shard) int {
		if a.category < b.category {
			return -1
		}
		if a.category > b.category {
			return 1
		}
		return 0
	})
	return out, nil
}

// invalidate forgets what was loaded (after an import).
func (x *index) invalidate() {
	x.mu.Lock()
	x.shards, x.all = map[string]*shard{}, false
	x.mu.Unlock()
}
