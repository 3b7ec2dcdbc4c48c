package alimama

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/advisor/extract"
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
	ErrNotResolved = errors.New("未能解析出商品 (no item found for the reference)")
	// ErrHostNotAllowed: a short link outside the known platforms.
	ErrHostNotAllowed = errors.New("short link host not allowed")
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
	for _, u := range []string{res.URL, res.NativeURL} {
		if found, ok := itemInURL(u); ok {
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

// platformHost reports whether host belongs to Taobao, Tmall, JD or PDD
// (their short-link domains included): the only hosts redirects are
// followed to.
func platformHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range []string{"taobao.com", "tmall.com", "tmall.hk", "tb.cn", "jd.com", "jd.hk", "yangkeduo.com", "pinduoduo.com"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return host == "3.cn"
}

// startHost reports whether a short link may be requested at all: the
// platform hosts plus the generic shorteners extract recognises.
func startHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return platformHost(h) || h == "t.cn" || h == "url.cn"
}

// follow requests target and follows at most MaxRedirects redirects, only
// to platform hosts, within the timeout. The item is read from the redirect
// chain, last hop first (a refused Location counts: its text is read, it is
// not fetched), and failing that from the landing page's body.
func (r *Resolver) follow(ctx context.Context, target string) (extract.Ref, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !startHost(u.Hostname()) {
		return extract.Ref{}, fmt.Errorf("%w: %q", ErrHostNotAllowed, target)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultShortLinkTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	chain := []string{target}
	hc := &http.Client{
		Transport: r.Transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			chain = append(chain, req.URL.String())
			if len(via) > MaxRedirects || !platformHost(req.URL.Hostname()) {
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
		// The chain so far may already name the item.
		if found, ok := lastItem(chain); ok {
			return found, nil
		}
		if ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded {
			return extract.Ref{}, ctx.Err()
		}
		return extract.Ref{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" {
		chain = append(chain, loc)
	}
	if found, ok := lastItem(chain); ok {
		return found, nil
	}
	if resp.StatusCode == http.StatusOK && platformHost(resp.Request.URL.Hostname()) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
		if found, ok := firstItem(string(body)); ok {
			return found, nil
		}
	}
	return extract.Ref{}, ErrNotResolved
}

// lastItem returns the item named by the last URL of the chain that names
// one, itself or in a query parameter (login and app-bridge redirects carry
// the item page there: ?redirectURL=…, ?h5Url=…).
func lastItem(chain []string) (extract.Ref, bool) {
	for i := len(chain) - 1; i >= 0; i-- {
		if found, ok := itemInURL(chain[i]); ok {
			return found, true
		}
	}
	return extract.Ref{}, false
}

func itemInURL(s string) (extract.Ref, bool) {
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
