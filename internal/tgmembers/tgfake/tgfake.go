// Package tgfake is a local Telegram Bot API server for the updates side of a bot
// (https://core.telegram.org/bots/api#getting-updates): getUpdates, setWebhook, deleteWebhook,
// getWebhookInfo, getMe and getChatMember, as the API documents them:
//
//   - getUpdates: offset confirms every update below it (a negative offset keeps only the last -offset),
//     limit 1..100 (default 100), timeout long polling, allowed_updates remembered between calls (an empty
//     list or none ever given: every type but chat_member, message_reaction and message_reaction_count);
//     a second getUpdates while one is waiting ends the first with 409 "Conflict: terminated by other
//     getUpdates request"; while a webhook is set it answers 409 too;
//   - setWebhook: an HTTPS URL (else 400), a secret_token of 1-256 of A-Z a-z 0-9 _ -, max_connections,
//     allowed_updates; updates are then POSTed to the URL one at a time with the secret in
//     X-Telegram-Bot-Api-Secret-Token and kept until it answers 2xx (retried after RetryDelay);
//   - deleteWebhook (drop_pending_updates), getWebhookInfo, getMe (can_read_all_group_messages is false
//     while the privacy mode is on), getChatMember (the bot's own standing as set by SetBotStatus);
//   - createChatInviteLink and revokeChatInviteLink (invitelink.go): the bot must administer the chat
//     (SetBotStatus "administrator"), a name of at most 32 characters, member_limit 1-99999, an
//     expire_date in the future;
//   - a wrong token is 401 Unauthorized, an unknown method 404 Not Found; Fail injects an error answer
//     (e.g. 429 with retry_after) for the next calls of a method.
//
// Updates are given as the API's JSON (Push), so a test writes them as Telegram documents them.
package tgfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BotID is the fake bot's user id (the part of Token before the colon).
const BotID = 7000001

// defaultExcluded are the update types not sent unless allowed_updates names them.
var defaultExcluded = []string{"chat_member", "message_reaction", "message_reaction_count"}

type queued struct {
	id   int64
	kind string
	body json.RawMessage // the update's part of that kind
}

type fault struct {
	method     string
	code       int
	desc       string
	retryAfter int
	times      int
}

// Server is a fake Bot API server. It is safe for concurrent use.
type Server struct {
	URL   string // base URL for the client
	Token string // the token it accepts

	// RetryDelay is how long a failed webhook delivery waits before the next try (default 50 ms).
	RetryDelay time.Duration
	// WebhookClient delivers to the webhook (default: http.DefaultClient; an httptest TLS server's Client()
	// for an https test server).
	WebhookClient *http.Client

	srv *httptest.Server

	mu        sync.Mutex
	nextID    int64
	queue     []queued
	allowed   []string // nil: the default
	arrived   chan struct{}
	polling   chan struct{} // closed to end the waiting getUpdates with 409
	webhook   webhookState
	privacy   bool
	botStatus map[string]string // chat id or @username -> the bot's status
	faults    []*fault
	calls     map[string]int
	links     []InviteLink
	delivered int
	conflicts int
	stop      chan struct{}
}

type webhookState struct {
	url, secret    string
	maxConn        int
	lastErr        string
	lastErrAt      int64
	stopDeliveries chan struct{}
}

// New starts a fake with a random token, privacy mode on, and update ids from 500000000.
func New() *Server {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	s := &Server{
		Token:      strconv.Itoa(BotID) + ":AAF" + hex.EncodeToString(b),
		RetryDelay: 50 * time.Millisecond,
		nextID:     500000000,
		arrived:    make(chan struct{}),
		privacy:    true,
		botStatus:  map[string]string{},
		calls:      map[string]int{},
		stop:       make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close stops deliveries and the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// Push queues an update with the next update_id: kind is its optional field ("message", "chat_member",
// "my_chat_member", ...) and body that field's JSON object. It returns the update_id.
func (s *Server) Push(kind, body string) int64 {
	if !json.Valid([]byte(body)) {
		panic("tgfake: Push with invalid JSON: " + body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	s.queue = append(s.queue, queued{id: id, kind: kind, body: json.RawMessage(body)})
	close(s.arrived)
	s.arrived = make(chan struct{})
	return id
}

// Pending is the number of updates not yet confirmed (or delivered to the webhook).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Delivered is the number of webhook deliveries answered 2xx.
func (s *Server) Delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// Conflicts is how many getUpdates calls were answered 409 (another poller, or a webhook set).
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

// Calls is how many times method was called (with the right token).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// SetPrivacy sets the bot's privacy mode (on: it sees only commands and replies in groups unless admin).
func (s *Server) SetPrivacy(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privacy = on
}

// SetBotStatus sets the bot's status in a chat (by id, and by @username if given) for getChatMember.
func (s *Server) SetBotStatus(chatID, username, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botStatus[chatID] = status
	if username != "" {
		s.botStatus["@"+strings.ToLower(strings.TrimPrefix(username, "@"))] = status
	}
}

// Fail makes the next times calls of method answer the error code with desc (and retry_after, if > 0).
func (s *Server) Fail(method string, code int, desc string, retryAfter, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, code: code, desc: desc, retryAfter: retryAfter, times: max(times, 1)})
}

// Webhook returns the webhook's URL ("" if none).
func (s *Server) Webhook() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.url
}

type apiErr struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(desc string) *apiErr { return &apiErr{code: 400, desc: "Bad Request: " + desc} }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeErr(w, &apiErr{code: 404, desc: "Not Found"})
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok {
		writeErr(w, &apiErr{code: 404, desc: "Not Found"})
		return
	}
	if token != s.Token {
		writeErr(w, &apiErr{code: 401, desc: "Unauthorized"})
		return
	}
	params, err := parseParams(r)
	if err != nil {
		writeErr(w, badRequest(err.Error()))
		return
	}
	s.mu.Lock()
	s.calls[method]++
	for i, f := range s.faults {
		if f.method == method {
			f.times--
			if f.times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			s.mu.Unlock()
			writeErr(w, &apiErr{code: f.code, desc: f.desc, retryAfter: f.retryAfter})
			return
		}
	}
	s.mu.Unlock()
	var result any
	var e *apiErr
	switch method {
	case "getUpdates":
		result, e = s.getUpdates(r.Context(), params)
	case "setWebhook":
		result, e = s.setWebhook(params)
	case "deleteWebhook":
		result, e = s.deleteWebhook(params)
	case "getWebhookInfo":
		result = s.webhookInfo()
	case "getMe":
		s.mu.Lock()
		result = map[string]any{"id": BotID, "is_bot": true, "first_name": "Qunke", "username": "qunke_test_bot",
			"can_join_groups": true, "can_read_all_group_messages": !s.privacy, "supports_inline_queries": false}
		s.mu.Unlock()
	case "getChatMember":
		result, e = s.getChatMember(params)
	case "createChatInviteLink":
		result, e = s.createChatInviteLink(params)
	case "revokeChatInviteLink":
		result, e = s.revokeChatInviteLink(params)
	default:
		e = &apiErr{code: 404, desc: "Not Found"}
	}
	if e != nil {
		writeErr(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// allowedKinds is the set of update types sent now.
func (s *Server) allowedKind(kind string) bool {
	if s.allowed == nil {
		return !slices.Contains(defaultExcluded, kind)
	}
	return slices.Contains(s.allowed, kind)
}

// setAllowed applies an allowed_updates parameter, if given.
func (s *Server) setAllowed(p params) *apiErr {
	raw, ok := p["allowed_updates"]
	if !ok {
		return nil
	}
	var kinds []string
	if err := json.Unmarshal([]byte(raw), &kinds); err != nil {
		return badRequest("can't parse allowed updates")
	}
	if len(kinds) == 0 {
		s.allowed = nil
	} else {
		s.allowed = kinds
	}
	return nil
}

func (s *Server) getUpdates(ctx context.Context, p params) (any, *apiErr) {
	offset, e1 := p.int("offset", 0)
	limit, e2 := p.int("limit", 100)
	timeout, e3 := p.int("timeout", 0)
	for _, e := range []*apiErr{e1, e2, e3} {
		if e != nil {
			return nil, e
		}
	}
	limit = min(max(limit, 1), 100)
	s.mu.Lock()
	if s.webhook.url != "" {
		s.conflicts++
		s.mu.Unlock()
		return nil, &apiErr{code: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	if e := s.setAllowed(p); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	if s.polling != nil {
		close(s.polling) // the waiting request ends with 409
	}
	mine := make(chan struct{})
	s.polling = mine
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.polling == mine {
			s.polling = nil
		}
		s.mu.Unlock()
	}()
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		select {
		case <-mine:
			s.conflicts++
			s.mu.Unlock()
			return nil, &apiErr{code: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		default:
		}
		s.confirm(int64(offset))
		var out []map[string]any
		for _, q := range s.queue {
			if len(out) == limit {
				break
			}
			if q.id >= int64(offset) || offset <= 0 {
				out = append(out, map[string]any{"update_id": q.id, q.kind: q.body})
			}
		}
		arrived := s.arrived
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			if out == nil {
				out = []map[string]any{}
			}
			return out, nil
		}
		select {
		case <-arrived:
		case <-mine:
		case <-deadline:
			return []map[string]any{}, nil
		case <-ctx.Done():
			return nil, &apiErr{code: 499, desc: "client gone"}
		case <-s.stop:
			return []map[string]any{}, nil
		}
	}
}

// confirm forgets the updates offset confirms, and those of types not allowed now. Called with s.mu held.
func (s *Server) confirm(offset int64) {
	keep := s.queue[:0]
	for _, q := range s.queue {
		if offset > 0 && q.id < offset || !s.allowedKind(q.kind) {
			continue
		}
		keep = append(keep, q)
	}
	s.queue = keep
	if offset < 0 && int64(len(s.queue)) > -offset {
		s.queue = append([]queued(nil), s.queue[len(s.queue)-int(-offset):]...)
	}
}

var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(p params) (any, *apiErr) {
	raw := p["url"]
	secret, hasSecret := p["secret_token"]
	maxConn, e := p.int("max_connections", 40)
	if e != nil {
		return nil, e
	}
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
	}
	if hasSecret && !secretToken.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	if maxConn < 1 || maxConn > 100 {
		return nil, badRequest("bad webhook: max_connections must be between 1 and 100")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.setAllowed(p); e != nil {
		return nil, e
	}
	if p["drop_pending_updates"] == "true" {
		s.queue = nil
	}
	if s.webhook.stopDeliveries != nil {
		close(s.webhook.stopDeliveries)
	}
	s.webhook = webhookState{url: raw, secret: secret, maxConn: maxConn}
	if raw == "" {
		return true, nil
	}
	if s.polling != nil {
		close(s.polling)
		s.polling = nil
	}
	stop := make(chan struct{})
	s.webhook.stopDeliveries = stop
	go s.deliver(raw, secret, stop)
	return true, nil
}

func (s *Server) deleteWebhook(p params) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook.stopDeliveries != nil {
		close(s.webhook.stopDeliveries)
	}
	s.webhook = webhookState{}
	if p["drop_pending_updates"] == "true" {
		s.queue = nil
	}
	return true, nil
}

func (s *Server) webhookInfo() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := map[string]any{"url": s.webhook.url, "has_custom_certificate": false, "pending_update_count": len(s.queue)}
	if s.webhook.url != "" {
		info["max_connections"] = s.webhook.maxConn
		if s.webhook.lastErr != "" {
			info["last_error_date"], info["last_error_message"] = s.webhook.lastErrAt, s.webhook.lastErr
		}
	}
	if s.allowed != nil {
		info["allowed_updates"] = s.allowed
	}
	return info
}

// deliver posts the queue's updates to the webhook one at a time, in order, until stop.
func (s *Server) deliver(to, secret string, stop chan struct{}) {
	client := s.WebhookClient
	if client == nil {
		client = http.DefaultClient
	}
	for {
		s.mu.Lock()
		s.confirm(0)
		var next *queued
		if len(s.queue) > 0 {
			q := s.queue[0]
			next = &q
		}
		arrived := s.arrived
		s.mu.Unlock()
		if next == nil {
			select {
			case <-arrived:
				continue
			case <-stop:
				return
			case <-s.stop:
				return
			}
		}
		body, _ := json.Marshal(map[string]any{"update_id": next.id, next.kind: next.body})
		req, _ := http.NewRequest(http.MethodPost, to, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := client.Do(req)
		failure := ""
		if err != nil {
			failure = "Connection refused"
		} else {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				failure = fmt.Sprintf("Wrong response from the webhook: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
			}
		}
		s.mu.Lock()
		if failure == "" {
			if len(s.queue) > 0 && s.queue[0].id == next.id {
				s.queue = s.queue[1:]
			}
			s.delivered++
		} else {
			s.webhook.lastErr, s.webhook.lastErrAt = failure, time.Now().Unix()
		}
		s.mu.Unlock()
		if failure != "" {
			select {
			case <-time.After(s.RetryDelay):
			case <-stop:
				return
			case <-s.stop:
				return
			}
		}
	}
}

func (s *Server) getChatMember(p params) (any, *apiErr) {
	chat := strings.ToLower(p["chat_id"])
	user, e := p.int("user_id", 0)
	if e != nil {
		return nil, e
	}
	if chat == "" {
		return nil, badRequest("chat_id is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	status, ok := s.botStatus[chat]
	if !ok {
		return nil, badRequest("chat not found")
	}
	if user != BotID {
		return nil, badRequest("user not found")
	}
	if status == "kicked" || status == "left" {
		return nil, &apiErr{code: 403, desc: "Forbidden: bot is not a member of the supergroup chat"}
	}
	return map[string]any{"status": status, "user": map[string]any{"id": BotID, "is_bot": true, "first_name": "Qunke",
		"username": "qunke_test_bot"}}, nil
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": e.retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	status := e.code
	if status < 400 || status > 599 {
		status = 400
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// params are a call's parameters as strings; arrays and objects are kept as their JSON (the API's
// "JSON-serialized" parameters, e.g. allowed_updates).
type params map[string]string

func (p params) int(name string, def int) (int, *apiErr) {
	v, ok := p[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("invalid " + name + " specified")
	}
	return n, nil
}

func parseParams(r *http.Request) (params, error) {
	p := params{}
	for k, vs := range r.URL.Query() {
		p[k] = vs[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
			return nil, fmt.Errorf("can't parse JSON object")
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				p[k] = s
				continue
			}
			p[k] = string(raw) // numbers, booleans, arrays as written
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("can't parse form")
		}
		for k, vs := range r.PostForm {
			p[k] = vs[0]
		}
	case "":
	default:
		return nil, fmt.Errorf("unsupported Content-Type %q", ct)
	}
	return p, nil
}
