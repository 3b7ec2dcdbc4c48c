package wecom

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// Registry is the member registry (community.Store) as the inbox's worker
// uses it.
type Registry interface {
	ApplyEventsTx(ctx context.Context, tx *store.Tx, evs []community.MemberEvent) (int, error)
	GroupForChat(ctx context.Context, source community.Source, chatID string) (int64, error)
	SnapshotTx(ctx context.Context, tx *store.Tx, groupID int64, source community.Source, rows []community.SnapshotRow, at time.Time) (community.SnapshotResult, error)
}

// Reconciler fetches one customer group's members again through the API
// (externalcontact/groupchat/get) and applies the difference to the
// registry: the member sync does it. The worker calls it when the
// callback's events leave a gap (see ChatVersion.Reconcile).
type Reconciler interface {
	Reconcile(ctx context.Context, chatID string) error
}

// Worker applies the inbox's events to the registry, one worker across
// servers (the lease LeaseName), in the order WeCom made them
// (CreateTime, then arrival). Each event is claimed by compare-and-set
// (state new -> applied) in the transaction that applies it, so an event
// is applied exactly once however often a worker stops between storing
// and applying; the registry's event keys make a re-application a no-op
// besides.
type Worker struct {
	Inbox      *Inbox
	Registry   Registry
	Reconciler Reconciler // nil: a needed reconcile is recorded and logged
	Log        *slog.Logger
	Holder     string        // store.Holder()
	Poll       time.Duration // how often to look for events other servers stored (0: 1 s)
	Lease      time.Duration // how long the lease lasts unrenewed: a dead server's worker is replaced after it (0: 30 s)

	tried map[string]time.Time // when a chat's reconcile was last tried
	told  map[string]bool      // chats logged as needing a reconcile without a Reconciler
}

// LeaseName is the lease of the inbox's worker.
const LeaseName = "wecom-inbox"

// MaxAttempts is how often an event that cannot be applied is tried
// before it is marked failed (with its error) and left aside.
const MaxAttempts = 5

// applyBatch bounds the events applied in one transaction: it holds
// SQLite's write lock, which the callback's inserts wait for.
const applyBatch = 100

// roundGap is the least time between two rounds of the worker: during a
// burst, events gather and are applied in fewer, fuller transactions.
const roundGap = 100 * time.Millisecond

// KeepApplied is how long applied events stay in the inbox (for a look
// back, and to know a late retry of WeCom's again): the worker deletes
// older ones every pruneEvery. Failed and waiting events stay.
const (
	KeepApplied = 30 * 24 * time.Hour
	pruneEvery  = time.Hour
)

// reconcileEvery is how long a chat whose reconcile failed waits before
// it is tried again.
const reconcileEvery = 5 * time.Minute

// Run applies events until ctx ends, while holding the lease.
func (w *Worker) Run(ctx context.Context) {
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	lease := w.Lease
	if lease <= 0 {
		lease = 30 * time.Second
	}
	w.Inbox.db.RunLeased(ctx, LeaseName, w.Holder, lease, func(ctx context.Context) {
		t := time.NewTicker(poll)
		defer t.Stop()
		var pruned time.Time
		for {
			if _, err := w.ApplyPending(ctx); err != nil && ctx.Err() == nil {
				w.Log.Error("wecom inbox: apply", "err", err)
			}
			w.reconcile(ctx)
			if time.Since(pruned) > pruneEvery {
				pruned = time.Now()
				if _, err := w.Inbox.Prune(ctx, w.Inbox.now().Add(-KeepApplied)); err != nil && ctx.Err() == nil {
					w.Log.Error("wecom inbox: prune", "err", err)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-w.Inbox.Wake():
			case <-t.C:
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(roundGap):
			}
		}
	})
}

// pending is one stored event waiting to be applied.
type pending struct {
	id       int64
	attempts int
	m        *Message
	err      error // the body cannot be read
}

// ApplyPending applies the stored events until none is left and returns
// how many it applied. A batch that fails is retried event by event, so
// one bad event does not hold up the others.
func (w *Worker) ApplyPending(ctx context.Context) (int, error) {
	done := 0
	for ctx.Err() == nil {
		evs, err := w.Inbox.next(ctx, applyBatch)
		if err != nil || len(evs) == 0 {
			return done, err
		}
		// A dismissed group is applied on its own: its members are all
		// made to leave after the events before it.
		cut := len(evs)
		for i, p := range evs {
			if p.m != nil && p.m.ChangeType == ChangeDismiss {
				cut = max(i, 1)
				break
			}
		}
		evs = evs[:cut]
		n, err := w.apply(ctx, evs)
		if err == nil {
			done += n
			continue
		}
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		if len(evs) == 1 {
			if ferr := w.Inbox.failed(ctx, evs[0], err); ferr != nil {
				return done, ferr
			}
			w.Log.Warn("wecom inbox: event not applied", "id", evs[0].id, "attempt", evs[0].attempts+1, "err", err)
			continue
		}
		for _, p := range evs {
			n, err := w.apply(ctx, []pending{p})
			if err != nil {
				if ferr := w.Inbox.failed(ctx, p, err); ferr != nil {
					return done, ferr
				}
				w.Log.Warn("wecom inbox: event not applied", "id", p.id, "attempt", p.attempts+1, "err", err)
			}
			done += n
		}
	}
	return done, ctx.Err()
}

// apply applies evs in one transaction and returns how many it claimed.
func (w *Worker) apply(ctx context.Context, evs []pending) (int, error) {
	for _, p := range evs {
		if p.err != nil {
			return 0, p.err
		}
	}
	var dismissed int64 // the group of a dismissed chat, if mapped
	if len(evs) == 1 && evs[0].m.ChangeType == ChangeDismiss {
		g, err := w.Registry.GroupForChat(ctx, community.SourceWeCom, evs[0].m.ChatID)
		if err != nil {
			return 0, err
		}
		dismissed = g
	}
	claimed := 0
	err := w.Inbox.db.Atomic(ctx, func(tx *store.Tx) error {
		now := w.Inbox.now()
		ids := make([]any, len(evs))
		for i, p := range evs {
			ids[i] = p.id
		}
		mine, err := claim(ctx, tx, ids, now)
		if err != nil {
			return err
		}
		chats := map[string]bool{}
		for _, p := range evs {
			if mine[p.id] {
				chats[p.m.ChatID] = true
			}
		}
		versions, err := chatVersions(ctx, tx, chats)
		if err != nil {
			return err
		}
		claimed = 0
		var mevs []community.MemberEvent
		for _, p := range evs {
			if !mine[p.id] {
				continue // another worker applied it
			}
			claimed++
			versions[p.m.ChatID].track(p.m, now)
			mevs = append(mevs, memberEvents(p.m)...)
		}
		if len(mevs) > 0 {
			if _, err := w.Registry.ApplyEventsTx(ctx, tx, mevs); err != nil {
				return err
			}
		}
		if dismissed != 0 && claimed == 1 {
			// Every member of a dismissed group leaves: an empty snapshot.
			if _, err := w.Registry.SnapshotTx(ctx, tx, dismissed, community.SourceWeCom, nil, evs[0].m.At()); err != nil {
				return err
			}
		}
		return saveChatVersions(ctx, tx, versions)
	})
	if err != nil {
		return 0, err
	}
	return claimed, nil
}

// memberEvents are the joins and leaves a change tells.
func memberEvents(m *Message) []community.MemberEvent {
	if m.ChangeType != ChangeUpdate {
		return nil
	}
	var kind community.EventKind
	switch m.UpdateDetail {
	case DetailAddMember:
		kind = community.Join
	case DetailDelMember:
		kind = community.Leave
	default:
		return nil
	}
	out := make([]community.MemberEvent, 0, len(m.MemChange))
	seen := map[string]bool{}
	for _, user := range m.MemChange {
		if user == "" || seen[user] {
			continue
		}
		seen[user] = true
		e := community.MemberEvent{
			Key:    fmt.Sprintf("wecom:%s:%s:%d:%s", m.ChatID, user, m.CreateTime, kind),
			Source: community.SourceWeCom, ChatID: m.ChatID, Kind: kind, At: m.At(), ExternalID: user,
		}
		if kind == community.Join {
			e.JoinHow = joinHow(m.JoinScene)
		} else {
			e.LeaveHow = leaveHow(m.QuitScene)
		}
		out = append(out, e)
	}
	return out
}

// track moves the version held for m's chat along m, and records when the
// chat needs a reconcile: its events left a gap (LastMemVer is not the
// version held), the member list was cut short, or the chat is new. An
// event older than the one that set the version (it arrived late) is
// applied to the registry but leaves the version as it is.
func (v *ChatVersion) track(m *Message, now time.Time) {
	need := func(why string) {
		if v.Reconcile == "" {
			v.Reconcile, v.ReconcileSince = why, now
		}
	}
	switch {
	case m.ChangeType == ChangeCreate:
		need(ReconcileCreated)
	case m.ChangeType == ChangeDismiss:
		v.Reconcile, v.ReconcileSince = "", time.Time{} // nothing left to fetch
	}
	if m.MemChangeCnt > len(m.MemChange) {
		need(ReconcileShortList)
	}
	if m.CurMemVer == "" || m.At().Before(v.VersionAt) {
		return
	}
	if v.MemberVersion != "" && m.LastMemVer != v.MemberVersion {
		need(ReconcileGap)
	}
	v.MemberVersion, v.VersionAt = m.CurMemVer, m.At()
}

// next reads up to n events waiting to be applied, oldest first.
func (in *Inbox) next(ctx context.Context, n int) ([]pending, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT id, attempts, body FROM wecom_inbox WHERE state = 'new'
		ORDER BY created_at, id LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var p pending
		var body string
		if err := rows.Scan(&p.id, &p.attempts, &body); err != nil {
			return nil, err
		}
		p.m, p.err = parseMessage([]byte(body))
		out = append(out, p)
	}
	return out, rows.Err()
}

// claim marks the events ids applied if they are still new (compare and
// set) and returns those it marked.
func claim(ctx context.Context, tx *store.Tx, ids []any, now time.Time) (map[int64]bool, error) {
	args := append([]any{now.UnixMilli()}, ids...)
	rows, err := tx.QueryContext(ctx, `UPDATE wecom_inbox SET state = 'applied', applied_at = $1, attempts = attempts + 1
		WHERE state = 'new' AND id IN (`+store.Placeholders(1, len(ids), 2)+`) RETURNING id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	mine := make(map[int64]bool, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		mine[id] = true
	}
	return mine, rows.Err()
}

// failed counts a failed attempt at p, and leaves it aside (failed) after
// MaxAttempts.
func (in *Inbox) failed(ctx context.Context, p pending, cause error) error {
	state := stateNew
	if p.attempts+1 >= MaxAttempts || p.err != nil {
		state = stateFailed
	}
	text := cause.Error()
	if len(text) > 500 {
		text = text[:500]
	}
	_, err := in.db.ExecContext(ctx, `UPDATE wecom_inbox SET attempts = attempts + 1, error = $1, state = $2
		WHERE id = $3 AND state = 'new'`, text, state, p.id)
	return err
}

// chatVersions reads the versions held for chats (a chat not seen before
// gets an empty one).
func chatVersions(ctx context.Context, tx *store.Tx, chats map[string]bool) (map[string]*ChatVersion, error) {
	out := make(map[string]*ChatVersion, len(chats))
	if len(chats) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(chats))
	for c := range chats {
		out[c] = &ChatVersion{ChatID: c}
		args = append(args, c)
	}
	rows, err := tx.QueryContext(ctx, `SELECT chat_id, member_version, version_at, reconcile, reconcile_since
		FROM wecom_chat_versions WHERE chat_id IN (`+store.Placeholders(1, len(args), 1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var chat, ver, why string
		var at, since int64
		if err := rows.Scan(&chat, &ver, &at, &why, &since); err != nil {
			return nil, err
		}
		v := out[chat]
		v.MemberVersion, v.VersionAt, v.Reconcile = ver, time.Unix(at, 0).UTC(), why
		if since > 0 {
			v.ReconcileSince = time.UnixMilli(since).UTC()
		}
	}
	return out, rows.Err()
}

func saveChatVersions(ctx context.Context, tx *store.Tx, vs map[string]*ChatVersion) error {
	if len(vs) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO wecom_chat_versions (chat_id, member_version, version_at, reconcile, reconcile_since)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chat_id) DO UPDATE SET member_version = excluded.member_version,
		version_at = excluded.version_at, reconcile = excluded.reconcile, reconcile_since = excluded.reconcile_since`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, v := range vs {
		var at, since int64
		if !v.VersionAt.IsZero() {
			at = v.VersionAt.Unix()
		}
		if !v.ReconcileSince.IsZero() {
			since = v.ReconcileSince.UnixMilli()
		}
		if _, err := st.ExecContext(ctx, v.ChatID, v.MemberVersion, at, v.Reconcile, since); err != nil {
			return err
		}
	}
	return nil
}

// reconcile asks the Reconciler to fetch the chats that need it, each at
// most every reconcileEvery while it fails; without one it logs each such
// chat once (the need stays recorded in wecom_chat_versions).
func (w *Worker) reconcile(ctx context.Context) {
	vs, err := w.Inbox.needReconcile(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.Log.Error("wecom inbox: groups to reconcile", "err", err)
		}
		return
	}
	if w.tried == nil {
		w.tried, w.told = map[string]time.Time{}, map[string]bool{}
	}
	for _, v := range vs {
		if w.Reconciler == nil {
			if !w.told[v.ChatID] {
				w.told[v.ChatID] = true
				w.Log.Warn("wecom inbox: group needs a reconcile through the API, which is not configured", "chat", v.ChatID, "why", v.Reconcile)
			}
			continue
		}
		if t, ok := w.tried[v.ChatID]; ok && time.Since(t) < reconcileEvery {
			continue
		}
		start := w.Inbox.now()
		w.tried[v.ChatID] = time.Now()
		if err := w.Reconciler.Reconcile(ctx, v.ChatID); err != nil {
			if ctx.Err() == nil {
				w.Log.Warn("wecom inbox: reconcile failed; tried again later", "chat", v.ChatID, "why", v.Reconcile, "err", err)
			}
			continue
		}
		delete(w.tried, v.ChatID)
		if err := w.Inbox.reconciled(ctx, v.ChatID, start); err != nil {
			w.Log.Error("wecom inbox: reconcile done, not recorded", "chat", v.ChatID, "err", err)
		}
	}
}

// needReconcile lists the chats waiting for a reconcile, oldest need first.
func (in *Inbox) needReconcile(ctx context.Context) ([]ChatVersion, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT chat_id, reconcile, reconcile_since FROM wecom_chat_versions
		WHERE reconcile <> '' ORDER BY reconcile_since, chat_id LIMIT 100`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChatVersion
	for rows.Next() {
		var v ChatVersion
		var since int64
		if err := rows.Scan(&v.ChatID, &v.Reconcile, &since); err != nil {
			return nil, err
		}
		v.ReconcileSince = time.UnixMilli(since).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// reconciled clears a chat's need if it arose before the reconcile began
// (one that arose while it ran waits for the next).
func (in *Inbox) reconciled(ctx context.Context, chatID string, began time.Time) error {
	_, err := in.db.ExecContext(ctx, `UPDATE wecom_chat_versions SET reconcile = '', reconcile_since = 0
		WHERE chat_id = $1 AND reconcile_since <= $2`, chatID, began.UnixMilli())
	return err
}

// joinHow maps JoinScene (callback codes: 0 invited, 3 QR; not the codes of
// groupchat/get) to the registry's words.
func joinHow(scene int) community.JoinHow {
	switch scene {
	case 0:
		return community.JoinInvite
	case 3:
		return community.JoinQR
	}
	return ""
}

// leaveHow maps QuitScene (0 by themselves, 1 removed).
func leaveHow(scene int) community.LeaveHow {
	switch scene {
	case 0:
		return community.LeaveSelf
	case 1:
		return community.LeaveRemoved
	}
	return ""
}
