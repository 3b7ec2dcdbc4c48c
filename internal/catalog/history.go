package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrNotFound is returned for an item the catalog has never seen.
var ErrNotFound = errors.New("catalog: item not found (商品不在库中)")

// Forever spans all of time, for whole-history questions.
const Forever = math.MaxInt64

// StoredItem is an item with Qunke's id for it.
type StoredItem struct {
	ID int64
	Item
}

// Find returns the stored item key names, or ErrNotFound. The item may go
// by the other label of the family (a Tmall item asked for as Taobao).
func (s *Store) Find(ctx context.Context, key Key) (StoredItem, error) {
	var it StoredItem
	var platform, shopType string
	err := s.db.QueryRowContext(ctx, `SELECT id, platform, title, short_title, category_path, brand, shop_id, shop_name,
		shop_type, dsr_desc, dsr_service, dsr_ship, image_url FROM items WHERE family = $1 AND item_id = $2`,
		string(key.Platform.Family()), key.ItemID).Scan(&it.ID, &platform, &it.Title, &it.ShortTitle, &it.CategoryPath, &it.Brand,
		&it.ShopID, &it.ShopName, &shopType, &it.DSRDesc, &it.DSRService, &it.DSRShip, &it.ImageURL)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return it, fmt.Errorf("catalog: find %s: %w", key, err)
	}
	it.Platform, it.ItemID, it.ShopType = Platform(platform), key.ItemID, ShopType(shopType)
	return it, nil
}

// Observations returns item id's observations with from <= At <= to, preceded
// by the last one before from (the one in effect at from), oldest first. It
// reads the stored history and any observations still pending compaction in
// one consistent snapshot. Use Forever as to for "until now".
func (s *Store) Observations(ctx context.Context, id, from, to int64) ([]Observation, error) {
	q, err := s.db.Prepared(ctx, historyQuery)
	if err != nil {
		return nil, fmt.Errorf("catalog: history of item %d: %w", id, err)
	}
	// One statement reads both, so it sees one snapshot on either engine
	// without a transaction around it (a compaction moving observations
	// from pending to the history cannot fall between two reads).
	rows, err := q.QueryContext(ctx, id, to, from, int64(math.MinInt64))
	if err != nil {
		return nil, fmt.Errorf("catalog: history of item %d: %w", id, err)
	}
	out, err := observations(rows, id, from, to)
	if err != nil {
		return nil, fmt.Errorf("catalog: history of item %d: %w", id, err)
	}
	return out, nil
}

// historyQuery reads the chunks an item's window needs and every pending
// frame. The chunks of an item do not overlap, so those the window needs are
// the ones with t0 <= to from the newest one that ends before from (the
// observation in effect at from) on. Rows come in no particular order:
// pending frames have part 1 and their id as key, chunks part 0 and t0.
const historyQuery = `SELECT 0, t0, n, data FROM item_history WHERE item = $1 AND t0 <= $2
		AND t0 >= COALESCE((SELECT max(t0) FROM item_history WHERE item = $1 AND t1 < $3), $4)
	UNION ALL SELECT 1, id, 0, data FROM pending_observations`

func observations(rows *sql.Rows, id, from, to int64) ([]Observation, error) {
	type chunk struct {
		key  int64
		data []byte
	}
	var chunks []chunk
	type frame struct {
		id  int64
		obs []Observation
	}
	var frames []frame
	total := 0 // observations in the chunks: decoded into one slice made once
	for rows.Next() {
		var part, key, n int64
		var data []byte
		if err := rows.Scan(&part, &key, &n, &data); err != nil {
			rows.Close()
			return nil, err
		}
		if part == 0 {
			chunks = append(chunks, chunk{key, data})
			total += int(min(max(n, 0), maxChunkObs))
			continue
		}
		// A pending frame: only this item's part of it is kept.
		f := frame{id: key}
		err := walkFrame(data, id, func(_ int64, c []byte) error {
			fresh, err := decodeChunk(nil, c)
			if err == nil {
				f.obs, _, _ = mergeObservations(nil, f.obs, fresh)
			}
			return err
		})
		if err != nil {
			rows.Close()
			return nil, err
		}
		if len(f.obs) > 0 {
			frames = append(frames, f)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(chunks, func(i, j int) bool { return chunks[i].key < chunks[j].key })
	obs := make([]Observation, 0, total)
	for _, c := range chunks {
		var err error
		if obs, err = decodeChunk(obs, c.data); err != nil {
			return nil, err
		}
	}
	// Pending observations (not yet compacted) override stored ones at the
	// same time, later frames over earlier ones.
	sort.Slice(frames, func(i, j int) bool { return frames[i].id < frames[j].id })
	var pending []Observation
	for _, f := range frames {
		pending, _, _ = mergeObservations(nil, pending, f.obs)
	}
	if len(pending) > 0 {
		obs, _, _ = mergeObservations(nil, obs, pending)
	}
	return Window(obs, from, to), nil
}

// Window returns the part of obs (sorted) that matters for [from, to]: the
// observation in effect at from, then every one with from < At <= to.
func Window(obs []Observation, from, to int64) []Observation {
	lo := sort.Search(len(obs), func(i int) bool { return obs[i].At > from })
	if lo > 0 {
		lo-- // the one in effect at from
	}
	hi := sort.Search(len(obs), func(i int) bool { return obs[i].At > to })
	if hi < lo {
		hi = lo
	}
	return obs[lo:hi]
}

// At returns the observation in effect at t: the latest with At <= t.
func At(obs []Observation, t int64) (Observation, bool) {
	i := sort.Search(len(obs), func(i int) bool { return obs[i].At > t })
	if i == 0 {
		return Observation{}, false
	}
	return obs[i-1], true
}

// Extreme is a lowest or highest price and the moment it was first in effect.
type Extreme struct {
	Price int64
	At    int64 // the earliest moment of the window at which Price was in effect
	Obs   Observation
}

// MinFinal returns the lowest final price in effect at any moment of
// [from, to], and the earliest such moment. A price set before from and
// still in effect at from counts, at from. ok is false when no observation
// is in effect during the window.
func MinFinal(obs []Observation, from, to int64) (e Extreme, ok bool) {
	return extreme(obs, from, to, func(a, b int64) bool { return a < b })
}

// MaxFinal is MinFinal's opposite.
func MaxFinal(obs []Observation, from, to int64) (e Extreme, ok bool) {
	return extreme(obs, from, to, func(a, b int64) bool { return a > b })
}

func extreme(obs []Observation, from, to int64, better func(a, b int64) bool) (e Extreme, ok bool) {
	for _, o := range Window(obs, from, to) {
		if o.At > to {
			break
		}
		at := max(o.At, from)
		if !ok || better(o.FinalPrice, e.Price) {
			e, ok = Extreme{Price: o.FinalPrice, At: at, Obs: o}, true
		}
	}
	return e, ok
}

// SalesPoint is one point of an item's sales curve.
type SalesPoint struct {
	At      int64
	Sales30 int64
	Sales2h int64 // Unknown when the feed did not report it
}

// SalesCurve returns the sales counters of every observation in [from, to].
func SalesCurve(obs []Observation, from, to int64) []SalesPoint {
	var pts []SalesPoint
	for _, o := range obs {
		if o.At >= from && o.At <= to {
			pts = append(pts, SalesPoint{o.At, o.Sales30, o.Sales2h})
		}
	}
	return pts
}

// ValueAt returns the observation of key in effect at t.
func (s *Store) ValueAt(ctx context.Context, key Key, t int64) (Observation, bool, error) {
	it, err := s.Find(ctx, key)
	if err != nil {
		return Observation{}, false, err
	}
	obs, err := s.Observations(ctx, it.ID, t, t)
	if err != nil {
		return Observation{}, false, err
	}
	o, ok := At(obs, t)
	return o, ok, nil
}

// LowestPrice returns key's lowest final price in [from, to] and when.
func (s *Store) LowestPrice(ctx context.Context, key Key, from, to int64) (Extreme, bool, error) {
	it, err := s.Find(ctx, key)
	if err != nil {
		return Extreme{}, false, err
	}
	obs, err := s.Observations(ctx, it.ID, from, to)
	if err != nil {
		return Extreme{}, false, err
	}
	e, ok := MinFinal(obs, from, to)
	return e, ok, nil
}
