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
	// Prepared before the transaction: preparing needs a connection of its
	// own, and waiting for one while holding another could exhaust a
	// capped pool (PostgreSQL's) under many first requests at once.
	hq, err := s.db.Prepared(ctx, historyQuery)
	if err != nil {
		return nil, fmt.Errorf("catalog: history of item %d: %w", id, err)
	}
	pq, err := s.db.Prepared(ctx, pendingQuery)
	if err != nil {
		return nil, fmt.Errorf("catalog: history of item %d: %w", id, err)
	}
	var out []Observation
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = observations(ctx, tx, hq, pq, id, from, to)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: history of item %d: %w", id, err)
	}
	return out, nil
}

// The queries of observations, prepared once: a card reads one history.
const (
	historyQuery = `SELECT t1, n, data FROM item_history WHERE item = $1 AND t0 <= $2 ORDER BY t0 DESC`
	pendingQuery = `SELECT data FROM pending_observations ORDER BY id`
)

func observations(ctx context.Context, tx *sql.Tx, hq, pq *sql.Stmt, id, from, to int64) ([]Observation, error) {
	// Chunks newest first, down to the first that ends before from.
	rows, err := tx.StmtContext(ctx, hq).QueryContext(ctx, id, to)
	if err != nil {
		return nil, err
	}
	var chunks [][]byte
	total := 0 // observations in the chunks: decoded into one slice made once
	for rows.Next() {
		var t1, n int64
		var data []byte
		if err := rows.Scan(&t1, &n, &data); err != nil {
			rows.Close()
			return nil, err
		}
		chunks = append(chunks, data)
		total += int(min(max(n, 0), maxChunkObs))
		if t1 < from {
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	obs := make([]Observation, 0, total)
	for i := len(chunks) - 1; i >= 0; i-- {
		if obs, err = decodeChunk(obs, chunks[i]); err != nil {
			return nil, err
		}
	}
	// Pending observations (not yet compacted) override stored ones at the
	// same time, later frames over earlier ones.
	prows, err := tx.StmtContext(ctx, pq).QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	var pending []Observation
	for prows.Next() {
		var data []byte
		if err := prows.Scan(&data); err != nil {
			prows.Close()
			return nil, err
		}
		err := walkFrame(data, id, func(_ int64, chunk []byte) error {
			var fresh []Observation
			if fresh, err = decodeChunk(nil, chunk); err == nil {
				pending, _, _ = mergeObservations(nil, pending, fresh)
			}
			return err
		})
		if err != nil {
			prows.Close()
			return nil, err
		}
	}
	prows.Close()
	if err := prows.Err(); err != nil {
		return nil, err
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
