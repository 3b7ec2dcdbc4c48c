package joincode

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Link is a join way or an invite link Qunke made, cached per state.
type Link struct {
	Kind     Kind   // KindWeCom or KindTelegram
	Scope    string // "code:<id>" (a WeCom join way) or "group:<id>" (a Telegram link)
	State    string // the join way's state; the Telegram link's name
	URL      string // the join way's QR image URL; the invite link
	ConfigID string // WeCom's config_id
	Chats    string // the join way's chat ids, comma-separated
	Expires  time.Time
	Created  time.Time
}

// Link returns the cached link, nil when there is none.
func (s *Store) Link(ctx context.Context, kind Kind, scope, state string) (*Link, error) {
	l := Link{Kind: kind, Scope: scope, State: state}
	var exp, created int64
	err := s.db.QueryRowContext(ctx, `SELECT url, config_id, chats, expires_at, created_at FROM join_links
		WHERE kind = $1 AND scope = $2 AND state = $3`, string(kind), scope, state).Scan(&l.URL, &l.ConfigID, &l.Chats, &exp, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("joincode: link: %w", err)
	}
	l.Expires, l.Created = unix(exp), unix(created)
	return &l, nil
}

// PutLink stores a link (replacing the one of its kind, scope and state).
func (s *Store) PutLink(ctx context.Context, l Link) error {
	exp := int64(0)
	if !l.Expires.IsZero() {
		exp = l.Expires.Unix()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO join_links (kind, scope, state, url, config_id, chats, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (kind, scope, state) DO UPDATE SET url = excluded.url, config_id = excluded.config_id,
		chats = excluded.chats, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		string(l.Kind), l.Scope, l.State, l.URL, l.ConfigID, l.Chats, exp, s.now().Unix())
	if err != nil {
		return fmt.Errorf("joincode: save link: %w", err)
	}
	return nil
}
