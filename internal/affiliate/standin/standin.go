// Package standin is an in-process affiliate.Converter for every platform,
// with no network: it issues deterministic fake short links (and a 淘口令
// when asked) so `serve --demo` shows converted posts and tests can check
// which link went where. It can be told to fail items and to throttle.
package standin

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
)

// Converter is the stand-in. The zero value converts everything; set the
// fields before first use.
type Converter struct {
	// Batch is MaxBatch (default 20, TOP's list size).
	Batch int
	// Only restricts the platforms it converts (default: all of them), to
	// stand in for one platform's client.
	Only []string
	// PerSecond limits calls: a call sooner than 1/PerSecond after the
	// previous one answers *affiliate.Throttled with the wait (0: no limit).
	PerSecond float64
	// Gone and NoPermission name item ids the platform refuses.
	Gone, NoPermission map[string]bool
	// Now is the clock (default time.Now); Valid how long a link works
	// (0: the stand-in does not say).
	Now   func() time.Time
	Valid time.Duration

	mu    sync.Mutex
	last  time.Time
	calls int
	items int
}

// Platforms implements affiliate.Converter: Only, or all of them.
func (c *Converter) Platforms() []string {
	if len(c.Only) > 0 {
		return c.Only
	}
	return []string{"taobao", "tmall", "jd", "pdd"}
}

// MaxBatch implements affiliate.Converter.
func (c *Converter) MaxBatch() int {
	if c.Batch > 0 {
		return c.Batch
	}
	return 20
}

// Calls reports how many calls were answered and how many items they
// converted (throttled calls not counted).
func (c *Converter) Calls() (calls, items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.items
}

func (c *Converter) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Convert implements affiliate.Converter.
func (c *Converter) Convert(ctx context.Context, reqs []affiliate.Request) ([]affiliate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(reqs) > c.MaxBatch() {
		return nil, fmt.Errorf("standin: %d requests in one call, at most %d", len(reqs), c.MaxBatch())
	}
	if err := c.admit(reqs); err != nil {
		return nil, err
	}
	now := c.now()
	out := make([]affiliate.Result, len(reqs))
	for i, r := range reqs {
		switch {
		case c.Gone[r.ItemID]:
			out[i].Err = fmt.Errorf("standin: isv.item-not-exist %s: %w", r.ItemID, affiliate.ErrItemGone)
		case c.NoPermission[r.ItemID]:
			out[i].Err = fmt.Errorf("standin: 1001 无权限 %s: %w", r.ItemID, affiliate.ErrNoPermission)
		default:
			out[i].Link = Link(r)
			if c.Valid > 0 {
				out[i].Link.Expires = now.Add(c.Valid)
			}
		}
	}
	return out, nil
}

// admit counts a call, or refuses it when it comes sooner than the rate
// allows.
func (c *Converter) admit(reqs []affiliate.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.PerSecond > 0 && !c.last.IsZero() {
		gap := time.Duration(float64(time.Second) / c.PerSecond)
		if wait := c.last.Add(gap).Sub(now); wait > 0 {
			return &affiliate.Throttled{Platform: reqs[0].Platform, After: wait, Detail: "standin: 7 App Call Limited"}
		}
	}
	c.last = now
	c.calls++
	c.items += len(reqs)
	return nil
}

// Link is the link the stand-in issues for r: a short link on the
// platform's own domain whose path is a hash of the item, placement and
// person, and a 淘口令 for Taobao/Tmall when asked.
func Link(r affiliate.Request) affiliate.Link {
	family := r.Platform
	if family == "tmall" { // one item id space with Taobao
		family = "taobao"
	}
	key := family + "\x00" + r.ItemID + "\x00" + r.PID + "\x00" + r.Person
	if r.SpecialID != "" {
		key += "\x00" + r.SpecialID
	}
	sum := sha256.Sum256([]byte(key))
	h := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:8]))
	var l affiliate.Link
	switch r.Platform {
	case "jd":
		l.URL = "https://u.jd.com/qk" + h
	case "pdd":
		l.URL = "https://p.pinduoduo.com/qk" + h
	default:
		l.URL = "https://s.click.taobao.com/qk" + h
		if r.ShareCode {
			l.ShareCode = "￥QK" + strings.ToUpper(h[:9]) + "￥"
		}
	}
	return l
}
