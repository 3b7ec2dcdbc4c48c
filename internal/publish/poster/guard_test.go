package poster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHostAllowed(t *testing.T) {
	for _, tc := range []struct {
		host  string
		hosts []string
		want  bool
	}{
		{"img.alicdn.com", DefaultImageHosts, true},
		{"gw.alicdn.com.", DefaultImageHosts, true},
		{"IMG14.360BUYIMG.COM", DefaultImageHosts, true},
		{"alicdn.com", DefaultImageHosts, true},
		{"evilalicdn.com", DefaultImageHosts, false}, // a suffix only on a dot boundary
		{"alicdn.com.evil.net", DefaultImageHosts, false},
		{"169.254.169.254", DefaultImageHosts, false},
		{"localhost", DefaultImageHosts, false},
		{"cdn.example.org", []string{"example.org"}, true},
		{"anything.test", []string{"*"}, true},
		{"img.alicdn.com", []string{}, false},
	} {
		if got := hostAllowed(tc.host, tc.hosts); got != tc.want {
			t.Errorf("hostAllowed(%q, %v) = %v, want %v", tc.host, tc.hosts, got, tc.want)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "::1", "::", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::808:808", "64:ff9b:1::a00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1"} {
		if publicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as public", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "140.205.94.189", "2001:4860:4860::8888", "::ffff:8.8.8.8"} {
		if !publicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as not public", a)
		}
	}
}

// TestFetchGuard: the renderer's own client fetches only from allowed hosts
// at public addresses, redirects included; a refused image becomes the
// placeholder, not an error.
func TestFetchGuard(t *testing.T) {
	srv := newImageServer(t)
	ctx := context.Background()

	// Allowed host, but a loopback address: refused at connect time.
	r := newTestRenderer(t, Options{ImageHosts: []string{"127.0.0.1"}})
	if _, err := r.fetch(ctx, srv.URL+"/blue.jpg"); err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Fatalf("loopback fetch: %v", err)
	}
	if srv.hits.Load() != 0 {
		t.Fatal("the server was reached")
	}
	b, err := r.Base(ctx, Product{Title: "内网图片", ListPrice: 100, ImageURL: srv.URL + "/blue.jpg"})
	if err != nil || !b.Placeholder() {
		t.Fatalf("Base: %v, placeholder %v", err, b != nil && b.Placeholder())
	}

	// A host off the list is refused before any connection.
	r = newTestRenderer(t, Options{AllowPrivate: true, ImageHosts: DefaultImageHosts})
	if _, err := r.fetch(ctx, srv.URL+"/blue.jpg"); !errors.Is(err, ErrImageHost) {
		t.Fatalf("host off the list: %v", err)
	}

	// Allowed, and private addresses allowed: fetched.
	r = newTestRenderer(t, Options{AllowPrivate: true, ImageHosts: []string{"127.0.0.1"}})
	if _, err := r.fetch(ctx, srv.URL+"/blue.jpg"); err != nil {
		t.Fatalf("allowed fetch: %v", err)
	}

	// A redirect to a host off the list is not followed.
	redirect := http.NewServeMux()
	redirect.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/blue.jpg", http.StatusFound)
	})
	rs := newHTTPServer(t, redirect)
	if _, err := r.fetch(ctx, rs+"/x.jpg"); !errors.Is(err, ErrImageHost) {
		t.Fatalf("redirect off the list: %v", err)
	}
}

func TestPruneCache(t *testing.T) {
	dir := t.TempDir()
	r := newTestRenderer(t, Options{CacheDir: dir, CacheMaxBytes: 2500})
	now := time.Now()
	write := func(name string, size int, age time.Duration) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, now.Add(-age), now.Add(-age))
		return p
	}
	oldest := write("a.img", 1000, 3*time.Hour)
	old := write("b.img", 1000, 2*time.Hour)
	fresh := write("c.img", 1000, time.Minute)
	staleTmp := write(".tmp-1", 500, 2*time.Hour)
	liveTmp := write(".tmp-2", 500, time.Minute) // a write going on now
	other := write("notes.txt", 5000, 5*time.Hour)

	// A cache hit renews b: a is now the least recently used.
	r.opt.MaxImageBytes = 1 << 20
	u := "https://img.alicdn.com/b.jpg"
	os.Rename(old, r.cachePath(u))
	old = r.cachePath(u)
	if _, fromDisk, err := r.imageBytes(context.Background(), u); err != nil || !fromDisk {
		t.Fatalf("disk hit: %v %v", fromDisk, err)
	}

	files, freed, err := r.PruneCache()
	if err != nil || files != 2 || freed != 1500 {
		t.Fatalf("PruneCache = %d files, %d bytes, %v; want 2 files (a.img, the stale temporary), 1500 bytes", files, freed, err)
	}
	for p, want := range map[string]bool{oldest: false, staleTmp: false, old: true, fresh: true, liveTmp: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: kept %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
	if files, _, err := newTestRenderer(t, Options{}).PruneCache(); files != 0 || err != nil {
		t.Errorf("no cache dir: %d, %v", files, err)
	}
}

// newHTTPServer serves h on 127.0.0.1 for the test and returns its URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
