package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store/storetest"
)

func TestHealthAndReadiness(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz before warm-up: %d, want 503", code)
	}
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("readyz after warm-up: %d %q", code, body)
	}
}

// Cancelling the context (what SIGINT/SIGTERM do) lets an in-flight request
// finish, then Serve returns without error.
func TestGracefulShutdown(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	started := make(chan struct{})
	s.mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte("finished"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	body := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			body <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body <- string(b)
	}()
	<-started
	cancel()
	if got := <-body; got != "finished" {
		t.Fatalf("in-flight request: %q", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("still serving after shutdown: %v", err)
	}
}

func TestLoadZone(t *testing.T) {
	if _, err := LoadZone("Nowhere/City"); err == nil {
		t.Fatal("an unknown zone was accepted")
	}
	at := int64(1_700_000_000 - 1_700_000_000%86400 + 20*3600) // 20:00 UTC
	dayIn := func(name string) string {
		loc, err := LoadZone(name)
		if err != nil {
			t.Fatal(err)
		}
		return funcsIn(loc)["day"].(func(int64) string)(at)
	}
	if utc, shanghai := dayIn("UTC"), dayIn("Asia/Shanghai"); shanghai == utc {
		t.Fatalf("20:00 UTC shows as %s in both zones", utc)
	}
}
