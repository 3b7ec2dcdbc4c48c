package publish

import (
	"context"
	"database/sql"
	"fmt"
)

// Post is a delivery as the packages downstream of publish see it: orders
// credit their orders to sent posts and count them per day.
type Post struct {
	ID       int64
	GroupID  int64
	Platform string
	ItemID   string
	Status   Status
	SlotAt   int64 // when it was planned for; 0: SentAt
	SentAt   int64 // unix seconds; 0 when it never went out
}

// SentPosts returns the posts sent in [from, to] (unix seconds, both
// included), in no particular order.
func (s *Store) SentPosts(ctx context.Context, from, to int64) ([]Post, error) {
	// The status is tested here, not in SQL: with "status = 'sent'" SQLite
	// prefers the (status, next_at) index and reads every sent post.
	rows, err := s.db.QueryContext(ctx, `SELECT id, group_id, platform, item_id, sent_at, status FROM deliveries
		WHERE sent_at >= $1 AND sent_at <= $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("sent posts: %w", err)
	}
	defer rows.Close()
	var out []Post
	for rows.Next() {
		var p Post
		if err := rows.Scan(&p.ID, &p.GroupID, &p.Platform, &p.ItemID, &p.SentAt, &p.Status); err != nil {
			return nil, err
		}
		if p.Status == Sent {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// GroupDay names one group's day: Day counts days since 1970-01-01 in the
// zone of the caller's offset.
type GroupDay struct{ GroupID, Day int64 }

// SentPerDay counts the posts sent in [from, to) per group and day, a day
// being (sent_at + offset) / 86400 (offset: the zone's seconds east of UTC).
func (s *Store) SentPerDay(ctx context.Context, from, to, offset int64) (map[GroupDay]int64, error) {
	// (The status is not in the WHERE clause: SQLite would pick the
	// (status, next_at) index over the sent_at range and read every post.)
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, (sent_at + $3) / 86400 AS d,
		sum(CASE WHEN status = 'sent' THEN 1 ELSE 0 END) FROM deliveries
		WHERE sent_at >= $1 AND sent_at < $2 GROUP BY group_id, d`, from, to, offset)
	if err != nil {
		return nil, fmt.Errorf("posts per day: %w", err)
	}
	defer rows.Close()
	out := map[GroupDay]int64{}
	for rows.Next() {
		var k GroupDay
		var n int64
		if err := rows.Scan(&k.GroupID, &k.Day, &n); err != nil {
			return nil, err
		}
		if n > 0 {
			out[k] = n
		}
	}
	return out, rows.Err()
}

// postRows is how many posts one INSERT of RecordPosts writes.
const postRows = 50

// RecordPosts writes posts made outside the planner (history brought in,
// the demo's and the benchmarks' data) in one transaction and sets their
// ids. A post's key is derived from its group, item, slot and status.
func (s *Store) RecordPosts(ctx context.Context, posts []Post) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for len(posts) > 0 {
			n := min(len(posts), postRows)
			if err := s.recordPosts(ctx, tx, posts[:n]); err != nil {
				return err
			}
			posts = posts[n:]
		}
		return nil
	})
}

func (s *Store) recordPosts(ctx context.Context, tx *sql.Tx, posts []Post) error {
	const cols = 10
	now := s.now().Unix()
	args := make([]any, 0, cols*len(posts))
	at := make(map[string]int, len(posts))
	for i, p := range posts {
		slot := p.SlotAt
		if slot == 0 {
			slot = p.SentAt
		}
		key := fmt.Sprintf("post-%d-%s-%s-%d-%s", p.GroupID, p.Platform, p.ItemID, slot, p.Status)
		at[key] = i
		args = append(args, key, p.GroupID, p.Platform, p.ItemID, slot, slot, p.SentAt, string(p.Status), "", now)
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO deliveries (dkey, group_id, platform, item_id, slot_at, next_at, sent_at,
		status, body, created_at) VALUES `+s.db.Dialect.BulkPlaceholders(cols, len(posts), 1)+` RETURNING id, dkey`, args...)
	if err != nil {
		return fmt.Errorf("record posts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		posts[at[key]].ID = id
	}
	return rows.Err()
}
