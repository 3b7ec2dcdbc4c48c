package publish

// The link_conversions table: converted links kept until they expire.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
)

type storedLink struct {
	key  linkKey
	link affiliate.Link
}

// conversions loads the stored, still valid conversions of keys.
func (s *Store) conversions(ctx context.Context, keys []linkKey, now time.Time) (map[linkKey]Converted, error) {
	items := map[[2]string]bool{}
	wanted := map[linkKey]bool{}
	for _, k := range keys {
		items[[2]string{k.family, k.item}] = true
		wanted[k] = true
	}
	out := map[linkKey]Converted{}
	for it := range items {
		rows, err := s.db.QueryContext(ctx, `SELECT placement, person, link, share_code, expires_at, converted_at
			FROM link_conversions WHERE family = $1 AND item_id = $2`, it[0], it[1])
		if err != nil {
			return nil, fmt.Errorf("read conversions: %w", err)
		}
		for rows.Next() {
			k := linkKey{family: it[0], item: it[1]}
			var c Converted
			var expires, at int64
			if err := rows.Scan(&k.placement, &k.person, &c.Link, &c.ShareCode, &expires, &at); err != nil {
				rows.Close()
				return nil, err
			}
			if expires == 0 {
				expires = time.Unix(at, 0).Add(DefaultLinkTTL).Unix()
			}
			if wanted[k] && expires > now.Add(LinkMargin).Unix() {
				out[k] = c
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// saveConversions stores one batch's links, in one short transaction.
func (s *Store) saveConversions(ctx context.Context, links []storedLink, now time.Time) error {
	if len(links) == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, l := range links {
			var exp int64
			if !l.link.Expires.IsZero() {
				exp = l.link.Expires.Unix()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO link_conversions (family, item_id, placement, person, link, share_code,
				coupon_url, commission_bp, expires_at, converted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (family, item_id, placement, person) DO UPDATE SET link = excluded.link,
				share_code = excluded.share_code, coupon_url = excluded.coupon_url, commission_bp = excluded.commission_bp,
				expires_at = excluded.expires_at, converted_at = excluded.converted_at`,
				l.key.family, l.key.item, l.key.placement, l.key.person, l.link.URL, l.link.ShareCode, l.link.CouponURL,
				l.link.CommissionBP, exp, now.Unix()); err != nil {
				return fmt.Errorf("store conversion: %w", err)
			}
		}
		return nil
	})
}
