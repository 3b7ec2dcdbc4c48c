package extract

import (
	"strings"
	"unicode/utf8"

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
		p, weak, ok := idLabel(t, s)
		if !ok || weak && personalNumber(t[s:e]) {
			continue
		}
		f.emit(Ref{
			Kind: KindID, Platform: p, TaobaoFamily: p == catalog.Taobao || p == catalog.Tmall,
			ItemID: t[s:e], Raw: t[s:e], Start: s, End: e, NeedsResolve: p == "",
		})
	}
}

// idLabel reports whether the digits at t[s:] follow an id label, the
// platform the label names, and whether the label is weak: a bare "ID"/"id"
// with no item context (商品/宝贝/产品/货品 before it, or Item/Goods/Product;
// itemId, sku, goods_id, 商品编号 … are never weak). Weak labels are what
// people put before phone, ID-card and pickup numbers too: they are refused
// when a personal word (idDenyNear) is on the line shortly before them, and
// ids calls personalNumber on what they label.
func idLabel(t string, s int) (plat catalog.Platform, weak, ok bool) {
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
		return "", false, false
	}
	generic := false
	if q == p {
		w := suffixOf(t[:p], idLabelsCJK[:]...)
		if w == "" {
			return "", false, false
		}
		q -= len(w)
		generic = true // but never weak: 商品编号 is item context
	} else {
		label := strings.ToLower(t[q:p])
		lp, ok := idLabels[label]
		if !ok {
			return "", false, false
		}
		plat, generic, weak = lp, lp == "", label == "id"
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
		if generic && digits(word, 1, len(word)) == "" {
			wp, ok := idASCIIWords[strings.ToLower(word)]
			if !ok {
				return "", false, false
			}
			plat = wp
			if wp == "" { // item, goods, product
				weak = false
			}
		}
	} else {
		if suffixOf(pre, idDeny[:]...) != "" {
			return "", false, false
		}
		if w := suffixOf(pre, "商品", "宝贝", "產品", "产品", "货品"); w != "" {
			pre = pre[:len(pre)-len(w)]
			weak = false
		}
		if generic {
			for _, pw := range idPlatformWords {
				if strings.HasSuffix(pre, pw.word) {
					plat = pw.p
					break
				}
			}
		}
	}
	if weak && denyNear(t[:q]) {
		return "", false, false
	}
	return plat, weak, true
}

// idDenyNear are words that, anywhere on the line within idNear characters
// before a weak label, say the number is a person's or a parcel's:
// "身份证号 ID：…", "取件码 ID=…", "加我微信同号 ID …".
var idDenyNear = [...]string{
	"身份证", "证件", "手机", "电话", "微信", "取件", "快递", "订单", "QQ", "qq", "Qq", "会员", "用户",
}

// idNear is how many characters before a weak label denyNear looks at.
const idNear = 12

// denyNear reports whether one of idDenyNear occurs in the last idNear
// characters of pre, not looking past a line break.
func denyNear(pre string) bool {
	if i := strings.LastIndexByte(pre, '\n'); i >= 0 {
		pre = pre[i+1:]
	}
	k := len(pre)
	for n := 0; n < idNear && k > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(pre[:k])
		k -= size
	}
	pre = pre[k:]
	for _, w := range idDenyNear {
		if strings.Contains(pre, w) {
			return true
		}
	}
	return false
}

// personalNumber reports whether ds, digits after a weak label, looks like
// something other than an item id: a mainland mobile number (11 digits,
// 1[3-9]…), an 18-digit resident ID number (region, valid birth date
// 19xx/20xx, sequence; 17 digits + 'X' never gets here, letters end ids) or
// a Unix timestamp in seconds (10 digits starting with 1: 2001-09 to 2033).
func personalNumber(ds string) bool {
	switch len(ds) {
	case 10:
		return ds[0] == '1'
	case 11:
		return ds[0] == '1' && ds[1] >= '3'
	case 18:
		if ds[0] < '1' || ds[0] > '8' {
			return false
		}
		year, month, day := atoi(ds[6:10]), atoi(ds[10:12]), atoi(ds[12:14])
		return year >= 1900 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31
	}
	return false
}

func atoi(ds string) int {
	n := 0
	for i := 0; i < len(ds); i++ {
		n = n*10 + int(ds[i]-'0')
	}
	return n
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
