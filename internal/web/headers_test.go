package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
)

// Every response, page, redirect, static file, API error or 404, carries the
// hardening headers.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	s, srv := newTestServer(t)
	c := newClient(t, srv)
	signIn(t, s, c, "boss", auth.Admin)
	anon := newClient(t, srv)
	for _, tc := range []struct {
		c    *client
		path string
	}{{c, "/"}, {c, "/check"}, {anon, "/login"}, {anon, "/"}, {anon, "/static/app.js"}, {anon, "/api/v1/items"},
		{anon, "/healthz"}, {anon, "/no-such-page"}} {
		resp, _ := tc.c.do("GET", tc.path, nil)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.Split(csp, "style-src-attr")[0], "unsafe-inline") {
			t.Errorf("%s: CSP allows inline scripts or styles: %q", tc.path, csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", tc.path, k, h.Get(k), v)
			}
		}
	}
}

// The CSP forbids inline scripts and event handlers: no template may have
// one (data blocks of type application/json are not run and are fine).
func TestTemplatesHaveNoInlineScript(t *testing.T) {
	entries, err := templateFiles.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := templateFiles.ReadFile("templates/" + e.Name())
		src := string(b)
		for i := strings.Index(src, "<script"); i >= 0; i = next(src, i) {
			tag := src[i : i+strings.Index(src[i:], ">")+1]
			if !strings.Contains(tag, `type="application/json"`) && !strings.Contains(tag, "src=") {
				t.Errorf("%s: inline script %s", e.Name(), tag)
			}
		}
		for _, bad := range []string{"<style", " style=", " onclick=", " onsubmit=", " onload=", " onchange=", "javascript:"} {
			if strings.Contains(src, bad) {
				t.Errorf("%s: %q is refused by the Content-Security-Policy", e.Name(), bad)
			}
		}
	}
}

func next(src string, i int) int {
	j := strings.Index(src[i+1:], "<script")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// Static files are served gzip-compressed to browsers that take it, under
// content-hashed URLs cached for a year; the 1.1 MB ECharts is not linked
// by pages, app.js loads it where a chart is.
func TestStaticFilesCompressedAndCached(t *testing.T) {
	s, srv := newTestServer(t)
	signIn(t, s, newClient(t, srv), "boss", auth.Admin) // a user exists: /login is the login page
	anon := newClient(t, srv)
	_, login := anon.do("GET", "/login", nil)
	if strings.Contains(login, `<script src="/static/vendor/echarts`) || strings.Contains(login, `href="/static/app.css"`) {
		t.Fatalf("the login page links ECharts or an unversioned stylesheet:\n%s", login)
	}
	m := regexp.MustCompile(`<script src="(/static/app\.[0-9a-f]{10}\.js)" data-echarts="(/static/vendor/echarts/echarts\.min\.[0-9a-f]{10}\.js)">`).FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("no versioned app.js with the ECharts URL:\n%s", login)
	}
	for _, url := range m[1:] {
		req := httptest.NewRequest("GET", url, nil)
		req.Header.Set("Accept-Encoding", "br, gzip")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=31536000") {
			t.Fatalf("%s: %d %v", url, rec.Code, rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		want, _ := staticFiles.ReadFile("static/" + regexp.MustCompile(`^/static/|\.[0-9a-f]{10}`).ReplaceAllString(url, ""))
		if len(want) == 0 || !bytes.Equal(got, want) {
			t.Fatalf("%s: gunzipped %d bytes, want the %d embedded", url, len(got), len(want))
		}
		// A client without gzip gets the plain bytes; a revalidation, 304.
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		if rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("%s without gzip: %v, %d bytes", url, rec.Header(), rec.Body.Len())
		}
		req = httptest.NewRequest("GET", url, nil)
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Fatalf("%s revalidated: %d", url, rec.Code)
		}
	}
	// A hash this binary does not have is not found (never cached as current).
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/static/app.0123456789.js", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown hash: %d", rec.Code)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for ae, want := range map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "identity": false, "*": true, "deflate, GZIP": true} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", ae)
		if acceptsGzip(r) != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", ae, !want, want)
		}
	}
}
