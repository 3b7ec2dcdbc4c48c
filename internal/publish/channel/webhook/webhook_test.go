package webhook_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/webhook"
	"github.com/qunke/qunke/internal/publish/channel/webhook/fake"
)

const secret = "whsec-Qunke-test-9f8e7d"

func setup(t *testing.T) (*fake.Server, *webhook.Sender) {
	t.Helper()
	wh := fake.New(secret)
	t.Cleanup(wh.Close)
	s := webhook.New(secret)
	s.Client.Timeout = 2 * time.Second
	return wh, s
}

var png = []byte("\x89PNG\r\n\x1a\n-not-really-but-enough")

func TestSendHappy(t *testing.T) {
	wh, s := setup(t)
	if !s.Idempotent() || !channel.IsIdempotent(s) {
		t.Fatal("webhook must report idempotent")
	}
	rc, err := s.Send(context.Background(), wh.Target("g1"), channel.Message{Key: "d-1", Text: "好价\n¥9.9", Poster: png, PosterName: "p.png"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.IDs) != 1 || rc.IDs[0] != "w-1" {
		t.Fatalf("ids %v", rc.IDs)
	}
	sum := md5.Sum(png)
	got := wh.Messages("g1")
	if len(got) != 1 || got[0].Key != "d-1" || got[0].Text != "好价\n¥9.9" || got[0].PosterMD5 != hex.EncodeToString(sum[:]) || got[0].PosterName != "p.png" {
		t.Fatalf("delivery %+v", got)
	}
	if _, err := time.Parse(time.RFC3339, got[0].SentAt); err != nil {
		t.Fatalf("sent_at %q", got[0].SentAt)
	}
	// Text only, no poster fields.
	if _, err := s.Send(context.Background(), wh.Target("g2"), channel.Message{Key: "d-2", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if d := wh.Messages("g2"); len(d) != 1 || d[0].PosterMD5 != "" || d[0].PosterName != "" {
		t.Fatalf("%+v", d)
	}
	// Nothing to resend past the only part.
	if _, err := s.Send(context.Background(), wh.Target("g3"), channel.Message{Key: "d-3", Text: "x", SkipParts: 1}); err != nil || len(wh.Messages("g3")) != 0 {
		t.Fatalf("SkipParts 1: %v", err)
	}
}

func TestIdempotentRetry(t *testing.T) {
	for _, dup := range []int{http.StatusOK, http.StatusConflict} {
		wh, s := setup(t)
		wh.SetDuplicateStatus(dup)
		m := channel.Message{Key: "d-7", Text: "好价"}
		// The delivery arrives but the answer is lost: unknown outcome.
		s.Client.Timeout = 500 * time.Millisecond
		wh.InjectFault(fake.Fault{AfterAccept: true, Delay: 5 * time.Second})
		_, err := s.Send(context.Background(), wh.Target("g"), m)
		if channel.Classify(err) != channel.Unknown {
			t.Fatalf("want unknown outcome, got %v", err)
		}
		// Retrying is safe: the receiver answers the repeat as delivered and records it once.
		s.Client.Timeout = 2 * time.Second
		rc, err := s.Send(context.Background(), wh.Target("g"), m)
		if err != nil {
			t.Fatalf("dup status %d: %v", dup, err)
		}
		if len(rc.IDs) != 1 || rc.IDs[0] != "w-1" {
			t.Fatalf("ids %v", rc.IDs)
		}
		if len(wh.Deliveries()) != 1 || wh.Duplicates() != 1 {
			t.Fatalf("dup status %d: %d deliveries, %d duplicates", dup, len(wh.Deliveries()), wh.Duplicates())
		}
	}
}

func TestSendErrors(t *testing.T) {
	m := channel.Message{Key: "d-9", Text: "好价", Poster: png}
	const pathToken = "tok-SECRET-in-path"
	for _, tc := range []struct {
		name    string
		prepare func(wh *fake.Server, s *webhook.Sender) string
		want    channel.Outcome
		after   time.Duration
		contain string
	}{
		{name: "wrong secret", want: channel.Rejected, contain: "401",
			prepare: func(wh *fake.Server, s *webhook.Sender) string {
				s.Secret = "other-secret"
				return wh.Target(pathToken)
			}},
		{name: "clock skew over 5 minutes", want: channel.Rejected, contain: "clocks",
			prepare: func(wh *fake.Server, s *webhook.Sender) string {
				s.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
				return wh.Target(pathToken)
			}},
		{name: "rate limited, Retry-After seconds", want: channel.RetryLater, after: 7 * time.Second,
			prepare: func(wh *fake.Server, _ *webhook.Sender) string {
				wh.InjectFault(fake.Fault{Status: 429, RetryAfter: "7"})
				return wh.Target(pathToken)
			}},
		{name: "rate limited, Retry-After date", want: channel.RetryLater, after: 90 * time.Second,
			prepare: func(wh *fake.Server, s *webhook.Sender) string {
				now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
				s.Now = func() time.Time { return now }
				wh.SetClock(func() time.Time { return now })
				wh.InjectFault(fake.Fault{Status: 429, RetryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)})
				return wh.Target(pathToken)
			}},
		{name: "rate limited, no Retry-After", want: channel.RetryLater, after: webhook.DefaultRetryAfter,
			prepare: func(wh *fake.Server, _ *webhook.Sender) string {
				wh.InjectFault(fake.Fault{Status: 429})
				return wh.Target(pathToken)
			}},
		{name: "server error", want: channel.Unknown,
			prepare: func(wh *fake.Server, _ *webhook.Sender) string {
				wh.InjectFault(fake.Fault{Status: 503})
				return wh.Target(pathToken)
			}},
		{name: "not found", want: channel.Rejected, contain: "404",
			prepare: func(wh *fake.Server, _ *webhook.Sender) string {
				wh.InjectFault(fake.Fault{Status: 404})
				return wh.Target(pathToken)
			}},
		{name: "redirect", want: channel.Rejected, contain: "redirect",
			prepare: func(wh *fake.Server, _ *webhook.Sender) string {
				wh.InjectFault(fake.Fault{Status: 302})
				return wh.Target(pathToken)
			}},
		{name: "dropped", want: channel.Unknown,
			prepare: func(wh *fake.Server, _ *webhook.Sender) string {
				wh.InjectFault(fake.Fault{Drop: true})
				return wh.Target(pathToken)
			}},
		{name: "timeout", want: channel.Unknown,
			prepare: func(wh *fake.Server, s *webhook.Sender) string {
				s.Client.Timeout = 100 * time.Millisecond
				wh.InjectFault(fake.Fault{Delay: time.Second})
				return wh.Target(pathToken) + "?token=" + pathToken
			}},
		{name: "unreachable", want: channel.RetryLater, after: channel.NotSentDelay,
			prepare: func(wh *fake.Server, _ *webhook.Sender) string { wh.Close(); return wh.Target(pathToken) }},
		{name: "not a URL", want: channel.Rejected,
			prepare: func(*fake.Server, *webhook.Sender) string { return "ftp://x/" + pathToken }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh, s := setup(t)
			target := tc.prepare(wh, s)
			_, err := s.Send(context.Background(), target, m)
			if got := channel.Classify(err); got != tc.want {
				t.Fatalf("outcome %v (%v), want %v", got, err, tc.want)
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "SECRET") || strings.Contains(e.Error(), secret) {
					t.Fatalf("secret in error: %v", e)
				}
			}
			if tc.contain != "" && !strings.Contains(err.Error(), tc.contain) {
				t.Errorf("error %q does not mention %q", err, tc.contain)
			}
			var ra *channel.RetryAfter
			if tc.after != 0 && (!errors.As(err, &ra) || ra.After != tc.after) {
				t.Errorf("want RetryAfter %v, got %v", tc.after, err)
			}
		})
	}
}

func TestFakeRateLimit(t *testing.T) {
	wh, s := setup(t)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	wh.SetClock(clock)
	s.Now = clock
	wh.SetLimit(channel.Rate{N: 2, Per: time.Minute})
	for i, key := range []string{"a", "b"} {
		if _, err := s.Send(context.Background(), wh.Target("g"), channel.Message{Key: key, Text: "x"}); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	_, err := s.Send(context.Background(), wh.Target("g"), channel.Message{Key: "c", Text: "x"})
	var ra *channel.RetryAfter
	if !errors.As(err, &ra) || ra.After != time.Minute {
		t.Fatalf("want RetryAfter 1m, got %v", err)
	}
	// A repeat of a delivered key is not rate limited: it is answered as delivered.
	if _, err := s.Send(context.Background(), wh.Target("g"), channel.Message{Key: "a", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := s.Send(context.Background(), wh.Target("g"), channel.Message{Key: "c", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(wh.Deliveries()) != 3 || wh.Duplicates() != 1 {
		t.Fatalf("%d deliveries %d duplicates", len(wh.Deliveries()), wh.Duplicates())
	}
}

// The documented test vector (docs/webhook.md) and Verify's checks.
func TestSignVerify(t *testing.T) {
	const (
		sec  = "s3cret"
		ts   = "1767225600"
		body = `{"key":"d-1","text":"hi","sent_at":"2026-01-01T00:00:00Z"}`
		want = "sha256=" + "ea18bfe7bdf41909f69a9aa765bf5b187fe60a37ad4aa2eaeeb23866ea44c4e8"
	)
	got := webhook.Sign(sec, ts, []byte(body))
	if got != want {
		t.Logf("documented vector: %s", got)
		t.Fatalf("Sign = %s, want %s (update docs/webhook.md too)", got, want)
	}
	at := time.Unix(1767225600, 0)
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, ts)
	h.Set(webhook.HeaderSignature, got)
	if err := webhook.Verify(sec, h, []byte(body), at.Add(4*time.Minute), 0); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(sec, h, []byte(body+" "), at, 0); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := webhook.Verify("other", h, []byte(body), at, 0); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("other secret: %v", err)
	}
	if err := webhook.Verify(sec, h, []byte(body), at.Add(-6*time.Minute), 0); !errors.Is(err, webhook.ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	if err := webhook.Verify(sec, http.Header{}, []byte(body), at, 0); !errors.Is(err, webhook.ErrMissingHeaders) {
		t.Fatalf("missing: %v", err)
	}
}
