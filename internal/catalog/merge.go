package catalog

import (
	"context"
	"database/sql"
	"fmt"
)

// Migration 0008 merged the duplicate items earlier versions could create
// (one id under both Taobao and Tmall) in SQL: it listed them in
// item_merges (loser -> survivor), merged their attributes and moved the
// losers' history chunks to item_history_merged. What SQL cannot do, Compact
// does here: merge those chunks into the survivors' histories, and count
// any observation still pending under a loser's id as the survivor's.

// FinishMerges folds what migration 0008 left to Go, if anything is left:
// a process stopped before it was done leaves it to the next. It must run
// before anything is written: SQLite may give a new item the id of a merged
// one, whose pending observations would then be taken for the survivor's.
func (s *Store) FinishMerges(ctx context.Context) error {
	var left bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM item_merges)`).Scan(&left); err != nil {
		return fmt.Errorf("catalog: merged items: %w", err)
	}
	if !left {
		return nil
	}
	_, err := s.Compact(ctx)
	return err
}

// foldBatch bounds the chunks folded in one transaction.
const foldBatch = 4096

// mergedItems returns the merged items (loser -> survivor) whose pending
// observations may still name the loser; nil, normally.
func mergedItems(ctx context.Context, tx *sql.Tx) (map[int64]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT loser, survivor FROM item_merges`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var m map[int64]int64
	for rows.Next() {
		var loser, survivor int64
		if err := rows.Scan(&loser, &survivor); err != nil {
			return nil, err
		}
		if m == nil {
			m = map[int64]int64{}
		}
		m[loser] = survivor
	}
	return m, rows.Err()
}

// foldMerged merges the held chunks into their items' histories, in
// batches, each one transaction; once none is left (and no pending frame
// can name a loser any more: Compact has just folded them all) it forgets
// the merges.
func (s *Store) foldMerged(ctx context.Context) (CompactStats, error) {
	var total CompactStats
	for {
		var st CompactStats
		n := 0
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := s.db.LockTx(ctx, tx, compactLock); err != nil { // as compactOnce
				return err
			}
			var err error
			n, err = foldMergedOnce(ctx, tx, &st)
			if err == nil && n == 0 {
				_, err = tx.ExecContext(ctx, `DELETE FROM item_merges`)
			}
			return err
		})
		total.Add(st)
		if err != nil {
			return total, fmt.Errorf("catalog: fold merged items: %w", err)
		}
		if n == 0 {
			return total, nil
		}
	}
}

func foldMergedOnce(ctx context.Context, tx *sql.Tx, st *CompactStats) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, item, data FROM item_history_merged ORDER BY item, id LIMIT $1`, foldBatch)
	if err != nil {
		return 0, err
	}
	type held struct {
		id, item int64
		data     []byte
	}
	var hs []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.id, &h.item, &h.data); err != nil {
			rows.Close()
			return 0, err
		}
		hs = append(hs, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(hs) == 0 {
		return 0, err
	}
	w, err := newHistoryWriter(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer w.close()
	var acc, dec, tmp []Observation
	for i := 0; i < len(hs); {
		acc = acc[:0]
		j := i
		for ; j < len(hs) && hs[j].item == hs[i].item; j++ {
			if dec, err = decodeChunk(dec[:0], hs[j].data); err != nil {
				return 0, fmt.Errorf("item %d: %w", hs[i].item, err)
			}
			tmp, _, _ = mergeObservations(tmp[:0], acc, dec)
			acc, tmp = tmp, acc
		}
		if len(acc) > 0 {
			if err := w.merge(hs[i].item, acc, st); err != nil {
				return 0, fmt.Errorf("item %d: %w", hs[i].item, err)
			}
		}
		i = j
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM item_history_merged WHERE id = $1`)
	if err != nil {
		return 0, err
	}
	defer del.Close()
	for _, h := range hs {
		if _, err := del.ExecContext(ctx, h.id); err != nil {
			return 0, err
		}
	}
	return len(hs), nil
}
