package community

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// ErrNotFound is returned for a group that does not exist.
var ErrNotFound = msg.New("groups.err_not_found")

// ErrInUse is returned by Delete for a group with posts on record.
var ErrInUse = msg.New("groups.in_use")

// ErrDuplicateName is returned when another group already has the name.
var ErrDuplicateName = msg.New("groups.err_duplicate_name")

// Store keeps the group registry.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

const groupCols = `id, name, channel, target, secret, pid_taobao, pid_jd, pid_pdd, owner,
	capacity, members, tz, active, allow_unconverted, created_at, updated_at`

func scanGroup(row interface{ Scan(...any) error }) (*Group, error) {
	var g Group
	var ch string
	var active, unconverted int
	var created, updated int64
	if err := row.Scan(&g.ID, &g.Name, &ch, &g.Target, &g.Secret, &g.PIDTaobao, &g.PIDJD, &g.PIDPDD,
		&g.Owner, &g.Capacity, &g.Members, &g.TZ, &active, &unconverted, &created, &updated); err != nil {
		return nil, err
	}
	g.Channel = Channel(ch)
	g.Active = active != 0
	g.AllowUnconverted = unconverted != 0
	g.Created = time.Unix(created, 0).UTC()
	g.Updated = time.Unix(updated, 0).UTC()
	return &g, nil
}

// Filter selects groups for List.
type Filter struct {
	Tag        string // only groups with this tag
	ActiveOnly bool
	Channel    Channel
}

// List returns the groups matching f, by name, with their tags.
func (s *Store) List(ctx context.Context, f Filter) ([]*Group, error) {
	return s.list(ctx, s.db, f)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func (s *Store) list(ctx context.Context, q querier, f Filter) ([]*Group, error) {
	where := []string{"1=1"}
	var args []any
	if f.Tag != "" {
		args = append(args, f.Tag)
		where = append(where, fmt.Sprintf("id IN (SELECT group_id FROM group_tags WHERE tag = $%d)", len(args)))
	}
	if f.ActiveOnly {
		where = append(where, "active = 1")
	}
	if f.Channel != "" {
		args = append(args, string(f.Channel))
		where = append(where, fmt.Sprintf("channel = $%d", len(args)))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+groupCols+` FROM chat_groups WHERE `+strings.Join(where, " AND ")+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	var out []*Group
	byID := map[int64]*Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
		byID[g.ID] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	trows, err := q.QueryContext(ctx, `SELECT group_id, tag FROM group_tags ORDER BY group_id, tag`)
	if err != nil {
		return nil, fmt.Errorf("list group tags: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var id int64
		var tag string
		if err := trows.Scan(&id, &tag); err != nil {
			return nil, err
		}
		if g := byID[id]; g != nil {
			g.Tags = append(g.Tags, tag)
		}
	}
	return out, trows.Err()
}

// Get returns one group.
func (s *Store) Get(ctx context.Context, id int64) (*Group, error) {
	g, err := scanGroup(s.db.QueryRowContext(ctx, `SELECT `+groupCols+` FROM chat_groups WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get group %d: %w", id, err)
	}
	if g.Tags, err = s.tags(ctx, s.db, id); err != nil {
		return nil, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT chat_id FROM group_chats WHERE group_id = $1 AND source = $2
		ORDER BY chat_id LIMIT 1`, id, string(SourceWeCom)).Scan(&g.WeComChatID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return g, nil
}

func (s *Store) tags(ctx context.Context, q querier, id int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT tag FROM group_tags WHERE group_id = $1 ORDER BY tag`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tags []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	return tags, rows.Err()
}

// Save normalises and stores g: a new group when g.ID is 0 (g.ID is set),
// else an update of that group. An empty Secret on update keeps the stored
// one, so forms never have to show it.
func (s *Store) Save(ctx context.Context, g *Group) error {
	if err := g.Normalize(); err != nil && !(g.ID != 0 && g.Secret == "" && isSecretErr(err)) {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error { return s.saveTx(ctx, tx, g) })
}

func isSecretErr(err error) bool { return err == errSecret }

func (s *Store) saveTx(ctx context.Context, tx *sql.Tx, g *Group) error {
	now := s.now().Unix()
	var other int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM chat_groups WHERE name = $1`, g.Name).Scan(&other)
	switch {
	case err == nil && other != g.ID:
		return ErrDuplicateName
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	active, unconverted := 0, 0
	if g.Active {
		active = 1
	}
	if g.AllowUnconverted {
		unconverted = 1
	}
	if g.ID == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO chat_groups (name, channel, target, secret, pid_taobao, adzone_id,
			pid_jd, pid_pdd, owner, capacity, members, tz, active, allow_unconverted, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $15, $14, $14) RETURNING id`,
			g.Name, string(g.Channel), g.Target, g.Secret, g.PIDTaobao, g.AdzoneID(), g.PIDJD, g.PIDPDD,
			g.Owner, g.Capacity, g.Members, g.TZ, active, now, unconverted).Scan(&g.ID)
		if err != nil {
			return fmt.Errorf("add group %q: %w", g.Name, err)
		}
		g.Created = time.Unix(now, 0).UTC()
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE chat_groups SET name = $1, channel = $2, target = $3,
			secret = CASE WHEN $4 = '' THEN secret ELSE $4 END, pid_taobao = $5, adzone_id = $6, pid_jd = $7,
			pid_pdd = $8, owner = $9, capacity = $10, members = $11, tz = $12, active = $13, updated_at = $14,
			allow_unconverted = $16 WHERE id = $15`,
			g.Name, string(g.Channel), g.Target, g.Secret, g.PIDTaobao, g.AdzoneID(), g.PIDJD, g.PIDPDD,
			g.Owner, g.Capacity, g.Members, g.TZ, active, now, g.ID, unconverted)
		if err != nil {
			return fmt.Errorf("update group %q: %w", g.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if g.Channel == Webhook {
			var secret string
			if err := tx.QueryRowContext(ctx, `SELECT secret FROM chat_groups WHERE id = $1`, g.ID).Scan(&secret); err != nil {
				return err
			}
			if len(secret) < 16 {
				return errSecret
			}
		}
	}
	g.Updated = time.Unix(now, 0).UTC()
	if g.WeComChatID != "" {
		if err := s.mapChatTx(ctx, &store.Tx{Tx: tx, Dialect: s.db.Dialect}, SourceWeCom, g.WeComChatID, g.ID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_tags WHERE group_id = $1`, g.ID); err != nil {
		return err
	}
	for _, t := range g.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_tags (group_id, tag) VALUES ($1, $2)`, g.ID, t); err != nil {
			return fmt.Errorf("tag group %q: %w", g.Name, err)
		}
	}
	return nil
}

// SetActive pauses or resumes a group.
func (s *Store) SetActive(ctx context.Context, id int64, active bool) error {
	v := 0
	if active {
		v = 1
	}
	res, err := s.db.ExecContext(ctx, `UPDATE chat_groups SET active = $1, updated_at = $2 WHERE id = $3`, v, s.now().Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes a group and its tags, in the caller's transaction. A
// group that has posts on record (the deliveries refer to it) or members
// (see MapChat, Snapshot) is kept: ErrInUse. The caller removes the group's plans and checks its other
// history (orders) in the same transaction first (see internal/ops).
func (s *Store) Delete(ctx context.Context, tx *store.Tx, id int64) error {
	// A group whose members are on record (or that a platform chat maps to)
	// is kept too: its member history would lose its group.
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM memberships WHERE group_id = $1
		UNION ALL SELECT 1 FROM group_chats WHERE group_id = $1 LIMIT 1`, id).Scan(&one)
	if err == nil {
		return msg.Wrap(ErrInUse, "groups.has_members")
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM chat_groups WHERE id = $1`, id)
	if store.IsForeignKeyViolation(err) {
		return ErrInUse
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// MoveTarget changes a group's target from old to target (a Telegram group
// that became a supergroup). It reports false, changing nothing, when the
// target is no longer old: someone edited the group meanwhile.
func (s *Store) MoveTarget(ctx context.Context, id int64, old, target string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE chat_groups SET target = $1, updated_at = $2 WHERE id = $3 AND target = $4`,
		target, s.now().Unix(), id, old)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Tags lists every tag in use with its group count.
func (s *Store) Tags(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tag, COUNT(*) FROM group_tags GROUP BY tag`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// ByPlacement maps each platform's placements to group ids, for order
// attribution: "taobao" the Alimama adzone (third part of the PID), "jd" the
// positionId (third part of the JD PID), "pdd" the p_id. Of two groups with
// one placement, the older has it.
func (s *Store) ByPlacement(ctx context.Context) (map[string]map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, adzone_id, pid_jd, pid_pdd FROM chat_groups ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int64{"taobao": {}, "jd": {}, "pdd": {}}
	for rows.Next() {
		var id int64
		var adzone, jd, pdd string
		if err := rows.Scan(&id, &adzone, &jd, &pdd); err != nil {
			return nil, err
		}
		for platform, p := range map[string]string{"taobao": adzone, "jd": positionID(jd), "pdd": pdd} {
			if p != "" {
				out[platform][p] = id
			}
		}
	}
	return out, rows.Err()
}
