package alimama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor/extract"
	"github.com/qunke/qunke/internal/catalog"
)

// handlerTransport serves every request in-process with h, whatever its
// host and scheme: the fake redirector stands in for m.tb.cn, s.click,
// item.taobao.com… without any network. It records the URLs requested.
type handlerTransport struct {
	h    http.Handler
	mu   sync.Mutex
	seen []string
}

func (tr *handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tr.mu.Lock()
	tr.seen = append(tr.seen, req.URL.String())
	tr.mu.Unlock()
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func (tr *handlerTransport) requested() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.seen...)
}

// redirector maps host+path to a Location (3xx) or a page body (200).
func redirector() http.Handler {
	routes := map[string]string{
		"m.tb.cn/h.chain":                     "302 https://s.click.taobao.com/t?e=m%3D2%26s%3Dabc",
		"s.click.taobao.com/t":                "302 https://item.taobao.com/item.htm?id=555666777888&ali_trackid=x",
		"item.taobao.com/item.htm":            "200 <html>item</html>",
		"m.tb.cn/h.page":                      "200 <script>var url = 'https://detail.tmall.com/item.htm?id=720000000001&sourceType=item';</script>",
		"m.tb.cn/h.evil":                      "302 https://evil.example.com/steal?next=https%3A%2F%2Fdetail.tmall.com%2Fitem.htm%3Fid%3D777000777",
		"m.tb.cn/h.nowhere":                   "302 https://evil.example.com/nothing",
		"m.tb.cn/h.login":                     "302 https://login.taobao.com/member/login.jhtml?redirectURL=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D999888777",
		"login.taobao.com/member/login.jhtml": "200 <html>please log in</html>",
		"u.jd.com/AbCd":                       "302 https://item.jd.com/100012345678.html",
		"item.jd.com/100012345678.html":       "200 jd",
		"m.tb.cn/h.blank":                     "200 <html>nothing here</html>",
		"t.cn/AbCdEf":                         "302 https://phish.example/login?redirectURL=https://item.taobao.com/item.htm?id=600000000001",
		"m.tb.cn/h.nested":                    "302 https://login.taobao.com/member/login.jhtml?redirectURL=https%3A%2F%2Fphish.example%2F%3Fu%3Dhttps%253A%252F%252Fitem.taobao.com%252Fitem.htm%253Fid%253D600000000002",
		"m.tb.cn/h.port":                      "302 https://item.taobao.com:6379/item.htm?id=600000000003",
		"m.tb.cn/h.ip":                        "302 http://127.0.0.1/item.htm?id=600000000004",
		"m.tb.cn/h.ip6":                       "302 http://[::1]/item.htm?id=600000000005",
		"m.tb.cn/h.defport":                   "302 https://item.taobao.com:443/item.htm?id=600000000006",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if host == "" { // client-side requests after a redirect leave Host empty
			host = r.URL.Host
		}
		key := host + r.URL.Path
		if strings.HasPrefix(key, "m.tb.cn/h.loop") { // h.loop0 → h.loop1 → … forever
			var n int
			fmt.Sscanf(strings.TrimPrefix(key, "m.tb.cn/h.loop"), "%d", &n)
			http.Redirect(w, r, fmt.Sprintf("https://m.tb.cn/h.loop%d", n+1), http.StatusFound)
			return
		}
		route, ok := routes[key]
		if !ok {
			http.NotFound(w, r)
			return
		}
		code, rest, _ := strings.Cut(route, " ")
		if code == "302" {
			w.Header().Set("Location", rest)
			w.WriteHeader(http.StatusFound)
			return
		}
		fmt.Fprint(w, rest)
	})
}

func shortRef(t *testing.T, text string) extract.Ref {
	t.Helper()
	refs := extract.Find(text)
	if len(refs) != 1 || refs[0].Kind != extract.KindShortLink {
		t.Fatalf("Find(%q) = %+v", text, refs)
	}
	return refs[0]
}

func TestResolveShortLinks(t *testing.T) {
	for _, tc := range []struct {
		link     string
		platform catalog.Platform
		id       string
		family   bool
	}{
		{"https://m.tb.cn/h.chain?sm=1", catalog.Taobao, "555666777888", true},
		{"https://m.tb.cn/h.page", catalog.Tmall, "720000000001", true},
		{"https://m.tb.cn/h.login", catalog.Taobao, "999888777", true},
		{"https://u.jd.com/AbCd", catalog.JD, "100012345678", false},
		// an explicit default port is fine
		{"https://m.tb.cn/h.defport", catalog.Taobao, "600000000006", true},
	} {
		tr := &handlerTransport{h: redirector()}
		r := &Resolver{Transport: tr}
		in := shortRef(t, "抢 "+tc.link+" 快")
		got, err := r.Resolve(context.Background(), in)
		if err != nil {
			t.Errorf("%s: %v", tc.link, err)
			continue
		}
		if got.Platform != tc.platform || got.ItemID != tc.id || got.TaobaoFamily != tc.family || got.NeedsResolve || got.Code != "" {
			t.Errorf("%s: got %+v", tc.link, got)
		}
		if got.Kind != extract.KindShortLink || got.Raw != in.Raw || got.Start != in.Start || got.End != in.End {
			t.Errorf("%s: position/kind not kept: %+v", tc.link, got)
		}
		for _, u := range tr.requested() {
			if strings.Contains(u, "evil.example.com") {
				t.Errorf("%s: requested disallowed host %s", tc.link, u)
			}
		}
	}
}

func TestResolveShortLinkLimits(t *testing.T) {
	tr := &handlerTransport{h: redirector()}
	r := &Resolver{Transport: tr}

	_, err := r.Resolve(context.Background(), shortRef(t, "https://m.tb.cn/h.loop0"))
	if !errors.Is(err, ErrNotResolved) {
		t.Errorf("loop: err = %v", err)
	}
	if n := len(tr.requested()); n != MaxRedirects+1 {
		t.Errorf("loop: %d requests, want %d: %v", n, MaxRedirects+1, tr.requested())
	}

	for _, link := range []string{"https://m.tb.cn/h.blank"} {
		tr.seen = nil
		_, err = r.Resolve(context.Background(), shortRef(t, link))
		if !errors.Is(err, ErrNotResolved) {
			t.Errorf("%s: err = %v", link, err)
		}
		for _, u := range tr.requested() {
			if strings.Contains(u, "evil.example.com") {
				t.Errorf("requested disallowed host %s", u)
			}
		}
	}

	// A short-link ref on a host outside the platforms is never requested.
	tr.seen = nil
	bad := extract.Ref{Kind: extract.KindShortLink, Code: "evil.example.com/x", Raw: "evil.example.com/x", NeedsResolve: true}
	if _, err := r.Resolve(context.Background(), bad); !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("foreign host: err = %v", err)
	}
	if len(tr.requested()) != 0 {
		t.Errorf("foreign host requested: %v", tr.requested())
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp: connect: network is unreachable")
}

type slowTransport struct{}

func (slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

func TestResolveShortLinkNoNetwork(t *testing.T) {
	r := &Resolver{Transport: failingTransport{}}
	_, err := r.Resolve(context.Background(), shortRef(t, "https://m.tb.cn/h.chain"))
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "无法连接解析服务") {
		t.Errorf("err = %v", err)
	}

	r = &Resolver{Transport: slowTransport{}, Timeout: 20 * time.Millisecond}
	start := time.Now()
	_, err = r.Resolve(context.Background(), shortRef(t, "https://m.tb.cn/h.chain"))
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("timeout not honoured")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Resolve(ctx, shortRef(t, "https://m.tb.cn/h.chain")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func shareRef(t *testing.T) extract.Ref {
	t.Helper()
	refs := extract.Find("【维达抽纸】复制￥AbCdEfGh123￥打开手机淘宝")
	if len(refs) != 1 || refs[0].Kind != extract.KindShareCode {
		t.Fatalf("Find = %+v", refs)
	}
	return refs[0]
}

func TestResolveShareCode(t *testing.T) {
	f, srv := newFake(t, okBody)
	f.forms = make(chan url.Values, 1)
	r := NewResolver(testClient(srv.URL, testSecret, SignHMACSHA256))
	in := shareRef(t)
	got, err := r.Resolve(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ItemID != "623456789012" || got.Platform != catalog.Taobao || !got.TaobaoFamily || got.NeedsResolve || got.Code != "" ||
		got.Kind != extract.KindShareCode || got.Raw != in.Raw || got.Start != in.Start {
		t.Errorf("got %+v", got)
	}
	form := <-f.forms
	if form.Get("method") != "taobao.wireless.share.tpwd.query" || form.Get("password_content") != "￥AbCdEfGh123￥" {
		t.Errorf("form %v", form)
	}
}

func TestResolveShareCodeViaClickLink(t *testing.T) {
	_, srv := newFake(t, `{"wireless_share_tpwd_query_response":{"suc":true,"url":"https://s.click.taobao.com/t?e=m%3D2%26s%3Dabc","native_url":""}}`)
	tr := &handlerTransport{h: redirector()}
	r := &Resolver{API: testClient(srv.URL, testSecret, SignMD5), Transport: tr}
	got, err := r.Resolve(context.Background(), shareRef(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.ItemID != "555666777888" || got.Platform != catalog.Taobao {
		t.Errorf("got %+v", got)
	}
}

func TestResolveShareCodeFailures(t *testing.T) {
	in := shareRef(t)
	// No credentials: the card says "needs resolving".
	for _, r := range []*Resolver{NewResolver(nil), NewResolver(NewClient(Config{AppKey: testKey})), {}} {
		got, err := r.Resolve(context.Background(), in)
		if !errors.Is(err, extract.ErrNoResolver) || got != in {
			t.Errorf("no credentials: %+v, %v", got, err)
		}
	}

	cases := []struct {
		name   string
		body   string
		secret string
		check  func(error) bool
	}{
		{"suc false", `{"wireless_share_tpwd_query_response":{"suc":false}}`, testSecret, func(err error) bool { return errors.Is(err, ErrNotResolved) }},
		{"no item", `{"wireless_share_tpwd_query_response":{"suc":true,"url":"https://www.taobao.com/"}}`, testSecret, func(err error) bool { return errors.Is(err, ErrNotResolved) }},
		{"malformed", badBody, testSecret, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"bad signature", okBody, "wrong", func(err error) bool {
			var ae *APIError
			return errors.As(err, &ae) && ae.Code == 25
		}},
		{"throttled", throttle, testSecret, func(err error) bool { return errors.Is(err, ErrThrottled) }},
	}
	for _, tc := range cases {
		_, srv := newFake(t, tc.body)
		r := NewResolver(testClient(srv.URL, tc.secret, SignMD5))
		got, err := r.Resolve(context.Background(), in)
		if !tc.check(err) || got != in {
			t.Errorf("%s: %+v, %v", tc.name, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), in.Raw) {
			t.Errorf("%s: error %q does not name the ref", tc.name, err)
		}
	}

	// No network.
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	r := NewResolver(testClient(base, testSecret, SignMD5))
	_, err := r.Resolve(context.Background(), in)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "无法连接解析服务 (cannot reach the resolving service)") {
		t.Errorf("no network: %v", err)
	}
}

func TestResolvePassThroughAndUnsupported(t *testing.T) {
	r := NewResolver(nil)
	item := extract.Find("https://item.jd.com/100012345678.html")[0]
	if got, err := r.Resolve(context.Background(), item); err != nil || got != item {
		t.Errorf("resolved ref: %+v, %v", got, err)
	}
	id := extract.Ref{Kind: extract.KindID, ItemID: "123456", Raw: "商品ID：123456", NeedsResolve: true}
	if _, err := r.Resolve(context.Background(), id); !errors.Is(err, extract.ErrNoResolver) {
		t.Errorf("bare id: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Resolve(ctx, item); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestResolveShortLinkOffPlatform: an item is taken only from hops on the
// platforms, never from a refused hop's Location or its parameters, and a
// chain that leaves the platforms is an error.
func TestResolveShortLinkOffPlatform(t *testing.T) {
	for _, link := range []string{
		"https://t.cn/AbCdEf",       // → phish.example/login?redirectURL=<item>
		"https://m.tb.cn/h.evil",    // → evil.example.com/steal?next=<item, encoded>
		"https://m.tb.cn/h.nowhere", // → evil.example.com/nothing
		"https://m.tb.cn/h.port",    // → item.taobao.com:6379
		"https://m.tb.cn/h.ip",      // → 127.0.0.1
		"https://m.tb.cn/h.ip6",     // → [::1]
	} {
		tr := &handlerTransport{h: redirector()}
		r := &Resolver{Transport: tr}
		got, err := r.Resolve(context.Background(), shortRef(t, "抢 "+link+" 快"))
		if !errors.Is(err, ErrOffPlatform) || !strings.Contains(err.Error(), "链接指向淘宝/京东/拼多多以外的网站 (the link leads outside Taobao/JD/PDD)") {
			t.Errorf("%s: got %+v, err %v", link, got, err)
		}
		if got.ItemID != "" || !got.NeedsResolve {
			t.Errorf("%s: item taken from a refused hop: %+v", link, got)
		}
		for _, u := range tr.requested() {
			if h, _ := url.Parse(u); !startURL(h) {
				t.Errorf("%s: requested disallowed URL %s", link, u)
			}
		}
	}

	// A platform hop's parameter is trusted only when its own host is a
	// platform's: here it is phish.example's, wrapping the item.
	tr := &handlerTransport{h: redirector()}
	r := &Resolver{Transport: tr}
	got, err := r.Resolve(context.Background(), shortRef(t, "https://m.tb.cn/h.nested"))
	if !errors.Is(err, ErrNotResolved) || got.ItemID != "" {
		t.Errorf("nested: got %+v, err %v", got, err)
	}
}

func TestResolveShortLinkPortAndIPStart(t *testing.T) {
	for _, link := range []string{"https://m.tb.cn:6379/h.chain", "http://127.0.0.1/h.chain"} {
		tr := &handlerTransport{h: redirector()}
		r := &Resolver{Transport: tr}
		ref := extract.Ref{Kind: extract.KindShortLink, Code: "m.tb.cn/h.chain", Raw: link, NeedsResolve: true}
		if _, err := r.Resolve(context.Background(), ref); !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("%s: err = %v", link, err)
		}
		if len(tr.requested()) != 0 {
			t.Errorf("%s: requested %v", link, tr.requested())
		}
	}
}

func TestPlatformURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://item.taobao.com/item.htm?id=1":             true,
		"https://item.taobao.com:443/item.htm?id=1":         true,
		"http://item.taobao.com:80/item.htm?id=1":           true,
		"https://m.tb.cn./h.x":                              true,
		"https://m.tb.cn:6379/h.x":                          false,
		"http://m.tb.cn:443/h.x":                            false,
		"https://m.tb.cn:/h.x":                              true,
		"https://127.0.0.1/item.htm":                        false,
		"https://[::1]/item.htm":                            false,
		"https://phish.example/?u=https://item.taobao.com/": false,
		"https://item.taobao.com.phish.example/":            false,
		"ftp://item.taobao.com/":                            false,
		"https://user@item.taobao.com/":                     false,
		"https://3.cn/abc":                                  true,
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := platformURL(u); got != want {
			t.Errorf("platformURL(%s) = %v, want %v", in, got, want)
		}
	}
}
