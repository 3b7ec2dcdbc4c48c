// Package telegram delivers deal posts to Telegram groups through the Bot API
// (https://core.telegram.org/bots/api): sendPhoto with the poster and the first part of the copy as its
// caption, then sendMessage for the rest of a long copy.
//
// The copy is plain text; it is split into parts on the plain text (the API counts lengths after entity
// parsing, in UTF-16 code units: a caption holds 1024, a message 4096), then each part is escaped for
// parse_mode=HTML (&, <, >), so no cut ever falls inside an entity or a surrogate pair.
//
// The target is the chat id ("-1001234567890") or a public channel's "@username".
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
)

// DefaultBaseURL is the Bot API server.
const DefaultBaseURL = "https://api.telegram.org"

// Documented limits.
const (
	CaptionLimit  = 1024     // photo caption, UTF-16 code units after entity parsing
	TextLimit     = 4096     // text message, UTF-16 code units after entity parsing
	MaxPhotoBytes = 10 << 20 // sendPhoto upload
)

// Sender sends to Telegram chats with one bot. Set the fields before the first Send; a Sender is then safe
// for concurrent use.
type Sender struct {
	Token   string       // bot token "123456:ABC-..."; never appears in errors
	BaseURL string       // DefaultBaseURL if empty; tests point it at a fake
	Client  *http.Client // nil: a client with a 30 s timeout
}

// New returns a Sender for the bot with token, talking to DefaultBaseURL.
func New(token string) *Sender {
	return &Sender{Token: token, BaseURL: DefaultBaseURL, Client: &http.Client{Timeout: 30 * time.Second}}
}

// Idempotent is false: the Bot API does not de-duplicate; resending after an unknown outcome may post twice.
func (s *Sender) Idempotent() bool { return false }

// Limits are Telegram's documented bot limits: no more than 20 messages per minute to one group, about one
// message per second to one chat (short bursts tolerated), about 30 messages per second overall.
func (s *Sender) Limits() channel.Limits {
	return channel.Limits{
		PerTarget:      channel.Rate{N: 20, Per: time.Minute},
		PerTargetShort: channel.Rate{N: 1, Per: time.Second},
		Global:         channel.Rate{N: 30, Per: time.Second},
	}
}

// Parts returns the number of messages Send makes for m: the photo (carrying the first part of the copy)
// if there is a poster, plus one text message per further part.
func (s *Sender) Parts(m channel.Message) int { return len(Plan(m)) }

// Part is one Bot API message of a post.
type Part struct {
	Photo bool   // sendPhoto (with Text as caption) rather than sendMessage
	Text  string // plain text, before HTML escaping
}

// Plan splits m into the messages Send makes, in order.
func Plan(m channel.Message) []Part {
	var parts []Part
	if len(m.Poster) > 0 {
		chunks := channel.Split(m.Text, CaptionLimit, TextLimit, channel.UTF16Units)
		p := Part{Photo: true}
		if len(chunks) > 0 {
			p.Text, chunks = chunks[0], chunks[1:]
		}
		parts = append(parts, p)
		for _, c := range chunks {
			parts = append(parts, Part{Text: c})
		}
		return parts
	}
	for _, c := range channel.Split(m.Text, TextLimit, TextLimit, channel.UTF16Units) {
		parts = append(parts, Part{Text: c})
	}
	return parts
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeHTML escapes plain text for parse_mode=HTML: the three characters the API requires escaped.
// Escaping does not change the length the API counts (entities count as one character).
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }

// Send posts m to chat target: see the package doc and channel.Message.SkipParts.
func (s *Sender) Send(ctx context.Context, target string, m channel.Message) (channel.Receipt, error) {
	var rc channel.Receipt
	switch {
	case s.Token == "":
		return rc, &channel.Permanent{Reason: "telegram: no bot token configured"}
	case strings.TrimSpace(target) == "":
		return rc, &channel.Permanent{Reason: "telegram: the group has no chat id"}
	case len(m.Poster) > MaxPhotoBytes:
		return rc, &channel.Permanent{Reason: fmt.Sprintf("telegram: poster is %d bytes, over the %d byte limit", len(m.Poster), MaxPhotoBytes)}
	}
	parts := Plan(m)
	if len(parts) == 0 {
		return rc, &channel.Permanent{Reason: "telegram: empty post (no text, no poster)"}
	}
	for i := max(m.SkipParts, 0); i < len(parts); i++ {
		id, err := s.sendPart(ctx, target, m, parts[i])
		if err != nil {
			if i > 0 {
				return rc, &channel.Partial{Sent: i, IDs: rc.IDs, Err: err}
			}
			return rc, err
		}
		rc.IDs = append(rc.IDs, id)
	}
	return rc, nil
}

func (s *Sender) sendPart(ctx context.Context, chat string, m channel.Message, p Part) (string, error) {
	method := "sendMessage"
	if p.Photo {
		method = "sendPhoto"
	}
	what := "telegram " + method + " to " + chat
	if err := channel.ContextNotSent(ctx, what); err != nil {
		return "", err
	}
	var body bytes.Buffer
	var contentType string
	if p.Photo {
		w := multipart.NewWriter(&body)
		_ = w.WriteField("chat_id", chat)
		if p.Text != "" {
			_ = w.WriteField("caption", EscapeHTML(p.Text))
			_ = w.WriteField("parse_mode", "HTML")
		}
		name := m.PosterName
		if name == "" {
			name = "poster.png"
		}
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="photo"; filename=%q`, name))
		h.Set("Content-Type", http.DetectContentType(m.Poster))
		fw, _ := w.CreatePart(h)
		_, _ = fw.Write(m.Poster)
		_ = w.Close()
		contentType = w.FormDataContentType()
	} else {
		_ = json.NewEncoder(&body).Encode(map[string]string{
			"chat_id":    chat,
			"text":       EscapeHTML(p.Text),
			"parse_mode": "HTML",
		})
		contentType = "application/json"
	}
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/bot"+s.Token+"/"+method, &body)
	if err != nil {
		return "", &channel.Permanent{Reason: what + ": bad base URL: " + channel.Redact(err, s.Token).Error()}
	}
	req.Header.Set("Content-Type", contentType)
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, connected, err := channel.Do(client, req)
	if err != nil {
		return "", channel.TransportError(what, err, connected, s.Token)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", channel.UnknownOutcome(what, "reading the answer: "+channel.Redact(err, s.Token).Error())
	}
	return s.answer(what, resp, raw)
}

// APIError is an error answer of the Bot API, e.g.
// {"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}.
// Send wraps it in a channel error (RetryAfter, Permanent or unknown outcome); errors.As finds it.
type APIError struct {
	Code            int
	Description     string
	RetryAfter      int   // parameters.retry_after, seconds
	MigrateToChatID int64 // parameters.migrate_to_chat_id: the group became this supergroup
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram API error %d: %s", e.Code, e.Description)
}

type apiAnswer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func (s *Sender) answer(what string, resp *http.Response, raw []byte) (string, error) {
	var a apiAnswer
	if err := json.Unmarshal(raw, &a); err != nil || (!a.OK && a.ErrorCode == 0) {
		// Not a Bot API answer: a proxy's error page or a truncated body.
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			d, ok := channel.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if !ok || d <= 0 {
				d = time.Second
			}
			return "", &channel.RetryAfter{After: d, Reason: what + ": HTTP 429"}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			return "", &channel.Permanent{Reason: fmt.Sprintf("%s: HTTP %d without a Bot API answer (check the base URL)", what, resp.StatusCode)}
		default:
			return "", channel.UnknownOutcome(what, fmt.Sprintf("HTTP %d with an unreadable answer", resp.StatusCode))
		}
	}
	if a.OK {
		var msg struct {
			MessageID int64 `json:"message_id"`
		}
		_ = json.Unmarshal(a.Result, &msg)
		if msg.MessageID == 0 {
			return "", nil
		}
		return strconv.FormatInt(msg.MessageID, 10), nil
	}
	e := &APIError{Code: a.ErrorCode, Description: strings.ReplaceAll(a.Description, s.Token, "***")}
	if a.Parameters != nil {
		e.RetryAfter = a.Parameters.RetryAfter
		e.MigrateToChatID = a.Parameters.MigrateToChatID
	}
	return "", classify(what, e)
}

func classify(what string, e *APIError) error {
	switch {
	case e.Code == http.StatusTooManyRequests || e.RetryAfter > 0:
		d := time.Duration(e.RetryAfter) * time.Second
		if d <= 0 {
			d = time.Second
		}
		return &channel.RetryAfter{After: d, Reason: what + ": " + e.Description, Err: e}
	case e.MigrateToChatID != 0:
		return &channel.Permanent{Reason: fmt.Sprintf("%s: %s; the group's new chat id is %d",
			what, e.Description, e.MigrateToChatID), Err: &channel.Moved{NewTarget: strconv.FormatInt(e.MigrateToChatID, 10), Err: e}}
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusNotFound:
		return &channel.Permanent{Reason: what + ": " + e.Description + " (the bot token is wrong or revoked)", Err: e}
	case e.Code == http.StatusForbidden:
		return &channel.Permanent{Reason: what + ": " + e.Description + " (add the bot to the group again, or fix the chat id)", Err: e}
	case e.Code >= 400 && e.Code < 500:
		return &channel.Permanent{Reason: what + ": " + e.Description, Err: e}
	default: // 5xx: the API failed somewhere; the message may or may not have gone out
		return &unknownAPIError{what: what, e: e}
	}
}

type unknownAPIError struct {
	what string
	e    *APIError
}

func (u *unknownAPIError) Error() string { return u.what + ": outcome unknown: " + u.e.Error() }
func (u *unknownAPIError) Unwrap() error { return u.e }
