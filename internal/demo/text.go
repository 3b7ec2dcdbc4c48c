package demo

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/catalog"
)

// Every brand sells through the same set of shop slots: a Tmall flagship and
// two Tmall 专卖店, three Taobao C shops, JD self-operated and a JD flagship,
// a PDD brand store and two PDD shops.
const (
	slotTmallFlagship = iota
	slotTmallStore1
	slotTmallStore2
	slotTaobao1
	slotTaobao2
	slotTaobao3
	slotJDSelf
	slotJDFlagship
	slotPDDFlagship
	slotPDD1
	slotPDD2
	slotsPerBrand
)

type shop struct {
	plat   catalog.Platform
	typ    catalog.ShopType
	id     string
	name   string
	seller string // seller number used in image paths
	dsr    [3]int
}

// buildShops creates every brand's shops; ids, C-shop names and scores depend
// on the seed.
func (m *Market) buildShops() {
	nBrands := 0
	m.brandStart = make([]int, len(tops))
	for t := range tops {
		m.brandStart[t] = nBrands
		nBrands += len(tops[t].brands)
	}
	m.shops = make([]shop, nBrands*slotsPerBrand)
	r := rng{mix64(m.seed ^ 0x5110_5eed)}
	cshop := 0 // C shops so far: their names come from a bijection, so they are distinct
	nNames := uint64(len(cityWords) * len(shopFirst) * len(shopSecond))
	nameOff := r.next()
	for t := range tops {
		for b, br := range tops[t].brands {
			g := m.brandStart[t] + b
			for slot := range slotsPerBrand {
				idx := g*slotsPerBrand + slot
				sh := &m.shops[idx]
				cname := func() string {
					k := permute(cshop, nameOff, nNames)
					cshop++
					city := cityWords[k%uint64(len(cityWords))]
					k /= uint64(len(cityWords))
					return city + shopFirst[k%uint64(len(shopFirst))] + shopSecond[k/uint64(len(shopFirst))]
				}
				var dsr float64
				switch slot {
				case slotTmallFlagship:
					sh.plat, sh.typ, sh.name, dsr = catalog.Tmall, catalog.ShopFlagship, br.s+"官方旗舰店", r.between(472, 490)
				case slotTmallStore1, slotTmallStore2:
					city := cityWords[(g*2+slot)%len(cityWords)]
					sh.plat, sh.typ, sh.name, dsr = catalog.Tmall, catalog.ShopTmall, br.s+city+"专卖店", r.between(466, 486)
				case slotTaobao1, slotTaobao2, slotTaobao3:
					sh.plat, sh.typ, sh.name, dsr = catalog.Taobao, catalog.ShopTaobao, cname(), r.between(456, 486)
				case slotJDSelf:
					sh.plat, sh.typ, sh.name, dsr = catalog.JD, catalog.ShopJDSelf, br.s+"京东自营官方旗舰店", r.between(478, 492)
				case slotJDFlagship:
					sh.plat, sh.typ, sh.name, dsr = catalog.JD, catalog.ShopFlagship, br.s+"旗舰店", r.between(468, 488)
				case slotPDDFlagship:
					sh.plat, sh.typ, sh.name, dsr = catalog.PDD, catalog.ShopFlagship, br.s+"官方旗舰店", r.between(466, 484)
				default:
					sh.plat, sh.typ, sh.name, dsr = catalog.PDD, catalog.ShopPDD, cname(), r.between(455, 480)
				}
				for d := range sh.dsr {
					v := int(dsr + r.between(-7, 7))
					sh.dsr[d] = min(max(v, 450), 495)
				}
				switch sh.plat {
				case catalog.Tmall, catalog.Taobao:
					sh.id = strconv.FormatUint(100000000+permute(idx, m.seed^0x7a0b, 9e8), 10) // 9 digits
					sh.seller = strconv.FormatUint(2200000000000+permute(idx, m.seed^0x5e11, 1e10), 10)
				case catalog.JD:
					if sh.typ == catalog.ShopJDSelf {
						sh.id = strconv.FormatUint(1000000000+permute(idx, m.seed^0x1d5e, 1e7), 10) // 1000xxxxxx
					} else {
						sh.id = strconv.FormatUint(10000000+permute(idx, m.seed^0x1d9f, 9e7), 10)
					}
				default:
					sh.id = strconv.FormatUint(100000000+permute(idx, m.seed^0x9dd, 9e8), 10)
				}
			}
		}
	}
}

// core is what both the item text and its dynamics need: category, brand,
// platform and shop, from the item's own stream.
type core struct {
	leaf  int
	brand int // global brand index
	shop  int // index into m.shops
}

func (m *Market) core(i int) core {
	r := rng{m.itemSeed(i, 0)}
	w := r.intn(topTotal)
	t := 0
	for w >= tops[t].weight {
		w -= tops[t].weight
		t++
	}
	tp := &tops[t]
	c := core{leaf: tp.leaves[r.intn(len(tp.leaves))]}
	// The first brands of a category are the big ones.
	c.brand = m.brandStart[t] + min(r.intn(len(tp.brands)), r.intn(len(tp.brands)))
	var slot int
	switch p, u := r.intn(100), r.intn(100); {
	case p < 40: // Tmall
		slot = slotTmallFlagship
		if u >= 60 {
			slot = slotTmallStore1 + u%2
		}
	case p < 75: // Taobao
		slot = slotTaobao1 + u%3
	case p < 90: // JD
		slot = slotJDSelf
		if u >= 65 {
			slot = slotJDFlagship
		}
	default: // PDD
		slot = slotPDDFlagship
		if u >= 30 {
			slot = slotPDD1 + u%2
		}
	}
	c.shop = c.brand*slotsPerBrand + slot
	return c
}

// buildItem writes item i's text into one string (id, title, short title and
// image URL share it) and returns the item; buf is scratch space.
func (m *Market) buildItem(i int, buf []byte) (catalog.Item, []byte) {
	c := m.core(i)
	lf := &leaves[c.leaf]
	tp := &tops[lf.top]
	sh := &m.shops[c.shop]
	brand := tp.brands[c.brand-m.brandStart[lf.top]]
	r := rng{m.itemSeed(i, 2)}

	buf = buf[:0]
	// Item id: unique per platform by construction.
	switch sh.plat {
	case catalog.JD:
		switch k := r.intn(10); {
		case k < 4: // 14-digit 100xxxxxxxxxxx
			buf = strconv.AppendUint(buf, 10000000000000+permute(i, m.seed^0x1d14, 1e11), 10)
		case k < 8: // 12-digit 100xxxxxxxxx
			buf = strconv.AppendUint(buf, 100000000000+m.jd12(i), 10)
		default: // older 8..10-digit SKUs
			buf = strconv.AppendUint(buf, 10000000+permute(i, m.seed^0x1d08, 9e9), 10)
		}
	case catalog.PDD:
		buf = strconv.AppendUint(buf, 10000000000+permute(i, m.seed^0x9dd11, 9e10), 10)
	default: // Taobao and Tmall share one id space: 12 digits from 5, 6 or 7.
		buf = strconv.AppendUint(buf, 500000000000+permute(i, m.seed^0x7a0b12, 3e11), 10)
	}
	idEnd := len(buf)

	// Title: [tag] brand noun attributes… audience … closing noun, 22..30 characters.
	titleStart := len(buf)
	n := 0
	put := func(w word) {
		buf = append(buf, w.s...)
		n += w.n
	}
	var prefixes []word
	switch sh.typ {
	case catalog.ShopFlagship:
		if sh.plat != catalog.JD {
			prefixes = prefixFlagship
		}
	case catalog.ShopTmall:
		prefixes = prefixTmall
	case catalog.ShopTaobao:
		prefixes = prefixTaobao
	case catalog.ShopPDD:
		prefixes = prefixPDD
	}
	if len(prefixes) > 0 && r.intn(2) == 0 {
		put(prefixes[r.intn(len(prefixes))])
	}
	noun := lf.nouns[0]
	if len(lf.nouns) > 1 && r.intn(10) >= 7 {
		noun = lf.nouns[1+r.intn(len(lf.nouns)-1)]
	}
	put(brand)
	put(noun)
	// Attributes in a random order, one alternative each.
	var attrs [16]word
	na := len(lf.attrs)
	for k, g := range lf.attrs {
		attrs[k] = g[0]
		if len(g) > 1 {
			attrs[k] = g[r.intn(len(g))]
		}
	}
	for k := na - 1; k > 0; k-- {
		j := r.intn(k + 1)
		attrs[k], attrs[j] = attrs[j], attrs[k]
	}
	target := 22 + r.intn(9)
	aud := tp.audience[r.intn(len(tp.audience))]
	audAt := 1 + r.intn(3)
	var closing word
	if len(lf.nouns) > 1 {
		closing = lf.nouns[r.intn(len(lf.nouns))]
		if closing.s == noun.s {
			closing = word{}
		}
	}
	has := func(w word) bool { return bytes.Contains(buf[titleStart:], []byte(w.s)) }
	for k := range na {
		if k == audAt && n+aud.n <= target && !has(aud) {
			put(aud)
		}
		a := attrs[k]
		if n+a.n+closing.n <= target && !has(a) {
			put(a)
		}
	}
	if closing.n > 0 && n+closing.n <= 30 && !has(closing) {
		put(closing)
	}
	titleEnd := len(buf)

	// Short title: [brand] up to two attributes and the noun, 8..14 characters.
	n = 0
	shortStart := len(buf)
	if brand.n <= 4 && r.intn(4) != 0 {
		put(brand)
	}
	used := 0
	for k := 0; k < na && used < 2; k++ {
		a := attrs[k]
		if strings.Contains(a.s, noun.s) {
			continue
		}
		if n+a.n+noun.n <= 14 && (used == 0 || n+a.n+noun.n <= 12) {
			put(a)
			used++
		}
	}
	put(noun)
	for k := 0; n < 8 && k < 8; k++ {
		w := aud
		if k > 0 {
			w = shortPad[(k+i)%len(shortPad)]
		}
		if n+w.n <= 14 && !bytes.Contains(buf[shortStart:], []byte(w.s)) {
			put(w)
		}
	}
	shortEnd := len(buf)

	// Image URL in the platform's CDN style.
	imgStart := len(buf)
	switch sh.plat {
	case catalog.JD:
		buf = append(buf, "https://img1"...)
		buf = strconv.AppendInt(buf, int64(r.intn(5)), 10)
		buf = append(buf, ".360buyimg.com/n1/jfs/t1/"...)
		buf = strconv.AppendInt(buf, int64(100000+r.intn(900000)), 10)
		buf = append(buf, "/"...)
		buf = strconv.AppendInt(buf, int64(1+r.intn(40)), 10)
		buf = append(buf, "/"...)
		buf = strconv.AppendInt(buf, int64(1000+r.intn(90000)), 10)
		buf = append(buf, '/')
		buf = appendHex(buf, r.next(), 16)
		buf = append(buf, ".jpg"...)
	case catalog.PDD:
		buf = append(buf, "https://img.pddpic.com/mms-material-img/202"...)
		buf = strconv.AppendInt(buf, int64(3+r.intn(3)), 10)
		buf = append(buf, '-', '0', '0'+byte(1+r.intn(9)), '-', '1', '0'+byte(r.intn(9)), '/')
		buf = appendHex(buf, r.next(), 16)
		buf = appendHex(buf, r.next(), 16)
		buf = append(buf, ".jpeg"...)
	default:
		buf = append(buf, "https://img.alicdn.com/imgextra/i"...)
		buf = append(buf, '1'+byte(r.intn(4)), '/')
		buf = append(buf, sh.seller...)
		buf = append(buf, "/O1CN01"...)
		buf = appendBase62(buf, r.next(), 11)
		buf = appendBase62(buf, r.next(), 11)
		buf = append(buf, ".jpg"...)
	}
	s := string(buf)
	it := catalog.Item{
		Platform:     sh.plat,
		ItemID:       s[:idEnd],
		Title:        s[titleStart:titleEnd],
		ShortTitle:   s[shortStart:shortEnd],
		CategoryPath: lf.path,
		Brand:        brand.s,
		ShopID:       sh.id,
		ShopName:     sh.name,
		ShopType:     sh.typ,
		DSRDesc:      sh.dsr[0],
		DSRService:   sh.dsr[1],
		DSRShip:      sh.dsr[2],
		ImageURL:     s[imgStart:],
	}
	return it, buf
}

// SampleJDItem is the JD item every market of more than a few dozen items
// has, whatever its seed: the README's first example names it, so a
// newcomer's first check finds it in the demo.
const SampleJDItem = "100012345678"

// sampleOffset is SampleJDItem less the 12-digit range's base.
const sampleOffset = 12345678

// sampleIndex returns the first item whose id is a 12-digit JD SKU (the
// item that is given SampleJDItem), or -1 when none is among the first
// 100,000 (it is found within a few dozen items in practice).
func (m *Market) sampleIndex() int {
	for i := range 100000 {
		if m.shops[m.core(i).shop].plat != catalog.JD {
			continue
		}
		r := rng{m.itemSeed(i, 2)}
		if k := r.intn(10); k >= 4 && k < 8 {
			return i
		}
	}
	return -1
}

// jd12 is the offset of item i's 12-digit JD id: a permutation of the
// indexes in which the sample item and the one that would have had its id
// trade places, so ids stay unique.
func (m *Market) jd12(i int) uint64 {
	off := permute(i, m.seed^0x1d12, 1e8)
	switch {
	case i == m.sample:
		return sampleOffset
	case off == sampleOffset && m.sample >= 0:
		return permute(m.sample, m.seed^0x1d12, 1e8)
	}
	return off
}

func appendHex(buf []byte, v uint64, n int) []byte {
	const digits = "0123456789abcdef"
	for range n {
		buf = append(buf, digits[v&15])
		v >>= 4
	}
	return buf
}

func appendBase62(buf []byte, v uint64, n int) []byte {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for range n {
		buf = append(buf, digits[v%62])
		v /= 62
	}
	return buf
}
