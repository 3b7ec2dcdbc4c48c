package wecom

// The customer-contact (客户联系) API client: the access token, the list of
// customer groups (客户群) and each group's members. See docs/wecom.md,
// "API sync".

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish/channel"
)

// DefaultBaseURL is WeCom's API server (the robots' too: `--wecom-api`).
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// WeCom's error codes the client acts on.
const (
	ErrBadSecret    = 40001 // invalid credential: the secret is wrong
	ErrBadCorpID    = 40013 // invalid corpid
	ErrBadToken     = 40014 // invalid access_token
	ErrTokenExpired = 42001 // access_token expired
	ErrFreqLimit    = 45009 // api freq out of limit
	ErrConcurrency  = 45033 // api concurrent out of limit
	ErrBadParam     = 40058 // invalid request parameter (e.g. limit out of 1..1000)
	ErrNoChat       = 40050 // chat_id does not exist
	ErrNoPrivilege  = 60011 // no privilege to access/modify contact/party/agent
	ErrAPIForbidden = 48002 // api forbidden: the secret's app may not call it
)

// Limits of the API and of what the client reads.
const (
	MaxListLimit = 1000    // groupchat/list: limit is 1..1000
	maxBody      = 8 << 20 // a member list of 2,000 is well under 1 MB
)

// Client calls the customer-contact API with the corp id and the
// customer-contact secret (客户联系 secret). The secret and the access token
// never appear in errors or logs. Set the fields before the first call; a
// Client is then safe for concurrent use.
type Client struct {
	BaseURL string // DefaultBaseURL if empty; tests point it at wecomfake
	CorpID  string
	Secret  string       // QUNKE_WECOM_SECRET, from the environment only
	HTTP    *http.Client // nil: a client with a 30 s timeout

	// RateRetries is how many times a call answered 45009 or 45033 (rate
	// or concurrency limit) is tried again, waiting Backoff, then twice as
	// long each time; 0 means 4, a negative value none.
	RateRetries int
	Backoff     time.Duration // 0 means 2 s
	// Sleep waits d or until ctx ends (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewClient returns a client of corpID with secret against base ("" for
// DefaultBaseURL).
func NewClient(base, corpID, secret string) *Client {
	return &Client{BaseURL: base, CorpID: corpID, Secret: secret}
}

// HasCredentials reports whether the corp id and the secret are set.
func (c *Client) HasCredentials() bool { return c.CorpID != "" && c.Secret != "" }

// ErrNoCredentials says the corp id or the secret is missing.
var ErrNoCredentials = msg.New("wecom.no_credentials")

// APIError is an errcode answer of WeCom, e.g. {"errcode":45009,"errmsg":"api freq out of limit"}.
// The client's errors wrap it; errors.As finds it.
type APIError struct {
	Call    string // "gettoken", "externalcontact/groupchat/list", ...
	Code    int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Call, e.Code, e.Message)
}

// ChatRef is one customer group as groupchat/list gives it.
type ChatRef struct {
	ChatID string `json:"chat_id"`
	Status int    `json:"status"` // 0 normal, 1 its owner left (awaiting handover), 2 handover pending, 3 handed over
}

// ListFilter selects the groups of ListChats.
type ListFilter struct {
	Status int      // status_filter: 0 all (default), 1 owner left, 2 handover pending, 3 handed over
	Owners []string // owner_filter.userid_list; empty: every owner
	Cursor string   // "" for the first page
	Limit  int      // 1..1000; 0 means 1000
}

// ListPage is one page of groupchat/list.
type ListPage struct {
	Chats      []ChatRef
	NextCursor string // "" on the last page
}

// Chat is one customer group with its members, from groupchat/get.
type Chat struct {
	ChatID        string
	Name          string
	Owner         string // the owner's userid
	Notice        string
	Created       time.Time
	Members       []Member
	Admins        []string // userids
	MemberVersion string   // changes whenever the member list does
}

// Member is one member of a customer group.
type Member struct {
	UserID        string    // a corp member's userid (Type 1) or an external userid (Type 2)
	Type          int       // 1 corp member, 2 external contact
	UnionID       string    // WeChat unionid of an external contact, when the corp may see it
	JoinTime      time.Time // UTC
	JoinScene     int       // 1 invited directly, 2 invite link, 3 QR code
	Invitor       string    // the inviter's userid, when someone invited
	GroupNickname string    // nickname in this group
	Name          string    // the name (WeChat nickname of an external contact)
	State         string    // the join-way state (联系我/加入群聊 state) it came in by
}

// Member types and join scenes of groupchat/get.
const (
	MemberCorp     = 1
	MemberExternal = 2

	SceneInvite = 1
	SceneLink   = 2
	SceneQR     = 3
)

// ListChats returns one page of the corp's customer groups.
func (c *Client) ListChats(ctx context.Context, f ListFilter) (ListPage, error) {
	limit := f.Limit
	if limit == 0 {
		limit = MaxListLimit
	}
	if limit < 1 || limit > MaxListLimit {
		return ListPage{}, msg.New("wecom.bad_limit", limit, MaxListLimit)
	}
	body := map[string]any{"status_filter": f.Status, "limit": limit}
	if f.Cursor != "" {
		body["cursor"] = f.Cursor
	}
	if len(f.Owners) > 0 {
		body["owner_filter"] = map[string]any{"userid_list": f.Owners}
	}
	var a struct {
		List []ChatRef `json:"group_chat_list"`
		Next string    `json:"next_cursor"`
	}
	if err := c.call(ctx, "externalcontact/groupchat/list", body, &a); err != nil {
		return ListPage{}, err
	}
	return ListPage{Chats: a.List, NextCursor: a.Next}, nil
}

// Chat returns one customer group with its members and their names.
func (c *Client) Chat(ctx context.Context, chatID string) (*Chat, error) {
	if chatID == "" {
		return nil, msg.New("wecom.no_chat_id")
	}
	var a struct {
		G struct {
			ChatID     string `json:"chat_id"`
			Name       string `json:"name"`
			Owner      string `json:"owner"`
			CreateTime int64  `json:"create_time"`
			Notice     string `json:"notice"`
			Members    []struct {
				UserID    string `json:"userid"`
				Type      int    `json:"type"`
				UnionID   string `json:"unionid"`
				JoinTime  int64  `json:"join_time"`
				JoinScene int    `json:"join_scene"`
				Invitor   *struct {
					UserID string `json:"userid"`
				} `json:"invitor"`
				GroupNickname string `json:"group_nickname"`
				Name          string `json:"name"`
				State         string `json:"state"`
			} `json:"member_list"`
			Admins []struct {
				UserID string `json:"userid"`
			} `json:"admin_list"`
			MemberVersion string `json:"member_version"`
		} `json:"group_chat"`
	}
	if err := c.call(ctx, "externalcontact/groupchat/get", map[string]any{"chat_id": chatID, "need_name": 1}, &a); err != nil {
		return nil, err
	}
	g := a.G
	if g.ChatID == "" {
		return nil, msg.New("wecom.unreadable", "externalcontact/groupchat/get", "group_chat.chat_id")
	}
	ch := &Chat{ChatID: g.ChatID, Name: g.Name, Owner: g.Owner, Notice: g.Notice, MemberVersion: g.MemberVersion}
	if g.CreateTime > 0 {
		ch.Created = time.Unix(g.CreateTime, 0).UTC()
	}
	for _, m := range g.Members {
		if m.UserID == "" {
			continue // WeCom always names a member; a row without one tells nothing
		}
		mm := Member{UserID: m.UserID, Type: m.Type, UnionID: m.UnionID, JoinScene: m.JoinScene,
			GroupNickname: m.GroupNickname, Name: m.Name, State: m.State}
		if m.JoinTime > 0 {
			mm.JoinTime = time.Unix(m.JoinTime, 0).UTC()
		}
		if m.Invitor != nil {
			mm.Invitor = m.Invitor.UserID
		}
		ch.Members = append(ch.Members, mm)
	}
	for _, ad := range g.Admins {
		ch.Admins = append(ch.Admins, ad.UserID)
	}
	return ch, nil
}

// call POSTs body to path with the access token and decodes the answer
// into out. It gets a token first if it has none, renews it once when
// WeCom says it expired or is invalid (42001, 40014), and waits and tries
// again when WeCom says the rate or concurrency limit is hit (45009,
// 45033).
func (c *Client) call(ctx context.Context, path string, body any, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	renewed, waits := false, 0
	wait := c.backoff()
	for {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.do(ctx, http.MethodPost, path, url.Values{"access_token": {tok}}, raw, out, tok)
		var ae *APIError
		if !errors.As(err, &ae) {
			return err
		}
		switch ae.Code {
		case ErrBadToken, ErrTokenExpired:
			if renewed {
				return msg.Wrap(err, "wecom.token_rejected", path, ae.Code)
			}
			c.forget(tok)
			renewed = true
			continue
		case ErrFreqLimit, ErrConcurrency:
			if waits >= c.rateRetries() {
				return msg.Wrap(err, "wecom.rate_limited", path, ae.Code, waits)
			}
			if err := c.sleep(ctx, wait); err != nil {
				return err
			}
			waits++
			wait *= 2
			continue
		}
		return apiErr(err, ae)
	}
}

// apiErr maps WeCom's errcodes to messages saying what to fix.
func apiErr(err error, ae *APIError) error {
	switch ae.Code {
	case ErrBadSecret:
		return msg.Wrap(err, "wecom.bad_secret", ae.Code)
	case ErrBadCorpID:
		return msg.Wrap(err, "wecom.bad_corp", ae.Code)
	case ErrNoPrivilege, ErrAPIForbidden:
		return msg.Wrap(err, "wecom.no_privilege", ae.Call, ae.Code)
	case ErrNoChat:
		return msg.Wrap(err, "wecom.no_chat", ae.Code)
	}
	return msg.Wrap(err, "wecom.api_error", ae.Call, ae.Code, ae.Message)
}

// accessToken returns the cached token, or gets one when there is none
// or it is about to expire (forget drops one WeCom refused).
func (c *Client) accessToken(ctx context.Context) (string, error) {
	if !c.HasCredentials() {
		return "", ErrNoCredentials
	}
	c.mu.Lock()
	defer c.mu.Unlock() // one gettoken at a time: the others wait for its token
	now := c.now()
	if c.token != "" && now.Before(c.expires) {
		return c.token, nil
	}
	var a struct {
		Token     string `json:"access_token"`
		ExpiresIn int64  `json:"expires_in"`
	}
	q := url.Values{"corpid": {c.CorpID}, "corpsecret": {c.Secret}}
	err := c.do(ctx, http.MethodGet, "gettoken", q, nil, &a, c.Secret)
	var ae *APIError
	if errors.As(err, &ae) {
		return "", apiErr(err, ae)
	}
	if err != nil {
		return "", err
	}
	if a.Token == "" {
		return "", msg.New("wecom.unreadable", "gettoken", "access_token")
	}
	life := time.Duration(a.ExpiresIn) * time.Second
	if life <= 0 {
		life = 2 * time.Hour
	}
	// Renew a little before WeCom's expiry, so that a call does not carry
	// a token that runs out on the way.
	c.token, c.expires = a.Token, now.Add(life-min(life/10, 5*time.Minute))
	return c.token, nil
}

// forget drops tok from the cache if it is still the cached one (another
// call may have renewed it already).
func (c *Client) forget(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// do sends one request and decodes WeCom's answer: an *APIError for a
// non-zero errcode, a msg error for a transport failure or an answer that
// is not WeCom's; secret is redacted from every error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any, secret string) error {
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/cgi-bin/"+path+"?"+q.Encode(), rd)
	if err != nil {
		return msg.New("wecom.bad_base_url", channel.Redact(err, secret, c.Secret).Error())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return msg.New("wecom.transport", path, channel.Redact(err, secret, c.Secret).Error())
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return msg.New("wecom.transport", path, channel.Redact(err, secret, c.Secret).Error())
	}
	if len(raw) > maxBody {
		return msg.New("wecom.too_large", path, maxBody>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return msg.New("wecom.http_status", path, resp.StatusCode)
	}
	var head struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.ErrCode == nil {
		return msg.New("wecom.unreadable", path, "errcode")
	}
	if *head.ErrCode != 0 {
		m := channel.Redact(errors.New(head.ErrMsg), secret, c.Secret).Error()
		return &APIError{Call: path, Code: *head.ErrCode, Message: m}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return msg.New("wecom.unreadable", path, err.Error())
	}
	return nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) rateRetries() int {
	switch {
	case c.RateRetries < 0:
		return 0
	case c.RateRetries == 0:
		return 4
	}
	return c.RateRetries
}

func (c *Client) backoff() time.Duration {
	if c.Backoff > 0 {
		return c.Backoff
	}
	return 2 * time.Second
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
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
