package joincode

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/community"
)

const codeCols = `id, code, name, campaign, owner, active, created_at, updated_at`

func scanCode(row interface{ Scan(...any) error }) (*Code, error) {
	var c Code
	var active, created, updated int64
	if err := row.Scan(&c.ID, &c.Code, &c.Name, &c.Campaign, &c.Owner, &active, &created, &updated); err != nil {
		return nil, err
	}
	c.Active, c.Created, c.Updated = active == 1, unix(created), unix(updated)
	return &c, nil
}

// Check cleans c and says what is wrong with it, naming the field.
func (c *Code) Check() error {
	c.Code = strings.ToLower(strings.TrimSpace(c.Code))
	c.Name, c.Campaign, c.Owner = strings.TrimSpace(c.Name), strings.TrimSpace(c.Campaign), strings.TrimSpace(c.Owner)
	if !codeRe.MatchString(c.Code) {
		return &community.FieldError{Field: "code", Msg: errCode.With(c.Code)}
	}
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 60 {
		return &community.FieldError{Field: "name", Msg: errName}
	}
	if utf8.RuneCountInString(c.Campaign) > 60 || utf8.RuneCountInString(c.Owner) > 64 {
		return &community.FieldError{Field: "campaign", Msg: errCampaign}
	}
	seen := map[int64]bool{}
	var pool []int64
	for _, g := range c.Groups {
		if g <= 0 {
			return &community.FieldError{Field: "groups", Msg: errPool.With(MaxPool)}
		}
		if !seen[g] {
			seen[g] = true
			pool = append(pool, g)
		}
	}
	if len(pool) > MaxPool {
		return &community.FieldError{Field: "groups", Msg: errPool.With(MaxPool)}
	}
	c.Groups = pool
	return nil
}

// Save creates c (ID 0) or updates it, its pool replaced, in one
// transaction.
func (s *Store) Save(ctx context.Context, c *Code) error {
	if err := c.Check(); err != nil {
		return err
	}
	now := s.now().Unix()
	active := int64(0)
	if c.Active {
		active = 1
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM join_codes WHERE code = $1`, c.Code).Scan(&other)
		if err == nil && other != c.ID {
			return &community.FieldError{Field: "code", Msg: errCode.With(c.Code)}
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if c.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO join_codes (code, name, campaign, owner, active, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, c.Code, c.Name, c.Campaign, c.Owner, active, now).Scan(&c.ID); err != nil {
				return fmt.Errorf("joincode: save: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE join_codes SET code = $2, name = $3, campaign = $4, owner = $5, active = $6,
				updated_at = $7 WHERE id = $1`, c.ID, c.Code, c.Name, c.Campaign, c.Owner, active, now)
			if err != nil {
				return fmt.Errorf("joincode: save: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM join_code_groups WHERE code_id = $1`, c.ID); err != nil {
				return err
			}
		}
		for i, g := range c.Groups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO join_code_groups (code_id, group_id, position) VALUES ($1, $2, $3)`,
				c.ID, g, i); err != nil {
				return fmt.Errorf("joincode: pool: %w", err)
			}
		}
		c.Updated = unix(now)
		if c.Created.IsZero() {
			c.Created = unix(now)
		}
		return nil
	})
}

// Get returns a code by id with its pool.
func (s *Store) Get(ctx context.Context, id int64) (*Code, error) {
	return s.one(ctx, `SELECT `+codeCols+` FROM join_codes WHERE id = $1`, id)
}

// ByCode returns a code by its public name with its pool.
func (s *Store) ByCode(ctx context.Context, code string) (*Code, error) {
	return s.one(ctx, `SELECT `+codeCols+` FROM join_codes WHERE code = $1`, strings.ToLower(code))
}

func (s *Store) one(ctx context.Context, q string, arg any) (*Code, error) {
	c, err := scanCode(s.db.QueryRowContext(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("joincode: get: %w", err)
	}
	pools, err := s.pools(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	c.Groups = pools[c.ID]
	return c, nil
}

// List returns every code with its pool, by code.
func (s *Store) List(ctx context.Context) ([]*Code, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+codeCols+` FROM join_codes ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("joincode: list: %w", err)
	}
	defer rows.Close()
	var out []*Code
	for rows.Next() {
		c, err := scanCode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pools, err := s.pools(ctx, 0)
	if err != nil {
		return nil, err
	}
	for _, c := range out {
		c.Groups = pools[c.ID]
	}
	return out, nil
}

// pools returns the pools of one code (id) or of all (0).
func (s *Store) pools(ctx context.Context, id int64) (map[int64][]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code_id, group_id FROM join_code_groups
		WHERE ($1 = 0 OR code_id = $1) ORDER BY code_id, position`, id)
	if err != nil {
		return nil, fmt.Errorf("joincode: pool: %w", err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var c, g int64
		if err := rows.Scan(&c, &g); err != nil {
			return nil, err
		}
		out[c] = append(out[c], g)
	}
	return out, rows.Err()
}
