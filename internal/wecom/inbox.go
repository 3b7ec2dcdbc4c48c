package wecom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// Inbox keeps the customer-group changes the callback received
// (wecom_inbox) until the worker has applied them, and the member version
// of each group (wecom_chat_versions).
//
// Put stores one event before the callback answers. Puts from concurrent
// requests are written together, one transaction per batch, by a single
// writer goroutine (group commit): on SQLite, requests that each took the
// write lock would queue in its busy handler, whose sleeps grow to 100 ms.
type Inbox struct {
	db    *store.DB
	wait  time.Duration
	spool *spool // SQLite: where events go while the write lock is held too long
	reqs  chan *putReq
	wake  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	now   func() time.Time
}

// PutWait is how long a Put waits for the database (SQLite's write lock
// behind an import): WeCom gives up on an answer after 5 s and retries.
const PutWait = 4 * time.Second

// putLinger is how long the writer waits for more events before it
// commits: a commit costs far more than a row (SQLite's WAL append and
// page cache upkeep), so at hundreds of events a second a short wait
// saves most commits.
const putLinger = 2 * time.Millisecond

// maxPutBatch bounds the events written in one transaction.
const maxPutBatch = 256

type putReq struct {
	m     *Message
	body  []byte
	added bool
	err   error
	done  chan struct{}
}

// NewInbox returns the inbox over db and starts its writer; Close stops it.
// On SQLite the inbox keeps a spool file beside the database (see spool).
func NewInbox(db *store.DB) *Inbox {
	in := &Inbox{db: db, wait: PutWait, reqs: make(chan *putReq, maxPutBatch), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}), now: time.Now}
	if db.Path() != "" {
		in.spool = newSpool(db.Path() + SpoolSuffix)
		in.wait = spoolWait
	}
	go in.writeLoop()
	return in
}

// NewInboxView returns the inbox over db to read and to put failed events
// back in line, as a command does beside a running server: it stores
// nothing (Put fails) and leaves the server's spool alone.
func NewInboxView(db *store.DB) *Inbox {
	return &Inbox{db: db, wait: PutWait, now: time.Now}
}

// Close stops the writer once the batch it is writing is written.
func (in *Inbox) Close() {
	if in.done == nil {
		return // a view
	}
	select {
	case <-in.quit:
	default:
		close(in.quit)
	}
	<-in.done
}

// errClosed says the inbox was closed (the server is stopping).
var errClosed = errors.New("wecom: the inbox is closed")

// Put stores the change m (body is its decrypted XML) unless an event with
// its DedupKey is stored already, and reports whether it was new. When it
// returns nil the event is committed.
func (in *Inbox) Put(ctx context.Context, m *Message, body []byte) (bool, error) {
	if in.reqs == nil {
		return false, errClosed // a view
	}
	r := &putReq{m: m, body: body, done: make(chan struct{})}
	select {
	case in.reqs <- r:
	case <-in.quit:
		return false, errClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case <-r.done:
		return r.added, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// Wake is signalled when new events were committed.
func (in *Inbox) Wake() <-chan struct{} { return in.wake }

func (in *Inbox) writeLoop() {
	defer close(in.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		var batch []*putReq
		select {
		case r := <-in.reqs:
			batch = append(batch, r)
		case <-tick.C:
			in.drain()
			continue
		case <-in.quit:
			return
		}
		linger := time.NewTimer(putLinger)
	fill:
		for len(batch) < maxPutBatch {
			select {
			case r := <-in.reqs:
				batch = append(batch, r)
			case <-linger.C:
				break fill
			}
		}
		linger.Stop()
		in.write(batch)
	}
}

// write stores a batch and answers each request: in the database, or,
// on SQLite while another writer (an import) holds the lock past
// spoolWait, in the spool file.
func (in *Inbox) write(batch []*putReq) {
	now := in.now().UnixMilli()
	recs := make([]spooled, len(batch))
	for i, r := range batch {
		recs[i] = spooled{Key: r.m.DedupKey(), Event: r.m.Event, Chat: r.m.ChatID, Created: r.m.CreateTime, Received: now, Body: string(r.body)}
	}
	var added map[string]bool
	var err error
	// While events wait in the spool, new ones join them there, in order.
	toSpool := in.spool != nil && in.spool.pending() && !in.drain()
	if !toSpool {
		added, err = in.insert(recs, in.wait)
		toSpool = err != nil && in.spool != nil && store.IsBusy(err)
	}
	if toSpool {
		// SQLite's write lock is held (a large import): the events are
		// kept on disk, durably, and moved in when the lock is free.
		if serr := in.spool.append(recs); serr != nil {
			err = errors.Join(err, serr)
		} else {
			added, err = map[string]bool{}, nil
			for _, r := range recs {
				added[r.Key] = true // new as far as this server can tell
			}
		}
	}
	if err != nil {
		err = fmt.Errorf("wecom: store callback events: %w", err)
	}
	news := false
	for i, r := range batch {
		// Of two requests with one key in a batch, the first added it.
		r.added, r.err = err == nil && added[recs[i].Key], err
		delete(added, recs[i].Key)
		news = news || r.added
		close(r.done)
	}
	if news {
		select {
		case in.wake <- struct{}{}:
		default:
		}
	}
}

// drain moves the spooled events into the database, if there are any and
// the lock can be had at once; it reports whether the spool is empty.
func (in *Inbox) drain() bool {
	if in.spool == nil || !in.spool.pending() {
		return true
	}
	recs, err := in.spool.read()
	if err == nil {
		for len(recs) > 0 && err == nil {
			n := min(len(recs), maxPutBatch)
			_, err = in.insert(recs[:n], drainWait)
			recs = recs[n:]
		}
	}
	if err == nil {
		err = in.spool.clear()
	}
	if err != nil {
		return false
	}
	select {
	case in.wake <- struct{}{}:
	default:
	}
	return true
}

// insert stores recs in one statement (so one transaction), keeping
// those already stored, waiting at most wait for the lock, and returns the
// keys it added.
func (in *Inbox) insert(recs []spooled, wait time.Duration) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait+time.Second)
	defer cancel()
	args := make([]any, 0, 6*len(recs))
	for _, r := range recs {
		args = append(args, r.Key, r.Event, r.Chat, r.Created, r.Received, r.Body)
	}
	q := `INSERT INTO wecom_inbox (dedup_key, event, chat_id, created_at, received_at, body) VALUES ` +
		in.db.Dialect.BulkPlaceholders(6, len(recs), 1) + ` ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key`
	added := map[string]bool{}
	err := in.db.WithWait(ctx, wait, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			added[k] = true
		}
		return rows.Err()
	})
	return added, err
}

// Counts are the inbox's events by state.
type Counts struct {
	New, Applied, Failed int
	Reconcile            int // groups waiting for a reconcile
}

// Counts counts the events by state, and the groups waiting for a
// reconcile.
func (in *Inbox) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	rows, err := in.db.QueryContext(ctx, `SELECT state, count(*) FROM wecom_inbox GROUP BY state`)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return c, err
		}
		switch state {
		case stateNew:
			c.New = n
		case stateApplied:
			c.Applied = n
		case stateFailed:
			c.Failed = n
		}
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	err = in.db.QueryRowContext(ctx, `SELECT count(*) FROM wecom_chat_versions WHERE reconcile <> ''`).Scan(&c.Reconcile)
	return c, err
}

// The states of an inbox event.
const (
	stateNew     = "new"
	stateApplied = "applied"
	stateFailed  = "failed"
)

// ChatVersion is the member version the inbox holds for a group, and
// whether the group waits for a reconcile (Reconcile says why).
type ChatVersion struct {
	ChatID         string
	MemberVersion  string
	VersionAt      time.Time // CreateTime of the event that set it
	Reconcile      string    // "" none; else gap, short_list, created
	ReconcileSince time.Time
}

// Reasons a group is reconciled.
const (
	ReconcileGap       = "gap"        // LastMemVer is not the version held: a change was missed
	ReconcileShortList = "short_list" // MemChangeCnt is more than MemChangeList holds
	ReconcileCreated   = "created"    // a new group: its first members come from the API
)

// Versions lists the groups the inbox holds a version for, those waiting
// for a reconcile first.
func (in *Inbox) Versions(ctx context.Context) ([]ChatVersion, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT chat_id, member_version, version_at, reconcile, reconcile_since
		FROM wecom_chat_versions ORDER BY reconcile = '', reconcile_since, chat_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChatVersion
	for rows.Next() {
		var v ChatVersion
		var at, since int64
		if err := rows.Scan(&v.ChatID, &v.MemberVersion, &at, &v.Reconcile, &since); err != nil {
			return nil, err
		}
		v.VersionAt = time.Unix(at, 0).UTC()
		if since > 0 {
			v.ReconcileSince = time.UnixMilli(since).UTC()
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// FailedEvent is an event set aside after MaxAttempts, with its error.
type FailedEvent struct {
	ID        int64
	ChatID    string
	CreatedAt time.Time // the event's CreateTime
	Attempts  int
	Error     string
}

// Failed lists up to limit events set aside, newest first.
func (in *Inbox) Failed(ctx context.Context, limit int) ([]FailedEvent, error) {
	rows, err := in.db.QueryContext(ctx, `SELECT id, chat_id, created_at, attempts, error FROM wecom_inbox
		WHERE state = 'failed' ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FailedEvent
	for rows.Next() {
		var e FailedEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.ChatID, &at, &e.Attempts, &e.Error); err != nil {
			return nil, err
		}
		e.CreatedAt = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// RetryFailed puts the events set aside back in line (after the cause was
// fixed) and returns how many; the worker applies them on its next round.
func (in *Inbox) RetryFailed(ctx context.Context) (int, error) {
	res, err := in.db.ExecContext(ctx, `UPDATE wecom_inbox SET state = 'new', attempts = 0 WHERE state = 'failed'`)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Prune deletes the events applied before before and returns how many.
func (in *Inbox) Prune(ctx context.Context, before time.Time) (int, error) {
	res, err := in.db.ExecContext(ctx, `DELETE FROM wecom_inbox WHERE state = 'applied' AND applied_at < $1`, before.UnixMilli())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
