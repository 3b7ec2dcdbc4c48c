package publish

// The deliveries table (the outbox) and its log, delivery_attempts.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

const deliveryCols = `id, dkey, group_id, plan_id, platform, item_id, slot_at, seq, status, body, link, title, image_url,
	list_price, coupon, final_price, chosen_price, badges, attempts, next_at, parts_sent, resent, message_ids,
	last_error, sent_at, sent_by, version`

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	var platform, status, badges string
	var resent int
	if err := row.Scan(&d.ID, &d.Key, &d.GroupID, &d.PlanID, &platform, &d.Item.ItemID, &d.SlotAt, &d.Seq, &status,
		&d.Body, &d.Link, &d.Title, &d.ImageURL, &d.ListPrice, &d.Coupon, &d.FinalPrice, &d.ChosenPrice, &badges,
		&d.Attempts, &d.NextAt, &d.PartsSent, &resent, &d.MessageIDs, &d.LastError, &d.SentAt, &d.SentBy, &d.Version); err != nil {
		return nil, err
	}
	d.Item.Platform = catalog.Platform(platform)
	d.Status = Status(status)
	d.Resent = resent != 0
	if badges != "" {
		d.Badges = strings.Split(badges, "\n")
	}
	return &d, nil
}

func (s *Store) deliveries(ctx context.Context, q string, args ...any) ([]*Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Delivery returns one delivery.
func (s *Store) Delivery(ctx context.Context, id int64) (*Delivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return d, err
}

// Board lists the deliveries whose slot is in [from, to), by slot, group and
// order: the "today" board.
func (s *Store) Board(ctx context.Context, from, to time.Time) ([]*Delivery, error) {
	return s.deliveries(ctx, `WHERE slot_at >= $1 AND slot_at < $2 ORDER BY slot_at, group_id, seq, id`, from.Unix(), to.Unix())
}

// ManualDue lists the planned posts of manual groups due by t, oldest first.
func (s *Store) ManualDue(ctx context.Context, t time.Time, limit int) ([]*Delivery, error) {
	groups, err := s.groups.List(ctx, community.Filter{Channel: community.Manual, ActiveOnly: true})
	if err != nil || len(groups) == 0 {
		return nil, err
	}
	args := []any{t.Unix(), limit}
	for _, g := range groups {
		args = append(args, g.ID)
	}
	return s.deliveries(ctx, `WHERE status = 'planned' AND next_at <= $1
		AND group_id IN (`+store.Placeholders(1, len(groups), 3)+`)
		ORDER BY slot_at, group_id, seq LIMIT $2`, args...)
}

func (s *Store) setStatus(ctx context.Context, id int64, from, to Status, by string) error {
	if to == Sent {
		// Only manual groups' posts are sent by hand; the worker owns the rest.
		if err := s.checkManual(ctx, id); err != nil {
			return err
		}
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		now := s.now().Unix()
		q := `UPDATE deliveries SET status = $1, version = version + 1 WHERE id = $2 AND status = $3`
		args := []any{string(to), id, string(from)}
		if to == Sent {
			q = `UPDATE deliveries SET status = $1, sent_at = $4, sent_by = $5, attempts = attempts + 1, version = version + 1
				WHERE id = $2 AND status = $3`
			args = append(args, now, by)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var st string
			err := tx.QueryRowContext(ctx, `SELECT status FROM deliveries WHERE id = $1`, id).Scan(&st)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return ErrState
		}
		if to == Sent {
			_, err = tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, started_at, finished_at, outcome, detail)
				VALUES ($1, $2, $2, 'sent', $3)`, id, now, reason("publish.log.sent_by_hand", by))
		}
		return err
	})
}

// Move swaps a delivery with its neighbour in the same group and slot
// (delta -1 = earlier, +1 = later); only planned or held ones move.
func (s *Store) Move(ctx context.Context, id int64, delta int) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var group, slot, seq int64
		var st string
		err := tx.QueryRowContext(ctx, `SELECT group_id, slot_at, seq, status FROM deliveries WHERE id = $1`, id).Scan(&group, &slot, &seq, &st)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if st != string(Planned) && st != string(Held) {
			return ErrState
		}
		q := `SELECT id, seq FROM deliveries WHERE group_id = $1 AND slot_at = $2 AND seq < $3 AND status IN ('planned', 'held') ORDER BY seq DESC LIMIT 1`
		if delta > 0 {
			q = `SELECT id, seq FROM deliveries WHERE group_id = $1 AND slot_at = $2 AND seq > $3 AND status IN ('planned', 'held') ORDER BY seq LIMIT 1`
		}
		var other, otherSeq int64
		err = tx.QueryRowContext(ctx, q, group, slot, seq).Scan(&other, &otherSeq)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET seq = $1, version = version + 1 WHERE id = $2`, otherSeq, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET seq = $1, version = version + 1 WHERE id = $2`, seq, other)
		return err
	})
}

// Attempts lists the latest attempts, newest first; deliveryID 0 = all.
func (s *Store) Attempts(ctx context.Context, deliveryID int64, limit int) ([]Attempt, error) {
	q := `SELECT a.id, a.delivery_id, d.group_id, d.platform, d.item_id, d.title, a.started_at, a.finished_at, a.outcome, a.detail
		FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id`
	args := []any{limit}
	if deliveryID != 0 {
		q += ` WHERE a.delivery_id = $2`
		args = append(args, deliveryID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var platform string
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.GroupID, &platform, &a.Item.ItemID, &a.Title, &a.Started, &a.Finished, &a.Outcome, &a.Detail); err != nil {
			return nil, err
		}
		a.Item.Platform = catalog.Platform(platform)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Counts tallies deliveries by status for slots in [from, to).
func (s *Store) Counts(ctx context.Context, from, to time.Time) (map[Status]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM deliveries WHERE slot_at >= $1 AND slot_at < $2 GROUP BY status`, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[Status(st)] = n
	}
	return out, rows.Err()
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

// anySlotFree reports whether one of the slots at has no posts of plan in
// group yet.
func (s *Store) anySlotFree(ctx context.Context, plan, group int64, at []time.Time) (bool, error) {
	for _, t := range at {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE plan_id = $1 AND group_id = $2 AND slot_at = $3`,
			plan, group, t.Unix()).Scan(&n); err != nil {
			return false, err
		}
		if n == 0 {
			return true, nil
		}
	}
	return false, nil
}

// planning runs fn in one transaction under the planning lock:
// count-then-insert, so planners on several servers (PostgreSQL's READ
// COMMITTED would let both count 0) cannot exceed a slot's cap or a
// group's daily cap between them. One lock, not one per group: a plan may
// cover thousands of groups, and planning is seldom.
func (s *Store) planning(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockTx(ctx, tx, "publish.plan"); err != nil {
			return err
		}
		return fn(tx)
	})
}

// slotPosts counts the posts of plan in group at slot at.
func (s *Store) slotPosts(ctx context.Context, tx *sql.Tx, plan, group int64, at time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE plan_id = $1 AND group_id = $2 AND slot_at = $3`,
		plan, group, at.Unix()).Scan(&n)
	return n, err
}

// dayPosts counts group's posts in [from, to) that were not skipped or
// failed: what its daily cap counts.
func (s *Store) dayPosts(ctx context.Context, tx *sql.Tx, group int64, from, to time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE group_id = $1 AND slot_at >= $2 AND slot_at < $3
		AND status NOT IN ('skipped', 'failed')`, group, from.Unix(), to.Unix()).Scan(&n)
	return n, err
}

// lastPost is the slot and final price of the latest post of item in
// group that is planned, going or gone out (0, 0 when there is none). The
// item counts under either label of its family: a Tmall item once posted
// as Taobao is the same item.
func (s *Store) lastPost(ctx context.Context, tx *sql.Tx, group int64, item catalog.Key) (at, price int64, err error) {
	same, args := sameItem(item, 2)
	err = tx.QueryRowContext(ctx, `SELECT slot_at, final_price FROM deliveries WHERE group_id = $1 AND `+same+`
		AND status IN ('planned', 'held', 'sending', 'sent', 'unconfirmed') ORDER BY slot_at DESC LIMIT 1`,
		append([]any{group}, args...)...).Scan(&at, &price)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return at, price, err
}

// insertDelivery writes a planned post, created at now, unless its key
// exists; it reports whether it wrote it.
func (s *Store) insertDelivery(ctx context.Context, tx *sql.Tx, d *Delivery, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (dkey, group_id, plan_id, platform, item_id, slot_at, seq, status,
		body, link, title, image_url, list_price, coupon, final_price, chosen_price, badges, next_at, created_at, sent_at, attempts,
		last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT DO NOTHING`,
		d.Key, d.GroupID, d.PlanID, string(d.Item.Platform), d.Item.ItemID, d.SlotAt, d.Seq, string(d.Status), d.Body, d.Link,
		d.Title, d.ImageURL, d.ListPrice, d.Coupon, d.FinalPrice, d.ChosenPrice, strings.Join(d.Badges, "\n"), d.NextAt,
		now.Unix(), d.SentAt, d.Attempts, d.LastError)
	if err != nil {
		return false, fmt.Errorf("plan delivery %s: %w", d.Key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// due lists each group's next planned post due by now, unless the group
// has a post in sending: groups go one post at a time, and a long batch
// for the first groups must not hide the others.
func (s *Store) due(ctx context.Context, now time.Time) ([]*Delivery, error) {
	return s.deliveries(ctx, `WHERE id IN (
			SELECT id FROM (
				SELECT id, ROW_NUMBER() OVER (PARTITION BY group_id ORDER BY slot_at, seq, id) AS rn
				FROM deliveries WHERE status = 'planned' AND slot_at <= $1
			) AS firsts WHERE rn = 1)
		AND group_id NOT IN (SELECT group_id FROM deliveries WHERE status = 'sending')
		ORDER BY slot_at, group_id LIMIT 10000`, now.Unix())
}

// stale lists the posts left in sending whose lease ran out before now.
func (s *Store) stale(ctx context.Context, now time.Time) ([]*Delivery, error) {
	return s.deliveries(ctx, `WHERE status = 'sending' AND lease_until < $1 ORDER BY id LIMIT 1000`, now.Unix())
}

// claim moves d to sending with a lease, reserves its parts in the rate
// windows and opens an attempt, in one committed transaction under the
// group's lock, and returns the attempt. The clock (now) is read once the
// transaction has its locks: the time reserved is as close as it can be
// to the send. It claims nothing (errNotClaimed) when the row changed
// since d was read, when it became later than maxLate meanwhile, or when
// another post of the group is in flight or due before it; errNoRoom when
// a limit has no room left.
func (s *Store) claim(ctx context.Context, d *Delivery, keys []limitKey, parts int, lease, maxLate time.Duration,
	now func() time.Time) (int64, error) {
	var attempt int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockTx(ctx, tx, "publish.send.group:"+strconv.FormatInt(d.GroupID, 10)); err != nil {
			return err
		}
		now := now()
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = $1,
				version = version + 1
			WHERE id = $2 AND version = $3 AND status = 'planned' AND next_at <= $4 AND (parts_sent > 0 OR slot_at >= $5)
			AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.group_id = deliveries.group_id AND o.id <> deliveries.id
				AND (o.status = 'sending' OR o.status = 'planned' AND (o.slot_at < deliveries.slot_at
					OR o.slot_at = deliveries.slot_at AND (o.seq < deliveries.seq OR o.seq = deliveries.seq AND o.id < deliveries.id))))`,
			now.Add(lease).Unix(), d.ID, d.Version, now.Unix(), now.Add(-maxLate).Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotClaimed
		}
		if err := reserve(ctx, tx, keys, parts, now); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO delivery_attempts (delivery_id, started_at) VALUES ($1, $2) RETURNING id`,
			d.ID, now.Unix()).Scan(&attempt)
	})
	return attempt, err
}

// recordOutcome stores the outcome of an attempt at the version the claim
// made, with the platform's penalty if any, in one transaction. A row
// another worker took over since (its lease ran out) is left to that
// worker's record.
func (s *Store) recordOutcome(ctx context.Context, u update, now int64) error {
	resent := 0
	if u.resent {
		resent = 1
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if u.penalize != "" { // the platform's word holds for every worker
			if err := penalize(ctx, tx, u.penalize, u.until); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $1, parts_sent = $2, message_ids = $3, resent = $4,
			next_at = $5, sent_at = CASE WHEN $6 > 0 THEN $6 ELSE sent_at END, last_error = $7, lease_until = 0,
			version = version + 1
			WHERE id = $8 AND status = 'sending' AND version = $9`,
			string(u.status), u.parts, u.msgIDs, resent, u.nextAt, u.sentAt, clip(u.detail, 1000), u.id, u.version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE delivery_attempts SET finished_at = $1, outcome = $2, detail = $3 WHERE id = $4`,
			now, u.outcome, clip(u.detail, 1000), u.attempt)
		return err
	})
}

// finish moves a planned delivery straight to a final status with its
// reason, and logs it as an attempt, unless the row changed since d was
// read.
func (s *Store) finish(ctx context.Context, d *Delivery, st Status, reason, outcome string, now int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $1, last_error = $2, version = version + 1
			WHERE id = $3 AND status = 'planned' AND version = $4`, string(st), reason, d.ID, d.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, started_at, finished_at, outcome, detail)
			VALUES ($1, $2, $2, $3, $4)`, d.ID, now, outcome, reason)
		return err
	})
}

// openAttempt is the latest attempt of a delivery with no outcome yet (0
// when there is none).
func (s *Store) openAttempt(ctx context.Context, delivery int64) (int64, error) {
	var attempt int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM delivery_attempts WHERE delivery_id = $1 AND outcome = ''`,
		delivery).Scan(&attempt)
	return attempt, err
}

// skipPlanPosts skips the planned posts of the plans ids (being deleted),
// in tx, and returns how many.
func skipPlanPosts(ctx context.Context, tx *sql.Tx, ids []int64) (int64, error) {
	var n int64
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $2, last_error = $3, version = version + 1
			WHERE status = $4 AND plan_id = $1`, id, string(Skipped), ReasonPlanDeleted, string(Planned))
		if err != nil {
			return 0, err
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
