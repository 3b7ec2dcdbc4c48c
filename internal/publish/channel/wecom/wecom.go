// Package wecom delivers deal posts to WeCom (企业微信) groups through a group robot (群机器人) webhook:
// POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY with the poster as an image message
// ({"msgtype":"image","image":{"base64":...,"md5":...}}, at most 2 MB, JPG or PNG), then the copy as text
// messages of at most 2048 bytes of UTF-8 each, split at line breaks.
//
// The target is the robot's key, or the whole webhook URL as WeCom shows it (the key is taken from it).
// The key is a secret: whoever has it can post into the group. It never appears in errors.
//
// WeCom answers HTTP 200 with {"errcode":0,"errmsg":"ok"}, or an errcode: 45009 (frequency limit: 20
// messages per minute per robot) becomes *channel.RetryAfter, 93000 (invalid webhook URL: the key is wrong
// or the robot was removed) and content errors (40008, 40058, 44004, ...) become *channel.Permanent, -1
// (system busy) and 5xx an unknown outcome. The robot returns no message ids.
package wecom

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
)

// DefaultBaseURL is WeCom's API server.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// Documented limits.
const (
	TextLimit     = 2048    // text.content, bytes of UTF-8
	MaxImageBytes = 2 << 20 // image, before base64
)

// Error codes the sender acts on.
const (
	ErrFreqLimit    = 45009 // api freq out of limit
	ErrInvalidURL   = 93000 // invalid webhook url: wrong key or robot removed
	ErrSystemBusy   = -1
	ErrInvalidType  = 40008 // invalid message type
	ErrInvalidParam = 40058 // invalid request parameter (e.g. content too long)
	ErrEmptyContent = 44004 // empty content
)

// Sender sends with WeCom group robots. Set the fields before the first Send; a Sender is then safe for
// concurrent use.
type Sender struct {
	BaseURL string       // DefaultBaseURL if empty; tests point it at a fake
	Client  *http.Client // nil: a client with a 30 s timeout
	// FreqRetry is the delay reported for errcode 45009, which carries no delay of its own. Waiting a full
	// minute always frees the robot's one-minute window. 0 means 60 s.
	FreqRetry time.Duration
}

// New returns a Sender talking to DefaultBaseURL.
func New() *Sender {
	return &Sender{BaseURL: DefaultBaseURL, Client: &http.Client{Timeout: 30 * time.Second}}
}

// Idempotent is false: a robot does not de-duplicate; resending after an unknown outcome may post twice.
func (s *Sender) Idempotent() bool { return false }

// Limits: a robot may send no more than 20 messages per minute. A post with a poster is at least two.
func (s *Sender) Limits() channel.Limits {
	return channel.Limits{PerTarget: channel.Rate{N: 20, Per: time.Minute}}
}

// Parts returns the number of messages Send makes for m: the image if there is a poster, plus one text
// message per 2048-byte part of the copy.
func (s *Sender) Parts(m channel.Message) int { return len(Plan(m)) }

// Part is one robot message of a post.
type Part struct {
	Image bool   // the poster; else a text message
	Text  string // text content
}

// Plan splits m into the messages Send makes, in order.
func Plan(m channel.Message) []Part {
	var parts []Part
	if len(m.Poster) > 0 {
		parts = append(parts, Part{Image: true})
	}
	for _, c := range channel.Split(m.Text, TextLimit, TextLimit, channel.UTF8Bytes) {
		parts = append(parts, Part{Text: c})
	}
	return parts
}

// Key returns the robot key of a target: the key itself, or the key parameter of a webhook URL.
func Key(target string) string {
	target = strings.TrimSpace(target)
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		if u, err := url.Parse(target); err == nil {
			return u.Query().Get("key")
		}
		return ""
	}
	return target
}

// Send posts m with the robot of target: see the package doc and channel.Message.SkipParts.
func (s *Sender) Send(ctx context.Context, target string, m channel.Message) (channel.Receipt, error) {
	var rc channel.Receipt
	key := Key(target)
	if key == "" {
		return rc, &channel.Permanent{Reason: "wecom: the group has no robot key (paste the robot's webhook URL or key)"}
	}
	if len(m.Poster) > 0 {
		if len(m.Poster) > MaxImageBytes {
			return rc, &channel.Permanent{Reason: fmt.Sprintf("wecom: poster is %d bytes, over the robot's 2 MB limit", len(m.Poster))}
		}
		if ct := http.DetectContentType(m.Poster); ct != "image/png" && ct != "image/jpeg" {
			return rc, &channel.Permanent{Reason: "wecom: poster is " + ct + "; a robot sends only PNG or JPEG"}
		}
	}
	parts := Plan(m)
	if len(parts) == 0 {
		return rc, &channel.Permanent{Reason: "wecom: empty post (no text, no poster)"}
	}
	for i := max(m.SkipParts, 0); i < len(parts); i++ {
		if err := s.sendPart(ctx, key, m, parts[i], i); err != nil {
			if i > 0 {
				return rc, &channel.Partial{Sent: i, IDs: rc.IDs, Err: err}
			}
			return rc, err
		}
	}
	return rc, nil
}

func (s *Sender) sendPart(ctx context.Context, key string, m channel.Message, p Part, i int) error {
	what := fmt.Sprintf("wecom robot text message %d", i+1)
	var payload any
	if p.Image {
		what = "wecom robot image"
		sum := md5.Sum(m.Poster)
		payload = map[string]any{"msgtype": "image", "image": map[string]string{
			"base64": base64.StdEncoding.EncodeToString(m.Poster),
			"md5":    hex.EncodeToString(sum[:]),
		}}
	} else {
		payload = map[string]any{"msgtype": "text", "text": map[string]string{"content": p.Text}}
	}
	if err := channel.ContextNotSent(ctx, what); err != nil {
		return err
	}
	body, _ := json.Marshal(payload)
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/cgi-bin/webhook/send?key="+url.QueryEscape(key), bytes.NewReader(body))
	if err != nil {
		return &channel.Permanent{Reason: what + ": bad base URL: " + channel.Redact(err, key).Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, connected, err := channel.Do(client, req)
	if err != nil {
		return channel.TransportError(what, err, connected, key)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return channel.UnknownOutcome(what, "reading the answer: "+channel.Redact(err, key).Error())
	}
	return s.answer(what, key, resp, raw)
}

// APIError is a WeCom error answer, e.g. {"errcode":45009,"errmsg":"api freq out of limit"}. Send wraps it
// in a channel error; errors.As finds it.
type APIError struct {
	Code    int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("wecom errcode %d: %s", e.Code, e.Message) }

func (s *Sender) answer(what, key string, resp *http.Response, raw []byte) error {
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.ErrCode == nil || resp.StatusCode != http.StatusOK {
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			d, ok := channel.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if !ok || d <= 0 {
				d = s.freqRetry()
			}
			return &channel.RetryAfter{After: d, Reason: what + ": HTTP 429"}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			return &channel.Permanent{Reason: fmt.Sprintf("%s: HTTP %d (check the base URL)", what, resp.StatusCode)}
		default:
			return channel.UnknownOutcome(what, fmt.Sprintf("HTTP %d with an unreadable answer", resp.StatusCode))
		}
	}
	if *a.ErrCode == 0 {
		return nil
	}
	e := &APIError{Code: *a.ErrCode, Message: a.ErrMsg}
	if red := channel.Redact(fmt.Errorf("%s", a.ErrMsg), key); red != nil {
		e.Message = red.Error()
	}
	switch e.Code {
	case ErrFreqLimit:
		return &channel.RetryAfter{After: s.freqRetry(), Reason: what + ": " + e.Error() + " (20 messages per minute per robot)", Err: e}
	case ErrSystemBusy:
		return &unknownAPIError{what: what, e: e}
	case ErrInvalidURL:
		return &channel.Permanent{Reason: what + ": " + e.Error() + " (the robot key is wrong or the robot was removed from the group)", Err: e}
	default:
		return &channel.Permanent{Reason: what + ": " + e.Error(), Err: e}
	}
}

func (s *Sender) freqRetry() time.Duration {
	if s.FreqRetry > 0 {
		return s.FreqRetry
	}
	return time.Minute
}

type unknownAPIError struct {
	what string
	e    *APIError
}

func (u *unknownAPIError) Error() string { return u.what + ": outcome unknown: " + u.e.Error() }
func (u *unknownAPIError) Unwrap() error { return u.e }
