package community

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// The member registry's SQL: members, member_events, memberships,
// group_chats, member_activity and the member_days rollup (see
// 0014_members.sql and docs/members.md).

// ApplyEvents stores and applies events in one transaction. Events whose
// ChatID maps to no group are kept pending and applied when MapChat maps
// the chat. It returns how many were new.
func (s *Store) ApplyEvents(ctx context.Context, evs []MemberEvent) (int, error) {
	var n int
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		n, err = s.ApplyEventsTx(ctx, tx, evs)
		return err
	})
	return n, err
}

// ApplyEventsTx is ApplyEvents in the caller's transaction.
func (s *Store) ApplyEventsTx(ctx context.Context, tx *store.Tx, evs []MemberEvent) (int, error) {
	for i := range evs {
		if err := evs[i].check(); err != nil {
			return 0, err
		}
	}
	// Before any event id is taken: EventHorizon waits for the writers
	// holding it (see member_feed.go).
	if err := s.db.LockSharedTx(ctx, tx.Tx, eventsLock); err != nil {
		return 0, err
	}
	// The chats, then the members, each in one order for every writer.
	groups, err := s.chatGroups(ctx, tx, evs)
	if err != nil {
		return 0, err
	}
	// Then the groups, before any member row: every writer locks chats,
	// then groups, then rows, so none waits for another in a circle.
	var touched []int64
	for i := range evs {
		g := evs[i].GroupID
		if g == 0 {
			g = groups[chatKey{evs[i].Source, evs[i].ChatID}]
		}
		if g != 0 && !slices.Contains(touched, g) {
			touched = append(touched, g)
		}
	}
	slices.Sort(touched)
	for _, g := range touched {
		if err := s.lockGroup(ctx, tx, g); err != nil {
			return 0, err
		}
	}
	latest := map[memberKey]*memberRow{}
	for i := range evs {
		e := &evs[i]
		if e.MemberID != 0 {
			continue
		}
		k := memberKey{e.Source, e.ExternalID}
		r := latest[k]
		if r == nil {
			r = &memberRow{memberKey: k, firstSeen: e.At.Unix()}
			latest[k] = r
		}
		r.firstSeen = min(r.firstSeen, e.At.Unix())
		if e.At.Unix() >= r.seen {
			r.seen = e.At.Unix()
			r.union = cmp.Or(e.UnionID, r.union)
			r.name = cmp.Or(e.Name, r.name)
		}
	}
	ids, err := upsertMembers(ctx, s.db, tx, latest)
	if err != nil {
		return 0, err
	}
	// Store the events; only the new ones are applied.
	type placed struct {
		group, member int64
		e             *MemberEvent
	}
	where := make(map[string]placed, len(evs))
	var fresh []placed
	for i := range evs {
		e := &evs[i]
		if _, dup := where[e.Key]; dup {
			continue
		}
		p := placed{e.GroupID, e.MemberID, e}
		if p.group == 0 {
			p.group = groups[chatKey{e.Source, e.ChatID}]
		}
		if p.member == 0 {
			p.member = ids[memberKey{e.Source, e.ExternalID}]
		}
		where[e.Key] = p
		fresh = append(fresh, p)
	}
	const cols = 13
	pairs := pairSet{}
	added := 0
	sc := newStmtCache(s.db, tx)
	defer sc.close()
	for part := range slices.Chunk(fresh, 100) {
		args := make([]any, 0, len(part)*cols)
		for _, p := range part {
			e := p.e
			var group any
			if p.group != 0 {
				group = p.group
			}
			args = append(args, e.Key, string(e.Source), e.ChatID, group, p.member, string(e.Kind), e.At.Unix(), e.Name,
				string(e.JoinHow), e.Inviter, e.InviteLink, e.InviteName, string(e.LeaveHow))
		}
		rows, err := sc.query(ctx, sharedShape(len(part), 100), `INSERT INTO member_events (event_key, source, chat_id, group_id, member_id,
			kind, at, name, join_how, inviter, invite_link, invite_name, leave_how)
			VALUES `+tx.Dialect.BulkPlaceholders(cols, len(part), 1)+` ON CONFLICT (event_key) DO NOTHING RETURNING event_key`, args...)
		if err != nil {
			return 0, fmt.Errorf("store member events: %w", err)
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return 0, err
			}
			added++
			if p := where[key]; p.group != 0 {
				pairs.add(p.group, p.member, storedEvent{Key: key, Kind: p.e.Kind, At: p.e.At.Unix(), JoinHow: p.e.JoinHow,
					Inviter: p.e.Inviter, InviteLink: p.e.InviteLink, InviteName: p.e.InviteName, LeaveHow: p.e.LeaveHow})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("store member events: %w", err)
		}
	}
	deltas := dayDeltas{}
	if err := s.recompute(ctx, tx, pairs, deltas); err != nil {
		return 0, err
	}
	return added, writeDeltas(ctx, s.db, tx, deltas)
}

// chatGroups returns the group each chat of evs maps to (0: none yet: the
// chat is recorded as unmapped, so UnmappedChats lists it). It locks the
// chats (in one order), so that MapChat cannot move a chat's pending events
// while an event for it is being stored.
func (s *Store) chatGroups(ctx context.Context, tx *store.Tx, evs []MemberEvent) (map[chatKey]int64, error) {
	var chats []chatKey
	seen := map[chatKey]bool{}
	for _, e := range evs {
		k := chatKey{e.Source, e.ChatID}
		if e.GroupID == 0 && !seen[k] {
			seen[k] = true
			chats = append(chats, k)
		}
	}
	slices.SortFunc(chats, func(a, b chatKey) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.chat, b.chat))
	})
	out := make(map[chatKey]int64, len(chats))
	sc := newStmtCache(s.db, tx)
	defer sc.close()
	for _, k := range chats {
		g, err := s.chatGroup(ctx, tx, sc, k.source, k.chat)
		if err != nil {
			return nil, err
		}
		out[k] = g
	}
	return out, nil
}

// memberRow is a member as a batch tells it.
type memberRow struct {
	memberKey
	union, name, note string
	firstSeen, seen   int64
}

// upsertMembers finds or adds members by (source, external id), keeping the
// latest name, union id and note given ("" keeps the stored one) and the
// earliest time seen, in the order of their keys.
func upsertMembers(ctx context.Context, db *store.DB, tx *store.Tx, rows map[memberKey]*memberRow) (map[memberKey]int64, error) {
	keys := make([]*memberRow, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, r)
	}
	slices.SortFunc(keys, func(a, b *memberRow) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.ext, b.ext))
	})
	out := make(map[memberKey]int64, len(keys))
	const cols = 6
	sc := newStmtCache(db, tx)
	defer sc.close()
	for part := range slices.Chunk(keys, 200) {
		args := make([]any, 0, len(part)*cols)
		for _, r := range part {
			args = append(args, string(r.source), r.ext, r.union, r.name, r.note, r.firstSeen)
		}
		q, err := sc.query(ctx, sharedShape(len(part), 200), `INSERT INTO members (source, external_id, union_id, name, note, first_seen)
			VALUES `+tx.Dialect.BulkPlaceholders(cols, len(part), 1)+`
			ON CONFLICT (source, external_id) WHERE external_id <> '' DO UPDATE SET
			union_id = CASE WHEN excluded.union_id <> '' THEN excluded.union_id ELSE members.union_id END,
			name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE members.name END,
			note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE members.note END,
			first_seen = CASE WHEN excluded.first_seen < members.first_seen THEN excluded.first_seen ELSE members.first_seen END
			RETURNING id, source, external_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
		for q.Next() {
			var id int64
			var src, ext string
			if err := q.Scan(&id, &src, &ext); err != nil {
				q.Close()
				return nil, err
			}
			out[memberKey{Source(src), ext}] = id
		}
		q.Close()
		if err := q.Err(); err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
	}
	return out, nil
}

type chatKey struct {
	source Source
	chat   string
}

type memberKey struct {
	source Source
	ext    string
}

// pairSet holds (group, member) pairs to recompute, by group, with the
// events of the pair that the caller has just stored (nil: none known).
type pairSet map[int64]map[int64][]storedEvent

func (p pairSet) add(group, member int64, stored ...storedEvent) {
	if p[group] == nil {
		p[group] = map[int64][]storedEvent{}
	}
	p[group][member] = append(p[group][member], stored...)
}

// chatGroup returns the group a chat maps to (0: none yet, the chat is
// recorded as unmapped so UnmappedChats lists it), locking the chat.
func (s *Store) chatGroup(ctx context.Context, tx *store.Tx, sc *stmtCache, source Source, chat string) (int64, error) {
	if sc == nil {
		sc = newStmtCache(s.db, tx)
		defer sc.close()
	}
	if err := s.db.LockTx(ctx, tx.Tx, "community.chat:"+string(source)+":"+chat); err != nil {
		return 0, err
	}
	var g sql.NullInt64
	st, err := sc.get(ctx, `SELECT group_id FROM group_chats WHERE source = $1 AND chat_id = $2`, true)
	if err == nil {
		err = st.QueryRowContext(ctx, string(source), chat).Scan(&g)
	}
	if errors.Is(err, sql.ErrNoRows) {
		_, err = sc.exec(ctx, true, `INSERT INTO group_chats (source, chat_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, string(source), chat)
	}
	if err != nil {
		return 0, fmt.Errorf("chat %s %s: %w", source, chat, err)
	}
	return g.Int64, nil
}

// stmtCache prepares each statement of a bulk write once in a
// transaction: the full chunks of a large batch repeat one statement, and
// parsing it anew each time cost a sixth of a list import on SQLite. The
// statements of the shapes every call repeats (one row, a full chunk) are
// prepared once for the pool (store.DB.Prepared) and bound to the
// transaction, so that a stream of small batches (the WeCom callback's
// worker, one event a transaction) does not parse them on every call
// either; the other shapes (a batch's last, partial chunk) are prepared for
// the transaction only, so that the pool keeps a bounded set.
type stmtCache struct {
	db *store.DB
	tx *store.Tx
	m  map[string]*sql.Stmt
}

func newStmtCache(db *store.DB, tx *store.Tx) *stmtCache {
	return &stmtCache{db: db, tx: tx, m: map[string]*sql.Stmt{}}
}

// get returns q prepared in the transaction; shared: prepared for the pool
// and bound to the transaction.
func (c *stmtCache) get(ctx context.Context, q string, shared bool) (*sql.Stmt, error) {
	if st := c.m[q]; st != nil {
		return st, nil
	}
	var st *sql.Stmt
	if shared {
		pooled, err := c.db.Prepared(ctx, q)
		if err != nil {
			return nil, err
		}
		st = c.tx.StmtContext(ctx, pooled)
	} else {
		var err error
		if st, err = c.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	c.m[q] = st
	return st, nil
}

// sharedShape reports whether a statement of rows rows (chunks of full) is
// one every call repeats.
func sharedShape(rows, full int) bool { return rows == 1 || rows == full }

// with returns c's queries as shared or not, for stays.
func (c *stmtCache) with(shared bool) queryer { return queryer{c, shared} }

type queryer struct {
	c      *stmtCache
	shared bool
}

func (q queryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.c.query(ctx, q.shared, query, args...)
}

func (c *stmtCache) query(ctx context.Context, shared bool, q string, args ...any) (*sql.Rows, error) {
	st, err := c.get(ctx, q, shared)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) exec(ctx context.Context, shared bool, q string, args ...any) (sql.Result, error) {
	st, err := c.get(ctx, q, shared)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// close releases the transaction's statements (the transaction would at
// its end); the pool's stay prepared.
func (c *stmtCache) close() {
	for _, st := range c.m {
		st.Close()
	}
}

// lockGroup serialises the writers of one group's members until the
// transaction ends (PostgreSQL; SQLite writers run one at a time). Lock
// order: chats, then groups (ascending), then rows.
func (s *Store) lockGroup(ctx context.Context, tx *store.Tx, group int64) error {
	return s.db.LockTx(ctx, tx.Tx, fmt.Sprintf("community.members:%d", group))
}

// inList returns placeholders for a first argument and n more: "$1" and
// "$2, $3" (PostgreSQL), "?" and "?, ?" (SQLite, see BulkPlaceholders).
func inList(d store.Dialect, n int) (string, string) {
	all := d.BulkPlaceholders(1, n+1, 1)
	first, rest, _ := strings.Cut(all, ", ")
	return first, rest
}

const chunk = 500

// recompute replays the events of each (group, member) pair into its
// stays, rewriting the stays that changed and adding the change to deltas.
// It locks each group (in order), so that two writers do not replay one
// group's members from each other's half-written state.
func (s *Store) recompute(ctx context.Context, tx *store.Tx, pairs pairSet, deltas dayDeltas) error {
	groups := make([]int64, 0, len(pairs))
	for g := range pairs {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	// A large batch (a list import) grows memberships in the transaction:
	// PostgreSQL must plan its lookups with the table's real size.
	var growth *store.Growth
	if len(groups) > 1 || len(groups) == 1 && len(pairs[groups[0]]) > chunk {
		var err error
		if growth, err = s.db.Growth(ctx, tx.Tx, "memberships"); err != nil {
			return err
		}
	}
	sc := newStmtCache(s.db, tx)
	defer sc.close()
	for _, group := range groups {
		if err := s.lockGroup(ctx, tx, group); err != nil {
			return err
		}
		ids := make([]int64, 0, len(pairs[group]))
		for id := range pairs[group] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for part := range slices.Chunk(ids, chunk) {
			if err := s.recomputeChunk(ctx, tx, sc, growth, group, part, pairs[group], deltas); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) recomputeChunk(ctx context.Context, tx *store.Tx, sc *stmtCache, growth *store.Growth, group int64, ids []int64, known map[int64][]storedEvent, deltas dayDeltas) error {
	first, rest := inList(tx.Dialect, len(ids))
	args := make([]any, 0, len(ids)+1)
	args = append(args, group)
	for _, id := range ids {
		args = append(args, id)
	}
	old, err := stays(ctx, sc.with(sharedShape(len(ids), chunk)), `WHERE group_id = `+first+` AND member_id IN (`+rest+`)`, args...)
	if err != nil {
		return err
	}
	// A member with no stay in the group has no event in it but those just
	// stored (any event makes a stay, and the group is locked): only the
	// others' events are read back.
	evs := map[int64][]storedEvent{}
	read := []any{group}
	for _, m := range ids {
		if len(old[m]) == 0 && len(known[m]) > 0 {
			evs[m] = known[m]
		} else {
			read = append(read, m)
		}
	}
	for part := range slices.Chunk(read[1:], chunk) {
		first, rest := inList(tx.Dialect, len(part))
		rows, err := sc.query(ctx, sharedShape(len(part), chunk), `SELECT member_id, event_key, kind, at, join_how, inviter, invite_link, invite_name, leave_how
			FROM member_events WHERE group_id = `+first+` AND member_id IN (`+rest+`)`, append([]any{group}, part...)...)
		if err != nil {
			return fmt.Errorf("member events of group %d: %w", group, err)
		}
		for rows.Next() {
			var m int64
			var e storedEvent
			var kind, join, leave string
			if err := rows.Scan(&m, &e.Key, &kind, &e.At, &join, &e.Inviter, &e.InviteLink, &e.InviteName, &leave); err != nil {
				rows.Close()
				return err
			}
			e.Kind, e.JoinHow, e.LeaveHow = EventKind(kind), JoinHow(join), LeaveHow(leave)
			evs[m] = append(evs[m], e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var gone []any
	type newStay struct {
		member int64
		stay
	}
	var made []newStay
	for _, m := range ids {
		now := replay(evs[m])
		was := old[m]
		if slices.EqualFunc(was, now, func(a storedStay, b stay) bool { return a.stay == b }) {
			continue
		}
		for _, st := range was {
			deltas.add(group, st.stay, -1)
			gone = append(gone, st.id)
		}
		for _, st := range now {
			deltas.add(group, st, +1)
			made = append(made, newStay{m, st})
		}
	}
	for part := range slices.Chunk(gone, chunk) {
		if _, err := sc.exec(ctx, sharedShape(len(part), chunk), `DELETE FROM memberships WHERE id IN (`+tx.Dialect.BulkPlaceholders(1, len(part), 1)+`)`,
			part...); err != nil {
			return fmt.Errorf("memberships of group %d: %w", group, err)
		}
	}
	const cols = 9
	for part := range slices.Chunk(made, 100) {
		args := make([]any, 0, len(part)*cols)
		for _, st := range part {
			args = append(args, group, st.member, st.JoinedAt, st.LeftAt, string(st.JoinHow), st.Inviter, st.InviteLink,
				st.InviteName, string(st.LeaveHow))
		}
		if _, err := sc.exec(ctx, sharedShape(len(part), 100), `INSERT INTO memberships (group_id, member_id, joined_at, left_at, join_how,
			inviter, invite_link, invite_name, leave_how) VALUES `+tx.Dialect.BulkPlaceholders(cols, len(part), 1),
			args...); err != nil {
			return fmt.Errorf("memberships of group %d: %w", group, err)
		}
		if err := growth.Added(ctx, len(part)); err != nil {
			return err
		}
	}
	return nil
}

type storedStay struct {
	id, group int64
	stay
}

// stays loads memberships by member, in the order they happened.
func stays(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) (map[int64][]storedStay, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, group_id, member_id, joined_at, left_at, join_how, inviter, invite_link,
		invite_name, leave_how FROM memberships `+where+` ORDER BY member_id, group_id, joined_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	defer rows.Close()
	out := map[int64][]storedStay{}
	for rows.Next() {
		var st storedStay
		var m int64
		var join, leave string
		if err := rows.Scan(&st.id, &st.group, &m, &st.JoinedAt, &st.LeftAt, &join, &st.Inviter, &st.InviteLink,
			&st.InviteName, &leave); err != nil {
			return nil, err
		}
		st.JoinHow, st.LeaveHow = JoinHow(join), LeaveHow(leave)
		out[m] = append(out[m], st)
	}
	return out, rows.Err()
}

// writeDeltas adds deltas to member_days.
func writeDeltas(ctx context.Context, db *store.DB, tx *store.Tx, deltas dayDeltas) error {
	keys := make([]groupDay, 0, len(deltas))
	for k, d := range deltas {
		if !d.zero() {
			keys = append(keys, k)
		}
	}
	// One order for every writer, so that two transactions on PostgreSQL
	// lock the rows in the same order.
	slices.SortFunc(keys, func(a, b groupDay) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.day, b.day))
	})
	sc := newStmtCache(db, tx)
	defer sc.close()
	for _, k := range keys {
		d := deltas[k]
		if _, err := sc.exec(ctx, true, `INSERT INTO member_days (group_id, day, delta, joins, leaves_self,
			leaves_removed, leaves_other, active, messages) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (group_id, day) DO UPDATE SET delta = member_days.delta + excluded.delta,
			joins = member_days.joins + excluded.joins, leaves_self = member_days.leaves_self + excluded.leaves_self,
			leaves_removed = member_days.leaves_removed + excluded.leaves_removed,
			leaves_other = member_days.leaves_other + excluded.leaves_other,
			active = member_days.active + excluded.active, messages = member_days.messages + excluded.messages`,
			k.group, k.day, d.delta, d.joins, d.leavesSelf, d.leavesRemoved, d.leavesOther, d.active, d.messages); err != nil {
			return fmt.Errorf("member days of group %d: %w", k.group, err)
		}
	}
	return nil
}

// groupExists checks that a group is there.
func groupExists(ctx context.Context, tx *store.Tx, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM chat_groups WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// MapChat binds a platform chat to a group (one chat -> one group) and
// applies its pending events and message counts. Mapping a chat again to
// its group does nothing; to another group is an error.
func (s *Store) MapChat(ctx context.Context, source Source, chatID string, groupID int64) error {
	if !source.Valid() || chatID == "" {
		return errEventWhere.With(string(source) + ":" + chatID)
	}
	return s.db.Atomic(ctx, func(tx *store.Tx) error { return s.mapChatTx(ctx, tx, source, chatID, groupID) })
}

func (s *Store) mapChatTx(ctx context.Context, tx *store.Tx, source Source, chatID string, groupID int64) error {
	if err := s.db.LockTx(ctx, tx.Tx, "community.chat:"+string(source)+":"+chatID); err != nil {
		return err
	}
	if err := groupExists(ctx, tx, groupID); err != nil {
		return err
	}
	var cur sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT group_id FROM group_chats WHERE source = $1 AND chat_id = $2`,
		string(source), chatID).Scan(&cur)
	switch {
	case err == nil && cur.Valid && cur.Int64 == groupID:
		return nil
	case err == nil && cur.Valid:
		return errChatMapped.With(chatID)
	case err == nil:
		_, err = tx.ExecContext(ctx, `UPDATE group_chats SET group_id = $1 WHERE source = $2 AND chat_id = $3`,
			groupID, string(source), chatID)
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO group_chats (source, chat_id, group_id) VALUES ($1, $2, $3)`,
			string(source), chatID, groupID)
	}
	if err != nil {
		return fmt.Errorf("map chat %s: %w", chatID, err)
	}
	pairs := pairSet{}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT member_id FROM member_events
		WHERE source = $1 AND chat_id = $2 AND group_id IS NULL`, string(source), chatID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var m int64
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return err
		}
		pairs.add(groupID, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE member_events SET group_id = $1
		WHERE source = $2 AND chat_id = $3 AND group_id IS NULL`, groupID, string(source), chatID); err != nil {
		return err
	}
	deltas := dayDeltas{}
	if err := s.recompute(ctx, tx, pairs, deltas); err != nil {
		return err
	}
	arows, err := tx.QueryContext(ctx, `SELECT day, COUNT(*), SUM(messages) FROM member_activity
		WHERE source = $1 AND chat_id = $2 AND group_id IS NULL GROUP BY day`, string(source), chatID)
	if err != nil {
		return err
	}
	for arows.Next() {
		var day, n, msgs int64
		if err := arows.Scan(&day, &n, &msgs); err != nil {
			arows.Close()
			return err
		}
		d := deltas.at(groupID, day)
		d.active += n
		d.messages += msgs
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE member_activity SET group_id = $1
		WHERE source = $2 AND chat_id = $3 AND group_id IS NULL`, groupID, string(source), chatID); err != nil {
		return err
	}
	return writeDeltas(ctx, s.db, tx, deltas)
}

// SetChatName records a platform chat's name (shown when it is matched to
// a group); a chat not seen before is recorded unmapped.
func (s *Store) SetChatName(ctx context.Context, source Source, chatID, name string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO group_chats (source, chat_id, name) VALUES ($1, $2, $3)
		ON CONFLICT (source, chat_id) DO UPDATE SET name = excluded.name`, string(source), chatID, name)
	return err
}

// GroupForChat returns the group a chat maps to (0 if none).
func (s *Store) GroupForChat(ctx context.Context, source Source, chatID string) (int64, error) {
	var g sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT group_id FROM group_chats WHERE source = $1 AND chat_id = $2`,
		string(source), chatID).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return g.Int64, err
}

// Chats lists a group's mapped chats.
func (s *Store) Chats(ctx context.Context, groupID int64) ([]Chat, error) {
	return s.chats(ctx, `WHERE c.group_id = $1`, groupID)
}

// UnmappedChats lists a source's chats that map to no group, with their
// pending events (for a person to confirm a match).
func (s *Store) UnmappedChats(ctx context.Context, source Source) ([]Chat, error) {
	return s.chats(ctx, `WHERE c.group_id IS NULL AND c.source = $1`, string(source))
}

func (s *Store) chats(ctx context.Context, where string, arg any) ([]Chat, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.source, c.chat_id, c.name, c.group_id,
		(SELECT COUNT(*) FROM member_events e WHERE e.source = c.source AND e.chat_id = c.chat_id AND e.group_id IS NULL)
		FROM group_chats c `+where+` ORDER BY c.source, c.chat_id`, arg)
	if err != nil {
		return nil, fmt.Errorf("chats: %w", err)
	}
	defer rows.Close()
	out := []Chat{}
	for rows.Next() {
		var c Chat
		var src string
		var g sql.NullInt64
		if err := rows.Scan(&src, &c.ChatID, &c.Name, &g, &c.Pending); err != nil {
			return nil, err
		}
		c.Source, c.GroupID = Source(src), g.Int64
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountMessages adds n messages of a member in a chat at time at to the
// activity counts (the text is never stored): a member's first message of
// a Shanghai day in a group makes it active that day.
func (s *Store) CountMessages(ctx context.Context, source Source, chatID, externalID string, at time.Time, n int) error {
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		return s.CountMessagesTx(ctx, tx, source, chatID, externalID, at, n)
	})
}

// CountMessagesTx is CountMessages in the caller's transaction: a source
// that keeps its own position (Telegram's update offset) moves it in the
// same transaction, so a crash neither loses nor doubles a count.
func (s *Store) CountMessagesTx(ctx context.Context, tx *store.Tx, source Source, chatID, externalID string, at time.Time, n int) error {
	if !source.Valid() || chatID == "" || externalID == "" || n < 1 || at.Unix() <= 0 {
		return errCount.With(chatID, externalID, n)
	}
	group, err := s.chatGroup(ctx, tx, nil, source, chatID)
	if err != nil {
		return err
	}
	k := memberKey{source, externalID}
	ids, err := upsertMembers(ctx, s.db, tx, map[memberKey]*memberRow{k: {memberKey: k, firstSeen: at.Unix()}})
	if err != nil {
		return err
	}
	member := ids[k]
	var groupArg any
	if group != 0 {
		groupArg = group
	}
	day := shanghai.Day(at.Unix())
	var total int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO member_activity (source, chat_id, member_id, day, group_id, messages)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source, chat_id, member_id, day)
		DO UPDATE SET messages = member_activity.messages + excluded.messages RETURNING messages`,
		string(source), chatID, member, day, groupArg, n).Scan(&total); err != nil {
		return fmt.Errorf("count messages: %w", err)
	}
	if group == 0 {
		return nil
	}
	d := &dayDelta{messages: int64(n)}
	if total == int64(n) {
		d.active = 1
	}
	return writeDeltas(ctx, s.db, tx, dayDeltas{{group, day}: d})
}

// Snapshot makes the difference between a full member list of one group
// (as at time at) and the members of that source the registry holds in it
// into join and leave events (a leave's LeaveHow is ""), applied in one
// transaction. A row is matched by its ExternalID; a row without one by its
// nickname, only when no other row without id has that nickname and at
// most one member without id in the group has it (else ErrAmbiguousName).
func (s *Store) Snapshot(ctx context.Context, groupID int64, source Source, rows []SnapshotRow, at time.Time) (SnapshotResult, error) {
	var res SnapshotResult
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		res, err = s.SnapshotTx(ctx, tx, groupID, source, rows, at)
		return err
	})
	return res, err
}

// SnapshotTx is Snapshot in the caller's transaction.
func (s *Store) SnapshotTx(ctx context.Context, tx *store.Tx, groupID int64, source Source, rows []SnapshotRow, at time.Time) (SnapshotResult, error) {
	var res SnapshotResult
	if !source.Valid() {
		return res, errEventSource.With("snapshot", string(source))
	}
	if at.Unix() <= 0 {
		return res, errEventTime.With("snapshot")
	}
	if err := groupExists(ctx, tx, groupID); err != nil {
		return res, err
	}
	if err := s.lockGroup(ctx, tx, groupID); err != nil {
		return res, err
	}
	// Who the registry holds in the group, and when each last left it.
	type held struct {
		id                     int64
		ext, name, union, note string
		in                     bool
		lastLeft               int64
	}
	q, err := tx.QueryContext(ctx, `SELECT m.id, m.external_id, m.name, m.union_id, m.note, s.left_at FROM memberships s
		JOIN members m ON m.id = s.member_id WHERE s.group_id = $1 AND m.source = $2`, groupID, string(source))
	if err != nil {
		return res, fmt.Errorf("members of group %d: %w", groupID, err)
	}
	byID := map[int64]*held{}
	for q.Next() {
		var h held
		var left int64
		if err := q.Scan(&h.id, &h.ext, &h.name, &h.union, &h.note, &left); err != nil {
			q.Close()
			return res, err
		}
		p := byID[h.id]
		if p == nil {
			p = &h
			byID[h.id] = p
		}
		p.in = p.in || left == 0
		p.lastLeft = max(p.lastLeft, left)
	}
	q.Close()
	if err := q.Err(); err != nil {
		return res, err
	}
	byExt := map[string]*held{}
	byName := map[string][]*held{} // members without id in the group now, by nickname
	for _, h := range byID {
		if h.ext != "" {
			byExt[h.ext] = h
		} else if h.in {
			byName[h.name] = append(byName[h.name], h)
		}
	}
	namesNoID := map[string]int{}
	for _, r := range rows {
		if r.ExternalID == "" {
			namesNoID[r.Name]++
		}
	}
	ts := at.Unix()
	seen := map[int64]bool{}
	seenExt := map[string]bool{}
	var evs []MemberEvent
	type update struct {
		id                int64
		name, union, note string
	}
	var updates []update
	upserts := map[memberKey]*memberRow{} // joining members with an id
	var noID []memberRow                  // joining members without one: new members
	for i, r := range rows {
		if r.ExternalID == "" && r.Name == "" {
			return res, errRowWho.With(i + 1)
		}
		var h *held
		if r.ExternalID != "" {
			if seenExt[r.ExternalID] {
				continue // the same person twice in one list
			}
			seenExt[r.ExternalID] = true
			h = byExt[r.ExternalID]
		} else {
			if namesNoID[r.Name] > 1 || len(byName[r.Name]) > 1 {
				return res, ErrAmbiguousName.With(i+1, r.Name)
			}
			if c := byName[r.Name]; len(c) == 1 {
				h = c[0]
			}
		}
		if h != nil && (r.Name != "" && r.Name != h.name || r.UnionID != "" && r.UnionID != h.union || r.Note != "" && r.Note != h.note) {
			updates = append(updates, update{h.id, r.Name, r.UnionID, r.Note})
		}
		if h != nil && h.in {
			seen[h.id] = true
			res.Unchanged++
			continue
		}
		joined := ts
		if !r.JoinedAt.IsZero() && r.JoinedAt.Unix() > 0 {
			joined = r.JoinedAt.Unix()
		}
		if h != nil && joined <= h.lastLeft {
			joined = ts // back after leaving: the list's join time is the first one's
		}
		e := MemberEvent{Source: source, GroupID: groupID, Kind: Join, At: time.Unix(joined, 0).UTC(),
			ExternalID: r.ExternalID, UnionID: r.UnionID, Name: r.Name, JoinHow: r.JoinHow, Inviter: r.Inviter,
			InviteLink: r.InviteLink}
		switch {
		case h != nil:
			e.MemberID = h.id
		case r.ExternalID != "":
			k := memberKey{source, r.ExternalID}
			upserts[k] = &memberRow{memberKey: k, union: r.UnionID, name: r.Name, note: r.Note, firstSeen: joined}
		default:
			noID = append(noID, memberRow{memberKey: memberKey{source, ""}, name: r.Name, note: r.Note, firstSeen: joined})
		}
		evs = append(evs, e)
		res.Joined++
	}
	for _, u := range updates {
		if _, err := tx.ExecContext(ctx, `UPDATE members SET name = CASE WHEN $1 <> '' THEN $1 ELSE name END,
			union_id = CASE WHEN $2 <> '' THEN $2 ELSE union_id END, note = CASE WHEN $3 <> '' THEN $3 ELSE note END
			WHERE id = $4`, u.name, u.union, u.note, u.id); err != nil {
			return res, fmt.Errorf("member %d: %w", u.id, err)
		}
	}
	ids, err := upsertMembers(ctx, s.db, tx, upserts)
	if err != nil {
		return res, err
	}
	byNameNew, err := addMembers(ctx, s.db, tx, noID)
	if err != nil {
		return res, err
	}
	for i := range evs {
		e := &evs[i]
		switch {
		case e.MemberID != 0:
		case e.ExternalID != "":
			e.MemberID = ids[memberKey{source, e.ExternalID}]
		default:
			e.MemberID = byNameNew[e.Name]
		}
		e.Key = fmt.Sprintf("snapshot:%s:%d:%d:%d:%d:join", source, groupID, e.MemberID, ts, e.At.Unix())
	}
	for _, h := range byID {
		if h.in && !seen[h.id] {
			evs = append(evs, MemberEvent{Key: fmt.Sprintf("snapshot:%s:%d:%d:%d:leave", source, groupID, h.id, ts),
				Source: source, GroupID: groupID, Kind: Leave, At: at.UTC(), MemberID: h.id, ExternalID: h.ext})
			res.Left++
		}
	}
	if _, err := s.ApplyEventsTx(ctx, tx, evs); err != nil {
		return res, err
	}
	return res, nil
}

// addMembers adds members without an external id, whose names differ, and
// returns their ids by name.
func addMembers(ctx context.Context, db *store.DB, tx *store.Tx, rows []memberRow) (map[string]int64, error) {
	out := make(map[string]int64, len(rows))
	const cols = 4
	sc := newStmtCache(db, tx)
	defer sc.close()
	for part := range slices.Chunk(rows, 200) {
		args := make([]any, 0, len(part)*cols)
		for _, r := range part {
			args = append(args, string(r.source), r.name, r.note, r.firstSeen)
		}
		q, err := sc.query(ctx, sharedShape(len(part), 200), `INSERT INTO members (source, name, note, first_seen) VALUES `+
			tx.Dialect.BulkPlaceholders(cols, len(part), 1)+` RETURNING id, name`, args...)
		if err != nil {
			return nil, fmt.Errorf("add members: %w", err)
		}
		for q.Next() {
			var id int64
			var name string
			if err := q.Scan(&id, &name); err != nil {
				q.Close()
				return nil, err
			}
			out[name] = id
		}
		q.Close()
		if err := q.Err(); err != nil {
			return nil, fmt.Errorf("add members: %w", err)
		}
	}
	return out, nil
}

const memberCols = `m.id, m.source, m.external_id, m.union_id, m.name, m.note, m.first_seen`

func scanMember(row interface{ Scan(...any) error }, extra ...any) (Member, error) {
	var m Member
	var src string
	var first int64
	err := row.Scan(append([]any{&m.ID, &src, &m.ExternalID, &m.UnionID, &m.Name, &m.Note, &first}, extra...)...)
	m.Source, m.FirstSeen = Source(src), time.Unix(first, 0).UTC()
	return m, err
}

// Members lists the members f selects, the latest added first, with the
// total count.
func (s *Store) Members(ctx context.Context, f MemberFilter) ([]MemberRow, int, error) {
	where := []string{"1=1"}
	var args []any
	if f.Query != "" {
		q := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(strings.TrimSpace(f.Query)))
		args = append(args, "%"+q+"%", strings.TrimSpace(f.Query))
		where = append(where, fmt.Sprintf(`(LOWER(m.name) LIKE $%d ESCAPE '\' OR m.external_id = $%d OR m.union_id = $%d)`,
			len(args)-1, len(args), len(args)))
	}
	if f.Source != "" {
		args = append(args, string(f.Source))
		where = append(where, fmt.Sprintf("m.source = $%d", len(args)))
	}
	if f.GroupID != 0 {
		args = append(args, f.GroupID)
		where = append(where, fmt.Sprintf("m.id IN (SELECT member_id FROM memberships WHERE group_id = $%d)", len(args)))
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM members m WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count members: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberCols+`,
		(SELECT COUNT(DISTINCT s.group_id) FROM memberships s WHERE s.member_id = m.id),
		(SELECT COUNT(DISTINCT s.group_id) FROM memberships s WHERE s.member_id = m.id AND s.left_at = 0)
		FROM members m WHERE `+w+fmt.Sprintf(` ORDER BY m.id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)),
		args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	out := []MemberRow{}
	for rows.Next() {
		var r MemberRow
		m, err := scanMember(rows, &r.Groups, &r.InGroups)
		if err != nil {
			return nil, 0, err
		}
		r.Member = m
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Member returns a member and its stays in groups, in the order they began.
func (s *Store) Member(ctx context.Context, id int64) (*Member, []Membership, error) {
	m, err := scanMember(s.db.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members m WHERE m.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrMemberNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("member %d: %w", id, err)
	}
	all, err := stays(ctx, s.db, `WHERE member_id = $1`, id)
	if err != nil {
		return nil, nil, err
	}
	out := []Membership{}
	for _, st := range all[id] {
		out = append(out, Membership{GroupID: st.group, MemberID: id, JoinedAt: unixOrZero(st.JoinedAt),
			LeftAt: unixOrZero(st.LeftAt), JoinHow: st.JoinHow, Inviter: st.Inviter, InviteLink: st.InviteLink,
			InviteName: st.InviteName, LeaveHow: st.LeaveHow})
	}
	slices.SortStableFunc(out, func(a, b Membership) int { return a.JoinedAt.Compare(b.JoinedAt) })
	return &m, out, nil
}

// Events returns a member's events as stored, in the order they happened
// (a pending event has GroupID 0).
func (s *Store) Events(ctx context.Context, memberID int64) ([]MemberEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.event_key, e.source, e.chat_id, e.group_id, e.kind, e.at,
		m.external_id, m.union_id, e.name, e.join_how, e.inviter, e.invite_link, e.invite_name, e.leave_how
		FROM member_events e JOIN members m ON m.id = e.member_id WHERE e.member_id = $1
		ORDER BY e.at, e.kind, e.event_key`, memberID)
	if err != nil {
		return nil, fmt.Errorf("events of member %d: %w", memberID, err)
	}
	defer rows.Close()
	out := []MemberEvent{}
	for rows.Next() {
		var e MemberEvent
		var src, kind, join, leave string
		var g sql.NullInt64
		var at int64
		if err := rows.Scan(&e.Key, &src, &e.ChatID, &g, &kind, &at, &e.ExternalID, &e.UnionID, &e.Name, &join,
			&e.Inviter, &e.InviteLink, &e.InviteName, &leave); err != nil {
			return nil, err
		}
		e.Source, e.GroupID, e.Kind, e.At = Source(src), g.Int64, EventKind(kind), time.Unix(at, 0).UTC()
		e.JoinHow, e.LeaveHow, e.MemberID = JoinHow(join), LeaveHow(leave), memberID
		out = append(out, e)
	}
	return out, rows.Err()
}

// HasMembers reports whether a source tells this group's members (the
// registry holds a stay in it).
func (s *Store) HasMembers(ctx context.Context, groupID int64) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM memberships WHERE group_id = $1 LIMIT 1`, groupID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// dayRange turns [from, to) into Shanghai day numbers, whole days (to
// rounded up).
func dayRange(from, to time.Time) (int64, int64) {
	return shanghai.Day(from.Unix()), shanghai.Day(to.Unix()-1) + 1
}

// MaxMemberDays bounds the days MemberDays and AllMemberDays return at once.
const MaxMemberDays = 4000

func checkDayRange(from, to time.Time) error {
	if from.IsZero() || to.IsZero() {
		return errDayRange.With(MaxMemberDays)
	}
	if lo, hi := dayRange(from, to); hi-lo > MaxMemberDays {
		return errDayRange.With(MaxMemberDays)
	}
	return nil
}

// MemberDays returns a group's days in [from, to) (whole Shanghai days),
// one per day: a day without change carries the members forward. Both
// times are needed, at most MaxMemberDays apart.
func (s *Store) MemberDays(ctx context.Context, groupID int64, from, to time.Time) ([]MemberDay, error) {
	if err := checkDayRange(from, to); err != nil {
		return nil, err
	}
	all, err := s.memberDays(ctx, &groupID, from, to)
	if err != nil {
		return nil, err
	}
	if days, ok := all[groupID]; ok {
		return days, nil
	}
	return fillDays(groupID, 0, nil, from, to), nil
}

// AllMemberDays is MemberDays for every group the registry holds members of.
func (s *Store) AllMemberDays(ctx context.Context, from, to time.Time) (map[int64][]MemberDay, error) {
	if err := checkDayRange(from, to); err != nil {
		return nil, err
	}
	return s.memberDays(ctx, nil, from, to)
}

func (s *Store) memberDays(ctx context.Context, group *int64, from, to time.Time) (map[int64][]MemberDay, error) {
	lo, hi := dayRange(from, to)
	var args []any
	cond1, cond2 := "", ""
	if group != nil {
		args = append(args, *group)
		cond1, cond2 = " AND group_id = $2", " AND group_id = $3"
	}
	base := map[int64]int64{}
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, SUM(delta) FROM member_days WHERE day < $1`+cond1+
		` GROUP BY group_id`, append([]any{lo}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("members before %d: %w", lo, err)
	}
	for rows.Next() {
		var g, n int64
		if err := rows.Scan(&g, &n); err != nil {
			rows.Close()
			return nil, err
		}
		base[g] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT group_id, day, delta, joins, leaves_self, leaves_removed, leaves_other,
		active, messages FROM member_days WHERE day >= $1 AND day < $2`+cond2+` ORDER BY group_id, day`,
		append([]any{lo, hi}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("member days: %w", err)
	}
	defer rows.Close()
	changes := map[int64][]dayRow{}
	for rows.Next() {
		var r dayRow
		var g int64
		if err := rows.Scan(&g, &r.day, &r.delta, &r.joins, &r.leavesSelf, &r.leavesRemoved, &r.leavesOther,
			&r.active, &r.messages); err != nil {
			return nil, err
		}
		changes[g] = append(changes[g], r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[int64][]MemberDay{}
	for g, n := range base {
		out[g] = fillDays(g, n, changes[g], from, to)
	}
	for g, ch := range changes {
		if _, ok := out[g]; !ok {
			out[g] = fillDays(g, 0, ch, from, to)
		}
	}
	return out, nil
}

type dayRow struct {
	day int64
	dayDelta
}

// fillDays makes one MemberDay per day of [from, to) from the members
// before it and the days that changed (in order).
func fillDays(group, members int64, changes []dayRow, from, to time.Time) []MemberDay {
	lo, hi := dayRange(from, to)
	out := make([]MemberDay, 0, max(hi-lo, 0))
	for d := lo; d < hi; d++ {
		md := MemberDay{GroupID: group, Day: dayTime(d)}
		if len(changes) > 0 && changes[0].day == d {
			c := changes[0]
			changes = changes[1:]
			members += c.delta
			md.Joins, md.LeavesSelf, md.LeavesRemoved, md.LeavesOther = int(c.joins), int(c.leavesSelf), int(c.leavesRemoved), int(c.leavesOther)
			md.Active, md.Messages = int(c.active), int(c.messages)
		}
		md.Members = int(members)
		out = append(out, md)
	}
	return out
}

// MemberDetail is a member with its stays, its events and the names of
// the groups they name, for a member's page.
type MemberDetail struct {
	Member      Member
	Memberships []Membership
	Events      []MemberEvent
	GroupNames  map[int64]string
}

// MemberInfo returns a member's detail (ErrMemberNotFound if there is none).
func (s *Store) MemberInfo(ctx context.Context, id int64) (*MemberDetail, error) {
	m, ms, err := s.Member(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	names, err := s.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	return &MemberDetail{Member: *m, Memberships: ms, Events: evs, GroupNames: names}, nil
}

// MemberList is a page of members with the groups to filter by.
type MemberList struct {
	Rows   []MemberRow
	Total  int
	Groups []*Group
}

// MemberPage returns the members f selects and every group (for the filter).
func (s *Store) MemberPage(ctx context.Context, f MemberFilter) (*MemberList, error) {
	rows, total, err := s.Members(ctx, f)
	if err != nil {
		return nil, err
	}
	groups, err := s.List(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	return &MemberList{Rows: rows, Total: total, Groups: groups}, nil
}

func (s *Store) groupNames(ctx context.Context) (map[int64]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM chat_groups`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}
