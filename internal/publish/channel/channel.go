// Package channel is the edge of publishing: it delivers one rendered deal post (copy text plus an optional
// poster image) to one chat on one kind of channel, behind one small interface, Sender.
//
// The senders live in sub-packages (telegram, wecom, webhook), each with a fake server in its own fake
// sub-package that implements the platform's documented protocol, errors and rate limits for tests.
//
// # Parts and resuming
//
// A post may take several platform messages ("parts"): Telegram sends the poster with the first part of the
// copy as its caption, then the rest of a long copy as text messages; a WeCom robot sends the image, then
// the text in chunks of at most 2048 bytes. The split is deterministic: the same Message (same Text, same
// Poster presence) sent by the same Sender always gives the same parts, so part numbers are stable across
// retries as long as the worker retries with the text it rendered the first time (store the rendered copy
// with the delivery; do not re-render a template between attempts).
//
// When a later part fails after earlier parts were confirmed, Send returns a *Partial whose Sent counts the
// confirmed parts from the start of the post. The worker stores it and retries with Message.SkipParts set
// to Partial.Sent, and Send then starts at that part, never resending the confirmed ones.
//
// # Outcomes
//
// The error returned by Send falls into one of four outcomes (see Classify):
//
//   - nil: every part was confirmed by the platform.
//   - *RetryAfter: nothing of this attempt was delivered (the platform said slow down, or the request never
//     left this machine); retry after RetryAfter.After.
//   - *Permanent: it will never succeed as it is (unknown chat, bot kicked, bad key, content rejected).
//   - anything else: unknown outcome (network error after the request was sent, timeout, 5xx, unreadable
//     answer). The part may or may not have arrived. Retrying a non-idempotent channel (see IsIdempotent)
//     may post it twice.
//
// A *Partial wraps one of the three failure outcomes for the part after the confirmed ones; Classify and
// errors.As look through it. Check for *Partial first (to save the resume point), then classify.
//
// # Secrets
//
// Bot tokens, robot keys and webhook secrets never appear in the errors returned here: url.Error messages
// (which carry the request URL) are redacted by Redact before they leave a sender.
package channel

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one deal post to one chat.
type Message struct {
	// Key is the idempotency key, unique per delivery (e.g. "d-123") and stable across retries. The generic
	// webhook sends it as the Idempotency-Key header; Telegram and WeCom have no such notion.
	Key string
	// Text is the copy, plain text (UTF-8, newlines), already rendered from the template. Senders escape it
	// for their platform (Telegram HTML) and split it when it is longer than one platform message.
	Text string
	// Poster is the poster image, PNG (or JPEG), may be nil.
	Poster []byte
	// PosterName is the poster's file name, e.g. "poster.png"; empty means "poster.png".
	PosterName string
	// SkipParts is the resume point set by the worker: the number of leading parts of this post already
	// confirmed delivered by an earlier attempt (Partial.Sent of that attempt). Send skips them and sends
	// the rest. 0 sends everything. A value at or past the number of parts sends nothing and returns
	// an empty Receipt and a nil error.
	SkipParts int
}

// Receipt is what the platform confirmed.
type Receipt struct {
	// IDs are the platform message ids of the parts sent by this call (not the skipped ones), in order;
	// empty when the platform returns none (WeCom robots, webhooks that answer without ids).
	IDs []string
}

// Sender delivers messages to one kind of channel; target is the group's channel target
// (Telegram chat id, WeCom robot key, webhook URL).
//
// Send must be safe for concurrent use. It does not wait for rate limits: the worker paces sends with a
// Limiter sized from the sender's Limits and treats *RetryAfter as the platform's word on the matter.
type Sender interface {
	Send(ctx context.Context, target string, m Message) (Receipt, error)
}

// Idempotenter is implemented by senders that can say whether the channel itself de-duplicates by
// Message.Key (the generic webhook does; Telegram and WeCom do not).
type Idempotenter interface {
	Idempotent() bool
}

// LimitsReporter is implemented by senders that know their platform's documented rate limits.
type LimitsReporter interface {
	Limits() Limits
}

// PartCounter is implemented by senders whose posts may take several platform messages.
type PartCounter interface {
	// Parts returns the number of platform messages a full Send of m makes (ignoring m.SkipParts).
	Parts(m Message) int
}

// IsIdempotent reports whether s de-duplicates by Message.Key, so that an unknown outcome can be retried
// without risking a duplicate post. Senders that do not say are not.
func IsIdempotent(s Sender) bool {
	i, ok := s.(Idempotenter)
	return ok && i.Idempotent()
}

// LimitsOf returns s's documented limits, or zero Limits (no limit known) when s does not report any.
func LimitsOf(s Sender) Limits {
	if l, ok := s.(LimitsReporter); ok {
		return l.Limits()
	}
	return Limits{}
}

// PartsLeft returns how many platform messages Send(ctx, target, m) will make, counting m.SkipParts: the
// number of rate-limit slots the worker takes before sending. It is at least 0; senders that do not count
// parts make one message per post.
func PartsLeft(s Sender, m Message) int {
	n := 1
	if pc, ok := s.(PartCounter); ok {
		n = pc.Parts(m)
	}
	n -= max(m.SkipParts, 0)
	return max(n, 0)
}

// RetryAfter means the platform said slow down (HTTP 429 with retry_after, WeCom errcode 45009) or the
// request never reached it (connection refused, DNS failure, context canceled before sending): nothing of
// this attempt was delivered, retry after After (always > 0).
type RetryAfter struct {
	After  time.Duration
	Reason string
	Err    error // the underlying error, if any (e.g. a *telegram.APIError); may be nil
}

func (e *RetryAfter) Error() string {
	return fmt.Sprintf("not delivered, retry after %s: %s", e.After, e.Reason)
}

func (e *RetryAfter) Unwrap() error { return e.Err }

// Permanent means the message will never succeed as it is (bad chat id, invalid webhook key, 400 bad
// request, bot kicked, content rejected): do not retry; tell an operator Reason.
type Permanent struct {
	Reason string
	Err    error // the underlying error, if any (e.g. a *telegram.APIError); may be nil
}

func (e *Permanent) Error() string { return "rejected: " + e.Reason }

func (e *Permanent) Unwrap() error { return e.Err }

// Moved says nothing was delivered because the target has a new address:
// a Telegram group upgraded to a supergroup gets a new chat id. It comes
// wrapped in a Permanent (a caller that does not follow it gives up); one
// that does updates the group's target to NewTarget and sends again.
type Moved struct {
	NewTarget string
	Err       error // the platform's answer, if any
}

func (e *Moved) Error() string { return "the target moved to " + e.NewTarget }

func (e *Moved) Unwrap() error { return e.Err }

// Partial means a multi-part post where the first Sent parts (counted from the start of the post,
// including parts skipped by Message.SkipParts) are confirmed delivered and the next part failed with Err
// (a *RetryAfter, a *Permanent or an unknown-outcome error). Resend with Message.SkipParts = Sent.
//
// Send returns a *Partial whenever the failing part is not the first part of the post, so a resumed
// attempt that fails at once also reports its (unchanged) resume point.
type Partial struct {
	Sent int
	IDs  []string // platform ids of the parts confirmed by this call (not the ones skipped before it)
	Err  error
}

func (e *Partial) Error() string {
	return fmt.Sprintf("partly delivered: parts 1..%d confirmed, part %d: %v", e.Sent, e.Sent+1, e.Err)
}

func (e *Partial) Unwrap() error { return e.Err }

// Outcome is what an error returned by Send means for the worker.
type Outcome int

const (
	Delivered  Outcome = iota // err == nil
	RetryLater                // *RetryAfter: nothing delivered by this attempt, retry after the delay
	Rejected                  // *Permanent: do not retry
	Unknown                   // anything else: may or may not have arrived
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case RetryLater:
		return "retry later"
	case Rejected:
		return "rejected"
	default:
		return "unknown"
	}
}

// Classify maps an error from Send to its outcome, looking through *Partial (use errors.As for the
// resume point).
func Classify(err error) Outcome {
	var ra *RetryAfter
	var perm *Permanent
	switch {
	case err == nil:
		return Delivered
	case errors.As(err, &perm):
		return Rejected
	case errors.As(err, &ra):
		return RetryLater
	default:
		return Unknown
	}
}

// NotSentDelay is the RetryAfter delay used when a request never left this machine (no connection could
// be made, or the context ended before the request started) and the platform gave no delay of its own.
const NotSentDelay = 10 * time.Second
