// Package fake is a local Telegram Bot API server for tests: sendPhoto and sendMessage with the real API's
// validation (token, chat, multipart/JSON/form parameters, HTML entity parsing, caption and text lengths in
// UTF-16 code units after entity parsing), its error answers (400, 401, 403, 429 with retry_after) and its
// rate limits, plus fault injection (5xx, proxy errors, slow or lost answers) and a record of every
// accepted message per chat.
//
//	tg := fake.New()
//	defer tg.Close()
//	tg.AddChat("-1001")
//	s := telegram.New(tg.Token)
//	s.BaseURL = tg.URL
//
// It is safe for concurrent use. It is stricter than the real API in one way only: parse_mode other than
// HTML (Markdown, MarkdownV2) is refused rather than parsed.
package fake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/fakehttp"
)

// Message is a message the fake accepted.
type Message struct {
	Chat      string
	MessageID int64
	Method    string // "sendPhoto" or "sendMessage"
	Text      string // caption or text after entity parsing (what a member reads)
	HTML      string // caption or text as sent
	PhotoMD5  string // hex md5 of the photo bytes; "" for sendMessage
	PhotoSize int
	PhotoName string
	At        time.Time
}

// Request is one request the fake answered (or dropped).
type Request struct {
	Method      string // Bot API method, "" if the path was not one
	Chat        string
	Status      int // HTTP status answered; 0 if the connection was dropped or the client left first
	Description string
	At          time.Time

	logged bool
}

// Fault is an injected failure, matched against requests in the order injected.
type Fault struct {
	Method string // Bot API method to match; "" matches any
	Chat   string // chat id to match; "" matches any
	Times  int    // number of matching requests it applies to; 0 means 1

	// What happens, in this order: Delay, then Drop, or an error answer (ErrorCode, or Status alone for a
	// non-API answer such as a proxy's 502 page), or, with neither, the normal handling.
	Delay       time.Duration // wait before answering (the client may time out first)
	Drop        bool          // close the connection without an answer
	Status      int           // HTTP status; with ErrorCode 0 the body is not a Bot API answer
	ErrorCode   int           // answer {"ok":false,"error_code":ErrorCode,"description":Description}
	Description string
	RetryAfter  int // parameters.retry_after

	// AfterAccept accepts and records the message first, then applies the fault: the message arrived but
	// the client cannot know it (unknown outcome).
	AfterAccept bool
}

type chat struct {
	kicked    bool
	migrateTo int64
	nextID    int64
	msgs      []Message
}

// Server is a fake Bot API server.
type Server struct {
	URL   string // base URL, for telegram.Sender.BaseURL
	Token string // the bot token it accepts

	srv *httptest.Server

	mu       sync.Mutex
	clock    func() time.Time
	chats    map[string]*chat
	perChat  []*channel.Limiter
	global   *channel.Limiter
	faults   []*Fault
	requests []Request
}

// New starts a fake with a random bot token, no chats, and Telegram's limits: 20 messages per minute per
// chat (the group limit) and 30 per second per bot. The one-per-second-per-chat guideline is not enforced
// (the real API tolerates short bursts); add it with SetLimits.
func New() *Server {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	s := &Server{
		Token: "123456789:AAF" + hex.EncodeToString(b),
		clock: time.Now,
		chats: make(map[string]*chat),
	}
	s.SetLimits([]channel.Rate{{N: 20, Per: time.Minute}}, channel.Rate{N: 30, Per: time.Second})
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetClock sets the clock used for rate limits and message times (default time.Now).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// SetLimits replaces the rate limits: each of perChat applies to every chat, global to the bot. Zero
// rates are no limit. Earlier counts are forgotten.
func (s *Server) SetLimits(perChat []channel.Rate, global channel.Rate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perChat = nil
	for _, r := range perChat {
		s.perChat = append(s.perChat, channel.NewLimiter(r))
	}
	s.global = channel.NewLimiter(global)
}

// AddChat makes a chat the bot is a member of.
func (s *Server) AddChat(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chats[id] == nil {
		s.chats[id] = &chat{}
	}
}

// Kick removes the bot from a chat: sends answer 403 "Forbidden: bot was kicked from the group chat".
func (s *Server) Kick(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		c.kicked = true
	}
}

// Migrate upgrades a group to a supergroup: sends to id answer 400 with parameters.migrate_to_chat_id.
func (s *Server) Migrate(id string, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		c.migrateTo = to
	}
	s.chats[strconv.FormatInt(to, 10)] = &chat{}
}

// InjectFault adds a fault; faults apply in the order injected.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// Messages returns the messages accepted in chat, in order.
func (s *Server) Messages(chat string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chat]; c != nil {
		return append([]Message(nil), c.msgs...)
	}
	return nil
}

// Requests returns every request answered so far, in order of answer.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

type params struct {
	chatID, text, caption, parseMode string
	photo                            []byte
	photoName                        string
	hasPhoto, photoIsFileID          bool
}

type apiErr struct {
	status      int
	code        int
	description string
	retryAfter  int
	migrateTo   int64
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	rec := Request{}
	defer s.logRequest(&rec) // if not logged before answering (client gone)

	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !strings.HasPrefix(r.URL.Path, "/bot") || !ok {
		s.writeErr(w, &rec, apiErr{status: 404, code: 404, description: "Not Found"})
		return
	}
	if token != s.Token {
		s.writeErr(w, &rec, apiErr{status: 401, code: 401, description: "Unauthorized"})
		return
	}
	rec.Method = method
	if method != "sendPhoto" && method != "sendMessage" {
		s.writeErr(w, &rec, apiErr{status: 404, code: 404, description: "Not Found: method not found"})
		return
	}
	p, perr := parseParams(r)
	rec.Chat = p.chatID
	f := s.takeFault(method, p.chatID)
	if f != nil && !f.AfterAccept {
		if done := s.applyFault(w, r, f, &rec); done {
			return
		}
	}
	var msg Message
	var e *apiErr
	if perr != nil {
		e = &apiErr{status: 400, code: 400, description: "Bad Request: " + perr.Error()}
	} else {
		msg, e = s.accept(method, p)
	}
	if e != nil {
		s.writeErr(w, &rec, *e)
		return
	}
	if f != nil && f.AfterAccept {
		if done := s.applyFault(w, r, f, &rec); done {
			return
		}
	}
	rec.Status = http.StatusOK
	s.logRequest(&rec)
	result := map[string]any{
		"message_id": msg.MessageID,
		"date":       msg.At.Unix(),
		"chat":       map[string]any{"id": json.Number(p.chatID), "type": "supergroup"},
	}
	if method == "sendPhoto" {
		result["photo"] = []map[string]any{{"file_id": "fake-" + msg.PhotoMD5, "file_unique_id": msg.PhotoMD5[:8], "file_size": msg.PhotoSize}}
		if msg.Text != "" {
			result["caption"] = msg.Text
		}
	} else {
		result["text"] = msg.Text
	}
	if _, err := strconv.ParseInt(p.chatID, 10, 64); err != nil {
		result["chat"] = map[string]any{"username": strings.TrimPrefix(p.chatID, "@"), "type": "channel"}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// applyFault applies f and reports whether the request has been answered (or dropped).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, rec *Request) bool {
	if !fakehttp.Wait(r, f.Delay) {
		rec.Description = "client gone"
		return true
	}
	switch {
	case f.Drop:
		rec.Description = "dropped"
		s.logRequest(rec)
		fakehttp.Drop(w)
		return true
	case f.ErrorCode != 0:
		status := f.Status
		if status == 0 {
			status = f.ErrorCode
		}
		s.writeErr(w, rec, apiErr{status: status, code: f.ErrorCode, description: f.Description, retryAfter: f.RetryAfter})
		return true
	case f.Status != 0:
		rec.Status, rec.Description = f.Status, http.StatusText(f.Status)
		s.logRequest(rec)
		fakehttp.ErrorPage(w, f.Status)
		return true
	}
	return false
}

func (s *Server) takeFault(method, chat string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == method) && (f.Chat == "" || f.Chat == chat) {
			f.Times--
			if f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			c := *f
			return &c
		}
	}
	return nil
}

// accept validates a send like the API does and records it.
func (s *Server) accept(method string, p params) (Message, *apiErr) {
	bad := func(d string) *apiErr { return &apiErr{status: 400, code: 400, description: "Bad Request: " + d} }
	if p.chatID == "" {
		return Message{}, bad("chat_id is empty")
	}
	var html, plain string
	switch method {
	case "sendPhoto":
		if !p.hasPhoto {
			return Message{}, bad("there is no photo in the request")
		}
		if p.photoIsFileID {
			return Message{}, bad("wrong file identifier/HTTP URL specified")
		}
		if len(p.photo) > 10<<20 {
			return Message{}, bad("file is too big")
		}
		if ct := http.DetectContentType(p.photo); !strings.HasPrefix(ct, "image/") {
			return Message{}, bad("IMAGE_PROCESS_FAILED")
		}
		html = p.caption
	default:
		html = p.text
	}
	plain = html
	switch strings.ToLower(p.parseMode) {
	case "":
	case "html":
		var err error
		if plain, err = ParseHTML(html); err != nil {
			return Message{}, bad("can't parse entities: " + err.Error())
		}
	default:
		return Message{}, bad("unsupported parse_mode in this fake: " + p.parseMode)
	}
	plain = strings.TrimSpace(plain)
	switch method {
	case "sendPhoto":
		if utf16Len(plain) > 1024 {
			return Message{}, bad("message caption is too long")
		}
	default:
		if plain == "" {
			return Message{}, bad("message text is empty")
		}
		if utf16Len(plain) > 4096 {
			return Message{}, bad("message is too long")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[p.chatID]
	switch {
	case c == nil:
		return Message{}, bad("chat not found")
	case c.kicked:
		return Message{}, &apiErr{status: 403, code: 403, description: "Forbidden: bot was kicked from the group chat"}
	case c.migrateTo != 0:
		e := bad("group chat was upgraded to a supergroup chat")
		e.migrateTo = c.migrateTo
		return Message{}, e
	}
	now := s.clock()
	var wait time.Time
	for _, l := range s.perChat {
		if ok, at := l.Check(p.chatID, 1, now); !ok && at.After(wait) {
			wait = at
		}
	}
	if ok, at := s.global.Check("", 1, now); !ok && at.After(wait) {
		wait = at
	}
	if !wait.IsZero() {
		secs := int(math.Ceil(wait.Sub(now).Seconds()))
		secs = max(secs, 1)
		return Message{}, &apiErr{status: 429, code: 429, description: fmt.Sprintf("Too Many Requests: retry after %d", secs), retryAfter: secs}
	}
	for _, l := range s.perChat {
		l.TryTake(p.chatID, 1, now)
	}
	s.global.TryTake("", 1, now)
	c.nextID++
	m := Message{Chat: p.chatID, MessageID: c.nextID, Method: method, Text: plain, HTML: html, At: now}
	if method == "sendPhoto" {
		sum := md5.Sum(p.photo)
		m.PhotoMD5, m.PhotoSize, m.PhotoName = hex.EncodeToString(sum[:]), len(p.photo), p.photoName
	}
	c.msgs = append(c.msgs, m)
	return m, nil
}

// logRequest records rec once, before its answer is written, so that a client that has its answer
// finds its request in Requests.
func (s *Server) logRequest(rec *Request) {
	if rec.logged {
		return
	}
	rec.logged = true
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.At = s.clock()
	s.requests = append(s.requests, *rec)
}

func (s *Server) writeErr(w http.ResponseWriter, rec *Request, e apiErr) {
	rec.Status, rec.Description = e.status, e.description
	s.logRequest(rec)
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.description}
	ps := map[string]any{}
	if e.retryAfter > 0 {
		ps["retry_after"] = e.retryAfter
	}
	if e.migrateTo != 0 {
		ps["migrate_to_chat_id"] = e.migrateTo
	}
	if len(ps) > 0 {
		body["parameters"] = ps
	}
	w.Header().Set("Content-Type", "application/json")
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}

// parseParams reads the parameters from the query string and a JSON, urlencoded or multipart body, as the
// Bot API accepts them.
func parseParams(r *http.Request) (params, error) {
	var p params
	vals := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return p, fmt.Errorf("can't parse JSON object")
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				vals.Set(k, v)
			case json.Number:
				vals.Set(k, v.String())
			case bool:
				vals.Set(k, strconv.FormatBool(v))
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return p, fmt.Errorf("can't parse form")
		}
		for k, vs := range r.PostForm {
			vals[k] = vs
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return p, fmt.Errorf("can't parse multipart form: %v", err)
		}
		for k, vs := range r.MultipartForm.Value {
			vals[k] = vs
		}
		if fhs := r.MultipartForm.File["photo"]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return p, err
			}
			p.photo, err = io.ReadAll(f)
			f.Close()
			if err != nil {
				return p, err
			}
			p.hasPhoto, p.photoName = true, fhs[0].Filename
		}
	case "":
	default:
		return p, fmt.Errorf("unsupported Content-Type %q", ct)
	}
	p.chatID = vals.Get("chat_id")
	p.text = vals.Get("text")
	p.caption = vals.Get("caption")
	p.parseMode = vals.Get("parse_mode")
	if v := vals.Get("photo"); v != "" && !p.hasPhoto {
		// A file_id or URL; this fake knows no files and fetches nothing.
		p.hasPhoto, p.photoIsFileID = true, true
	}
	return p, nil
}
