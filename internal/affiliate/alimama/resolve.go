package alimama

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/advisor/extract"
	"github.com/qunke/qunke/internal/msg"
)

// MethodTPWDQuery is the TOP method the Resolver uses for share codes.
//
// Request: business parameter password_content = the share text (the code
// with its delimiters, e.g. "￥AbCdEfGh123￥", as extract.Ref.Raw holds it).
// Response, under "wireless_share_tpwd_query_response" (or bare with
// simplify): the fields relied on are suc (bool), url (the item or coupon
// page the code points to) and native_url (the app deep link, tried when
// url names no item). content, title, price and pic_url are decoded for
// callers but not needed to resolve.
const MethodTPWDQuery = "taobao.wireless.share.tpwd.query"

// TPWDQueryResult is the part of the tpwd.query response the package reads.
type TPWDQueryResult struct {
	Suc       bool   `json:"suc"`
	URL       string `json:"url"`
	NativeURL string `json:"native_url"`
	Content   string `json:"content"`
	Title     string `json:"title"`
	Price     string `json:"price"`
	PicURL    string `json:"pic_url"`
}

// Errors of the Resolver.
var (
	// ErrNotResolved: the service answered but named no item.
	ErrNotResolved = msg.New("alimama.not_resolved")
	// ErrHostNotAllowed: a short link outside the known platforms.
	ErrHostNotAllowed = errors.New("short link host not allowed")
	// ErrOffPlatform: a short link whose redirects leave the platforms'
	// domains (another site, an IP address, an explicit non-default port).
	// The refused hop is neither requested nor read for an item.
	ErrOffPlatform = msg.New("alimama.off_platform")
)

// MaxRedirects bounds the redirects followed for a short link.
const MaxRedirects = 5

// DefaultShortLinkTimeout bounds one short-link resolution.
const DefaultShortLinkTimeout = 5 * time.Second

// maxPageBytes bounds the landing-page body read when the redirect chain
// names no item (m.tb.cn answers 200 with the item URL in a script).
const maxPageBytes = 256 << 10

// Resolver implements extract.Resolver for the Taobao family: share codes
// through the TOP API (MethodTPWDQuery), short links by following their
// redirects. References that need no resolving pass through unchanged.
type Resolver struct {
	// API resolves share codes; nil or without credentials, share codes
	// fail with an error wrapping extract.ErrNoResolver.
	API *Client
	// Transport sends the short-link requests (nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Timeout bounds one short-link resolution (0: DefaultShortLinkTimeout).
	Timeout time.Duration
}

var _ extract.Resolver = (*Resolver)(nil)

// NewResolver returns a Resolver using api (which may be nil) for share codes.
func NewResolver(api *Client) *Resolver { return &Resolver{API: api} }

// Resolve returns ref with Platform, TaobaoFamily and ItemID filled in and
// NeedsResolve cleared; Kind, Raw, Start and End are kept. Share codes and
// short links are resolved; other references that need resolving (coupon
// pages without an id, ids of unknown platform) fail with an error wrapping
// extract.ErrNoResolver.
func (r *Resolver) Resolve(ctx context.Context, ref extract.Ref) (extract.Ref, error) {
	if err := ctx.Err(); err != nil {
		return ref, err
	}
	if !ref.NeedsResolve {
		return ref, nil
	}
	switch ref.Kind {
	case extract.KindShareCode:
		return r.shareCode(ctx, ref)
	case extract.KindShortLink:
		target := shortLinkURL(ref)
		found, err := r.follow(ctx, target)
		if err != nil {
			return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, err)
		}
		return merge(ref, found), nil
	}
	return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, extract.ErrNoResolver)
}

func (r *Resolver) shareCode(ctx context.Context, ref extract.Ref) (extract.Ref, error) {
	if !r.API.HasCredentials() {
		return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, extract.ErrNoResolver)
	}
	text := ref.Raw
	if text == "" {
		text = "￥" + ref.Code + "￥"
	}
	var res TPWDQueryResult
	if err := r.API.Call(ctx, MethodTPWDQuery, map[string]string{"password_content": text}, &res); err != nil {
		return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, err)
	}
	if !res.Suc {
		return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, ErrNotResolved)
	}
	// The TOP API's answer is trusted: its url and native_url (an app deep
	// link, tbopen://…?h5Url=…) are read leniently, unlike redirect hops.
	for _, u := range []string{res.URL, res.NativeURL} {
		if found, ok := apiItem(u); ok {
			return merge(ref, found), nil
		}
	}
	// The code may point at a short or click link (s.click.taobao.com):
	// follow it.
	for _, u := range []string{res.URL, res.NativeURL} {
		for _, x := range extract.Find(u) {
			if x.Kind != extract.KindShortLink {
				continue
			}
			found, err := r.follow(ctx, absURL(x.Raw))
			if err != nil {
				return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, err)
			}
			return merge(ref, found), nil
		}
	}
	return ref, fmt.Errorf("%s %q: %w", ref.Kind, ref.Raw, ErrNotResolved)
}

// merge copies the item identity of found into ref.
func merge(ref, found extract.Ref) extract.Ref {
	ref.Platform = found.Platform
	ref.TaobaoFamily = found.TaobaoFamily
	ref.ItemID = found.ItemID
	ref.Code = ""
	ref.NeedsResolve = false
	return ref
}

// firstItem returns the first resolved item reference in the texts, tried
// in order.
func firstItem(texts ...string) (extract.Ref, bool) {
	for _, t := range texts {
		if t == "" {
			continue
		}
		for _, x := range extract.Find(t) {
			if x.ItemID != "" && !x.NeedsResolve {
				return x, true
			}
		}
	}
	return extract.Ref{}, false
}

// shortLinkURL rebuilds the URL to request for a short-link ref: Raw when
// it is a plain absolute URL, else https:// + Code.
func shortLinkURL(ref extract.Ref) string {
	if u, err := url.Parse(ref.Raw); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return ref.Raw
	}
	return absURL(ref.Code)
}

func absURL(s string) string {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return s
	}
	return "https://" + strings.TrimPrefix(s, "//")
}

// platformHost reports whether host (a name, no port) belongs to Taobao,
// Tmall, JD or PDD (their short-link domains included). IP literals never do.
func platformHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(host) != nil {
		return false
	}
	for _, d := range []string{"taobao.com", "tmall.com", "tmall.hk", "tb.cn", "jd.com", "jd.hk", "yangkeduo.com", "pinduoduo.com"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return host == "3.cn"
}

// webURL reports whether u is an http or https URL without user info and
// without a port other than its scheme's default.
func webURL(u *url.URL) bool {
	if u == nil || u.User != nil {
		return false
	}
	switch port := u.Port(); u.Scheme {
	case "https":
		return port == "" || port == "443"
	case "http":
		return port == "" || port == "80"
	}
	return false
}

// platformURL reports whether u is a web URL on a platform host
// (platformHost): the only URLs redirects are followed to and items are
// read from.
func platformURL(u *url.URL) bool {
	return webURL(u) && platformHost(u.Hostname())
}

// startURL reports whether a short link may be requested at all: the
// platform URLs plus those of the generic shorteners extract recognises.
func startURL(u *url.URL) bool {
	if !webURL(u) {
		return false
	}
	h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	return platformHost(h) || h == "t.cn" || h == "url.cn"
}

// follow requests target and follows at most MaxRedirects redirects within
// the timeout, only to platform URLs (platformURL): a redirect anywhere else
// ends the chain with ErrOffPlatform, whatever it or earlier hops name. The
// item is read from the platform hops, last first (itemInURL), and failing
// that from the landing page's body.
func (r *Resolver) follow(ctx context.Context, target string) (extract.Ref, error) {
	u, err := url.Parse(target)
	if err != nil || !startURL(u) {
		return extract.Ref{}, fmt.Errorf("%w: %q", ErrHostNotAllowed, target)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultShortLinkTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	hops := []string{target} // platform (or start) URLs only
	var left *url.URL        // the refused off-platform redirect, if any
	hc := &http.Client{
		Transport: r.Transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !platformURL(req.URL) {
				left = req.URL
				return http.ErrUseLastResponse
			}
			// Past the limit the hop is not requested, but it is a
			// platform URL: its text may still name the item.
			hops = append(hops, req.URL.String())
			if len(via) > MaxRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return extract.Ref{}, err
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148")
	resp, err := hc.Do(req)
	if err != nil {
		if left != nil {
			return extract.Ref{}, offPlatform(left)
		}
		// The chain so far may already name the item.
		if found, ok := lastItem(hops); ok {
			return found, nil
		}
		if ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded {
			return extract.Ref{}, ctx.Err()
		}
		return extract.Ref{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	// A redirect the client did not consider (an unusual 3xx status).
	if loc, err := resp.Location(); err == nil && left == nil && loc.String() != hops[len(hops)-1] {
		if !platformURL(loc) {
			left = loc
		} else {
			hops = append(hops, loc.String())
		}
	}
	if left != nil {
		return extract.Ref{}, offPlatform(left)
	}
	if found, ok := lastItem(hops); ok {
		return found, nil
	}
	if resp.StatusCode == http.StatusOK && platformURL(resp.Request.URL) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
		if found, ok := firstItem(string(body)); ok {
			return found, nil
		}
	}
	return extract.Ref{}, ErrNotResolved
}

func offPlatform(u *url.URL) error {
	return fmt.Errorf("%w: %s", ErrOffPlatform, u.Host)
}

// lastItem returns the item named by the last hop of the chain that names
// one (itemInURL).
func lastItem(hops []string) (extract.Ref, bool) {
	for i := len(hops) - 1; i >= 0; i-- {
		if found, ok := itemInURL(hops[i]); ok {
			return found, true
		}
	}
	return extract.Ref{}, false
}

// itemInURL returns the item a redirect hop names: the hop itself when it
// is an item page, else the first query parameter (in name order) whose
// value is itself an item page URL (login and app-bridge redirects carry
// the item page there: ?redirectURL=…, ?h5Url=…). Both the hop and the
// parameter value must be platform URLs (platformURL); an item wrapped
// deeper (in another site's URL inside the parameter) does not count.
func itemInURL(s string) (extract.Ref, bool) {
	u, err := url.Parse(s)
	if err != nil || !platformURL(u) {
		return extract.Ref{}, false
	}
	if found, ok := itemPage(s); ok {
		return found, true
	}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) { // deterministic
		for _, v := range q[k] {
			if pv, err := url.Parse(v); err == nil && platformURL(pv) {
				if found, ok := itemPage(v); ok {
					return found, true
				}
			}
		}
	}
	return extract.Ref{}, false
}

// itemPage returns the item when s, as a whole, is an item page URL: the
// first reference extract finds starts s, is not wrapped in another URL and
// names the item.
func itemPage(s string) (extract.Ref, bool) {
	for _, x := range extract.Find(s) {
		if x.Start != 0 {
			break
		}
		if x.ItemID != "" && !x.NeedsResolve && !x.Wrapped {
			return x, true
		}
	}
	return extract.Ref{}, false
}

// apiItem returns the item named in s, a URL from the TOP API's answer,
// itself or in a query parameter, found anywhere (wrapped or not).
func apiItem(s string) (extract.Ref, bool) {
	if found, ok := firstItem(s); ok {
		return found, true
	}
	u, err := url.Parse(s)
	if err != nil {
		return extract.Ref{}, false
	}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) { // deterministic
		for _, v := range q[k] {
			if found, ok := firstItem(v); ok {
				return found, true
			}
		}
	}
	return extract.Ref{}, false
}
