// Package fakehttp holds what the channel fakes (telegram/fake, wecom/fake,
// webhook/fake) share when they inject faults: a slow answer, a connection
// dropped without one, and a proxy's error page.
package fakehttp

import (
	"fmt"
	"net/http"
	"time"
)

// Wait waits d before the answer; it reports false if the client left first.
func Wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// Drop closes the connection without an answer: the client cannot know
// whether its request arrived.
func Drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// ErrorPage answers status with a page that is not the platform's API
// answer, as a proxy or load balancer in front of it would.
func ErrorPage(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status))
}
