// Package fake is a local receiver of Qunke's generic webhook for tests, behaving as docs/webhook.md asks
// receivers to: it verifies the signature and the timestamp (±5 minutes), de-duplicates by
// Idempotency-Key (a repeat is answered 200 again, or 409 with SetDuplicateStatus, recorded once and
// counted), can rate-limit with 429 and Retry-After, and injects faults.
//
//	wh := fake.New("secret")
//	defer wh.Close()
//	s := webhook.New("secret")
//	s.Send(ctx, wh.Target("group-1"), m)
//
// It is safe for concurrent use.
package fake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/fakehttp"
	"github.com/qunke/qunke/internal/publish/channel/webhook"
)

// Delivery is a post the fake accepted (once per Idempotency-Key).
type Delivery struct {
	ID         string // id the fake answered with
	Path       string // target path, e.g. "/hook/group-1"
	Key        string
	Text       string
	PosterName string
	PosterMD5  string // hex md5 of the decoded poster; "" without poster
	PosterSize int
	SentAt     string
	At         time.Time
}

// Request is one request the fake answered (or dropped).
type Request struct {
	Path      string
	Key       string // Idempotency-Key header
	Status    int    // 0 if dropped or the client left first
	Duplicate bool
	Error     string
	At        time.Time

	logged bool
}

// Fault is an injected failure, matched against requests in the order injected.
type Fault struct {
	Path  string // target path to match; "" matches any
	Times int    // number of matching requests it applies to; 0 means 1

	Delay      time.Duration // wait before answering
	Drop       bool          // close the connection without an answer
	Status     int           // answer this status
	RetryAfter string        // Retry-After header value with Status (e.g. "7" or an HTTP date)

	// AfterAccept accepts and records the delivery first, then applies the fault (unknown outcome; a retry
	// is then a duplicate the fake answers and counts).
	AfterAccept bool
}

// Server is a fake webhook receiver.
type Server struct {
	URL    string
	Secret string

	srv *httptest.Server

	mu         sync.Mutex
	clock      func() time.Time
	skew       time.Duration
	dupStatus  int
	limiter    *channel.Limiter
	seen       map[string]string // Idempotency-Key -> delivery id
	deliveries []Delivery
	duplicates int
	faults     []*Fault
	requests   []Request
}

// New starts a receiver verifying with secret, with no rate limit.
func New(secret string) *Server {
	s := &Server{
		Secret:    secret,
		clock:     time.Now,
		skew:      webhook.MaxSkew,
		dupStatus: http.StatusOK,
		limiter:   channel.NewLimiter(channel.Rate{}),
		seen:      make(map[string]string),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Target returns a target URL for a group on this receiver: URL + "/hook/" + name.
func (s *Server) Target(name string) string { return s.URL + "/hook/" + name }

// SetClock sets the clock for timestamp checks and rate limits (default time.Now).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// SetDuplicateStatus sets the answer to a repeated Idempotency-Key: 200 (default) or 409.
func (s *Server) SetDuplicateStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dupStatus = status
}

// SetLimit rate-limits deliveries per target path (zero: none), answering 429 with Retry-After in seconds.
func (s *Server) SetLimit(r channel.Rate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = channel.NewLimiter(r)
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

// Deliveries returns every accepted delivery, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Messages returns the deliveries to the target named name (see Target), in order.
func (s *Server) Messages(name string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Delivery
	for _, d := range s.deliveries {
		if d.Path == "/hook/"+name {
			out = append(out, d)
		}
	}
	return out
}

// Duplicates returns how many requests repeated an Idempotency-Key already delivered.
func (s *Server) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicates
}

// Requests returns every request answered so far, in order of answer.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	rec := Request{Path: r.URL.Path, Key: r.Header.Get(webhook.HeaderIdempotency)}
	defer s.logRequest(&rec) // if not logged before answering (client gone)
	reply := func(status int, v any) {
		rec.Status = status
		s.logRequest(&rec)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, msg string) {
		rec.Error = msg
		reply(status, map[string]string{"error": msg})
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "POST only")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		fail(http.StatusBadRequest, "reading body")
		return
	}
	f := s.takeFault(r.URL.Path)
	if f != nil && !f.AfterAccept && s.applyFault(w, r, f, &rec) {
		return
	}

	s.mu.Lock()
	now, secret, skew := s.clock(), s.Secret, s.skew
	s.mu.Unlock()
	if err := webhook.Verify(secret, r.Header, body, now, skew); err != nil {
		fail(http.StatusUnauthorized, err.Error())
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		fail(http.StatusBadRequest, "invalid JSON")
		return
	}
	if rec.Key == "" || p.Key != rec.Key {
		fail(http.StatusBadRequest, "Idempotency-Key missing or not the payload's key")
		return
	}
	d := Delivery{Path: r.URL.Path, Key: p.Key, Text: p.Text, PosterName: p.PosterName, SentAt: p.SentAt, At: now}
	if p.PosterBase64 != "" {
		img, err := base64.StdEncoding.DecodeString(p.PosterBase64)
		if err != nil {
			fail(http.StatusBadRequest, "poster_base64 is not base64")
			return
		}
		sum := md5.Sum(img)
		d.PosterMD5, d.PosterSize = hex.EncodeToString(sum[:]), len(img)
	}
	if strings.TrimSpace(p.Text) == "" && p.PosterBase64 == "" {
		fail(http.StatusUnprocessableEntity, "empty post")
		return
	}

	s.mu.Lock()
	if id, ok := s.seen[p.Key]; ok {
		s.duplicates++
		status := s.dupStatus
		s.mu.Unlock()
		rec.Duplicate = true
		reply(status, map[string]any{"id": id, "duplicate": true})
		return
	}
	if ok, retryAt := s.limiter.TryTake(r.URL.Path, 1, now); !ok {
		s.mu.Unlock()
		secs := max(int(math.Ceil(retryAt.Sub(now).Seconds())), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		fail(http.StatusTooManyRequests, "rate limited")
		return
	}
	d.ID = fmt.Sprintf("w-%d", len(s.deliveries)+1)
	s.seen[p.Key] = d.ID
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()

	if f != nil && f.AfterAccept && s.applyFault(w, r, f, &rec) {
		return
	}
	reply(http.StatusOK, map[string]any{"id": d.ID})
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, rec *Request) bool {
	if !fakehttp.Wait(r, f.Delay) {
		rec.Error = "client gone"
		return true
	}
	switch {
	case f.Drop:
		rec.Error = "dropped"
		s.logRequest(rec)
		fakehttp.Drop(w)
		return true
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		rec.Status, rec.Error = f.Status, "injected"
		s.logRequest(rec)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(f.Status)
		fmt.Fprintln(w, http.StatusText(f.Status))
		return true
	}
	return false
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

func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Path == "" || f.Path == path {
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
