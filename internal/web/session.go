package web

import (
	"context"
	"net/http"
)

type ctxKey int

const sessionKey ctxKey = iota

// sessionInfo is what the authentication middleware puts in a request's
// context for the handlers.
type sessionInfo struct {
	UserName string
	CSRF     string
}

func withSession(ctx context.Context, si *sessionInfo) context.Context {
	return context.WithValue(ctx, sessionKey, si)
}

// csrfFrom returns the request's session CSRF token ("" without a session).
func csrfFrom(r *http.Request) string {
	if si, ok := r.Context().Value(sessionKey).(*sessionInfo); ok {
		return si.CSRF
	}
	return ""
}
