package tgmembers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultBaseURL is the Bot API server.
const DefaultBaseURL = "https://api.telegram.org"

// maxAnswer bounds an answer's size: 100 updates of a few KB each fit many times over.
const maxAnswer = 16 << 20

// Client calls the Bot API methods this package needs, with one bot's token. The token never appears in
// its errors.
type Client struct {
	Token   string
	BaseURL string       // DefaultBaseURL if empty
	HTTP    *http.Client // nil: a client with no overall timeout (each call has its own, see call)
}

// NewClient returns a client for the bot with token.
func NewClient(token, baseURL string) *Client {
	return &Client{Token: token, BaseURL: baseURL, HTTP: &http.Client{}}
}

// BotID is the bot's numeric id, the part of its token before the colon ("" if the token has none).
func BotID(token string) string {
	id, _, ok := strings.Cut(token, ":")
	if !ok {
		return ""
	}
	return id
}

// APIError is an error answer of the Bot API: {"ok":false,"error_code":409,"description":"Conflict: ..."}.
type APIError struct {
	Code        int
	Description string
	RetryAfter  int // parameters.retry_after, seconds (429)
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram API error %d: %s", e.Code, e.Description)
}

// IsConflict reports whether err is the API's 409: another getUpdates is running, or a webhook is set.
func IsConflict(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == http.StatusConflict
}

// IsUnauthorized reports whether err says the token is wrong or revoked.
func IsUnauthorized(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Code == http.StatusUnauthorized || e.Code == http.StatusNotFound)
}

// RetryAfter is how long err asks to wait (429's retry_after), 0 if it does not.
func RetryAfter(err error) time.Duration {
	var e *APIError
	if errors.As(err, &e) && (e.Code == http.StatusTooManyRequests || e.RetryAfter > 0) {
		return time.Duration(max(e.RetryAfter, 1)) * time.Second
	}
	return 0
}

// GetUpdates long-polls for updates from offset, at most limit (1..100), waiting up to timeout for the
// first one. It always asks for AllowedUpdates.
func (c *Client) GetUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration) ([]Update, error) {
	params := map[string]any{"limit": min(max(limit, 1), 100), "timeout": int(timeout / time.Second), "allowed_updates": AllowedUpdates}
	if offset != 0 {
		params["offset"] = offset
	}
	var ups []Update
	err := c.call(ctx, "getUpdates", params, timeout+30*time.Second, &ups)
	return ups, err
}

// SetWebhook makes Telegram deliver updates to url, with secret in the X-Telegram-Bot-Api-Secret-Token
// header, one at a time (max_connections 1: in order, so the stored offset also tells repeats).
func (c *Client) SetWebhook(ctx context.Context, url, secret string) error {
	var ok bool
	return c.call(ctx, "setWebhook", map[string]any{"url": url, "secret_token": secret, "max_connections": 1,
		"allowed_updates": AllowedUpdates}, 30*time.Second, &ok)
}

// DeleteWebhook removes the webhook (pending updates are kept), so getUpdates works again.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	var ok bool
	return c.call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, 30*time.Second, &ok)
}

// GetWebhookInfo tells the webhook's URL and its last delivery error.
func (c *Client) GetWebhookInfo(ctx context.Context) (WebhookInfo, error) {
	var w WebhookInfo
	err := c.call(ctx, "getWebhookInfo", map[string]any{}, 30*time.Second, &w)
	return w, err
}

// GetMe tells who the bot is, and whether it reads all group messages (privacy mode off).
func (c *Client) GetMe(ctx context.Context) (User, error) {
	var u User
	err := c.call(ctx, "getMe", map[string]any{}, 30*time.Second, &u)
	return u, err
}

// GetChatMember tells a user's standing in a chat (its id, or @username for a public one).
func (c *Client) GetChatMember(ctx context.Context, chat string, userID int64) (ChatMember, error) {
	var m ChatMember
	err := c.call(ctx, "getChatMember", map[string]any{"chat_id": chat, "user_id": userID}, 30*time.Second, &m)
	return m, err
}

type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call posts params as JSON to method and decodes the result into out, within timeout.
func (c *Client) call(ctx context.Context, method string, params map[string]any, timeout time.Duration, out any) error {
	if c.Token == "" {
		return errors.New("telegram " + method + ": no bot token configured")
	}
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/bot"+c.Token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("telegram %s: bad base URL: %s", method, c.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("telegram %s: %s", method, c.redact(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("telegram %s: reading the answer: %s", method, c.redact(err))
	}
	if len(raw) > maxAnswer {
		return fmt.Errorf("telegram %s: the answer is over %d bytes", method, maxAnswer)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil || (!a.OK && a.ErrorCode == 0) {
		return fmt.Errorf("telegram %s: HTTP %d without a Bot API answer (check the base URL)", method, resp.StatusCode)
	}
	if !a.OK {
		e := &APIError{Code: a.ErrorCode, Description: strings.ReplaceAll(a.Description, c.Token, "***")}
		if a.Parameters != nil {
			e.RetryAfter = a.Parameters.RetryAfter
		}
		return fmt.Errorf("telegram %s: %w", method, e)
	}
	if err := json.Unmarshal(a.Result, out); err != nil {
		return fmt.Errorf("telegram %s: unreadable result: %v", method, err)
	}
	return nil
}

// redact takes the token out of an error's text (a url.Error quotes the URL, which holds it).
func (c *Client) redact(err error) string {
	if c.Token == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), c.Token, "***")
}
