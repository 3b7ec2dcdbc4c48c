package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// Status is where a delivery is in its life.
type Status string

const (
	Planned     Status = "planned"     // waiting for its time (or a retry)
	Held        Status = "held"        // an operator stopped it for now
	Sending     Status = "sending"     // claimed by a worker, outcome not yet known
	Sent        Status = "sent"        // the platform confirmed it (or an operator did, for manual groups)
	Failed      Status = "failed"      // will not succeed as is (bad target, ...)
	Skipped     Status = "skipped"     // a rule stopped it at sending time (price rose, coupon expired, group paused)
	Unconfirmed Status = "unconfirmed" // sent, but the platform never confirmed it, even after the one resend: check the group
)

// Label is the status's Chinese name.
func (s Status) Label() string {
	return map[Status]string{Planned: "待发送", Held: "已暂停", Sending: "发送中", Sent: "已发送", Failed: "失败",
		Skipped: "已跳过", Unconfirmed: "未确认"}[s]
}

// Delivery is one post of one item to one group at one slot.
type Delivery struct {
	ID          int64
	Key         string // idempotency key
	GroupID     int64
	PlanID      int64
	Item        catalog.Key
	SlotAt      int64
	Seq         int64
	Status      Status
	Body        string // the copy
	Link        string
	Title       string
	ImageURL    string
	ListPrice   int64
	Coupon      int64
	FinalPrice  int64
	ChosenPrice int64
	Badges      []string
	Attempts    int64
	NextAt      int64
	PartsSent   int64
	Resent      bool
	MessageIDs  string
	LastError   string
	SentAt      int64
	SentBy      string
	Version     int64 // bumped by every change of state: a worker changes the row only at the version it read
}

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

// Hold stops a planned delivery until Release.
func (s *Store) Hold(ctx context.Context, id int64) error {
	return s.setStatus(ctx, id, Planned, Held, "")
}

// Release lets a held delivery go again.
func (s *Store) Release(ctx context.Context, id int64) error {
	return s.setStatus(ctx, id, Held, Planned, "")
}

// ErrState is returned when a delivery is not in a state the action needs.
var ErrState = msg.New("publish.state_changed")

// ErrNotManual is MarkSent's error for a post to a group the worker posts
// to: only manual groups' posts are marked sent by hand.
var ErrNotManual = msg.New("manual.not_manual")

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

// checkManual returns ErrNotManual unless delivery id is to a manual group
// (ErrNotFound when there is no such delivery).
func (s *Store) checkManual(ctx context.Context, id int64) error {
	d, err := s.Delivery(ctx, id)
	if err != nil {
		return err
	}
	g, err := s.groups.Get(ctx, d.GroupID)
	if err != nil || g.Channel != community.Manual {
		return ErrNotManual
	}
	return nil
}

// MarkSent records that an operator posted a manual group's delivery by
// hand; other groups' deliveries give ErrNotManual, a delivery no longer
// planned ErrState.
func (s *Store) MarkSent(ctx context.Context, id int64, by string) error {
	return s.setStatus(ctx, id, Planned, Sent, by)
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

// Attempt is one try at sending a delivery.
type Attempt struct {
	ID         int64
	DeliveryID int64
	GroupID    int64
	Item       catalog.Key
	Title      string
	Started    int64
	Finished   int64
	Outcome    string
	Detail     string
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
