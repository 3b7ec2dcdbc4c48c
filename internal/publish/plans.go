package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// ErrNotFound is returned for a plan, queue entry or delivery that does not exist.
var ErrNotFound = msg.New("publish.not_found")

// Store keeps templates, plans, queues and deliveries.
type Store struct {
	db     *store.DB
	cat    *catalog.Store   // only catalog items are queued
	groups *community.Store // which groups are manual
	now    func() time.Time
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, cat: catalog.NewStore(db), groups: community.NewStore(db), now: time.Now}
}

// Plan says when and how much to post into one group or every group with a tag.
type Plan struct {
	ID         int64
	Name       string
	GroupID    int64  // one group, or
	Tag        string // every active group with this tag
	Slots      []int  // minutes after local midnight, ascending
	PerSlot    int    // items per slot
	DailyCap   int    // posts per group per day, all plans together
	RepeatDays int    // an item is not posted to a group again within this many days unless its price dropped
	QuietFrom  int    // minutes after midnight; QuietFrom == QuietTo means no quiet hours
	QuietTo    int
	Active     bool
}

// Quiet reports whether minute m of the day is in the plan's quiet hours
// (which may wrap midnight: 22:00-08:00).
func (p *Plan) Quiet(m int) bool {
	switch {
	case p.QuietFrom == p.QuietTo:
		return false
	case p.QuietFrom < p.QuietTo:
		return m >= p.QuietFrom && m < p.QuietTo
	default:
		return m >= p.QuietFrom || m < p.QuietTo
	}
}

// ParseSlots reads "08:00, 12:00 20:30" into minutes after midnight.
func ParseSlots(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == ';' || r == '、' }) {
		m, err := ParseClock(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, msg.New("publish.slots_none")
	}
	if len(out) > 48 {
		return nil, msg.New("publish.slots_max", 48)
	}
	slices.Sort(out)
	return out, nil
}

// ParseClock reads "8:05" or "08:05" into minutes after midnight.
func ParseClock(s string) (int, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "：", ":"))
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, msg.New("publish.bad_clock", s)
	}
	return hh*60 + mm, nil
}

// Clock prints minutes after midnight as "08:05".
func Clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// SlotsText prints the plan's slots as "08:00,12:00".
func (p *Plan) SlotsText() string {
	parts := make([]string, len(p.Slots))
	for i, m := range p.Slots {
		parts[i] = Clock(m)
	}
	return strings.Join(parts, ",")
}

// Check validates a plan.
func (p *Plan) Check() error {
	p.Name = strings.TrimSpace(p.Name)
	p.Tag = strings.TrimSpace(p.Tag)
	switch {
	case p.Name == "":
		return msg.New("publish.plan.no_name")
	case (p.GroupID == 0) == (p.Tag == ""):
		return msg.New("publish.plan.group_or_tag")
	case len(p.Slots) == 0:
		return msg.New("publish.plan.no_slot")
	case p.PerSlot < 1 || p.PerSlot > 50:
		return msg.New("publish.plan.per_slot")
	case p.DailyCap < 1 || p.DailyCap > 500:
		return msg.New("publish.plan.daily_cap")
	case p.RepeatDays < 0 || p.RepeatDays > 365:
		return msg.New("publish.plan.repeat_days")
	case p.QuietFrom < 0 || p.QuietFrom >= 1440 || p.QuietTo < 0 || p.QuietTo >= 1440:
		return msg.New("publish.plan.quiet")
	}
	return nil
}

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

// ErrNoGroup is SavePlan's error for a plan whose group does not exist.
var ErrNoGroup = msg.New("plans.no_group")

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
	res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $2, last_error = $3, version = version + 1
		WHERE status = $4 AND plan_id IN (SELECT id FROM plans WHERE `+cond+`)`,
		arg, string(Skipped), ReasonPlanDeleted, string(Planned))
	if err != nil {
		return 0, 0, err
	}
	k, _ := res.RowsAffected()
	if res, err = tx.ExecContext(ctx, `DELETE FROM plans WHERE `+cond, arg); err != nil {
		return 0, 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), int(k), nil
}

// PlansFor returns the plans made for one group (not those by tag).
func (s *Store) PlansFor(ctx context.Context, groupID int64) ([]*Plan, error) {
	all, err := s.Plans(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Plan
	for _, p := range all {
		if p.GroupID == groupID {
			out = append(out, p)
		}
	}
	return out, nil
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

// Queued is an item waiting in a plan's queue.
type Queued struct {
	ID          int64
	PlanID      int64
	Key         catalog.Key
	ChosenPrice int64 // fen: skip the item if its final price rises above this
	Reason      string
	Pos         int64
	AddedBy     string
	AddedAt     time.Time
}

// AlreadyQueued is Enqueue's error for an item already on the plan's
// queue: nothing changed, it keeps its place, its chosen price and its
// reason (Requeue changes them when asked to).
type AlreadyQueued struct{ Queued Queued }

func (e *AlreadyQueued) msg() *msg.Error {
	return msg.New("publish.already_queued", e.Queued.Key.String(), cells.Yuan(e.Queued.ChosenPrice))
}

func (e *AlreadyQueued) Error() string { return e.msg().Error() }

// Text is the error in lang.
func (e *AlreadyQueued) Text(lang i18n.Lang) string { return msg.In(lang, e.msg()) }

// ErrNotInCatalog is Enqueue's error for an item the catalog does not
// have (its argument is the item's key).
var ErrNotInCatalog = msg.New("post.not_in_catalog")

// Enqueue adds an item of the catalog (else ErrNotInCatalog) to the end of
// a plan's queue. An item already queued is left as it is, and the error
// is an *AlreadyQueued saying so.
func (s *Store) Enqueue(ctx context.Context, q Queued) error {
	return s.checkedEnqueue(ctx, q, false)
}

// Requeue is Enqueue that, for an item already queued, keeps its place
// and gives it the new chosen price and (when not empty) reason.
func (s *Store) Requeue(ctx context.Context, q Queued) error {
	return s.checkedEnqueue(ctx, q, true)
}

func (s *Store) checkedEnqueue(ctx context.Context, q Queued, replace bool) error {
	if _, err := s.cat.Find(ctx, q.Key); errors.Is(err, catalog.ErrNotFound) {
		return ErrNotInCatalog.With(q.Key.String())
	} else if err != nil {
		return err
	}
	return s.enqueue(ctx, q, replace)
}

func (s *Store) enqueue(ctx context.Context, q Queued, replace bool) error {
	if q.ChosenPrice <= 0 || q.ChosenPrice > catalog.MaxPrice {
		return msg.New("publish.bad_chosen_price")
	}
	if len(q.Reason) > 500 {
		return msg.New("publish.reason_too_long")
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM plans WHERE id = $1`, q.PlanID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
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

// TemplateFor returns the copy template for a group with these tags: the
// first tag (in sorted order) that has a template, else the team default,
// else DefaultBody.
func (s *Store) TemplateFor(ctx context.Context, tags []string) (*Template, error) {
	all, err := s.Templates(ctx)
	if err != nil {
		return nil, err
	}
	return pickTemplate(all, tags)
}

func pickTemplate(all map[string]string, tags []string) (*Template, error) {
	for _, t := range tags {
		if body, ok := all[t]; ok {
			return ParseTemplate(body)
		}
	}
	if body, ok := all[""]; ok {
		return ParseTemplate(body)
	}
	return ParseTemplate(DefaultBody)
}

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
