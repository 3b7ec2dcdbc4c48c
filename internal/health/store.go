package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// Store keeps health's tables: group_days, group_health, health_alerts and
// health_notify.
type Store struct {
	db  *store.DB
	now func() time.Time

	mu    sync.Mutex    // guards board and gen
	board []GroupHealth // the last board read, decoded, riskiest first
	gen   boardGen      // the generation it was read at
	valid bool          // board holds a read
}

// boardGen identifies a state of group_health: its row count and its
// latest updated_at. SaveVerdicts makes updated_at strictly increase from
// one save to the next (on any server: it is in the database), and a
// deleted verdict lowers the count, so an unchanged generation means an
// unchanged table. Board compares it on every call (one aggregate query, no
// reasons decoded) and reads the rows again only when it moved.
type boardGen struct{ rows, updated int64 }

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

// GroupDays is one group's run of days.
type GroupDays struct {
	GroupID int64
	Days    []Day
}

const dayCols = `day, members, tracked, joins, leaves_self, leaves_removed, leaves_other, active, messages, posts, orders, income_fen`

// daysPerInsert bounds one INSERT's rows (13 values each).
const daysPerInsert = 200

// SaveDays writes the days given (replacing the stored ones of the same
// group and day), all in one transaction.
func (s *Store) SaveDays(ctx context.Context, groups []GroupDays) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		type row struct {
			g int64
			d Day
		}
		var batch []row
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			args := make([]any, 0, 13*len(batch))
			for _, r := range batch {
				d := r.d
				args = append(args, r.g, d.Day, d.Members, b2i(d.Tracked), d.Joins, d.LeavesSelf, d.LeavesRemoved, d.LeavesOther,
					d.Active, d.Messages, d.Posts, d.Orders, d.IncomeFen)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO group_days (group_id, `+dayCols+`) VALUES `+
				s.db.Dialect.BulkPlaceholders(13, len(batch), 1)+`
				ON CONFLICT (group_id, day) DO UPDATE SET members = excluded.members, tracked = excluded.tracked,
				joins = excluded.joins, leaves_self = excluded.leaves_self, leaves_removed = excluded.leaves_removed,
				leaves_other = excluded.leaves_other, active = excluded.active, messages = excluded.messages,
				posts = excluded.posts, orders = excluded.orders, income_fen = excluded.income_fen`, args...)
			batch = batch[:0]
			if err != nil {
				return fmt.Errorf("health: save days: %w", err)
			}
			return nil
		}
		for _, g := range groups {
			for _, d := range g.Days {
				batch = append(batch, row{g.GroupID, d})
				if len(batch) == daysPerInsert {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return flush()
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func scanDays(rows *sql.Rows, withGroup bool) (map[int64][]Day, error) {
	defer rows.Close()
	out := map[int64][]Day{}
	for rows.Next() {
		var d Day
		var g int64
		var tracked int
		dest := []any{&d.Day, &d.Members, &tracked, &d.Joins, &d.LeavesSelf, &d.LeavesRemoved, &d.LeavesOther,
			&d.Active, &d.Messages, &d.Posts, &d.Orders, &d.IncomeFen}
		if withGroup {
			dest = append([]any{&g}, dest...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		d.Tracked = tracked != 0
		out[g] = append(out[g], d)
	}
	return out, rows.Err()
}

// Days returns one group's stored days in [from, to] (day numbers), oldest
// first.
func (s *Store) Days(ctx context.Context, groupID, from, to int64) ([]Day, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+dayCols+` FROM group_days
		WHERE group_id = $1 AND day >= $2 AND day <= $3 ORDER BY day`, groupID, from, to)
	if err != nil {
		return nil, fmt.Errorf("health: days: %w", err)
	}
	m, err := scanDays(rows, false)
	if err != nil {
		return nil, fmt.Errorf("health: days: %w", err)
	}
	return m[0], nil
}

// AllDays returns every group's stored days in [from, to], oldest first.
func (s *Store) AllDays(ctx context.Context, from, to int64) (map[int64][]Day, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, `+dayCols+` FROM group_days
		WHERE day >= $1 AND day <= $2 ORDER BY group_id, day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("health: days: %w", err)
	}
	m, err := scanDays(rows, true)
	if err != nil {
		return nil, fmt.Errorf("health: days: %w", err)
	}
	return m, nil
}

// Pasts returns, per group, its most members on any stored day and whether
// it had an order or a speaker on a day before before (a day number).
func (s *Store) Pasts(ctx context.Context, before int64) (map[int64]Past, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, max(members),
		max(CASE WHEN day < $1 AND (orders > 0 OR active > 0) THEN 1 ELSE 0 END) FROM group_days GROUP BY group_id`, before)
	if err != nil {
		return nil, fmt.Errorf("health: peaks: %w", err)
	}
	defer rows.Close()
	out := map[int64]Past{}
	for rows.Next() {
		var g, n int64
		var lively int
		if err := rows.Scan(&g, &n, &lively); err != nil {
			return nil, err
		}
		out[g] = Past{Peak: n, Lively: lively != 0}
	}
	return out, rows.Err()
}

// GroupHealth is a group's latest verdict, as the board shows it.
type GroupHealth struct {
	GroupID  int64
	Verdict  Verdict
	SinceDay int64 // the first day of the current state
	// PrevState is the state of the last verdict of an earlier day.
	PrevState State
	Members   int64
	Peak      int64
	Updated   time.Time
}

// Judged is a verdict to save.
type Judged struct {
	GroupID       int64
	Verdict       Verdict
	Members, Peak int64
}

// SaveVerdicts stores each group's verdict and, when its state changed
// from the one stored (or a first verdict is not ok), records an alert to
// send, in one transaction. An alert is keyed by group, day and state: a
// second server judging the same day records nothing new. It returns the
// alerts recorded.
func (s *Store) SaveVerdicts(ctx context.Context, vs []Judged) (int, error) {
	now := s.now().Unix()
	alerts := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		type stored struct {
			state, prevState State
			day, since       int64
		}
		prev := map[int64]stored{}
		var last int64 // the latest updated_at stored
		rows, err := tx.QueryContext(ctx, `SELECT group_id, state, prev_state, day, since_day, updated_at FROM group_health`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g, at int64
			var st stored
			if err := rows.Scan(&g, &st.state, &st.prevState, &st.day, &st.since, &at); err != nil {
				rows.Close()
				return err
			}
			prev[g] = st
			last = max(last, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// A save in the same second as the last one (or after a clock
		// step back) stamps the next second: the board's generation moves
		// on every save (boardGen).
		now := max(now, last+1)
		for _, j := range vs {
			reasons, err := json.Marshal(j.Verdict.Reasons)
			if err != nil {
				return err
			}
			p, had := prev[j.GroupID]
			since := j.Verdict.Day
			if had && p.state == j.Verdict.State {
				since = p.since
			}
			before := OK // the state of the last verdict of an earlier day
			if had && p.day < j.Verdict.Day {
				before = p.state
			} else if had {
				before = p.prevState
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO group_health (group_id, day, score, risk, state, prev_state,
				since_day, members, peak, reasons, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (group_id) DO UPDATE SET day = excluded.day, score = excluded.score, risk = excluded.risk,
				state = excluded.state, prev_state = excluded.prev_state, since_day = excluded.since_day,
				members = excluded.members, peak = excluded.peak, reasons = excluded.reasons, updated_at = excluded.updated_at`,
				j.GroupID, j.Verdict.Day, j.Verdict.Score, j.Verdict.Risk, string(j.Verdict.State), string(before), since,
				j.Members, j.Peak, string(reasons), now); err != nil {
				return fmt.Errorf("health: save verdict: %w", err)
			}
			from := OK
			if had {
				from = p.state
			}
			if from == j.Verdict.State {
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO health_alerts (group_id, day, state, previous, score, reasons, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id, day, state) DO NOTHING`,
				j.GroupID, j.Verdict.Day, string(j.Verdict.State), string(from), j.Verdict.Score, string(reasons), now)
			if err != nil {
				return fmt.Errorf("health: record alert: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				alerts++
			}
		}
		return nil
	})
	return alerts, err
}

const healthCols = `group_id, day, score, risk, state, prev_state, since_day, members, peak, reasons, updated_at`

func scanHealth(row interface{ Scan(...any) error }) (GroupHealth, error) {
	var h GroupHealth
	var st, prev, reasons string
	var updated int64
	if err := row.Scan(&h.GroupID, &h.Verdict.Day, &h.Verdict.Score, &h.Verdict.Risk, &st, &prev, &h.SinceDay,
		&h.Members, &h.Peak, &reasons, &updated); err != nil {
		return h, err
	}
	h.Verdict.State, h.PrevState = State(st), State(prev)
	h.Updated = time.Unix(updated, 0).UTC()
	if err := json.Unmarshal([]byte(reasons), &h.Verdict.Reasons); err != nil {
		return h, fmt.Errorf("health: group %d reasons: %w", h.GroupID, err)
	}
	return h, nil
}

// Board returns every group's latest verdict, riskiest first: dead, then
// warning, watch, ok; within a state by score (lowest first). The rows are
// kept decoded in memory while group_health's generation (boardGen, read on
// each call, so a save by another server counts too) stays the same. The
// slice is the caller's; the reasons in it are shared and must not be
// modified.
func (s *Store) Board(ctx context.Context) ([]GroupHealth, error) {
	var g boardGen
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM group_health`).
		Scan(&g.rows, &g.updated); err != nil {
		return nil, fmt.Errorf("health: board: %w", err)
	}
	s.mu.Lock()
	if s.valid && s.gen == g {
		out := append([]GroupHealth(nil), s.board...)
		s.mu.Unlock()
		return out, nil
	}
	s.mu.Unlock()
	hs, err := s.readBoard(ctx)
	if err != nil {
		return nil, err
	}
	// Read after the generation: if a save came in between, the rows are
	// newer than g and the next call's generation differs, so it reads again.
	s.mu.Lock()
	s.board, s.gen, s.valid = hs, g, true
	s.mu.Unlock()
	return append([]GroupHealth(nil), hs...), nil
}

// readBoard reads and decodes every verdict, riskiest first.
func (s *Store) readBoard(ctx context.Context) ([]GroupHealth, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+healthCols+` FROM group_health
		ORDER BY CASE state WHEN 'dead' THEN 0 WHEN 'warning' THEN 1 WHEN 'watch' THEN 2 ELSE 3 END, score, group_id`)
	if err != nil {
		return nil, fmt.Errorf("health: board: %w", err)
	}
	defer rows.Close()
	var out []GroupHealth
	for rows.Next() {
		h, err := scanHealth(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Health returns one group's latest verdict; ok is false before the first.
func (s *Store) Health(ctx context.Context, groupID int64) (h GroupHealth, ok bool, err error) {
	h, err = scanHealth(s.db.QueryRowContext(ctx, `SELECT `+healthCols+` FROM group_health WHERE group_id = $1`, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("health: group %d: %w", groupID, err)
	}
	return h, true, nil
}

// DeleteGroup removes a deleted group's days, verdict and alerts, in the
// caller's transaction (ops.Groups.Delete): a later group given the same id
// starts clean.
func (s *Store) DeleteGroup(ctx context.Context, tx *store.Tx, id int64) error {
	for _, q := range []string{`DELETE FROM group_days WHERE group_id = $1`, `DELETE FROM group_health WHERE group_id = $1`,
		`DELETE FROM health_alerts WHERE group_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("health: delete group %d: %w", id, err)
		}
	}
	return nil
}
