package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

type ctxKey int

const (
	sessionKey ctxKey = iota
	uploadKey         // the route takes a file upload: a larger body limit
)

// upload marks a route as taking a file upload of up to MaxUploadBytes.
func (s *Server) upload(h http.Handler) http.Handler {
	return s.uploadLimit(MaxUploadBytes+1<<20, h)
}

// uploadLimit marks a route as taking a file upload, the whole body at most
// limit bytes (the form's other fields included).
func (s *Server) uploadLimit(limit int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), uploadKey, true)))
	})
}

const (
	sessionCookie = "qk_session"
	preCookie     = "qk_pre" // double-submit token for the forms used before a session exists
)

// sessionInfo is what the authentication middleware puts in a request's
// context for the handlers.
type sessionInfo struct {
	User    auth.User
	Session auth.Session
	CSRF    string
}

func withSession(ctx context.Context, si *sessionInfo) context.Context {
	return context.WithValue(ctx, sessionKey, si)
}

func sessionFrom(r *http.Request) *sessionInfo {
	si, _ := r.Context().Value(sessionKey).(*sessionInfo)
	return si
}

// csrfFrom returns the request's session CSRF token ("" without a session).
func csrfFrom(r *http.Request) string {
	if si := sessionFrom(r); si != nil {
		return si.CSRF
	}
	return ""
}

// signedIn is the "permission" of a page any signed-in user may use
// (logging out, the home page that sends each role to its own).
const signedIn auth.Permission = ""

// page wraps a console page: it needs a signed-in user allowed perm (any
// signed-in user for signedIn), and a posted form must carry the session's
// CSRF token.
func (s *Server) page(perm auth.Permission, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var u auth.User
		var sess auth.Session
		if err == nil {
			u, sess, err = s.auth.SessionUser(r.Context(), c.Value)
		}
		if err != nil {
			if n, cerr := s.auth.CountUsers(r.Context()); cerr == nil && n == 0 {
				http.Redirect(w, r, "/setup", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if perm != signedIn && !u.Role.Can(perm) {
			s.fail(w, r, http.StatusForbidden, msg.New("web.forbidden"))
			return
		}
		if r.Method == http.MethodPost {
			if _, big := r.Context().Value(uploadKey).(bool); !big {
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			}
			defer removeMultipart(r)
			if err := r.ParseMultipartForm(32 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				s.fail(w, r, http.StatusRequestEntityTooLarge, msg.New("web.form_malformed"))
				return
			}
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, http.StatusRequestEntityTooLarge, msg.New("web.form_malformed"))
				return
			}
			if !auth.CheckCSRF(sess, r.PostFormValue("csrf")) {
				s.fail(w, r, http.StatusForbidden, msg.New("web.form_expired"))
				return
			}
		}
		si := &sessionInfo{User: u, Session: sess, CSRF: auth.CSRFToken(sess)}
		h(w, r.WithContext(withSession(r.Context(), si)))
	})
}

// api wraps a JSON API endpoint: a bearer token of a user allowed perm.
func (s *Server) api(perm auth.Permission, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="qunke"`)
			s.apiFail(w, r, http.StatusUnauthorized, msg.New("web.token_required"))
			return
		}
		u, _, err := s.auth.TokenUser(r.Context(), bearer)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="qunke", error="invalid_token"`)
			s.apiFail(w, r, http.StatusUnauthorized, auth.ErrBadToken)
			return
		}
		if !u.Role.Can(perm) {
			s.apiFail(w, r, http.StatusForbidden, msg.New("web.token_forbidden"))
			return
		}
		h(w, r.WithContext(withSession(r.Context(), &sessionInfo{User: u})))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	apiv1.Encode(w, v, false)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// preToken returns the double-submit token for login and setup forms,
// setting its cookie when the browser has none.
func preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	var b [24]byte
	rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	return tok
}

func preTokenOK(r *http.Request) bool {
	c, err := r.Cookie(preCookie)
	return err == nil && len(c.Value) >= 32 && subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) == 1
}

// secureCookies says whether cookies for r can be Secure: over HTTPS (here
// or at a proxy that says so), and on loopback, which browsers treat as
// secure. A console served over plain HTTP on a LAN address cannot use
// Secure cookies (the browser would drop them and nobody could log in);
// serve warns about that setup and recommends a TLS proxy.
func secureCookies(r *http.Request) bool {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hashSlot takes one of the few slots for password hashing (each takes
// 64 MiB for a moment), without waiting; ok is false when all are busy.
func (s *Server) hashSlot() (release func(), ok bool) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, true
	default:
		return nil, false
	}
}

// startSession signs u in: a new session and its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u auth.User) error {
	tok, sess, err := s.auth.NewSession(r.Context(), u.ID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secureCookies(r),
		SameSite: http.SameSiteLaxMode, Expires: sess.ExpiresAt})
	return nil
}

// clientIP is the address of the client: the connection's, or, when the
// connection comes from a trusted reverse proxy (serve --trusted-proxy), the
// last address in X-Forwarded-For that is not itself a trusted proxy.
// X-Forwarded-For from anyone else is ignored: a client could write any
// address there.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing before it
		}
		if !s.trusted(a) {
			return a.Unmap().String()
		}
		addr = a
	}
	return addr.Unmap().String()
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseProxies parses the --trusted-proxy values: CIDRs (10.0.0.0/8) or
// single addresses.
func ParseProxies(vals []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, msg.New("web.bad_proxy", v)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// SetTrustedProxies sets the reverse proxies whose X-Forwarded-For names the
// client (serve --trusted-proxy); call it before serving.
func (s *Server) SetTrustedProxies(prefixes []netip.Prefix) { s.proxies = prefixes }

// deviceCookie marks a browser where a user logged in (auth.DeviceToken):
// with the right password it gets in even while strangers have locked the
// user's name. It is sent only to /login.
const deviceCookie = "qk_device"

func (s *Server) setDeviceCookie(w http.ResponseWriter, r *http.Request, u auth.User) {
	tok, err := s.auth.DeviceToken(r.Context(), u.ID)
	if err != nil {
		s.log.Warn("device cookie", "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: tok, Path: "/login", HttpOnly: true, Secure: secureCookies(r),
		SameSite: http.SameSiteStrictMode, MaxAge: int(auth.DeviceLife.Seconds())})
}

// knownDevice is the id of the browser's device cookie when it was issued
// to the user named name, else "".
func (s *Server) knownDevice(r *http.Request, name string) string {
	c, err := r.Cookie(deviceCookie)
	if err != nil {
		return ""
	}
	return s.auth.KnownDevice(r.Context(), name, c.Value)
}

// busy answers the login or setup page with 503 and Retry-After: the
// database could not take the write a login needs in time.
func (s *Server) busy(w http.ResponseWriter, name string, p *page, view *loginView) {
	w.Header().Set("Retry-After", "10")
	view.Error = p.T("login.busy")
	s.render(w, http.StatusServiceUnavailable, name, p)
}

type loginView struct {
	Name, Next, Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	p := &page{Lang: lang(w, r), Path: "/login", CSRF: preToken(w, r)}
	p.msgs = s.msgs
	p.Title = p.T("login.title")
	view := &loginView{Next: r.URL.Query().Get("next")}
	p.Data = view
	if r.Method != http.MethodPost {
		if n, err := s.auth.CountUsers(r.Context()); err == nil && n == 0 {
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
			return
		}
		s.render(w, http.StatusOK, "login", p)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !preTokenOK(r) {
		s.fail(w, r, http.StatusForbidden, msg.New("web.form_expired"))
		return
	}
	view.Name, view.Next = r.PostFormValue("name"), r.PostFormValue("next")
	name := strings.ToLower(strings.TrimSpace(view.Name))
	// The attempt is reserved before the (deliberately slow, 64 MiB)
	// password check, so parallel requests cannot outrun the limit; only a
	// wrong password counts against it.
	att, wait, ok := s.logins.Begin(name, s.clientIP(r), s.knownDevice(r, view.Name))
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		view.Error = p.T("login.locked", int(wait.Minutes())+1)
		s.render(w, http.StatusTooManyRequests, "login", p)
		return
	}
	release, ok := s.hashSlot()
	if !ok {
		att.Release()
		w.Header().Set("Retry-After", "1")
		s.fail(w, r, http.StatusServiceUnavailable, msg.New("web.too_many_logins"))
		return
	}
	u, err := s.auth.Authenticate(r.Context(), view.Name, r.PostFormValue("password"))
	release()
	if errors.Is(err, auth.ErrBadCredentials) {
		att.Fail()
		view.Error = p.T("login.bad")
		s.render(w, http.StatusUnauthorized, "login", p)
		return
	}
	if err == nil {
		err = s.startSession(w, r, u)
	}
	if err != nil {
		att.Release()
		if store.IsBusy(err) {
			s.busy(w, "login", p, view)
			return
		}
		s.log.Error("login", "err", err)
		s.fail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	att.Succeed()
	s.setDeviceCookie(w, r, u)
	http.Redirect(w, r, safeNext(view.Next), http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site: a plain path with no
// scheme or host, no backslash and no control character (browsers drop tabs
// and newlines, which would turn "/\t/evil" into "//evil").
func safeNext(next string) string {
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

// setupPage creates the first admin; once anyone exists it sends to login.
func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	if n, err := s.auth.CountUsers(r.Context()); err != nil || n > 0 {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	p := &page{Lang: lang(w, r), Path: "/setup", CSRF: preToken(w, r)}
	p.msgs = s.msgs
	p.Title = p.T("setup.title")
	view := &loginView{}
	p.Data = view
	if r.Method != http.MethodPost {
		s.render(w, http.StatusOK, "setup", p)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !preTokenOK(r) {
		s.fail(w, r, http.StatusForbidden, msg.New("web.form_expired"))
		return
	}
	view.Name = r.PostFormValue("name")
	release, ok := s.hashSlot()
	if !ok {
		w.Header().Set("Retry-After", "1")
		s.fail(w, r, http.StatusServiceUnavailable, msg.New("web.too_many_requests"))
		return
	}
	u, err := s.auth.CreateUser(r.Context(), auth.NewUser{Name: view.Name, Role: auth.Admin, Password: r.PostFormValue("password")})
	release()
	if err != nil {
		view.Error = p.Err(err)
		s.render(w, http.StatusBadRequest, "setup", p)
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		if store.IsBusy(err) {
			s.busy(w, "setup", p, view)
			return
		}
		s.fail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	s.setDeviceCookie(w, r, u)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session (a POST with the session's CSRF token).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.auth.DeleteSession(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode, Expires: time.Unix(0, 0)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
