package catalog

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
)

// compactBatch bounds how many pending observations one compaction pass
// reads (frames hold them encoded, a few bytes each).
const compactBatch = 4 << 20

// maxFramesPerPass bounds the frames merged at once (the merge looks at
// each frame for each item).
const maxFramesPerPass = 256

// CompactStats counts what a compaction did.
type CompactStats struct {
	Frames       int // pending frames folded
	Observations int // observations read from them
	Items        int // items whose history was rewritten
	NewTimes     int // observations at times not stored before
	PriceChanges int // price-state changes added to the history
	Unchanged    int // observations that repeated what was stored (re-imports)
}

// Add adds b to a.
func (a *CompactStats) Add(b CompactStats) {
	a.Frames += b.Frames
	a.Observations += b.Observations
	a.Items += b.Items
	a.NewTimes += b.NewTimes
	a.PriceChanges += b.PriceChanges
	a.Unchanged += b.Unchanged
}

// Compact folds pending observations into the item histories, in passes of a
// bounded size, each one transaction. A crash loses nothing: a frame is
// deleted in the same transaction that stores its observations.
//
// It also finishes merging duplicate items (migration 0008): their history
// is folded into the surviving item's.
func (s *Store) Compact(ctx context.Context) (CompactStats, error) {
	var total CompactStats
	for {
		st, err := s.compactOnce(ctx)
		total.Add(st)
		if err != nil {
			return total, err
		}
		if st.Frames == 0 {
			break
		}
	}
	st, err := s.foldMerged(ctx)
	total.Add(st)
	return total, err
}

// PendingObservations returns how many observations wait for compaction.
func (s *Store) PendingObservations(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT sum(n) FROM pending_observations`).Scan(&n)
	return n.Int64, err
}

// frameCursor walks one pending frame item by item.
type frameCursor struct {
	rest  []byte
	item  int64
	remap map[int64]int64 // merged items: loser -> survivor
	chunk []byte
	done  bool
	err   error
}

func (c *frameCursor) next() {
	if len(c.rest) == 0 {
		c.done = true
		return
	}
	d, k := binary.Uvarint(c.rest)
	if k <= 0 {
		c.done, c.err = true, errCorruptChunk
		return
	}
	l, k2 := binary.Uvarint(c.rest[k:])
	if k2 <= 0 || l > uint64(len(c.rest)-k-k2) {
		c.done, c.err = true, errCorruptChunk
		return
	}
	c.item += int64(d)
	c.chunk = c.rest[k+k2 : k+k2+int(l)]
	c.rest = c.rest[k+k2+int(l):]
}

// id is the current item, as it is now: a merged item's survivor.
func (c *frameCursor) id() int64 {
	if to, ok := c.remap[c.item]; ok {
		return to
	}
	return c.item
}

// compactLock serialises the transactions that rewrite history chunks.
const compactLock = "catalog.compact"

func (s *Store) compactOnce(ctx context.Context) (CompactStats, error) {
	var st CompactStats
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		// One compaction at a time: two would each rewrite a chunk from
		// what they read, and the later would undo the earlier.
		if err := s.db.LockTx(ctx, tx, compactLock); err != nil {
			return err
		}
		remap, err := mergedItems(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, n, data FROM pending_observations ORDER BY id`)
		if err != nil {
			return err
		}
		var frames []*frameCursor
		var ids []int64
		for rows.Next() {
			var id, n int64
			var data []byte
			if err := rows.Scan(&id, &n, &data); err != nil {
				rows.Close()
				return err
			}
			if st.Observations > 0 && (st.Observations+int(n) > compactBatch || len(frames) == maxFramesPerPass) {
				break
			}
			c := &frameCursor{rest: data, remap: remap}
			c.next()
			frames = append(frames, c)
			ids = append(ids, id)
			st.Frames++
			st.Observations += int(n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if st.Frames == 0 {
			return nil
		}
		h, err := newHistoryWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer h.close()
		// Each frame is sorted by item: merge them item by item, oldest
		// frame first, so that a later frame's observation at the same time
		// wins.
		var acc, dec, tmp []Observation
		for {
			item := int64(-1)
			for _, c := range frames {
				if c.err != nil {
					return fmt.Errorf("pending frame: %w", c.err)
				}
				if !c.done && (item < 0 || c.id() < item) {
					item = c.id()
				}
			}
			if item < 0 {
				break
			}
			acc = acc[:0]
			for _, c := range frames {
				for !c.done && c.id() == item {
					if dec, err = decodeChunk(dec[:0], c.chunk); err != nil {
						return fmt.Errorf("pending frame: %w", err)
					}
					if len(acc) == 0 || dec[0].At > acc[len(acc)-1].At {
						acc = append(acc, dec...)
					} else {
						tmp, _, _ = mergeObservations(tmp[:0], acc, dec)
						acc, tmp = tmp, acc
					}
					c.next()
				}
			}
			if err := h.merge(item, acc, &st); err != nil {
				return fmt.Errorf("item %d: %w", item, err)
			}
		}
		// Delete exactly the frames merged: on PostgreSQL a frame with a
		// smaller id may have committed after the read above.
		del, err := tx.PrepareContext(ctx, `DELETE FROM pending_observations WHERE id = $1`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, id := range ids {
			if _, err := del.ExecContext(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return CompactStats{}, fmt.Errorf("catalog: compact: %w", err)
	}
	return st, nil
}

// historyWriter merges new observations into one item's stored chunks.
type historyWriter struct {
	ctx                      context.Context
	last, all, del, ins, upd *sql.Stmt
	old, merged              []Observation
	buf                      []byte
}

func newHistoryWriter(ctx context.Context, tx *sql.Tx) (*historyWriter, error) {
	h := &historyWriter{ctx: ctx}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	h.last = prep(`SELECT id, t0, t1, n, data FROM item_history WHERE item = $1 ORDER BY t0 DESC LIMIT 1`)
	h.all = prep(`SELECT data FROM item_history WHERE item = $1 ORDER BY t0`)
	h.del = prep(`DELETE FROM item_history WHERE item = $1`)
	h.ins = prep(`INSERT INTO item_history (item, t0, t1, n, data) VALUES ($1, $2, $3, $4, $5)`)
	h.upd = prep(`UPDATE item_history SET t1 = $2, n = $3, data = $4 WHERE id = $1`)
	if err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

func (h *historyWriter) close() {
	for _, st := range []*sql.Stmt{h.last, h.all, h.del, h.ins, h.upd} {
		if st != nil {
			st.Close()
		}
	}
}

// merge folds obs (sorted, distinct times) into item's history.
func (h *historyWriter) merge(item int64, obs []Observation, st *CompactStats) error {
	var id, t0, t1 int64
	var n int
	var data []byte
	err := h.last.QueryRowContext(h.ctx, item).Scan(&id, &t0, &t1, &n, &data)
	switch {
	case err == sql.ErrNoRows:
		st.Items++
		st.NewTimes += len(obs)
		st.PriceChanges += priceChanges(nil, obs)
		return h.insert(item, obs)
	case err != nil:
		return err
	}
	if obs[0].At >= t0 {
		// The common case: newer observations (or a re-import of recent
		// ones) touch only the open chunk.
		if n >= ChunkCap && obs[0].At > t1 {
			st.Items++
			st.NewTimes += len(obs)
			return h.insert(item, obs)
		}
		h.old, err = decodeChunk(h.old[:0], data)
		if err != nil {
			return err
		}
		var changed, fresh int
		h.merged, changed, fresh = mergeObservations(h.merged[:0], h.old, obs)
		st.Unchanged += len(obs) - changed
		if changed == 0 {
			return nil
		}
		st.Items++
		st.NewTimes += fresh
		st.PriceChanges += max(0, priceChanges(nil, h.merged)-priceChanges(nil, h.old))
		k := min(ChunkCap, len(h.merged))
		h.buf = appendChunk(h.buf[:0], h.merged[:k])
		if _, err := h.upd.ExecContext(h.ctx, id, h.merged[k-1].At, k, h.buf); err != nil {
			return err
		}
		return h.insert(item, h.merged[k:])
	}
	// Older or overlapping observations: merge the whole history and write it
	// anew. Rare (back-filling an old file), and a history is small.
	rows, err := h.all.QueryContext(h.ctx, item)
	if err != nil {
		return err
	}
	h.old = h.old[:0]
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return err
		}
		if h.old, err = decodeChunk(h.old, data); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var changed, fresh int
	h.merged, changed, fresh = mergeObservations(h.merged[:0], h.old, obs)
	st.Unchanged += len(obs) - changed
	if changed == 0 {
		return nil
	}
	st.Items++
	st.NewTimes += fresh
	st.PriceChanges += max(0, priceChanges(nil, h.merged)-priceChanges(nil, h.old))
	if _, err := h.del.ExecContext(h.ctx, item); err != nil {
		return err
	}
	return h.insert(item, h.merged)
}

// insert writes obs as new chunks of at most ChunkCap observations.
func (h *historyWriter) insert(item int64, obs []Observation) error {
	for len(obs) > 0 {
		k := min(ChunkCap, len(obs))
		h.buf = appendChunk(h.buf[:0], obs[:k])
		if _, err := h.ins.ExecContext(h.ctx, item, obs[0].At, obs[k-1].At, k, h.buf); err != nil {
			return err
		}
		obs = obs[k:]
	}
	return nil
}

// priceChanges counts observations whose price state differs from the one
// before (prev, then each other); the first counts when prev is nil.
func priceChanges(prev *Observation, obs []Observation) int {
	n := 0
	for i := range obs {
		if prev == nil || !SamePrice(prev, &obs[i]) {
			n++
		}
		prev = &obs[i]
	}
	return n
}

// mergeObservations merges two sorted runs; at equal times the new one wins.
// It returns how many new observations changed anything and how many were at
// times not stored before.
func mergeObservations(dst, old, new []Observation) (out []Observation, changed, fresh int) {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new) || (i < len(old) && old[i].At < new[j].At):
			dst = append(dst, old[i])
			i++
		case i == len(old) || new[j].At < old[i].At:
			dst = append(dst, new[j])
			changed++
			fresh++
			j++
		default:
			if old[i] != new[j] {
				changed++
			}
			dst = append(dst, new[j])
			i++
			j++
		}
	}
	return dst, changed, fresh
}
