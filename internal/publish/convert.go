package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
)

// Conversion reasons: why a post carries no converted link.
const (
	ReasonGone         = "board.reason.gone"
	ReasonNoPermission = "board.reason.no_permission"
	ReasonNoPlacement  = "board.reason.no_placement"
	ReasonAuth         = "board.reason.auth"
	ReasonThrottled    = "board.reason.throttled"
	ReasonConvert      = "board.reason.convert"
)

// ReasonNoConverter says no conversion is configured for p's platform.
func ReasonNoConverter(p catalog.Platform) string {
	return reason("board.reason.no_converter", "platform."+string(p.Family()))
}

// Converters is a registry of link converters by platform.
type Converters map[catalog.Platform]affiliate.Converter

// NewConverters registers each converter for the platforms it names (a
// later one wins).
func NewConverters(cs ...affiliate.Converter) Converters {
	r := Converters{}
	for _, c := range cs {
		for _, p := range c.Platforms() {
			r[catalog.Platform(p)] = c
		}
	}
	return r
}

// Linker converts items' links (转链) for groups through the registered
// converters and keeps each conversion in link_conversions, so a slot, a
// re-plan or a restart re-uses what it already has until it expires. It
// never calls a platform inside a transaction.
type Linker struct {
	Store *Store
	Conv  Converters
	// Sleep waits out a throttled platform (default: a timer honouring ctx).
	Sleep func(context.Context, time.Duration) error
	Now   func() time.Time
}

// LinkReq asks for item's link for group; ShareCode asks for a 淘口令 too.
// Person, when not zero, converts it for one member (qunke link --member).
type LinkReq struct {
	Key       catalog.Key
	Group     *community.Group
	ShareCode bool
	Person    Person
}

// Person is a member's person-level ids (community.Binding), one per kind:
// a link converted for the member carries them, so that its orders carry
// them back and attribution credits the member.
type Person struct {
	RelationID, SpecialID string // Alimama 渠道关系ID, 会员运营ID
	SubUnionID            string // JD subUnionId
	CustomParameters      string // Pinduoduo custom_parameters
}

// PersonOf is the Person of a member's bindings: of several values of one
// kind, the first bound.
func PersonOf(bs []community.Binding) Person {
	var p Person
	first := map[string]time.Time{}
	for _, b := range bs {
		k := b.Platform + "/" + b.Kind
		if at, seen := first[k]; seen && !b.Created.Before(at) {
			continue
		}
		first[k] = b.Created
		switch b.Kind {
		case community.KindRelationID:
			p.RelationID = b.Value
		case community.KindSpecialID:
			p.SpecialID = b.Value
		case community.KindSubUnionID:
			p.SubUnionID = b.Value
		case community.KindCustomParameters:
			p.CustomParameters = b.Value
		}
	}
	return p
}

// request fills r's person-level ids for family: Person carries the
// relation id, subUnionId or custom_parameters, SpecialID the special id.
func (p Person) request(family catalog.Platform, r *affiliate.Request) {
	switch family {
	case catalog.JD:
		r.Person = p.SubUnionID
	case catalog.PDD:
		r.Person = p.CustomParameters
	default:
		r.Person, r.SpecialID = p.RelationID, p.SpecialID
	}
}

// key is the person's ids on family as one string: link_conversions.person.
func (p Person) key(family catalog.Platform) string {
	var r affiliate.Request
	p.request(family, &r)
	if r.SpecialID != "" {
		return r.Person + "+" + r.SpecialID
	}
	return r.Person
}

// Converted is a conversion's outcome: a link (and share code), or the
// reason there is none (Gone when the platform says the item is gone).
type Converted struct {
	Link, ShareCode string
	Reason          string
	Gone            bool
}

// Links maps (item, placement) to its outcome; see Get.
type Links map[linkKey]Converted

type linkKey struct{ family, item, placement, person string }

func keyOf(k catalog.Key, g *community.Group, p Person) linkKey {
	return linkKey{string(k.Platform.Family()), k.ItemID, placementOf(k.Platform, g), p.key(k.Platform.Family())}
}

// Get is the outcome for key in g (the zero Converted with a reason when it
// was not asked for).
func (ls Links) Get(key catalog.Key, g *community.Group) Converted { return ls.For(key, g, Person{}) }

// For is the outcome for key in g converted for person p.
func (ls Links) For(key catalog.Key, g *community.Group, p Person) Converted {
	if c, ok := ls[keyOf(key, g, p)]; ok {
		return c
	}
	return Converted{Reason: ReasonConvert}
}

// placementOf is g's placement on p's platform.
func placementOf(p catalog.Platform, g *community.Group) string {
	switch p.Family() {
	case catalog.JD:
		return g.PIDJD
	case catalog.PDD:
		return g.PIDPDD
	}
	return g.PIDTaobao
}

// DefaultLinkTTL is how long a converted link is re-used when the platform
// did not say when it expires; LinkMargin how long before its expiry a link
// is converted again.
const (
	DefaultLinkTTL = 7 * 24 * time.Hour
	LinkMargin     = 24 * time.Hour
	maxThrottled   = 50 // throttled answers in a row before a batch gives up
	saveEvery      = 100
	saveAfter      = 2 * time.Second
)

// Convert returns the outcome of every request: stored conversions still
// valid are re-used, the rest converted in batches of each converter's
// MaxBatch, the platforms in parallel, waiting out throttling. An error is
// the store's or ctx's; a platform's failure is a reason in its outcome.
func (l *Linker) Convert(ctx context.Context, reqs []LinkReq) (Links, error) {
	out := Links{}
	want := map[linkKey]affiliate.Request{}
	var items []linkKey
	for _, r := range reqs {
		k := keyOf(r.Key, r.Group, r.Person)
		// Only Taobao and Tmall have share codes (淘口令).
		r.ShareCode = r.ShareCode && k.family == string(catalog.Taobao)
		if prev, ok := want[k]; ok {
			prev.ShareCode = prev.ShareCode || r.ShareCode
			want[k] = prev
			continue
		}
		if _, ok := out[k]; ok {
			continue
		}
		switch {
		case l.Conv[r.Key.Platform] == nil:
			out[k] = Converted{Reason: ReasonNoConverter(r.Key.Platform)}
		case k.placement == "":
			out[k] = Converted{Reason: ReasonNoPlacement}
		default:
			req := affiliate.Request{Platform: string(r.Key.Platform), ItemID: r.Key.ItemID, PID: k.placement, ShareCode: r.ShareCode}
			r.Person.request(r.Key.Platform.Family(), &req)
			want[k] = req
			items = append(items, k)
		}
	}
	stored, err := l.Store.conversions(ctx, items, l.now())
	if err != nil {
		return nil, err
	}
	byConv := map[affiliate.Converter][]linkKey{}
	for _, k := range items {
		if c, ok := stored[k]; ok && (c.ShareCode != "" || !want[k].ShareCode) {
			out[k] = c
			continue
		}
		cv := l.Conv[catalog.Platform(want[k].Platform)]
		byConv[cv] = append(byConv[cv], k)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(byConv))
	for cv, keys := range byConv {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := l.convertAll(ctx, cv, keys, want)
			if err != nil {
				errs <- err
			}
			mu.Lock()
			for k, c := range got {
				out[k] = c
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

// convertAll converts keys through cv, batch by batch, storing what
// converted every saveEvery links or saveAfter (so a crash loses little) and
// at the end.
func (l *Linker) convertAll(ctx context.Context, cv affiliate.Converter, keys []linkKey,
	want map[linkKey]affiliate.Request) (map[linkKey]Converted, error) {
	out := map[linkKey]Converted{}
	var ok []storedLink
	saved := time.Now()
	save := func() error {
		err := l.Store.saveConversions(ctx, ok, l.now())
		ok, saved = ok[:0], time.Now()
		return err
	}
	for _, batch := range batches(keys, max(1, cv.MaxBatch())) {
		reqs := make([]affiliate.Request, len(batch))
		for i, k := range batch {
			reqs[i] = want[k]
		}
		res, err := l.call(ctx, cv, reqs)
		if ctx.Err() != nil {
			return out, cmp.Or(save(), ctx.Err())
		}
		if err != nil {
			reason := callReason(err)
			for _, k := range batch {
				out[k] = Converted{Reason: reason}
			}
			continue
		}
		for i, k := range batch {
			c := outcome(res[i])
			out[k] = c
			if c.Reason == "" {
				ok = append(ok, storedLink{k, res[i].Link})
			}
		}
		if len(ok) >= saveEvery || time.Since(saved) > saveAfter {
			if err := save(); err != nil {
				return out, err
			}
		}
	}
	return out, save()
}

// batches cuts keys into batches of at most n, each of one placement (a
// platform's list method takes one placement per call: TOP's adzone_id).
func batches(keys []linkKey, n int) [][]linkKey {
	slices.SortFunc(keys, func(a, b linkKey) int {
		return cmp.Or(cmp.Compare(a.placement, b.placement), cmp.Compare(a.person, b.person), cmp.Compare(a.item, b.item))
	})
	var out [][]linkKey
	for start := 0; start < len(keys); {
		end := start + 1
		for end < len(keys) && end-start < n && keys[end].placement == keys[start].placement && keys[end].person == keys[start].person {
			end++
		}
		out = append(out, keys[start:end])
		start = end
	}
	return out
}

// call makes one Convert call, waiting out throttling.
func (l *Linker) call(ctx context.Context, cv affiliate.Converter, reqs []affiliate.Request) ([]affiliate.Result, error) {
	for tries := 0; ; tries++ {
		res, err := cv.Convert(ctx, reqs)
		if err == nil && len(res) != len(reqs) {
			err = fmt.Errorf("%d results for %d requests", len(res), len(reqs))
		}
		if !errors.Is(err, affiliate.ErrThrottled) || tries == maxThrottled {
			return res, err
		}
		wait := affiliate.RetryAfter(err)
		if wait <= 0 {
			wait = time.Second
		}
		if err := l.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func callReason(err error) string {
	switch {
	case errors.Is(err, affiliate.ErrThrottled):
		return ReasonThrottled
	case errors.Is(err, affiliate.ErrAuth), errors.Is(err, affiliate.ErrNoCredentials):
		return ReasonAuth
	}
	return ReasonConvert
}

func outcome(r affiliate.Result) Converted {
	switch {
	case r.Err == nil && r.Link.URL != "":
		return Converted{Link: r.Link.URL, ShareCode: r.Link.ShareCode}
	case errors.Is(r.Err, affiliate.ErrItemGone):
		return Converted{Reason: ReasonGone, Gone: true}
	case errors.Is(r.Err, affiliate.ErrNoPermission):
		return Converted{Reason: ReasonNoPermission}
	case errors.Is(r.Err, affiliate.ErrAuth), errors.Is(r.Err, affiliate.ErrNoCredentials):
		return Converted{Reason: ReasonAuth}
	}
	return Converted{Reason: ReasonConvert}
}

func (l *Linker) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Linker) sleep(ctx context.Context, d time.Duration) error {
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
