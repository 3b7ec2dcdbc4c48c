package extract

import (
	"strings"

	"github.com/qunke/qunke/internal/catalog"
)

// Bare item ids are taken only after a label that says so — 商品ID：…,
// 宝贝id …, ID=…, skuId=…, goods_id=…, 商品编号 … — never on their own:
// prices, phone numbers, dates, order and tracking numbers look just like
// them. An id has 9 to 19 digits.

// idLabels maps an ASCII label word (lower case) to the platform it implies
// ("" for none).
var idLabels = map[string]catalog.Platform{
	"id":       "",
	"itemid":   "",
	"item_id":  "",
	"num_iid":  catalog.Taobao,
	"numiid":   catalog.Taobao,
	"sku":      catalog.JD,
	"skuid":    catalog.JD,
	"sku_id":   catalog.JD,
	"wareid":   catalog.JD,
	"goods_id": catalog.PDD,
	"goodsid":  catalog.PDD,
}

// idLabelsCJK are labels without an ASCII word.
var idLabelsCJK = [...]string{"商品编号", "商品编码"}

// idDeny are words that, before "ID", make it something other than an
// item's: 订单ID, 店铺ID, 用户ID, 群ID, …
var idDeny = [...]string{
	"订单", "店铺", "用户", "会员", "买家", "卖家", "物流", "快递", "运单", "群", "微信", "活动",
	"券", "交易", "支付", "账号", "账户", "帐号", "客户", "粉丝", "直播间", "房间", "视频", "作者",
	"达人", "主播", "渠道", "推广位", "推广", "联盟", "团长", "身份证", "工号", "设备",
}

// idPlatformWords before a generic label name the platform.
var idPlatformWords = [...]struct {
	word string
	p    catalog.Platform
}{
	{"淘宝", catalog.Taobao}, {"天猫", catalog.Tmall}, {"京东", catalog.JD}, {"拼多多", catalog.PDD}, {"多多", catalog.PDD},
}

// idASCIIWords are the ASCII words allowed before a generic "ID".
var idASCIIWords = map[string]catalog.Platform{
	"item": "", "goods": "", "product": "",
	"taobao": catalog.Taobao, "tb": catalog.Taobao, "tmall": catalog.Tmall, "jd": catalog.JD, "pdd": catalog.PDD,
}

// ids finds labelled ids in the run text[a:b], which holds no URL.
func (f *finder) ids(a, b int) {
	t := f.text
	for i := a; i < b && !f.full; {
		if !isDigit(t[i]) {
			i++
			continue
		}
		j := i
		for j < b && isDigit(t[j]) {
			j++
		}
		s, e := i, j
		i = j
		if n := e - s; n < 9 || n > 19 {
			continue
		}
		// Not part of a decimal, a dashed number or a word.
		if e < len(t) && (isAlpha(t[e]) || (t[e] == '.' || t[e] == '-') && e+1 < len(t) && isDigit(t[e+1])) {
			continue
		}
		if s > 0 && (t[s-1] == '.' || t[s-1] == '-') && s > 1 && isDigit(t[s-2]) {
			continue
		}
		p, ok := idLabel(t, s)
		if !ok {
			continue
		}
		f.emit(Ref{
			Kind: KindID, Platform: p, TaobaoFamily: p == catalog.Taobao || p == catalog.Tmall,
			ItemID: t[s:e], Raw: t[s:e], Start: s, End: e, NeedsResolve: p == "",
		})
	}
}

// idLabel reports whether the digits at t[s:] follow an id label, and the
// platform the label names.
func idLabel(t string, s int) (catalog.Platform, bool) {
	// Separators: spaces, a line break, ':', '=', '#', full-width ones, 是/为.
	p := s
	for steps := 0; steps < 4 && p > 0; steps++ {
		if c := t[p-1]; c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':' || c == '=' || c == '#' {
			p--
			continue
		}
		if w := suffixOf(t[:p], "：", "＝", "＃", "　", "是", "为", "為"); w != "" {
			p -= len(w)
			continue
		}
		break
	}
	// The label word.
	q := p
	for q > 0 && p-q <= 16 && (isAlnum(t[q-1]) || t[q-1] == '_') {
		q--
	}
	if p-q > 16 {
		return "", false
	}
	plat, generic := catalog.Platform(""), false
	if q == p {
		w := suffixOf(t[:p], idLabelsCJK[:]...)
		if w == "" {
			return "", false
		}
		q -= len(w)
		generic = true
	} else {
		lp, ok := idLabels[strings.ToLower(t[q:p])]
		if !ok {
			return "", false
		}
		plat, generic = lp, lp == ""
	}
	// What comes before the label.
	pre := t[:q]
	for k := 0; k < 2 && len(pre) > 0 && pre[len(pre)-1] == ' '; k++ {
		pre = pre[:len(pre)-1]
	}
	if n := len(pre); n > 0 && (isAlnum(pre[n-1]) || pre[n-1] == '_') {
		// An ASCII word before a generic label: "Item ID", "JD ID" — but
		// not "QQ ID", "Order ID". (A number is the previous value.)
		k := n
		for k > 0 && n-k <= 16 && (isAlnum(pre[k-1]) || pre[k-1] == '_') {
			k--
		}
		word := pre[k:n]
		if !generic || digits(word, 1, len(word)) != "" {
			return plat, true
		}
		wp, ok := idASCIIWords[strings.ToLower(word)]
		if !ok {
			return "", false
		}
		return wp, true
	}
	if suffixOf(pre, idDeny[:]...) != "" {
		return "", false
	}
	if w := suffixOf(pre, "商品", "宝贝", "產品", "产品", "货品"); w != "" {
		pre = pre[:len(pre)-len(w)]
	}
	if generic {
		for _, pw := range idPlatformWords {
			if strings.HasSuffix(pre, pw.word) {
				plat = pw.p
				break
			}
		}
	}
	return plat, true
}

// suffixOf returns the first of words that s ends with, or "".
func suffixOf(s string, words ...string) string {
	for _, w := range words {
		if strings.HasSuffix(s, w) {
			return w
		}
	}
	return ""
}
