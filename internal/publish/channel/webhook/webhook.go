// Package webhook delivers deal posts to a team's own bot (Wechaty, a WeCom-app bridge, ...) as one signed
// JSON POST per post to the group's target URL. The payload, headers, signature and answers are documented
// for receivers in docs/webhook.md.
//
//	POST <target URL>
//	Content-Type: application/json
//	X-Qunke-Timestamp: 1767225600
//	X-Qunke-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	Idempotency-Key: d-123
//
//	{"key":"d-123","text":"...","poster_base64":"...","poster_name":"poster.png","sent_at":"2026-01-01T00:00:00Z"}
//
// Answers: 2xx delivered; 409 already delivered (success: the receiver de-duplicates by key); 429 with
// Retry-After (seconds or an HTTP date) → *channel.RetryAfter; 3xx and other 4xx → *channel.Permanent;
// 5xx, 408 and network errors → unknown outcome, which is safe to retry because the receiver
// de-duplicates (Idempotent is true).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
)

// Header names.
const (
	HeaderTimestamp   = "X-Qunke-Timestamp"
	HeaderSignature   = "X-Qunke-Signature"
	HeaderIdempotency = "Idempotency-Key"
)

// DefaultRetryAfter is the delay reported for a 429 without a usable Retry-After header.
const DefaultRetryAfter = 30 * time.Second

// MaxSkew is how far a receiver should accept X-Qunke-Timestamp from its own clock.
const MaxSkew = 5 * time.Minute

// Payload is the JSON body of a delivery.
type Payload struct {
	Key          string `json:"key"`                     // idempotency key, also in the Idempotency-Key header
	Text         string `json:"text"`                    // the copy, plain UTF-8 text with newlines
	PosterBase64 string `json:"poster_base64,omitempty"` // the poster (PNG), standard base64; absent without poster
	PosterName   string `json:"poster_name,omitempty"`   // e.g. "poster.png"
	SentAt       string `json:"sent_at"`                 // when this attempt was sent, RFC 3339 UTC
}

// Sender posts to webhook URLs. Set the fields before the first Send; a Sender is then safe for concurrent
// use.
type Sender struct {
	Secret string       // shared HMAC secret; never appears in errors
	Client *http.Client // nil: a client with a 30 s timeout that does not follow redirects
	// PerTarget and Global are the receiver's limits as the team configured them (zero: none known).
	PerTarget, Global channel.Rate
	Now               func() time.Time // clock for the timestamp; nil means time.Now
}

// New returns a Sender signing with secret.
func New(secret string) *Sender {
	return &Sender{Secret: secret, Client: defaultClient()}
}

func defaultClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		// A redirected POST becomes a GET without a body; report the redirect instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// WithSecret returns a copy of s signing with secret: each group has its own.
func (s *Sender) WithSecret(secret string) channel.Sender {
	c := *s
	c.Secret = secret
	return &c
}

// Idempotent is true: receivers de-duplicate by Idempotency-Key, so an unknown outcome can be retried.
func (s *Sender) Idempotent() bool { return true }

// Limits returns the configured limits.
func (s *Sender) Limits() channel.Limits {
	return channel.Limits{PerTarget: s.PerTarget, Global: s.Global}
}

// Parts is 1: the whole post is one request.
func (s *Sender) Parts(channel.Message) int { return 1 }

// Sign returns the X-Qunke-Signature value for body sent at timestamp (unix seconds, as in the header).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verification errors.
var (
	ErrMissingHeaders = errors.New("webhook: missing X-Qunke-Timestamp or X-Qunke-Signature")
	ErrStale          = errors.New("webhook: timestamp too far from now")
	ErrBadSignature   = errors.New("webhook: bad signature")
)

// Verify checks a delivery's signature and timestamp as a receiver should: the signature must match
// (compared in constant time) and the timestamp be within skew of now (MaxSkew if skew is 0).
func Verify(secret string, h http.Header, body []byte, now time.Time, skew time.Duration) error {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return ErrMissingHeaders
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStale
	}
	if skew <= 0 {
		skew = MaxSkew
	}
	if d := now.Sub(time.Unix(secs, 0)); d > skew || d < -skew {
		return ErrStale
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}

// Send posts m to the webhook URL target. m.SkipParts >= 1 sends nothing (the post is one part).
func (s *Sender) Send(ctx context.Context, target string, m channel.Message) (channel.Receipt, error) {
	var rc channel.Receipt
	secrets := append(channel.URLSecrets(target), s.Secret)
	what := "webhook " + redactURL(target)
	switch {
	case m.SkipParts >= 1:
		return rc, nil
	case !strings.HasPrefix(target, "https://") && !strings.HasPrefix(target, "http://"):
		return rc, &channel.Permanent{Reason: "webhook: the group's target is not an http(s) URL"}
	case strings.TrimSpace(m.Text) == "" && len(m.Poster) == 0:
		return rc, &channel.Permanent{Reason: "webhook: empty post (no text, no poster)"}
	case m.Key == "":
		return rc, &channel.Permanent{Reason: "webhook: message has no idempotency key"}
	}
	if err := channel.ContextNotSent(ctx, what); err != nil {
		return rc, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	p := Payload{Key: m.Key, Text: m.Text, SentAt: t.UTC().Format(time.RFC3339)}
	if len(m.Poster) > 0 {
		p.PosterBase64 = base64.StdEncoding.EncodeToString(m.Poster)
		p.PosterName = m.PosterName
		if p.PosterName == "" {
			p.PosterName = "poster.png"
		}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return rc, &channel.Permanent{Reason: "webhook: " + err.Error()}
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return rc, &channel.Permanent{Reason: what + ": bad URL: " + channel.Redact(err, secrets...).Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Qunke-Webhook/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(s.Secret, ts, body))
	req.Header.Set(HeaderIdempotency, m.Key)
	client := s.Client
	if client == nil {
		client = defaultClient()
	}
	resp, connected, err := channel.Do(client, req)
	if err != nil {
		return rc, channel.TransportError(what, err, connected, secrets...)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	st := resp.StatusCode
	switch {
	case st >= 200 && st < 300 || st == http.StatusConflict:
		rc.IDs = answerIDs(raw)
		return rc, nil
	case st == http.StatusTooManyRequests:
		d, ok := channel.ParseRetryAfter(resp.Header.Get("Retry-After"), now())
		if !ok || d <= 0 {
			d = DefaultRetryAfter
		}
		return rc, &channel.RetryAfter{After: d, Reason: what + ": HTTP 429 Too Many Requests"}
	case st == http.StatusRequestTimeout || st >= 500:
		return rc, channel.UnknownOutcome(what, fmt.Sprintf("HTTP %d %s", st, http.StatusText(st)))
	case st >= 300 && st < 400:
		return rc, &channel.Permanent{Reason: fmt.Sprintf("%s: HTTP %d redirect: update the group's target to the final URL", what, st)}
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return rc, &channel.Permanent{Reason: fmt.Sprintf("%s: HTTP %d: the receiver rejected the signature (check the shared secret and both clocks)", what, st)}
	default:
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if red := channel.Redact(errors.New(msg), secrets...); red != nil {
			msg = red.Error()
		}
		return rc, &channel.Permanent{Reason: fmt.Sprintf("%s: HTTP %d %s: %s", what, st, http.StatusText(st), msg)}
	}
}

// answerIDs reads optional message ids from a receiver's answer: {"id":"..."} or {"ids":["...",...]}.
func answerIDs(raw []byte) []string {
	var a struct {
		ID  json.RawMessage   `json:"id"`
		IDs []json.RawMessage `json:"ids"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return nil
	}
	var ids []string
	add := func(r json.RawMessage) {
		var s string
		if json.Unmarshal(r, &s) == nil && s != "" {
			ids = append(ids, s)
			return
		}
		var n json.Number
		if json.Unmarshal(r, &n) == nil && n != "" {
			ids = append(ids, n.String())
		}
	}
	if len(a.ID) > 0 {
		add(a.ID)
	}
	for _, r := range a.IDs {
		add(r)
	}
	return ids
}

// redactURL keeps the scheme and host of a target URL for messages; the path and query may hold a token.
func redactURL(target string) string {
	rest, ok := strings.CutPrefix(target, "https://")
	scheme := "https://"
	if !ok {
		rest, ok = strings.CutPrefix(target, "http://")
		scheme = "http://"
	}
	if !ok {
		return "(invalid URL)"
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	return scheme + host + "/…"
}
