// Package extract finds the product references in a deal message pasted from
// another group: item pages, coupon pages, Taobao share codes (淘口令), short
// links and labelled item ids (商品ID：…).
//
// Find is a single forward pass over the text. It splits the text into runs
// of ASCII URL characters (anything else — CJK, emoji, full-width
// punctuation, spaces, quotes, brackets — separates runs) and looks at each
// run once: for URLs of the known platforms, for digit strings that follow an
// id label, and for share codes, whose delimiters sit just outside the run.
// Every step is linear in the text, so Find is safe on arbitrary input
// (binary, invalid UTF-8, megabytes of text); it returns at most MaxRefs refs.
package extract

import (
	"sort"
	"strings"

	"github.com/qunke/qunke/internal/catalog"
)

// Kind says what sort of text a reference was found in.
type Kind string

const (
	KindURL       Kind = "url"        // an item page: item.taobao.com, item.jd.com, mobile.yangkeduo.com/goods.html, …
	KindCouponURL Kind = "coupon_url" // a coupon landing page: uland.taobao.com, PDD duo_coupon_landing
	KindID        Kind = "id"         // a labelled bare id: 商品ID：…, skuId=…, goods_id=…
	KindShareCode Kind = "share_code" // a Taobao share password (淘口令): ￥AbCdEfGh123￥
	KindShortLink Kind = "short_link" // m.tb.cn, s.click.taobao.com, u.jd.com, 3.cn, p.pinduoduo.com, t.cn
)

// MaxRefs is the most references Find returns for one text.
const MaxRefs = 200

// Ref is one product reference found in a text.
type Ref struct {
	Kind Kind
	// Platform is the item's platform, or "" while unknown: share codes,
	// Taobao short links, coupon pages without an item id, generic short
	// links and ids whose label names no platform. Tmall hosts give
	// catalog.Tmall, other Taobao hosts (and uland coupon pages) catalog.Taobao.
	Platform catalog.Platform
	// TaobaoFamily is set for everything in Taobao's item-id namespace:
	// Taobao and Tmall items, uland coupons, Taobao short links and share
	// codes. (taobao, id) and (tmall, id) name the same item.
	TaobaoFamily bool
	// ItemID is the platform's item id (JD: the SKU; PDD: goods_id), or ""
	// when the reference needs resolving.
	ItemID string
	// Code identifies references without an item id: the bare share code
	// ("AbCdEfGh123"); for the code-less share form ("73:/ HU0854 …") the
	// whole line, which is what share-text parse APIs want; for short links
	// and coupon pages the host and path (and, where the path says nothing,
	// the query). Empty when ItemID is set.
	Code string
	// Raw is the exact text matched: Raw == text[Start:End]. For a wrapped
	// URL it covers the inner (platform) URL only, as written — possibly
	// percent-encoded — not the outer URL.
	Raw        string
	Start, End int // byte offsets of Raw in the text
	// NeedsResolve is set when the item is not known from the text alone:
	// share codes, short links, coupon pages without an item id, and ids
	// whose platform is unknown (look them up under each platform).
	NeedsResolve bool
	// Wrapped is set for a URL found inside another URL — in its query or
	// path, plain or percent-encoded: a redirect or tracking wrapper such as
	// https://other.example/jump?u=https%3A%2F%2Fitem.taobao.com%2F… The
	// inner platform URL is reported (operators paste such links from other
	// groups), but nothing says the outer link really leads there: callers
	// that open or trust links should treat a wrapped ref as a hint, not as
	// a link to the platform. Only URL refs (KindURL, KindCouponURL,
	// KindShortLink) are ever wrapped.
	Wrapped bool
}

// Keys returns the catalog keys the reference may name: none while ItemID is
// unknown; both the Taobao and the Tmall key for the Taobao family (they
// share one id space), the concrete key first; one key per platform when
// only the id is known.
func (r Ref) Keys() []catalog.Key {
	if r.ItemID == "" {
		return nil
	}
	switch {
	case r.TaobaoFamily && r.Platform == catalog.Tmall:
		return []catalog.Key{{Platform: catalog.Tmall, ItemID: r.ItemID}, {Platform: catalog.Taobao, ItemID: r.ItemID}}
	case r.TaobaoFamily:
		return []catalog.Key{{Platform: catalog.Taobao, ItemID: r.ItemID}, {Platform: catalog.Tmall, ItemID: r.ItemID}}
	case r.Platform != "":
		return []catalog.Key{{Platform: r.Platform, ItemID: r.ItemID}}
	}
	keys := make([]catalog.Key, len(catalog.Platforms))
	for i, p := range catalog.Platforms {
		keys[i] = catalog.Key{Platform: p, ItemID: r.ItemID}
	}
	return keys
}

// key is the identity Find de-duplicates on.
func (r *Ref) key() string {
	switch {
	case r.ItemID != "" && r.TaobaoFamily:
		return "taobao:" + r.ItemID
	case r.ItemID != "":
		return string(r.Platform) + ":" + r.ItemID
	case r.Kind == KindShareCode:
		return "code:" + r.Code
	}
	return string(r.Kind) + ":" + r.Code
}

// Find returns the product references in text in order of appearance. A
// reference to an item already found (same platform and id; Taobao and Tmall
// count as one), or repeating a share code or short link, is dropped: the
// first is kept. An id whose label names no platform is dropped when the same
// id also appears with a known platform. At most MaxRefs are returned.
func Find(text string) []Ref {
	f := finder{text: text}
	f.scan()
	return f.finish()
}

// maxCandidates bounds the work (and memory) Find spends on one text: the
// post-pass may still drop some candidates, so collect more than MaxRefs.
const maxCandidates = 4 * MaxRefs

type finder struct {
	text  string
	refs  []Ref
	index map[string]int // Ref.key -> index in refs
	// tagForm marks refs (by Start) of the code-less share form, dropped when
	// their line holds another Taobao share code or short link.
	tagForm map[int]bool
	full    bool

	// decode scratch, reused between runs
	buf []byte
	off []int

	// the line the last cue or tag query was about
	lineStart, lineEnd int
	lineKnown          bool
	lineCue            bool // a cue word is on the line (if lineCueKnown)
	lineCueKnown       bool
	lineCode           string // the line as a share code (if lineHasCode)
	lineHasCode        bool
}

func (f *finder) scan() {
	t := f.text
	for i := 0; i < len(t) && !f.full; {
		if !isURLByte(t, i) {
			i++
			continue
		}
		j := i + 1
		for j < len(t) && isURLByte(t, j) {
			j++
		}
		f.run(i, j)
		i = j
	}
}

// run looks at one maximal run text[a:b] of URL characters.
func (f *finder) run(a, b int) {
	// A run is URL-ish — no place for labelled ids — when it holds a
	// platform host, a scheme, a query or fragment, or a path after a
	// domain-like dot.
	r := f.text[a:b]
	dot := strings.IndexByte(r, '.') >= 0
	urlish := strings.ContainsAny(r, "?#") || dot && strings.IndexByte(r, '/') >= 0 || strings.Contains(r, "://")
	if dot && f.urls(a, b) {
		urlish = true
	}
	if !urlish {
		f.ids(a, b)
	}
	f.codes(a, b)
}

func (f *finder) emit(r Ref) {
	if f.full {
		return
	}
	if f.index == nil {
		f.index = make(map[string]int)
	}
	k := r.key()
	if i, ok := f.index[k]; ok {
		if r.Start < f.refs[i].Start {
			f.refs[i] = r
		}
		return
	}
	f.index[k] = len(f.refs)
	f.refs = append(f.refs, r)
	if len(f.refs) >= maxCandidates {
		f.full = true
	}
}

func (f *finder) finish() []Ref {
	refs := f.refs
	if len(refs) == 0 {
		return nil
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].Start < refs[j].Start })

	// Runs never overlap and refs lie inside or around their run, so this
	// only guards against surprises.
	out := refs[:0]
	end := 0
	for _, r := range refs {
		if r.Start < end {
			continue
		}
		out = append(out, r)
		end = r.End
	}
	refs = out

	if len(f.tagForm) > 0 {
		refs = f.dropCoveredTags(refs)
	}

	known := make(map[string]bool)
	for _, r := range refs {
		if r.ItemID != "" && r.Platform != "" {
			known[r.ItemID] = true
		}
	}
	out = refs[:0]
	for _, r := range refs {
		if r.Kind == KindID && r.Platform == "" && known[r.ItemID] {
			continue
		}
		out = append(out, r)
	}
	if len(out) > MaxRefs {
		out = out[:MaxRefs]
	}
	return out
}

// dropCoveredTags drops code-less share refs ("73:/ HU0854") whose line also
// holds another Taobao-family reference (a share code, a short link, an item
// URL): that one resolves the share.
func (f *finder) dropCoveredTags(refs []Ref) []Ref {
	lines := make([]int, len(refs))
	covered := make(map[int]bool)
	line, pos := 0, 0
	for i, r := range refs {
		line += strings.Count(f.text[pos:r.Start], "\n")
		pos = r.Start
		lines[i] = line
		if r.TaobaoFamily && !f.tagForm[r.Start] {
			covered[line] = true
		}
	}
	out := refs[:0]
	for i, r := range refs {
		if r.Kind == KindShareCode && f.tagForm[r.Start] && covered[lines[i]] {
			continue
		}
		out = append(out, r)
	}
	return out
}

// urlBytes marks the ASCII bytes that may continue a URL. Quotes, brackets,
// braces, '|', '^', '`', '$' and '\' (except as "\/" or "\u00XX", see
// isURLByte) end one, as do spaces, controls and every non-ASCII byte.
var urlBytes = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = true
	}
	for _, c := range "\"'()<>[]{}|^`$\\" {
		t[c] = false
	}
	return t
}()

func isURLByte(t string, i int) bool {
	c := t[i]
	if c == '\\' { // JSON-escaped "\/" and "\u0026"
		return i+1 < len(t) && (t[i+1] == '/' || strings.HasPrefix(t[i+1:], "u00"))
	}
	return urlBytes[c]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// digits returns s when it is all ASCII digits and its length is in
// [min, max], else "".
func digits(s string, min, max int) string {
	if len(s) < min || len(s) > max {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return ""
		}
	}
	return s
}
