package standin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
)

// TestStandin: links are deterministic per (family, item, placement), on
// each platform's domain, with a 淘口令 only when asked on Taobao/Tmall;
// gone and refused items fail with the contract's errors; calls faster
// than PerSecond are throttled with the wait; a batch over MaxBatch is
// refused.
func TestStandin(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	c := &Converter{Batch: 3, PerSecond: 10, Gone: map[string]bool{"9": true}, NoPermission: map[string]bool{"8": true},
		Now: func() time.Time { return now }}
	ctx := context.Background()
	res, err := c.Convert(ctx, []affiliate.Request{
		{Platform: "tmall", ItemID: "1", PID: "mm_1_2_3", ShareCode: true},
		{Platform: "jd", ItemID: "9", PID: "1_2_3"},
		{Platform: "pdd", ItemID: "8", PID: "1_2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tb := res[0].Link
	if !strings.HasPrefix(tb.URL, "https://s.click.taobao.com/qk") || !strings.HasPrefix(tb.ShareCode, "￥QK") ||
		tb != Link(affiliate.Request{Platform: "taobao", ItemID: "1", PID: "mm_1_2_3", ShareCode: true}) {
		t.Fatalf("tmall link %+v", tb)
	}
	if other := Link(affiliate.Request{Platform: "taobao", ItemID: "1", PID: "mm_1_2_4"}); other.URL == tb.URL || other.ShareCode != "" {
		t.Fatalf("another placement's link %+v", other)
	}
	if !errors.Is(res[1].Err, affiliate.ErrItemGone) || !errors.Is(res[2].Err, affiliate.ErrNoPermission) {
		t.Fatalf("errors %v, %v", res[1].Err, res[2].Err)
	}
	if l := Link(affiliate.Request{Platform: "pdd", ItemID: "1", PID: "1_2", ShareCode: true}); !strings.HasPrefix(l.URL, "https://p.pinduoduo.com/") || l.ShareCode != "" {
		t.Fatalf("pdd link %+v", l)
	}
	now = now.Add(40 * time.Millisecond)
	_, err = c.Convert(ctx, []affiliate.Request{{Platform: "jd", ItemID: "2", PID: "1_2_3"}})
	if !errors.Is(err, affiliate.ErrThrottled) || affiliate.RetryAfter(err) != 60*time.Millisecond {
		t.Fatalf("a call 40 ms after the last at 10/s: %v (retry after %v)", err, affiliate.RetryAfter(err))
	}
	now = now.Add(60 * time.Millisecond)
	if _, err := c.Convert(ctx, []affiliate.Request{{Platform: "jd", ItemID: "2", PID: "1_2_3"}}); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if calls, items := c.Calls(); calls != 2 || items != 4 {
		t.Fatalf("counted %d calls, %d items", calls, items)
	}
	if _, err := c.Convert(ctx, make([]affiliate.Request, 4)); err == nil {
		t.Fatal("a batch over MaxBatch was taken")
	}
}
