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
	db   *store.DB
	wait time.Duration
	reqs chan *putReq
	wake chan struct{}
	quit chan struct{}
	done chan struct{}
	now  func() time.Time
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
func NewInbox(db *store.DB) *Inbox {
	in := &Inbox{db: db, wait: PutWait, reqs: make(chan *putReq, maxPutBatch), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}), now: time.Now}
	go in.writeLoop()
	return in
}

// Close stops the writer once the batch it is writing is written.
func (in *Inbox) Close() {
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
	for {
		var batch []*putReq
		select {
		case r := <-in.reqs:
			batch = append(batch, r)
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

// write stores a batch in one statement (so one transaction) and answers
// each request: an INSERT of every event, keeping those already stored,
// returning the keys it added.
func (in *Inbox) write(batch []*putReq) {
	ctx, cancel := context.WithTimeout(context.Background(), in.wait+time.Second)
	defer cancel()
	now := in.now().UnixMilli()
	keys := make([]string, len(batch))
	args := make([]any, 0, 6*len(batch))
	for i, r := range batch {
		keys[i] = r.m.DedupKey()
		args = append(args, keys[i], r.m.Event, r.m.ChatID, r.m.CreateTime, now, string(r.body))
	}
	q := `INSERT INTO wecom_inbox (dedup_key, event, chat_id, created_at, received_at, body) VALUES ` +
		in.db.Dialect.BulkPlaceholders(6, len(batch), 1) + ` ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key`
	added := map[string]bool{}
	err := in.db.WithWait(ctx, in.wait, func(c *sql.Conn) error {
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
	if err != nil {
		err = fmt.Errorf("wecom: store callback events: %w", err)
	}
	news := false
	for i, r := range batch {
		// Of two requests with one key in a batch, the first added it.
		r.added, r.err = err == nil && added[keys[i]], err
		delete(added, keys[i])
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
