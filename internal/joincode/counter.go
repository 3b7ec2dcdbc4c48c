package joincode

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
)

// Counter counts visits in memory and adds them to join_visits in batches:
// every Every, when MaxPending keys wait, and on Close. A batch that fails
// to write is kept for the next one, so a count is never lost while the
// process runs and none is lost on a clean shutdown (Close). Each server
// adds its own counts to the stored ones: several servers count exactly.
type Counter struct {
	store *Store
	every time.Duration
	log   *slog.Logger

	mu      sync.Mutex
	pending map[visitKey]int64
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

type visitKey struct {
	code    int64
	day     int64
	inviter string
}

// MaxPending bounds the keys (code, day, inviter) waiting in memory: more
// flush at once.
const MaxPending = 10000

// NewCounter starts a counter writing to st every every (0: 1 s).
func NewCounter(st *Store, every time.Duration, log *slog.Logger) *Counter {
	if every <= 0 {
		every = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Counter{store: st, every: every, log: log, pending: map[visitKey]int64{}, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// Add counts one visit of code at at by inviter ("" none).
func (c *Counter) Add(code int64, inviter string, at time.Time) {
	k := visitKey{code, shanghai.Day(at.Unix()), inviter}
	c.mu.Lock()
	c.pending[k]++
	full := len(c.pending) >= MaxPending
	c.mu.Unlock()
	if full {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// Pending is how many visits wait to be written.
func (c *Counter) Pending() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.pending {
		n += v
	}
	return n
}

// Flush writes the waiting counts now.
func (c *Counter) Flush(ctx context.Context) error {
	c.mu.Lock()
	batch := c.pending
	c.pending = map[visitKey]int64{}
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	counts := make([]VisitCount, 0, len(batch))
	for k, n := range batch {
		counts = append(counts, VisitCount{CodeID: k.code, Day: k.day, Inviter: k.inviter, N: n})
	}
	if err := c.store.AddVisits(ctx, counts); err != nil {
		c.mu.Lock()
		for k, n := range batch {
			c.pending[k] += n // kept for the next flush
		}
		c.mu.Unlock()
		return err
	}
	return nil
}

func (c *Counter) loop() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.kick:
		}
		if err := c.Flush(context.Background()); err != nil {
			c.log.Warn("join code visits not written yet", "err", err)
		}
	}
}

// Close stops the loop and writes what waits (trying until ctx ends).
func (c *Counter) Close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
	}
	c.mu.Unlock()
	<-c.done
	for {
		err := c.Flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
