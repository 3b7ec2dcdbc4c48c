package advisor

import (
	"cmp"
	"context"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

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
	arena    *arena   // where the arrays below are kept
	recs     []packed // by item id
	rows     []libRow // by position, as recs
	text     string   // the entries' own text (see shardBuilder.addText)
	// The entries whose figures do not fit packed and libRow, by position.
	wideAt []int32
	wides  []wideEntry
	// What the category's entries share, by number.
	brands    []string
	shops     [][2]string
	platforms []catalog.Platform
	shopTypes []catalog.ShopType
	imgPre    []string // image link prefixes
	attrs     attrs
	sim       *similar.Index
	dsrAvg    [3]float64 // average DSR (description, service, shipping) of shops that report one
	// The 30-day sales, sorted, for percentiles: sales32 when every one
	// fits 32 bits, sales30 otherwise.
	sales32 []int32
	sales30 []int64
	rank    rankIndex
	mapped  *snapMapping // the snapshot file the arrays are in, if they are
}

func buildShard(b *shardBuilder) *shard {
	a := &arena{}
	count := b.len()
	recs, rows, text := b.recs.adopt(a), b.rows.adopt(a), b.text.adopt(a)
	sh := &shard{category: b.category, arena: a, brands: b.brands, shops: b.shops, platforms: b.platforms, shopTypes: b.shopTypes,
		imgPre: b.imgPre, wideAt: arenaCopy(a, b.wideAt), wides: arenaCopy(a, b.wides), sim: similar.NewIndex()}
	if count > 0 {
		sh.recs = unsafe.Slice((*packed)(unsafe.Pointer(unsafe.SliceData(recs))), count)
		sh.rows = unsafe.Slice((*libRow)(unsafe.Pointer(unsafe.SliceData(rows))), count)
	}
	if len(text) > 0 {
		sh.text = unsafe.String(unsafe.SliceData(text), len(text))
	}
	var sum [3]float64
	var n [3]int
	sales30 := make([]int64, 0, count)
	narrow := true
	for i := range sh.recs {
		sh.sim.Add(int32(i), 0, sh.title(int32(i)))
		for k, v := range sh.entryDSR(int32(i)) {
			if v > 0 {
				sum[k] += float64(v)
				n[k]++
			}
		}
		v := sh.row(int32(i)).sales
		narrow = narrow && v >= math.MinInt32 && v <= math.MaxInt32
		sales30 = append(sales30, v)
	}
	sh.sim.FreezeIn(a.alloc)
	slices.Sort(sales30)
	if narrow {
		sales32 := make([]int32, len(sales30))
		for i, v := range sales30 {
			sales32[i] = int32(v)
		}
		sh.sales32 = arenaCopy(a, sales32)
	} else {
		sh.sales30 = arenaCopy(a, sales30)
	}
	sh.attrs = newAttrs(sh)
	for k := range sum {
		if n[k] > 0 {
			sh.dsrAvg[k] = sum[k] / float64(n[k])
		}
	}
	sh.buildRankIndex()
	if a.off {
		runtime.AddCleanup(sh, func(a *arena) { a.free() }, a)
	}
	return sh
}

// entryDSR returns the DSR scores of entry i.
func (sh *shard) entryDSR(i int32) [3]int {
	if sh.rows[i].wide {
		d := sh.wideOf(i).dsr
		return [3]int{int(d[0]), int(d[1]), int(d[2])}
	}
	d := sh.recs[i].dsr
	return [3]int{int(d[0]), int(d[1]), int(d[2])}
}

// percentile returns the share of the category selling less than sales30.
func (sh *shard) percentile(sales30 int64) float64 {
	if len(sh.sales32) > 0 {
		i := sort.Search(len(sh.sales32), func(j int) bool { return int64(sh.sales32[j]) >= sales30 })
		return float64(i) / float64(len(sh.sales32))
	}
	if len(sh.sales30) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(sh.sales30, sales30)
	return float64(i) / float64(len(sh.sales30))
}

// find returns the position of item id, or -1.
func (sh *shard) find(id int64) int {
	i, ok := slices.BinarySearchFunc(sh.rows, id, func(r libRow, id int64) int { return cmp.Compare(r.id, id) })
	if !ok {
		return -1
	}
	return i
}

// index keeps the shards, loading each category when first asked for it.
// Readers take the current snapshot without locking; loading and
// invalidating take mu and publish a new snapshot.
type index struct {
	s   *catalog.Store
	mu  sync.Mutex
	cur atomic.Pointer[snapshot]
	// gen is the catalog generation read before the oldest shard loaded
	// was: every change after it may be missing (-1: nothing is loaded).
	gen  int64
	file *snapFile // nil: no snapshot file
}

// snapshot is what has been loaded; it is never changed once published.
type snapshot struct {
	shards map[string]*shard
	// When every category is loaded: the shards by category, and where
	// each item's entry is (shard<<32 | position).
	all    []*shard
	byKey  *keyIndex
	keys   []keyRef // instead of byKey, from a snapshot file
	loaded bool
	gen    int64 // when loaded: the catalog generation it was read at
}

func newIndex(s *catalog.Store) *index {
	x := &index{s: s, gen: -1}
	x.cur.Store(&snapshot{shards: map[string]*shard{}})
	return x
}

func (x *index) shard(ctx context.Context, category string) (*shard, error) {
	if sh, ok := x.cur.Load().shards[category]; ok {
		return sh, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loadFileLocked(ctx) { // a start: every category at once from the file
		if sh, ok := x.cur.Load().shards[category]; ok {
			return sh, nil
		}
	}
	cur := x.cur.Load()
	if sh, ok := cur.shards[category]; ok {
		return sh, nil
	}
	if cur.loaded {
		// A category that came after every one was loaded: catching up reads
		// it with the categories its items left, and keeps every category
		// loaded (a shard added alone would have to drop that state, and the
		// next search would read the whole catalog again).
		// Not the request's context: the work is kept if the asker leaves.
		// Never a full reload here (a trimmed change log): that falls to the
		// category read alone below.
		if _, err := x.catchUpLocked(context.WithoutCancel(ctx), false); err != nil {
			return nil, err
		}
		if cur = x.cur.Load(); cur.shards[category] != nil {
			return cur.shards[category], nil
		}
	}
	gen, err := x.s.Generation(ctx)
	if err != nil {
		return nil, err
	}
	byCat, err := x.read(ctx, []string{category})
	if err != nil {
		return nil, err
	}
	b := byCat[category]
	if b == nil {
		b = newShardBuilder(category)
	}
	releaseExcept(byCat, category) // read more than asked for ("" reads every item)
	sh := buildShard(b)
	next := &snapshot{shards: maps.Clone(cur.shards)}
	next.shards[category] = sh
	x.cur.Store(next)
	if x.gen < 0 {
		x.gen = gen
	}
	return sh, nil
}

// read returns the entries of the items of categories (of every item when
// there are none) by category, from one snapshot of the catalog.
func (x *index) read(ctx context.Context, categories []string) (map[string]*shardBuilder, error) {
	byCat := map[string]*shardBuilder{}
	err := x.s.EachHistoryIn(ctx, categories, func(it *catalog.StoredItem, obs []catalog.Observation) error {
		b := byCat[it.CategoryPath]
		if b == nil {
			b = newShardBuilder(it.CategoryPath)
			byCat[it.CategoryPath] = b
		}
		e := newEntry(it, obs)
		b.add(&e)
		return nil
	})
	if err != nil {
		for _, b := range byCat {
			b.release()
		}
		return nil, err
	}
	return byCat, nil
}

// releaseExcept gives back the memory of the builders of every category
// but keep: nothing is built from them.
func releaseExcept(byCat map[string]*shardBuilder, keep ...string) {
	for c, b := range byCat {
		if !slices.Contains(keep, c) {
			b.release()
		}
	}
}

// loadAll loads every category in one pass over the catalog and returns the
// shards by category.
func (x *index) loadAll(ctx context.Context) ([]*shard, error) {
	if cur := x.cur.Load(); cur.loaded {
		return cur.all, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if cur := x.cur.Load(); cur.loaded {
		return cur.all, nil
	}
	return x.loadAllLocked(ctx)
}

// loadAllLocked builds every shard anew from one snapshot of the catalog,
// those loaded one by one before included: one loaded earlier may still
// hold an item that has since moved to another category, and keeping it
// would list that item twice.
func (x *index) loadAllLocked(ctx context.Context) ([]*shard, error) {
	if x.loadFileLocked(ctx) {
		return x.cur.Load().all, nil
	}
	gen, err := x.s.Generation(ctx)
	if err != nil {
		return nil, err
	}
	byCat, err := x.read(ctx, nil)
	if err != nil {
		return nil, err
	}
	next := &snapshot{shards: map[string]*shard{}, loaded: true, gen: gen}
	for c, b := range byCat {
		next.shards[c] = buildShard(b)
		delete(byCat, c) // its garbage goes as the next is built
	}
	x.publish(next)
	x.gen = gen
	x.saveLocked(ctx, true)
	return next.all, nil
}

// publish indexes a snapshot of every category and makes it current.
func (x *index) publish(next *snapshot) {
	if next.loaded {
		next.all = next.all[:0]
		for _, sh := range next.shards {
			next.all = append(next.all, sh)
		}
		slices.SortFunc(next.all, func(a, b *shard) int { return strings.Compare(a.category, b.category) })
		next.byKey = newKeyIndex(next.all)
	}
	x.cur.Store(next)
}

// catchUp reloads the categories the catalog changed since the shards were
// loaded (by any process: see catalog.Changes), and returns them.
func (x *index) catchUp(ctx context.Context) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.catchUpLocked(ctx, true)
}

// catchUpLocked is catchUp under x.mu; when the changes cannot be told
// apart (the change log was trimmed) it reloads everything only if full.
func (x *index) catchUpLocked(ctx context.Context, full bool) ([]string, error) {
	cur := x.cur.Load()
	if x.gen < 0 || len(cur.shards) == 0 {
		return nil, nil // nothing loaded: the next question reads the catalog as it is
	}
	ch, err := x.s.ChangesSince(ctx, x.gen)
	if err != nil || ch.Gen == x.gen {
		x.saveLocked(ctx, false) // what earlier catch-ups changed, when the file was written too recently then
		return nil, err
	}
	if ch.All {
		if !cur.loaded {
			x.cur.Store(&snapshot{shards: map[string]*shard{}})
			x.gen = -1
			return nil, nil
		}
		if !full {
			return nil, nil
		}
		_, err := x.loadAllLocked(ctx)
		return nil, err
	}
	var cats []string
	for _, c := range ch.Categories {
		if _, ok := cur.shards[c]; ok || cur.loaded {
			cats = append(cats, c) // a new category counts once every one is loaded
		}
	}
	if len(cats) > 0 {
		byCat, err := x.read(ctx, cats)
		if err != nil {
			return nil, err
		}
		next := &snapshot{shards: maps.Clone(cur.shards), loaded: cur.loaded, gen: ch.Gen}
		releaseExcept(byCat, cats...)
		for _, c := range cats {
			if b := byCat[c]; b != nil && b.len() > 0 {
				next.shards[c] = buildShard(b)
			} else {
				delete(next.shards, c)
			}
		}
		x.publish(next)
	}
	x.gen = ch.Gen
	x.saveLocked(ctx, false)
	slices.Sort(cats)
	return cats, nil
}

// lookup returns the entry for key and its shard when every category is
// loaded and the item was in the catalog then.
func (x *index) lookup(key catalog.Key) (*Entry, *shard) {
	cur := x.cur.Load()
	if !cur.loaded {
		return nil, nil
	}
	var at uint64
	var ok bool
	if cur.keys != nil {
		at, ok = findKey(cur.keys, cur.all, key)
	} else {
		at, ok = cur.byKey.get(key)
	}
	if !ok {
		return nil, nil
	}
	sh := cur.all[at>>32]
	return sh.entry(int32(uint32(at))), sh
}

// invalidate forgets what was loaded (after an import).
func (x *index) invalidate() {
	x.mu.Lock()
	x.cur.Store(&snapshot{shards: map[string]*shard{}})
	x.gen = -1
	x.mu.Unlock()
}
