package publish

// The copy_templates table.

import (
	"context"
	"database/sql"
	"strings"
)

// Templates maps tag ("" = team default) to template body.
func (s *Store) Templates(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tag, body FROM copy_templates`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var tag, body string
		if err := rows.Scan(&tag, &body); err != nil {
			return nil, err
		}
		out[tag] = body
	}
	return out, rows.Err()
}

// SaveTemplate stores the template for a tag ("" = team default) after
// checking that it parses and runs; a broken template is refused with its
// line (*TemplateError) and the stored one is kept.
func (s *Store) SaveTemplate(ctx context.Context, tag, body string) error {
	if _, err := ParseTemplate(body); err != nil {
		return err
	}
	tag = strings.TrimSpace(tag)
	name := tag
	if name == "" {
		name = "默认"
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE copy_templates SET body = $1, updated_at = $2 WHERE tag = $3`, body, s.now().Unix(), tag)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO copy_templates (name, tag, body, updated_at) VALUES ($1, $2, $3, $4)`,
			name, tag, body, s.now().Unix())
		return err
	})
}

// DeleteTemplate removes a tag's template (the default then applies).
func (s *Store) DeleteTemplate(ctx context.Context, tag string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM copy_templates WHERE tag = $1`, tag)
	return err
}
