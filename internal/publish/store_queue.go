package publish

// The plan_queue table: each plan's queue of items.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/msg"
)

func (s *Store) enqueue(ctx context.Context, q Queued, replace bool) error {
	if q.ChosenPrice <= 0 || q.ChosenPrice > catalog.MaxPrice {
		return msg.New("publish.bad_chosen_price")
	}
	if len(q.Reason) > 500 {
		return msg.New("publish.reason_too_long")
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if ok, err := planExists(ctx, tx, q.PlanID); err != nil || !ok {
			return cmp.Or[error](err, ErrNotFound)
		}
		var old Queued
		var addedAt int64
		same, args := sameItem(q.Key, 2) // tmall:1 is taobao:1 queued under another label
		err := tx.QueryRowContext(ctx, `SELECT id, chosen_price, reason, pos, added_by, added_at FROM plan_queue
			WHERE plan_id = $1 AND `+same, append([]any{q.PlanID}, args...)...).
			Scan(&old.ID, &old.ChosenPrice, &old.Reason, &old.Pos, &old.AddedBy, &addedAt)
		switch {
		case err == nil && !replace:
			old.PlanID, old.Key, old.AddedAt = q.PlanID, q.Key, time.Unix(addedAt, 0)
			return &AlreadyQueued{old}
		case err == nil:
			if q.Reason == "" {
				q.Reason = old.Reason
			}
			_, err = tx.ExecContext(ctx, `UPDATE plan_queue SET chosen_price = $1, reason = $2 WHERE id = $3`, q.ChosenPrice, q.Reason, old.ID)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO plan_queue (plan_id, platform, item_id, chosen_price, reason, pos, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(pos), 0) + 1 FROM plan_queue WHERE plan_id = $1), $6, $7)`,
			q.PlanID, string(q.Key.Platform), q.Key.ItemID, q.ChosenPrice, q.Reason, q.AddedBy, s.now().Unix())
		return err
	})
}

// Queue lists a plan's queue in posting order.
func (s *Store) Queue(ctx context.Context, planID int64) ([]Queued, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, plan_id, platform, item_id, chosen_price, reason, pos, added_by, added_at
		FROM plan_queue WHERE plan_id = $1 ORDER BY pos, id`, planID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		var q Queued
		var platform string
		var added int64
		if err := rows.Scan(&q.ID, &q.PlanID, &platform, &q.Key.ItemID, &q.ChosenPrice, &q.Reason, &q.Pos, &q.AddedBy, &added); err != nil {
			return nil, err
		}
		q.Key.Platform = catalog.Platform(platform)
		q.AddedAt = time.Unix(added, 0).UTC()
		out = append(out, q)
	}
	return out, rows.Err()
}

// Dequeue removes entry id from plan planID's queue: ErrNotFound when
// that plan has no such entry (a form of one plan cannot trim another's).
func (s *Store) Dequeue(ctx context.Context, planID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM plan_queue WHERE id = $1 AND plan_id = $2`, id, planID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// MoveQueued moves entry id of plan planID's queue one place up (delta -1)
// or down (+1): ErrNotFound when that plan has no such entry.
func (s *Store) MoveQueued(ctx context.Context, planID, id int64, delta int) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var plan, pos int64
		err := tx.QueryRowContext(ctx, `SELECT plan_id, pos FROM plan_queue WHERE id = $1 AND plan_id = $2`, id, planID).Scan(&plan, &pos)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		q := `SELECT id, pos FROM plan_queue WHERE plan_id = $1 AND pos < $2 ORDER BY pos DESC LIMIT 1`
		if delta > 0 {
			q = `SELECT id, pos FROM plan_queue WHERE plan_id = $1 AND pos > $2 ORDER BY pos LIMIT 1`
		}
		var other, otherPos int64
		err = tx.QueryRowContext(ctx, q, plan, pos).Scan(&other, &otherPos)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already first or last
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE plan_queue SET pos = $1 WHERE id = $2`, otherPos, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE plan_queue SET pos = $1 WHERE id = $2`, pos, other)
		return err
	})
}
