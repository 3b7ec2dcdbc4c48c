package publish

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/channel"
)

// Posters renders the poster of a delivery.
type Posters interface {
	Poster(ctx context.Context, d *Delivery, g *community.Group) ([]byte, error)
}

// Worker sends due deliveries through the channels.
//
// Crash safety. A delivery is claimed (status sending, attempts+1, a lease,
// an attempt row) in a committed transaction before its first byte leaves,
// and its outcome is recorded in another. A worker killed in between leaves
// the row in sending; once the lease has run out, any worker treats it as
// an attempt whose outcome is unknown:
//   - on a channel that de-duplicates by idempotency key (the webhook), it
//     is simply sent again with the same key;
//   - elsewhere (Telegram, WeCom) it is sent again at most once (resent = 1,
//     shown on the log), and a second unknown outcome leaves it
//     unconfirmed for an operator to check, never sent a third time.
//
// The same rule covers in-process unknown outcomes (timeouts, 5xx).
// Multi-part posts resume after the parts the platform confirmed.
//
// Several workers (on several servers sharing one PostgreSQL database)
// behave as one. The claim is a compare-and-set on the row's version: a
// worker acting on an older read of a delivery (one another worker has
// since sent in part and put back to wait for the platform's retry_after)
// claims nothing. In the same transaction, under a per-group lock, it
// checks that no other post of the group is in flight or due before it,
// and reserves the post's messages in the rate windows kept in the
// database (see limits.go). Every outcome is recorded at the version the
// claim made, so a worker whose lease ran out cannot overwrite the one
// that took over.
type Worker struct {
	Store   *Store
	Groups  *community.Store
	Senders map[community.Channel]channel.Sender
	Posters Posters // nil: text only
	// Items, when set, re-checks each post's price rules just before it is
	// sent: an item whose coupon ended or whose price rose above the chosen
	// price is skipped.
	Items       Items
	Now         func() time.Time
	Log         *slog.Logger
	Concurrency int           // sends in flight at once; default 16
	Lease       time.Duration // how long a claimed delivery may stay in sending; default 2 minutes. Sends time out at half of it.
	MaxAttempts int           // give up after this many attempts; default 10
	Poll        time.Duration // how often to look for due deliveries when idle; default 1 s
	// MaxLate is how long after its slot a post may still go out (serve
	// --max-late, the planner's Late too); a post later than that is
	// skipped, not sent late. Default 15 minutes.
	MaxLate time.Duration

	once     sync.Once
	mu       sync.Mutex
	inflight map[int64]bool // group ids with a send in flight here (the claim checks across workers)
	limits   map[community.Channel]channel.Limits
	wake     chan struct{}
	items    map[catalog.Key]cachedInfo
}

type cachedInfo struct {
	info *ItemInfo
	at   time.Time
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Concurrency <= 0 {
			w.Concurrency = 16
		}
		if w.Lease <= 0 {
			w.Lease = 2 * time.Minute
		}
		if w.MaxAttempts <= 0 {
			w.MaxAttempts = 10
		}
		if w.Poll <= 0 {
			w.Poll = time.Second
		}
		if w.MaxLate <= 0 {
			w.MaxLate = DefaultLate
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Log == nil {
			w.Log = slog.New(slog.DiscardHandler)
		}
		w.inflight = map[int64]bool{}
		w.wake = make(chan struct{}, 1)
		w.items = map[catalog.Key]cachedInfo{}
		w.limits = map[community.Channel]channel.Limits{}
		for ch, s := range w.Senders {
			w.limits[ch] = channel.LimitsOf(s)
		}
	})
}

// Run sends until ctx ends, then waits for the sends in flight.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.Concurrency)
	defer wg.Wait()
	for {
		_, next, err := w.pass(ctx, &wg, sem)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("posting worker", "err", err)
			next = w.Poll
		}
		if next > w.Poll || next <= 0 {
			next = w.Poll
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain sends everything due now and waits for it (tests, the CLI): it
// returns once a pass finds nothing it may send.
func (w *Worker) Drain(ctx context.Context) error {
	w.init()
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.Concurrency)
	for {
		n, _, err := w.pass(ctx, &wg, sem)
		wg.Wait()
		if err != nil || n == 0 {
			return err
		}
	}
}

// pass recovers expired leases and starts the sends that are due and
// within every limit. It returns how many posts it started or skipped (a
// skip lets the group's next post be looked at at once) and how long until
// something may be due.
//
// A group's posts go out in slot and queue order: while one waits for a
// retry, the later ones of that group wait behind it.
func (w *Worker) pass(ctx context.Context, wg *sync.WaitGroup, sem chan struct{}) (int, time.Duration, error) {
	now := w.Now()
	if err := w.recover(ctx, now); err != nil {
		return 0, 0, err
	}
	groups, err := w.Groups.List(ctx, community.Filter{})
	if err != nil {
		return 0, 0, err
	}
	byID := make(map[int64]*community.Group, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	due, err := w.Store.due(ctx, now)
	if err != nil {
		return 0, 0, err
	}
	wins, err := w.Store.windows(ctx)
	if err != nil {
		return 0, 0, err
	}
	next := w.Poll
	started := 0
	blocked := map[int64]bool{} // groups whose earlier post waits: later ones wait too
	for _, d := range due {
		g := byID[d.GroupID]
		if g == nil || g.Channel == community.Manual || blocked[g.ID] { // people post to manual groups

			continue
		}
		if w.late(d, now) {
			if w.skipLate(ctx, d) {
				started++
				w.poke()
			}
			continue
		}
		if d.NextAt > now.Unix() { // waiting for a retry
			blocked[g.ID] = true
			next = min(next, time.Unix(d.NextAt, 0).Sub(now))
			continue
		}
		if !g.Active {
			if w.finish(ctx, d, Skipped, ReasonPaused, "skipped") {
				started++
				w.poke()
			}
			continue
		}
		s := w.senderFor(g)
		if s == nil {
			blocked[g.ID] = true
			continue
		}
		w.mu.Lock()
		busy := w.inflight[g.ID]
		w.mu.Unlock()
		if busy {
			blocked[g.ID] = true
			continue
		}
		msg := channel.Message{Key: d.Key, Text: d.Body, SkipParts: int(d.PartsSent)}
		if w.Posters != nil && !d.IsText() {
			msg.Poster = []byte{0} // only its presence counts for PartsLeft
		}
		parts := max(channel.PartsLeft(s, msg), 1)
		keys := limitKeys(w.limits[g.Channel], string(g.Channel), g.Target)
		if wait, ok := allow(wins, keys, parts, now); !ok {
			blocked[g.ID] = true
			next = min(next, wait)
			continue
		}
		counted(wins, keys, parts, now) // what this pass starts counts for the rest of it
		w.mu.Lock()
		w.inflight[g.ID] = true
		w.mu.Unlock()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			w.mu.Lock()
			delete(w.inflight, g.ID)
			w.mu.Unlock()
			return started, 0, ctx.Err()
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				<-sem
				w.mu.Lock()
				delete(w.inflight, g.ID)
				w.mu.Unlock()
				w.poke()
			}()
			w.send(ctx, d, g, s, keys, parts)
		}()
	}
	return started, next, nil
}

// poke makes Run look again at once.
func (w *Worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// margin widens a platform's window by 2%: the platform counts a message
// when it arrives, a little after the worker counted it, and two messages'
// delays differ; without the margin a saturated window would now and then
// hold one message too many on the platform's clock.
func margin(r channel.Rate) channel.Rate {
	if !r.Unlimited() {
		r.Per += r.Per / 50
	}
	return r
}

// senderFor is the sender of g's channel; a sender that signs with a
// per-group secret (the webhook) gets the group's.
func (w *Worker) senderFor(g *community.Group) channel.Sender {
	s := w.Senders[g.Channel]
	if sg, ok := s.(interface {
		WithSecret(string) channel.Sender
	}); ok && g.Secret != "" {
		return sg.WithSecret(g.Secret)
	}
	return s
}

// counted records n messages at now in the pass's copy of the windows.
func counted(wins map[string]*channel.Window, keys []limitKey, n int, now time.Time) {
	for _, k := range keys {
		if len(k.rates) == 0 {
			continue
		}
		if wins[k.key] == nil {
			wins[k.key] = &channel.Window{}
		}
		wins[k.key].Record(n, now, k.keep())
	}
}

// late reports whether d may no longer go out: its slot is more than
// MaxLate past and nothing of it was delivered yet (a post begun is
// finished: members saw its first part).
func (w *Worker) late(d *Delivery, now time.Time) bool {
	return d.PartsSent == 0 && now.Sub(time.Unix(d.SlotAt, 0)) > w.MaxLate
}

// skipLate records a late post as skipped; one whose earlier attempt may
// have arrived is left unconfirmed, not sent again late.
func (w *Worker) skipLate(ctx context.Context, d *Delivery) bool {
	if d.Resent {
		return w.finish(ctx, d, Unconfirmed, ReasonLateUnknown, "skipped")
	}
	return w.finish(ctx, d, Skipped, LateReason(w.MaxLate), "skipped")
}

func (w *Worker) info(ctx context.Context, key catalog.Key) (*ItemInfo, error) {
	w.mu.Lock()
	c, ok := w.items[key]
	w.mu.Unlock()
	if ok && w.Now().Sub(c.at) < time.Minute {
		return c.info, nil
	}
	info, err := w.Items.Info(ctx, key)
	if errors.Is(err, catalog.ErrNotFound) {
		info, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.items[key] = cachedInfo{info, w.Now()}
	w.mu.Unlock()
	return info, nil
}

// send claims, sends and records one delivery.
func (w *Worker) send(ctx context.Context, d *Delivery, g *community.Group, s channel.Sender, keys []limitKey, parts int) {
	log := w.Log.With("delivery", d.ID, "group", g.ID, "item", d.Item.String())
	if w.Items != nil && !d.IsText() {
		info, err := w.info(ctx, d.Item)
		if err != nil {
			log.Warn("price check", "err", err)
		} else if info != nil {
			if r := priceRule(d.ChosenPrice, &info.Now, w.Now().Unix()); r != "" {
				w.finish(ctx, d, Skipped, r, "skipped")
				return
			}
		}
	}
	msg := channel.Message{Key: d.Key, Text: d.Body, SkipParts: int(d.PartsSent)}
	if w.Posters != nil && !d.IsText() { // a text post has no poster
		png, err := w.Posters.Poster(ctx, d, g)
		if err != nil {
			log.Warn("poster failed, sending the copy alone", "err", err)
		}
		msg.Poster = png
	}
	attempt, ok, err := w.claim(ctx, d, keys, parts)
	if err != nil || !ok {
		if err != nil {
			log.Error("claim", "err", err)
		}
		return // changed, or no room left meanwhile: a later pass retries
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.Lease/2)
	rc, err := s.Send(sctx, g.Target, msg)
	cancel()
	w.record(context.WithoutCancel(ctx), d, g, s, attempt, rc, err, log)
}

// claim moves d to sending with a lease, reserves its parts in the rate
// windows and opens an attempt, in one committed transaction, before
// anything is sent. It claims nothing when the row changed since d was
// read, when it became late meanwhile, when another post of the group is
// in flight or due before it, or when a limit has no room left (another
// worker took it).
func (w *Worker) claim(ctx context.Context, d *Delivery, keys []limitKey, parts int) (int64, bool, error) {
	attempt, err := w.Store.claim(ctx, d, keys, parts, w.Lease, w.MaxLate, w.Now)
	var noRoom errNoRoom
	if errors.Is(err, errNotClaimed) || errors.As(err, &noRoom) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	d.Attempts++
	d.Version++
	return attempt, true, nil
}

var errNotClaimed = errors.New("not claimed")

// record stores the outcome of one attempt.
func (w *Worker) record(ctx context.Context, d *Delivery, g *community.Group, s channel.Sender, attempt int64,
	rc channel.Receipt, err error, log *slog.Logger) {
	now := w.Now()
	ids := rc.IDs
	parts := d.PartsSent
	var partial *channel.Partial
	if errors.As(err, &partial) {
		parts = int64(partial.Sent)
		ids = partial.IDs
	}
	msgIDs := d.MessageIDs
	if len(ids) > 0 {
		if msgIDs != "" {
			msgIDs += ","
		}
		msgIDs += strings.Join(ids, ",")
	}
	u := update{id: d.ID, version: d.Version, attempt: attempt, parts: parts, msgIDs: msgIDs, resent: d.Resent}
	if moved := (*channel.Moved)(nil); errors.As(err, &moved) && w.Groups != nil && d.Attempts < int64(w.MaxAttempts) {
		// The group has a new address: follow it and send again now.
		ok, merr := w.Groups.MoveTarget(ctx, g.ID, g.Target, moved.NewTarget)
		if merr == nil {
			log.Info("group moved", "from", g.Target, "to", moved.NewTarget, "updated", ok)
			u.status, u.outcome, u.nextAt = Planned, "retry", now.Unix()
			u.detail = reason("publish.reason.moved", moved.NewTarget, err)
			if err := w.apply(ctx, u); err != nil {
				log.Error("record outcome", "err", err)
			}
			return
		}
		log.Error("update the moved group's target", "err", merr)
	}
	switch channel.Classify(err) {
	case channel.Delivered:
		u.status, u.outcome = Sent, "sent"
		u.sentAt = now.Unix()
	case channel.Rejected:
		u.status, u.outcome, u.detail = Failed, "failed", err.Error()
	case channel.RetryLater:
		var ra *channel.RetryAfter
		errors.As(err, &ra)
		u.penalize = limitKeys(w.limits[g.Channel], string(g.Channel), g.Target)[0].key
		u.until = now.Add(ra.After)
		u.status, u.outcome, u.detail = Planned, "retry", err.Error()
		u.nextAt = now.Add(ra.After).Unix()
		if d.Attempts >= int64(w.MaxAttempts) {
			u.status, u.detail = Failed, reason("publish.reason.gave_up", d.Attempts, err)
		}
	default:
		u.outcome, u.detail = "unknown", err.Error()
		w.unknown(&u, d, s, now)
	}
	if err := w.apply(ctx, u); err != nil {
		log.Error("record outcome", "err", err)
		return
	}
	log.Info("post", "outcome", u.outcome, "status", string(u.status), "attempt", d.Attempts)
}

// unknown decides what follows an attempt whose outcome is unknown.
func (w *Worker) unknown(u *update, d *Delivery, s channel.Sender, now time.Time) {
	switch {
	case d.Attempts >= int64(w.MaxAttempts):
		u.status = Unconfirmed
		u.detail = reason("publish.reason.no_confirmation", d.Attempts, u.detail)
	case channel.IsIdempotent(s):
		u.status = Planned
		u.nextAt = now.Add(backoff(d.Attempts)).Unix()
	case !d.Resent:
		u.status, u.resent = Planned, true
		u.nextAt = now.Add(backoff(d.Attempts)).Unix()
		u.detail = reason("publish.reason.resending", u.detail)
	default:
		u.status = Unconfirmed
		u.detail = reason("publish.reason.still_unconfirmed", u.detail)
	}
}

// backoff is the delay before retry n (1-based): 2^n s, jittered, at most 5 min.
func backoff(n int64) time.Duration {
	d := time.Duration(1<<min(n, 8)) * time.Second
	d = min(d, 5*time.Minute)
	return d/2 + rand.N(d/2+1)
}

type update struct {
	id, attempt int64
	version     int64 // the row's version when claimed
	penalize    string
	until       time.Time // the penalty of penalize (retry_after)
	status      Status
	outcome     string
	detail      string
	parts       int64
	msgIDs      string
	resent      bool
	nextAt      int64
	sentAt      int64
}

func (w *Worker) apply(ctx context.Context, u update) error {
	now := w.Now().Unix()
	if u.nextAt == 0 {
		u.nextAt = now
	}
	return w.Store.recordOutcome(ctx, u, now)
}

// finish moves a planned delivery straight to a final status (skipped),
// unless it changed since it was read. It reports false when the database
// failed.
func (w *Worker) finish(ctx context.Context, d *Delivery, st Status, reason, outcome string) bool {
	err := w.Store.finish(ctx, d, st, reason, outcome, w.Now().Unix())
	if err != nil {
		w.Log.Error("finish delivery", "delivery", d.ID, "err", err)
	}
	return err == nil
}

// recover handles deliveries whose lease ran out in sending: their worker
// died (or hung) mid-send, so the outcome is unknown.
func (w *Worker) recover(ctx context.Context, now time.Time) error {
	stale, err := w.Store.stale(ctx, now)
	if err != nil || len(stale) == 0 {
		return err
	}
	groups, err := w.Groups.List(ctx, community.Filter{})
	if err != nil {
		return err
	}
	channels := map[int64]community.Channel{}
	for _, g := range groups {
		channels[g.ID] = g.Channel
	}
	for _, d := range stale {
		attempt, err := w.Store.openAttempt(ctx, d.ID)
		if err != nil {
			return err
		}
		u := update{id: d.ID, version: d.Version, attempt: attempt, parts: d.PartsSent, msgIDs: d.MessageIDs, resent: d.Resent, outcome: "crashed",
			detail: ReasonInterrupted}
		w.unknown(&u, d, senderOrNone{w.Senders[channels[d.GroupID]]}, now)
		if err := w.apply(ctx, u); err != nil {
			return err
		}
		w.Log.Warn("recovered an interrupted post", "delivery", d.ID, "group", d.GroupID, "status", string(u.status))
	}
	return nil
}

// senderOrNone lets a missing sender count as not idempotent.
type senderOrNone struct{ s channel.Sender }

func (s senderOrNone) Send(ctx context.Context, target string, m channel.Message) (channel.Receipt, error) {
	return s.s.Send(ctx, target, m)
}

func (s senderOrNone) Idempotent() bool { return s.s != nil && channel.IsIdempotent(s.s) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
