// Package fake is a local WeCom group robot webhook server for tests: POST /cgi-bin/webhook/send?key=KEY
// with text and image messages, validated like WeCom does (key, JSON, msgtype, content length in bytes,
// base64, md5 of the image, image size and format), WeCom's errcode answers (always HTTP 200), its limit of
// 20 messages per minute per robot (errcode 45009), fault injection, and a record of every accepted message
// per robot key.
//
//	wc := fake.New()
//	defer wc.Close()
//	key := wc.AddRobot()
//	s := wecom.New()
//	s.BaseURL = wc.URL
//
// The error codes for rare validation failures (bad JSON or base64, image format) are the closest
// documented ones; every one of them is a content error the sender must not retry. It is safe for
// concurrent use.
package fake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/fakehttp"
)

// Message is a message the fake accepted.
type Message struct {
	Key       string
	Type      string // "text" or "image"
	Content   string // text content
	ImageMD5  string // hex md5 of the decoded image
	ImageSize int
	At        time.Time
}

// Request is one request the fake answered (or dropped).
type Request struct {
	Key     string
	Type    string
	Status  int // HTTP status; 0 if dropped or the client left first
	ErrCode int
	ErrMsg  string
	At      time.Time

	logged bool
}

// Fault is an injected failure, matched against requests in the order injected.
type Fault struct {
	Key   string // robot key to match; "" matches any
	Type  string // msgtype to match; "" matches any
	Times int    // number of matching requests it applies to; 0 means 1

	// What happens, in this order: Delay, then Drop, or an errcode answer, or an HTTP Status with a
	// non-JSON body, or, with none of these, the normal handling.
	Delay   time.Duration
	Drop    bool
	ErrCode int // answer {"errcode":ErrCode,"errmsg":ErrMsg} with HTTP 200
	ErrMsg  string
	Status  int

	// AfterAccept accepts and records the message first, then applies the fault (unknown outcome).
	AfterAccept bool
}

// Server is a fake WeCom robot webhook server.
type Server struct {
	URL string // base URL, for wecom.Sender.BaseURL

	srv *httptest.Server

	mu       sync.Mutex
	clock    func() time.Time
	robots   map[string][]Message
	limiter  *channel.Limiter
	faults   []*Fault
	requests []Request
}

// New starts a fake with no robots and WeCom's limit of 20 messages per minute per robot.
func New() *Server {
	s := &Server{clock: time.Now, robots: make(map[string][]Message)}
	s.SetLimit(channel.Rate{N: 20, Per: time.Minute})
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetClock sets the clock used for the rate limit and message times (default time.Now).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// SetLimit replaces the per-robot rate limit (zero: none); earlier counts are forgotten.
func (s *Server) SetLimit(r channel.Rate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = channel.NewLimiter(r)
}

// AddRobot creates a robot with a random key, in WeCom's format, and returns the key.
func (s *Server) AddRobot() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	key := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	s.AddRobotKey(key)
	return key
}

// AddRobotKey creates a robot with the given key.
func (s *Server) AddRobotKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.robots[key]; !ok {
		s.robots[key] = []Message{}
	}
}

// RemoveRobot removes a robot from its group: its key answers 93000 from now on.
func (s *Server) RemoveRobot(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.robots, key)
}

// WebhookURL returns the robot's webhook URL on this fake, as WeCom shows it to the group owner.
func (s *Server) WebhookURL(key string) string { return s.URL + "/cgi-bin/webhook/send?key=" + key }

// InjectFault adds a fault; faults apply in the order injected.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// Messages returns the messages the robot with key accepted, in order.
func (s *Server) Messages(key string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.robots[key]...)
}

// Requests returns every request answered so far, in order of answer.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

type body struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Image *struct {
		Base64 string `json:"base64"`
		MD5    string `json:"md5"`
	} `json:"image"`
}

func errmsg(code int, msg string) string {
	return fmt.Sprintf("%s, hint: [%d-fake], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=%d", msg, time.Now().UnixNano()%1e6, code)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	rec := Request{Key: r.URL.Query().Get("key")}
	defer s.logRequest(&rec) // if not logged before answering (client gone)
	if r.URL.Path != "/cgi-bin/webhook/send" {
		rec.Status = http.StatusNotFound
		s.logRequest(&rec)
		http.NotFound(w, r)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var b body
	jerr := json.Unmarshal(raw, &b)
	rec.Type = b.MsgType
	f := s.takeFault(rec.Key, b.MsgType)
	if f != nil && !f.AfterAccept {
		if s.applyFault(w, r, f, &rec) {
			return
		}
	}
	code, text := s.accept(r.Method, rec.Key, b, jerr)
	if code != 0 {
		s.writeAnswer(w, &rec, code, text)
		return
	}
	if f != nil && f.AfterAccept {
		if s.applyFault(w, r, f, &rec) {
			return
		}
	}
	s.writeAnswer(w, &rec, 0, "ok")
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

func (s *Server) writeAnswer(w http.ResponseWriter, rec *Request, code int, msg string) {
	rec.Status, rec.ErrCode, rec.ErrMsg = http.StatusOK, code, msg
	s.logRequest(rec)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, rec *Request) bool {
	if !fakehttp.Wait(r, f.Delay) {
		rec.ErrMsg = "client gone"
		return true
	}
	switch {
	case f.Drop:
		rec.ErrMsg = "dropped"
		s.logRequest(rec)
		fakehttp.Drop(w)
		return true
	case f.ErrCode != 0:
		msg := f.ErrMsg
		if msg == "" {
			msg = errmsg(f.ErrCode, "injected error")
		}
		s.writeAnswer(w, rec, f.ErrCode, msg)
		return true
	case f.Status != 0:
		rec.Status, rec.ErrMsg = f.Status, http.StatusText(f.Status)
		s.logRequest(rec)
		fakehttp.ErrorPage(w, f.Status)
		return true
	}
	return false
}

func (s *Server) takeFault(key, typ string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Key == "" || f.Key == key) && (f.Type == "" || f.Type == typ) {
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

// accept validates a message like WeCom does and records it; code != 0 is the error answer.
func (s *Server) accept(method, key string, b body, jerr error) (int, string) {
	s.mu.Lock()
	_, known := s.robots[key]
	s.mu.Unlock()
	if key == "" || !known {
		return 93000, errmsg(93000, "invalid webhook url")
	}
	if method != http.MethodPost {
		return 40058, errmsg(40058, "invalid Request Parameter: POST required")
	}
	if jerr != nil {
		return 40058, errmsg(40058, "Warning: wrong json format. invalid Request Parameter")
	}
	m := Message{Key: key, Type: b.MsgType}
	switch b.MsgType {
	case "text":
		if b.Text == nil || strings.TrimSpace(b.Text.Content) == "" {
			return 44004, errmsg(44004, "empty content")
		}
		if !utf8.ValidString(b.Text.Content) {
			return 40058, errmsg(40058, "text.content must be utf8. invalid Request Parameter")
		}
		if n := len(b.Text.Content); n > 2048 {
			return 40058, errmsg(40058, "text.content exceed max length 2048. Invalid input invalid Request Parameter")
		}
		m.Content = b.Text.Content
	case "image":
		if b.Image == nil || b.Image.Base64 == "" {
			return 44004, errmsg(44004, "empty image")
		}
		img, err := base64.StdEncoding.DecodeString(b.Image.Base64)
		if err != nil {
			return 40058, errmsg(40058, "image.base64 invalid. invalid Request Parameter")
		}
		sum := md5.Sum(img)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), b.Image.MD5) {
			return 301019, errmsg(301019, "media md5 not match")
		}
		if len(img) > 2<<20 {
			return 40009, errmsg(40009, "invalid image size")
		}
		if ct := http.DetectContentType(img); ct != "image/png" && ct != "image/jpeg" {
			return 40005, errmsg(40005, "invalid file type")
		}
		m.ImageMD5, m.ImageSize = hex.EncodeToString(sum[:]), len(img)
	case "":
		return 40008, errmsg(40008, "invalid message type, msgtype missing")
	case "markdown", "news", "file", "voice", "template_card", "markdown_v2":
		return 40008, errmsg(40008, "invalid message type: this fake only takes text and image")
	default:
		return 40008, errmsg(40008, "invalid message type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if ok, _ := s.limiter.TryTake(key, 1, now); !ok {
		return 45009, errmsg(45009, "api freq out of limit")
	}
	m.At = now
	if _, ok := s.robots[key]; ok {
		s.robots[key] = append(s.robots[key], m)
	}
	return 0, ""
}
