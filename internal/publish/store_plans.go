package publish

// The plans table.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunke/qunke/internal/store"
)

// planCols reads a plan by tag's group as 0 (stored NULL: group_id refers
// to chat_groups).
const planCols = `id, name, COALESCE(group_id, 0), tag, slots, per_slot, daily_cap, repeat_days, quiet_from, quiet_to, active`

func scanPlan(row interface{ Scan(...any) error }) (*Plan, error) {
	var p Plan
	var slots string
	var active int
	if err := row.Scan(&p.ID, &p.Name, &p.GroupID, &p.Tag, &slots, &p.PerSlot, &p.DailyCap, &p.RepeatDays,
		&p.QuietFrom, &p.QuietTo, &active); err != nil {
		return nil, err
	}
	p.Active = active != 0
	var err error
	if p.Slots, err = ParseSlots(slots); err != nil {
		return nil, fmt.Errorf("plan %d slots: %w", p.ID, err)
	}
	return &p, nil
}

// SavePlan adds (ID 0) or updates a plan.
func (s *Store) SavePlan(ctx context.Context, p *Plan) error {
	if err := p.Check(); err != nil {
		return err
	}
	active := 0
	if p.Active {
		active = 1
	}
	group := sql.NullInt64{Int64: p.GroupID, Valid: p.GroupID != 0}
	if p.ID == 0 {
		err := s.db.QueryRowContext(ctx, `INSERT INTO plans (name, group_id, tag, slots, per_slot, daily_cap, repeat_days,
			quiet_from, quiet_to, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			p.Name, group, p.Tag, p.SlotsText(), p.PerSlot, p.DailyCap, p.RepeatDays, p.QuietFrom, p.QuietTo, active,
			s.now().Unix()).Scan(&p.ID)
		return groupErr(err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE plans SET name = $1, group_id = $2, tag = $3, slots = $4, per_slot = $5,
		daily_cap = $6, repeat_days = $7, quiet_from = $8, quiet_to = $9, active = $10 WHERE id = $11`,
		p.Name, group, p.Tag, p.SlotsText(), p.PerSlot, p.DailyCap, p.RepeatDays, p.QuietFrom, p.QuietTo, active, p.ID)
	if err != nil {
		return groupErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// groupErr turns the foreign key of plans.group_id into ErrNoGroup.
func groupErr(err error) error {
	if store.IsForeignKeyViolation(err) {
		return ErrNoGroup
	}
	return err
}

// DeletePlan removes a plan and its queue. Its posts not yet sent are
// skipped ("排期已删除"); those sent stay on record. It returns how many it
// skipped.
func (s *Store) DeletePlan(ctx context.Context, id int64) (int, error) {
	var skipped int
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		n, k, err := deletePlans(ctx, tx, `id = $1`, id)
		if err == nil && n == 0 {
			return ErrNotFound
		}
		skipped = k
		return err
	})
	return skipped, err
}

// DeleteGroupPlans removes, in the caller's transaction, the plans made
// for one group (not those by tag) as DeletePlan does, and returns how
// many posts it skipped.
func (s *Store) DeleteGroupPlans(ctx context.Context, tx *store.Tx, groupID int64) (int, error) {
	_, skipped, err := deletePlans(ctx, tx.Tx, `group_id = $1`, groupID)
	return skipped, err
}

// deletePlans removes the plans where cond ($1 is arg) holds, skipping
// their planned posts, and returns how many plans and posts.
func deletePlans(ctx context.Context, tx *sql.Tx, cond string, arg int64) (plans, skipped int, err error) {
	ids, err := planIDs(ctx, tx, cond, arg)
	if err != nil {
		return 0, 0, err
	}
	k, err := skipPlanPosts(ctx, tx, ids)
	if err != nil {
		return 0, 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM plans WHERE `+cond, arg)
	if err != nil {
		return 0, 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), int(k), nil
}

// Plans lists every plan by name.
func (s *Store) Plans(ctx context.Context) ([]*Plan, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+planCols+` FROM plans ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Plan returns one plan.
func (s *Store) Plan(ctx context.Context, id int64) (*Plan, error) {
	p, err := scanPlan(s.db.QueryRowContext(ctx, `SELECT `+planCols+` FROM plans WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return p, err
}

// planIDs lists the plans where cond ($1 is arg) holds.
func planIDs(ctx context.Context, tx *sql.Tx, cond string, arg int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM plans WHERE `+cond, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// planExists reports whether plan id exists, in tx.
func planExists(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM plans WHERE id = $1`, id).Scan(&n)
	return n > 0, err
}
