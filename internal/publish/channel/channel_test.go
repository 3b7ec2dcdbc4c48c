package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	ra := &RetryAfter{After: time.Second, Reason: "slow down"}
	perm := &Permanent{Reason: "chat not found"}
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, Delivered},
		{ra, RetryLater},
		{perm, Rejected},
		{errors.New("connection reset"), Unknown},
		{fmt.Errorf("wrapped: %w", perm), Rejected},
		{&Partial{Sent: 1, Err: ra}, RetryLater},
		{&Partial{Sent: 2, Err: perm}, Rejected},
		{&Partial{Sent: 1, Err: context.DeadlineExceeded}, Unknown},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	var p *Partial
	if !errors.As(fmt.Errorf("x: %w", &Partial{Sent: 3, Err: ra}), &p) || p.Sent != 3 {
		t.Fatal("Partial not found through wrapping")
	}
}

type plain struct{}

func (plain) Send(context.Context, string, Message) (Receipt, error) { return Receipt{}, nil }

type multi struct{ plain }

func (multi) Parts(m Message) int { return 3 }
func (multi) Idempotent() bool    { return true }
func (multi) Limits() Limits      { return Limits{PerTarget: Rate{N: 20, Per: time.Minute}} }

func TestOptionalInterfaces(t *testing.T) {
	if IsIdempotent(plain{}) || !IsIdempotent(multi{}) {
		t.Error("IsIdempotent")
	}
	if LimitsOf(plain{}) != (Limits{}) || LimitsOf(multi{}).PerTarget.N != 20 {
		t.Error("LimitsOf")
	}
	if PartsLeft(plain{}, Message{}) != 1 || PartsLeft(multi{}, Message{SkipParts: 1}) != 2 || PartsLeft(multi{}, Message{SkipParts: 5}) != 0 {
		t.Error("PartsLeft")
	}
}

func TestRedact(t *testing.T) {
	const token = "123456:SECRET-token_xyz"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
	}))
	defer srv.Close()
	c := &http.Client{Timeout: 20 * time.Millisecond}
	req, _ := http.NewRequest("POST", srv.URL+"/bot"+token+"/sendMessage?key="+token, nil)
	_, connected, err := Do(c, req)
	if err == nil || !connected {
		t.Fatalf("want a timeout after connecting, got %v %v", err, connected)
	}
	if !strings.Contains(err.Error(), token) {
		t.Fatal("test premise: url.Error carries the URL")
	}
	red := TransportError("telegram sendMessage", err, connected, token)
	if strings.Contains(red.Error(), "SECRET") {
		t.Fatalf("secret in %q", red)
	}
	for e := red; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "SECRET") {
			t.Fatalf("secret in wrapped %q", e)
		}
	}
	if Classify(red) != Unknown {
		t.Fatalf("timeout after connecting classified %v", Classify(red))
	}
	var te interface{ Timeout() bool }
	if !errors.As(red, &te) || !te.Timeout() {
		t.Fatal("Timeout() lost by redaction")
	}

	// No connection at all: not sent.
	srv2 := httptest.NewServer(http.NotFoundHandler())
	addr := srv2.URL
	srv2.Close()
	req, _ = http.NewRequest("POST", addr+"/bot"+token+"/sendMessage", nil)
	_, connected, err = Do(c, req)
	if err == nil || connected {
		t.Fatalf("want a dial error, got %v %v", err, connected)
	}
	red = TransportError("x", err, connected, token)
	var ra *RetryAfter
	if !errors.As(red, &ra) || ra.After <= 0 || strings.Contains(red.Error(), "SECRET") {
		t.Fatalf("dial error: got %v", red)
	}
}

func TestURLSecrets(t *testing.T) {
	s := URLSecrets("https://user:pw@hooks.example.com/T01/abc-secret?token=zzzz9")
	joined := strings.Join(s, " ")
	for _, want := range []string{"/T01/abc-secret", "zzzz9", "user:pw"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%q missing from %q", want, joined)
		}
	}
	err := Redact(errors.New(`Post "https://hooks.example.com/T01/abc-secret?token=zzzz9": EOF`), s...)
	if strings.Contains(err.Error(), "abc-secret") || strings.Contains(err.Error(), "zzzz9") {
		t.Fatalf("not redacted: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v %v, want %v %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}
