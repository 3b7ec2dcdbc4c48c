package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// EachHistory calls fn for every item in category (every item when category
// is "") with its whole history, oldest first, in item id order. It reads one
// consistent snapshot, pending observations included. obs is reused between
// calls.
func (s *Store) EachHistory(ctx context.Context, category string, fn func(it *StoredItem, obs []Observation) error) error {
	var cats []string
	if category != "" {
		cats = []string{category}
	}
	return s.EachHistoryIn(ctx, cats, fn)
}

// EachHistoryIn is EachHistory for the items of any of categories (every
// item when there are none), in one snapshot.
//
// More than maxQueryCategories are not named in the query (a query takes
// at most 32,766 parameters on SQLite, 65,535 on PostgreSQL): every item is
// read and those of other categories skipped.
const maxQueryCategories = 500

func (s *Store) EachHistoryIn(ctx context.Context, categories []string, fn func(it *StoredItem, obs []Observation) error) error {
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		pending, err := pendingByItem(ctx, tx)
		if err != nil {
			return err
		}
		q := `SELECT i.id, i.platform, i.item_id, i.title, i.short_title, i.category_path, i.brand, i.shop_id,
			i.shop_name, i.shop_type, i.dsr_desc, i.dsr_service, i.dsr_ship, i.image_url, h.data
			FROM items i LEFT JOIN item_history h ON h.item = i.id`
		var args []any
		var only map[string]bool // many categories: filtered here, not in SQL
		if len(categories) > maxQueryCategories {
			only = make(map[string]bool, len(categories))
			for _, c := range categories {
				only[c] = true
			}
		} else if len(categories) > 0 {
			marks := make([]string, len(categories))
			for i, c := range categories {
				marks[i] = "$" + strconv.Itoa(i+1)
				args = append(args, c)
			}
			q += ` WHERE i.category_path IN (` + strings.Join(marks, ", ") + `)`
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY i.id, h.t0`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur StoredItem
		var obs []Observation
		flush := func() error {
			if cur.ID == 0 {
				return nil
			}
			if p := pending[cur.ID]; len(p) > 0 {
				obs, _, _ = mergeObservations(nil, obs, p)
			}
			if len(obs) == 0 {
				return nil
			}
			return fn(&cur, obs)
		}
		for rows.Next() {
			var it StoredItem
			var platform, shopType string
			var data []byte
			if err := rows.Scan(&it.ID, &platform, &it.ItemID, &it.Title, &it.ShortTitle, &it.CategoryPath, &it.Brand,
				&it.ShopID, &it.ShopName, &shopType, &it.DSRDesc, &it.DSRService, &it.DSRShip, &it.ImageURL, &data); err != nil {
				return err
			}
			if only != nil && !only[it.CategoryPath] {
				continue
			}
			if it.ID != cur.ID {
				if err := flush(); err != nil {
					return err
				}
				it.Platform, it.ShopType = Platform(platform), ShopType(shopType)
				cur, obs = it, obs[:0]
			}
			if data != nil {
				if obs, err = decodeChunk(obs, data); err != nil {
					return fmt.Errorf("item %d: %w", it.ID, err)
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return fmt.Errorf("catalog: scan histories: %w", err)
	}
	return nil
}

// pendingByItem decodes every pending frame (normally none: imports compact
// when they finish) into observations per item, later frames winning.
func pendingByItem(ctx context.Context, tx *sql.Tx) (map[int64][]Observation, error) {
	rows, err := tx.QueryContext(ctx, `SELECT data FROM pending_observations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]Observation{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		err := walkFrame(data, 0, func(item int64, chunk []byte) error {
			fresh, err := decodeChunk(nil, chunk)
			if err == nil {
				out[item], _, _ = mergeObservations(nil, out[item], fresh)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// Categories returns every category path with its item count, most items first.
func (s *Store) Categories(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT category_path, count(*) FROM items GROUP BY category_path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}
