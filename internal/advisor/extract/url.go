package extract

import (
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/catalog"
)

// site is the platform family a host belongs to.
type site uint8

const (
	siteNone site = iota
	siteTaobao
	siteTmall
	siteTBShort // *.tb.cn
	siteJD
	siteJDShort // 3.cn
	sitePDD
	siteShort // generic shorteners: t.cn, url.cn
)

var domains = [...]struct {
	name  string
	site  site
	exact bool // the name itself only, no subdomains
}{
	{"taobao.com", siteTaobao, false},
	{"tmall.com", siteTmall, false},
	{"tmall.hk", siteTmall, false},
	{"tb.cn", siteTBShort, false},
	{"jd.com", siteJD, false},
	{"jd.hk", siteJD, false},
	{"yiyaojd.com", siteJD, false},
	{"3.cn", siteJDShort, true},
	{"yangkeduo.com", sitePDD, false},
	{"pinduoduo.com", sitePDD, false},
	{"t.cn", siteShort, true},
	{"url.cn", siteShort, true},
}

func siteOf(host string) site {
	switch host[len(host)-1] | 0x20 { // every known domain ends in com, hk or cn
	case 'm', 'k', 'n':
	default:
		return siteNone
	}
	for _, d := range domains {
		n := len(d.name)
		switch {
		case len(host) == n:
			if strings.EqualFold(host, d.name) {
				return d.site
			}
		case !d.exact && len(host) > n+1 && host[len(host)-n-1] == '.' && strings.EqualFold(host[len(host)-n:], d.name):
			return d.site
		}
	}
	return siteNone
}

// maxMisses bounds how many platform hosts in one run may fail to classify
// (www.taobao.com, mall.jd.com, …) before the run's URLs are given up: it
// keeps a run made of thousands of such hosts linear.
const maxMisses = 32

// Limits on URLs: a URL is cut after maxURL bytes past its host, and
// classify reads at most maxPath bytes of path and maxQuery of query.
const (
	maxURL   = 8192
	maxPath  = 1024
	maxQuery = 4096
	maxCode  = 512
)

// urls finds the platform URLs in the run text[a:b] and reports whether the
// run holds any platform host at all.
func (f *finder) urls(a, b int) bool {
	d, off := f.decode(a, b)
	orig := func(i int) int {
		if off == nil {
			return a + i
		}
		return a + off[i]
	}
	// pct reports whether decoded byte i was percent-encoded.
	pct := func(i int) bool { return off != nil && f.text[a+off[i]] == '%' }
	found, misses := false, 0
	// An outer URL's path or query starts at the run's first '/' or '?':
	// a URL starting after it, right after one of "=/?&#:", is wrapped.
	outer := strings.IndexAny(d, "/?")
	for pos := 0; pos < len(d) && !f.full; {
		hs, he, st := nextHost(d, pos)
		if st == siteNone {
			break
		}
		found = true
		start, end := urlStart(d, hs), urlEnd(d, he, pct)
		if r, ok := classify(d[start:end], hs-start, he-start, st); ok {
			r.Start, r.End = orig(start), orig(end)
			r.Raw = f.text[r.Start:r.End]
			r.Wrapped = wrapped(d, start, outer)
			f.emit(r)
			pos = end
			continue
		}
		if misses++; misses > maxMisses {
			break
		}
		pos = he
	}
	return found
}

// wrapped reports whether the URL starting at d[start] sits inside another
// URL of the run: it follows a '=', '/', '?', '&', '#' or ':' after the
// outer URL's first '/' or '?' (at outer). "href=https://…", "link:https://…"
// and glued or comma-separated URLs are not wrapped.
func wrapped(d string, start, outer int) bool {
	return start > 0 && outer >= 0 && outer < start && strings.IndexByte("=/?&#:", d[start-1]) >= 0
}

func hostByte(c byte) bool { return isAlnum(c) || c == '-' || c == '.' }

// nextHost returns the first host name at or after pos that belongs to a
// known platform.
func nextHost(d string, pos int) (hs, he int, st site) {
	for i := pos; i < len(d); {
		if !hostByte(d[i]) {
			i++
			continue
		}
		j := i
		for j < len(d) && hostByte(d[j]) {
			j++
		}
		hs, he = i, j
		for hs < he && (d[hs] == '.' || d[hs] == '-') {
			hs++
		}
		for he > hs && (d[he-1] == '.' || d[he-1] == '-') {
			he--
		}
		if he-hs >= 4 && he-hs <= 253 && (i == 0 || d[i-1] != '@') { // not an e-mail address
			if st = siteOf(d[hs:he]); st != siteNone {
				return hs, he, st
			}
		}
		i = j
	}
	return 0, 0, siteNone
}

// urlStart extends a host backwards over "//" and an http or https scheme.
func urlStart(d string, hs int) int {
	s := hs
	if s >= 2 && d[s-2:s] == "//" {
		s -= 2
		if s >= 6 && strings.EqualFold(d[s-6:s], "https:") {
			s -= 6
		} else if s >= 5 && strings.EqualFold(d[s-5:s], "http:") {
			s -= 5
		}
	}
	return s
}

// urlEnd finds where the URL whose host ends at he ends: at the end of the
// run, at a comma (but not "%2C": pct says which bytes were
// percent-encoded), a quote or an angle bracket (HTML entities are decoded
// by then), where another URL starts glued on ("…htmlhttps://…"; a URL
// inside a query parameter, after '=', stays part of this one), or maxURL
// bytes on. Trailing sentence punctuation is not part of the URL.
func urlEnd(d string, he int, pct func(int) bool) int {
	e := he
	if e < len(d) && d[e] == ':' { // port
		k := e + 1
		for k < len(d) && k-e <= 6 && isDigit(d[k]) {
			k++
		}
		if k > e+1 {
			e = k
		}
	}
	if e >= len(d) || (d[e] != '/' && d[e] != '?' && d[e] != '#') {
		return e
	}
	k, limit := e+1, min(len(d), he+maxURL)
	for ; k < limit; k++ {
		c := d[k]
		if c == ',' && !pct(k) || c == '"' || c == '\'' || c == '<' || c == '>' || c < ' ' || c == 0x7f {
			break
		}
		if (c == 'h' || c == 'H') && d[k-1] != '=' && d[k-1] != '/' && hasScheme(d[k:]) {
			break
		}
	}
	for k > e+1 && strings.IndexByte(".,;:!?*&'", d[k-1]) >= 0 {
		k--
	}
	return k
}

func hasScheme(s string) bool {
	return len(s) >= 7 && strings.EqualFold(s[:7], "http://") || len(s) >= 8 && strings.EqualFold(s[:8], "https://")
}

// classify turns a URL (decoded; host at u[hs:he]) into a reference.
func classify(u string, hs, he int, st site) (Ref, bool) {
	host := strings.ToLower(u[hs:he])
	rest := u[he:]
	if len(rest) > 0 && rest[0] == ':' { // port
		k := 1
		for k < len(rest) && isDigit(rest[k]) {
			k++
		}
		rest = rest[k:]
	}
	path, query := rest, ""
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		path, query = rest[:i], rest[i+1:]
	}
	if len(path) > maxPath {
		path = path[:maxPath]
	}
	if len(query) > maxQuery {
		query = query[:maxQuery]
	}

	switch st {
	case siteTBShort:
		return shortLink(host, path, query, "", true)
	case siteJDShort:
		return shortLink(host, path, query, catalog.JD, false)
	case siteShort:
		return shortLink(host, path, query, "", false)
	case siteTaobao, siteTmall:
		return taobaoURL(host, path, query, st)
	case siteJD:
		return jdURL(host, path, query)
	case sitePDD:
		return pddURL(host, path, query)
	}
	return Ref{}, false
}

func shortLink(host, path, query string, p catalog.Platform, family bool) (Ref, bool) {
	if len(path) < 2 { // "/" + something
		return Ref{}, false
	}
	code := host + path
	// s.click.taobao.com/t?e=… and union-click.jd.com/jdc?e=… carry the
	// link in the query.
	if len(path) <= 4 && query != "" {
		code += "?" + query
	}
	return Ref{Kind: KindShortLink, Platform: p, TaobaoFamily: family, Code: clip(code), NeedsResolve: true}, true
}

// taobaoItemHosts serve only item pages: any path with an id is an item.
var taobaoItemHosts = map[string]bool{
	"item.taobao.com":          true,
	"item.m.taobao.com":        true,
	"detail.tmall.com":         true,
	"detail.m.tmall.com":       true,
	"chaoshi.detail.tmall.com": true,
	"detail.tmall.hk":          true,
	"detail.m.tmall.hk":        true,
	"world.tmall.com":          true,
	"world.m.tmall.com":        true,
}

func taobaoURL(host, path, query string, st site) (Ref, bool) {
	p := catalog.Taobao
	if st == siteTmall {
		p = catalog.Tmall
	}
	item := func(id string) (Ref, bool) {
		return Ref{Kind: KindURL, Platform: p, TaobaoFamily: true, ItemID: id}, true
	}
	switch host {
	case "s.click.taobao.com":
		return shortLink(host, path, query, "", true)
	case "uland.taobao.com":
		if !containsFold(path, "coupon") && !containsFold(path, "quan") && !containsFold(path, "edetail") && !containsFold(path, "taolijin") {
			return Ref{}, false // search and campaign landings
		}
		if id := firstParam(query, 6, 19, "itemId", "item_id"); id != "" {
			return Ref{Kind: KindCouponURL, Platform: catalog.Taobao, TaobaoFamily: true, ItemID: id}, true
		}
		return Ref{Kind: KindCouponURL, TaobaoFamily: true, Code: clip(host + path + "?" + query), NeedsResolve: true}, true
	case "a.m.taobao.com", "a.m.tmall.com": // a.m.taobao.com/i123456789012.htm
		if rest, ok := strings.CutPrefix(path, "/i"); ok {
			if id := digits(strings.TrimSuffix(rest, ".htm"), 6, 19); id != "" {
				return item(id)
			}
		}
	}
	// world.tmall.com/item/123456789012.htm
	if i := strings.LastIndex(path, "/item/"); i >= 0 {
		seg := path[i+len("/item/"):]
		if id := digits(strings.TrimSuffix(strings.TrimSuffix(seg, "l"), ".htm"), 6, 19); id != "" {
			return item(id)
		}
	}
	if taobaoItemHosts[host] || containsFold(path, "item") || containsFold(path, "detail") {
		if id := firstParam(query, 6, 19, "id", "itemId", "item_id"); id != "" {
			return item(id)
		}
	}
	return Ref{}, false
}

func jdURL(host, path, query string) (Ref, bool) {
	switch host {
	case "u.jd.com", "union-click.jd.com":
		return shortLink(host, path, query, catalog.JD, false)
	}
	if !strings.Contains(host, "item") && !containsFold(path, "/item") && !containsFold(path, "product") {
		return Ref{}, false
	}
	// item.jd.com/100012345678.html, item.m.jd.com/product/100012345678.html
	seg := path[strings.LastIndexByte(path, '/')+1:]
	if i := strings.Index(seg, "."); i > 0 {
		if ext := strings.ToLower(seg[i:]); ext == ".html" || ext == ".htm" {
			if id := digits(seg[:i], 4, 19); id != "" {
				return Ref{Kind: KindURL, Platform: catalog.JD, ItemID: id}, true
			}
		}
	}
	// item.m.jd.com/ware/view.action?wareId=…, wqitem.jd.com/item/view?sku=…
	if id := firstParam(query, 4, 19, "wareId", "sku", "skuId"); id != "" {
		return Ref{Kind: KindURL, Platform: catalog.JD, ItemID: id}, true
	}
	return Ref{}, false
}

func pddURL(host, path, query string) (Ref, bool) {
	if host == "p.pinduoduo.com" || host == "p.yangkeduo.com" {
		return shortLink(host, path, query, catalog.PDD, false)
	}
	kind := KindURL
	if containsFold(path, "coupon") { // duo_coupon_landing.html
		kind = KindCouponURL
	}
	if id := firstParam(query, 6, 19, "goods_id", "goodsId"); id != "" {
		return Ref{Kind: kind, Platform: catalog.PDD, ItemID: id}, true
	}
	if kind == KindCouponURL && param(query, "goods_sign") != "" {
		return Ref{Kind: KindCouponURL, Platform: catalog.PDD, Code: clip(host + path + "?" + query), NeedsResolve: true}, true
	}
	return Ref{}, false
}

// param returns the value of the first query parameter named name (ASCII
// case-insensitive). '&', '?', '#' and ';' all separate parameters, so a
// fragment's parameters and those of a URL nested in a parameter count too.
func param(q, name string) string {
	for len(q) > 0 {
		seg := q
		if i := strings.IndexAny(q, "&?#;"); i >= 0 {
			seg, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		if len(seg) > len(name) && seg[len(name)] == '=' && strings.EqualFold(seg[:len(name)], name) {
			return seg[len(name)+1:]
		}
	}
	return ""
}

// firstParam returns the first of the named parameters whose value is
// all digits, min to max of them.
func firstParam(q string, min, max int, names ...string) string {
	for _, n := range names {
		if v := digits(param(q, n), min, max); v != "" {
			return v
		}
	}
	return ""
}

// clip cuts s to at most maxCode bytes, at a character boundary.
func clip(s string) string {
	if len(s) <= maxCode {
		return s
	}
	n := maxCode
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// containsFold reports whether s contains sub, ASCII case-insensitively;
// sub is lower case.
func containsFold(s, sub string) bool {
	n, c := len(sub), sub[0]
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 == c && strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
