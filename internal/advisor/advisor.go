package advisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qunke/qunke/internal/advisor/extract"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/msg"
)

// Options configure an Advisor.
type Options struct {
	// ServiceFeeBP is the platform's service fee taken from commission, in
	// basis points (0..10000); nil means DefaultServiceFeeBP.
	ServiceFeeBP *int64
	// Resolver turns share codes and short links into items; the default
	// says they need resolving.
	Resolver extract.Resolver
}

// DefaultServiceFeeBP is the platform's usual service fee: 10%.
const DefaultServiceFeeBP = 1000

// Advisor judges items from the catalog. It is safe for concurrent use.
type Advisor struct {
	s     *catalog.Store
	opt   Options
	feeBP int64
	idx   *index
}

// New returns an advisor over s. It panics on a service fee outside 0..10000
// bp: check user input with ValidServiceFee first.
func New(s *catalog.Store, opt Options) *Advisor {
	fee := int64(DefaultServiceFeeBP)
	if opt.ServiceFeeBP != nil {
		fee = *opt.ServiceFeeBP
		if err := ValidServiceFee(fee); err != nil {
			panic(err)
		}
	}
	if opt.Resolver == nil {
		opt.Resolver = extract.NoResolver{}
	}
	return &Advisor{s: s, opt: opt, feeBP: fee, idx: newIndex(s)}
}

// ValidServiceFee reports whether fee (basis points) is a possible service fee.
func ValidServiceFee(fee int64) error {
	if fee < 0 || fee > 10000 {
		return msg.New("advisor.bad_fee", fee)
	}
	return nil
}

// Refresh forgets what the advisor has loaded, so the next question sees
// the latest imports.
func (a *Advisor) Refresh() { a.idx.invalidate() }

// CatchUp reloads what imports changed since the advisor loaded the
// catalog, whichever process made them (a CLI import, another server on the
// same PostgreSQL database), and returns the categories it reloaded: only
// those, the others stay as they are.
func (a *Advisor) CatchUp(ctx context.Context) ([]string, error) { return a.idx.catchUp(ctx) }

// FollowEvery is how often `qunke serve` looks for imports by other
// processes.
const FollowEvery = 5 * time.Second

// Follow calls CatchUp every interval until ctx ends; each poll of an
// unchanged catalog is one small read.
func (a *Advisor) Follow(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		cats, err := a.CatchUp(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("advisor: catch up with imports", "err", err)
		case len(cats) > 0:
			log.Info("advisor: caught up with imports", "categories", len(cats), "elapsed", time.Since(start).Round(time.Millisecond))
		}
	}
}

// Warm loads every category now rather than on first use.
func (a *Advisor) Warm(ctx context.Context) error {
	_, err := a.idx.loadAll(ctx)
	return err
}

// Card returns the decision card of one item.
func (a *Advisor) Card(ctx context.Context, key catalog.Key) (*Card, error) {
	return a.CardTraced(ctx, key, nil)
}

// CardTrace receives where one card's time went (the benchmark's breakdown).
type CardTrace struct {
	// CPU is the calling thread's CPU clock; nil leaves the CPU parts 0.
	CPU func() time.Duration
	// History is finding the item and reading its whole history;
	// Substitutes is the similar-title search and the substitutes' entries.
	History, Substitutes Span
	Observations         int // the history's length
	Category             int // titles in the item's category (the substitutes' search space)
}

// Span is the wall-clock and CPU time of one part of a card.
type Span struct{ Wall, CPU time.Duration }

// begin starts timing a part; the returned func ends it into s.
func (t *CardTrace) begin(s *Span) func() {
	if t == nil {
		return func() {}
	}
	var c0 time.Duration
	if t.CPU != nil {
		c0 = t.CPU()
	}
	t0 := time.Now()
	return func() {
		s.Wall = time.Since(t0)
		if t.CPU != nil {
			s.CPU = t.CPU() - c0
		}
	}
}

// CardTraced is Card, noting in tr (when not nil) where its time went.
func (a *Advisor) CardTraced(ctx context.Context, key catalog.Key, tr *CardTrace) (*Card, error) {
	var done func()
	if tr != nil {
		done = tr.begin(&tr.History)
	}
	it, err := a.find(ctx, key)
	if err != nil {
		return nil, err
	}
	obs, err := a.s.Observations(ctx, it.ID, 0, catalog.Forever)
	if err != nil {
		return nil, err
	}
	if len(obs) == 0 {
		return nil, fmt.Errorf("%w: %s has no observations", catalog.ErrNotFound, key)
	}
	if tr != nil {
		done()
		tr.Observations = len(obs)
	}
	return a.card(ctx, it, obs, tr)
}

// Status says what became of one product reference.
type Status string

const (
	StatusOK             Status = "ok"
	StatusNeedsResolving Status = "needs_resolving" // a share code or short link with no resolver
	StatusNotInCatalog   Status = "not_in_catalog"
	StatusError          Status = "error"
)

// Result is the outcome for one product reference found in a message.
type Result struct {
	Ref     extract.Ref
	Status  Status
	Message error // why there is no card, rendered in the reader's language
	Card    *Card
	// MessagePrice is the price the message states for the item ("券后29.9"),
	// in fen; 0 when it states none. The card's price is the catalog's.
	MessagePrice int64
}

// Report is the advisor's answer to a pasted message.
type Report struct {
	Results []Result
	Message error // set when nothing (or not all) was read
}

// MaxCheckBytes is the most text Check reads; the rest is ignored (and said).
const MaxCheckBytes = 1 << 20

// Check finds every product in text and judges each.
func (a *Advisor) Check(ctx context.Context, text string) (*Report, error) {
	rep := &Report{}
	if len(text) > MaxCheckBytes {
		text = text[:MaxCheckBytes]
		rep.Message = msg.New("advisor.truncated")
	}
	refs := extract.Find(text)
	if len(refs) == 0 {
		rep.Message = msg.New("advisor.nothing_found")
		return rep, nil
	}
	seen := map[int64]bool{}
	stated := extract.StatedPrices(text, refs)
	for i, ref := range refs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := Result{Ref: ref, MessagePrice: stated[i]}
		if ref.NeedsResolve && ref.ItemID != "" {
			// An id whose platform the text did not say: the catalog may
			// know it under one of them.
			if _, err := a.findRef(ctx, ref); err == nil {
				ref.NeedsResolve = false
			}
		}
		if ref.NeedsResolve {
			r, err := a.opt.Resolver.Resolve(ctx, ref)
			if err != nil {
				res.Status, res.Message = StatusNeedsResolving, err
				rep.Results = append(rep.Results, res)
				continue
			}
			ref, res.Ref = r, r
		}
		it, err := a.findRef(ctx, ref)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			res.Status = StatusNotInCatalog
			res.Message = msg.New("advisor.not_in_catalog", ref.ItemID)
		case err != nil:
			res.Status, res.Message = StatusError, err
		case seen[it.ID]:
			continue // the same item twice in one message
		default:
			seen[it.ID] = true
			obs, err := a.s.Observations(ctx, it.ID, 0, catalog.Forever)
			if err == nil && len(obs) == 0 {
				err = fmt.Errorf("%s has no observations", it.Key())
			}
			if err == nil {
				res.Card, err = a.card(ctx, it, obs, nil)
			}
			if err != nil {
				res.Status, res.Message = StatusError, err
			} else {
				res.Status = StatusOK
			}
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// findRef looks up the catalog keys a reference may name.
func (a *Advisor) findRef(ctx context.Context, ref extract.Ref) (catalog.StoredItem, error) {
	keys := ref.Keys()
	// Memory first for every key the reference may name, then the catalog
	// (an item imported since the load). Taobao and Tmall keys name one
	// item; an unlabelled id that two platforms both have is ambiguous
	// anyway, and the catalog order only breaks the tie differently for an
	// item imported after the load under an earlier key.
	for _, k := range keys {
		if e, _ := a.idx.lookup(k); e != nil {
			return catalog.StoredItem{ID: e.ID, Item: e.Item}, nil
		}
	}
	for _, k := range keys {
		it, err := a.s.Find(ctx, k)
		if err == nil || !errors.Is(err, catalog.ErrNotFound) {
			return it, err
		}
	}
	return catalog.StoredItem{}, fmt.Errorf("%w: %s", catalog.ErrNotFound, ref.ItemID)
}

// find returns the item for key: from memory when every category is loaded
// (as of that load, like the rankings), else from the catalog.
func (a *Advisor) find(ctx context.Context, key catalog.Key) (catalog.StoredItem, error) {
	if e, _ := a.idx.lookup(key); e != nil {
		return catalog.StoredItem{ID: e.ID, Item: e.Item}, nil
	}
	return a.s.Find(ctx, key)
}
