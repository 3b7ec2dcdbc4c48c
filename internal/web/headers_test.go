package web

import (
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
