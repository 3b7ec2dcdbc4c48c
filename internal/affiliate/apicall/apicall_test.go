package apicall

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/affiliate"
)

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		in     string
		places int
		want   int64
	}{
		{"12.34", 2, 1234}, {"12.345", 2, 1235}, {"12.344", 2, 1234}, {"0.1", 2, 10}, {"7", 2, 700},
		{"5.5", 2, 550}, {"-1.005", 2, -101}, {".5", 2, 50}, {"19.99", 2, 1999}, {"0.29", 2, 29},
	} {
		got, err := Decimal(tc.in, tc.places)
		if err != nil || got != tc.want {
			t.Errorf("Decimal(%q,%d) = %d, %v; want %d", tc.in, tc.places, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "-", "1e3", "1.2.3", " 1", "abc", strings.Repeat("9", 31), "99999999999999999999"} {
		if _, err := Decimal(bad, 2); err == nil {
			t.Errorf("Decimal(%q) accepted", bad)
		}
	}
}

func TestRetryWaitsForThrottleAndStops(t *testing.T) {
	calls := 0
	start := time.Now()
	err := Retry(context.Background(), 3, time.Millisecond, func() (bool, error) {
		calls++
		if calls == 1 {
			return true, &affiliate.Throttled{Platform: "x", After: 50 * time.Millisecond}
		}
		return false, nil
	})
	if err != nil || calls != 2 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("err %v calls %d after %v", err, calls, time.Since(start))
	}
	calls = 0
	final := errors.New("final")
	if err := Retry(context.Background(), 5, time.Millisecond, func() (bool, error) { calls++; return false, final }); err != final || calls != 1 {
		t.Fatalf("final error retried: %v %d", err, calls)
	}
	calls = 0
	if err := Retry(context.Background(), 3, time.Millisecond, func() (bool, error) { calls++; return true, final }); err != final || calls != 3 {
		t.Fatalf("attempts not bounded: %v %d", err, calls)
	}
}

func TestPostCapsAndHidesForm(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100)))
	}))
	defer srv.Close()
	if _, _, err := Post(context.Background(), nil, srv.URL, url.Values{"k": {"v"}}, 50); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized answer: %v", err)
	}
	body, status, err := Post(context.Background(), nil, srv.URL, nil, 100)
	if err != nil || status != 200 || len(body) != 100 {
		t.Fatalf("%d %v %d", len(body), err, status)
	}
	srv.Close()
	_, _, err = Post(context.Background(), nil, srv.URL+"/r?token=SECRETTOKEN", url.Values{"sign": {"SIGNVALUE"}}, 10)
	if !errors.Is(err, affiliate.ErrUnreachable) || strings.Contains(err.Error(), "SECRETTOKEN") || strings.Contains(err.Error(), "SIGNVALUE") {
		t.Fatalf("unreachable error %v", err)
	}
}

func TestLimiter(t *testing.T) {
	l := &Limiter{PerSecond: 3}
	n := 0
	for i := 0; i < 10; i++ {
		if l.Allow() {
			n++
		}
	}
	if n < 3 || n > 6 { // at most two seconds can be touched
		t.Fatalf("allowed %d of 10 at 3/s", n)
	}
}

func TestRefSignAgreesWithSignMD5(t *testing.T) {
	form := url.Values{"b": {"2"}, "a": {"1"}, "sign": {"x"}, "empty": {""}, "c": {"中文"}}
	p := map[string]string{"b": "2", "a": "1", "sign": "x", "empty": "", "c": "中文"}
	if RefSign(form, "s") != SignMD5(p, "s") || RefSign(form, "s") == SignMD5(p, "t") {
		t.Fatal("the fakes' signer and the clients' disagree")
	}
}

func TestCarries(t *testing.T) {
	if !Carries(url.Values{"a": {"x-S3CRET-y"}}, "S3CRET") || !Carries(url.Values{"S3CRET": {""}}, "S3CRET") || Carries(url.Values{"a": {"b"}}, "S3CRET") {
		t.Fatal("Carries")
	}
}

func TestPolicyCallRetries5xxAndRebuildsForm(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		r.ParseForm()
		w.Write([]byte(r.PostForm.Get("try")))
	}))
	defer srv.Close()
	p := DefaultPolicy()
	p.Backoff = time.Millisecond
	tries := 0
	var got string
	err := p.Call(context.Background(), srv.URL, func() url.Values {
		tries++
		return url.Values{"try": {strconv.Itoa(tries)}}
	}, func(b []byte) error { got = string(b); return nil })
	if err != nil || n != 2 || got != "2" {
		t.Fatalf("err %v, %d answers, body %q", err, n, got)
	}
	final := errors.New("bad answer")
	n = 1
	if err := p.Call(context.Background(), srv.URL, func() url.Values { return nil }, func([]byte) error { return final }); err != final || n != 2 {
		t.Fatalf("a malformed answer was retried: %v after %d", err, n)
	}
}
