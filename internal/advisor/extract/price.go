package extract

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// priceLabels are the words that introduce the price a deal message
// promises, longest first so "券后价" wins over "券后".
var priceLabels = []string{"券后价", "到手价", "活动价", "秒杀价", "折后价", "抢购价", "券后", "到手"}

// maxPriceMentions bounds the work StatedPrices does on one text.
const maxPriceMentions = 4 * MaxRefs

// priceMention is a stated price and where its label starts.
type priceMention struct {
	at  int
	fen int64
}

// StatedPrices returns, for each of refs (as Find returned them for text),
// the price the message states for it in fen ("券后29.9", "到手价：¥59",
// "券后价 19.90元"), 0 where it states none. A price belongs to a reference
// with no other reference between them: one on its line first, then the
// nearest. Like Find it is linear in the text (binary searches aside).
func StatedPrices(text string, refs []Ref) []int64 {
	out := make([]int64, len(refs))
	if len(refs) == 0 {
		return out
	}
	var breaks []int // offsets of the line breaks
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			breaks = append(breaks, i)
		}
	}
	line := func(at int) int { n, _ := slices.BinarySearch(breaks, at); return n }
	for _, m := range priceMentions(text) {
		best, bestScore := -1, 0
		for i, r := range refs {
			var d, far int
			switch {
			case m.at >= r.End:
				if i+1 < len(refs) && refs[i+1].Start <= m.at {
					continue // another reference lies between
				}
				d, far = m.at-r.End, line(m.at)-line(r.End)
			case m.at < r.Start:
				if i > 0 && refs[i-1].End > m.at {
					continue
				}
				d, far = r.Start-m.at, line(r.Start)-line(m.at)
			}
			score := min(far, 1)*(len(text)+1) + d
			if best < 0 || score < bestScore {
				best, bestScore = i, score
			}
		}
		if best >= 0 && out[best] == 0 {
			out[best] = m.fen
		}
	}
	return out
}

// priceMentions finds the labelled prices in text, in order.
func priceMentions(text string) []priceMention {
	var out []priceMention
	for i := 0; i < len(text) && len(out) < maxPriceMentions; {
		label := ""
		for _, l := range priceLabels {
			if strings.HasPrefix(text[i:], l) {
				label = l
				break
			}
		}
		if label == "" {
			_, n := utf8.DecodeRuneInString(text[i:])
			i += n
			continue
		}
		if fen, ok := readPrice(text[i+len(label):]); ok {
			out = append(out, priceMention{at: i, fen: fen})
		}
		i += len(label)
	}
	return out
}

// readPrice reads an amount in yuan after a price label: a few spaces,
// a colon, "仅", "只要" or a currency sign may come first; at most two
// decimals; 0 and amounts past ¥10,000,000 are not prices.
func readPrice(s string) (int64, bool) {
	s = trimLead(s)
	var yuan, frac int64
	digits, decimals := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' && decimals < 0 && digits > 0 {
			decimals = 0
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		switch {
		case decimals < 0:
			if digits++; digits > 8 {
				return 0, false
			}
			yuan = yuan*10 + int64(c-'0')
		case decimals < 2:
			frac = frac*10 + int64(c-'0')
			decimals++
		default:
			return 0, false // a third decimal: not a price as written
		}
	}
	if digits == 0 {
		return 0, false
	}
	for d := max(decimals, 0); d < 2; d++ {
		frac *= 10
	}
	fen := yuan*100 + frac
	if fen <= 0 || fen > 10_000_000_00 {
		return 0, false
	}
	return fen, true
}

// priceLead is what may stand between a price label and its amount.
var priceLead = []string{" ", "\u3000", ":", "：", "仅", "只要", "只需", "¥", "￥", "价"}

func trimLead(s string) string {
	for n := 0; n < 16; n++ {
		before := s
		for _, p := range priceLead {
			s = strings.TrimPrefix(s, p)
		}
		if s == before {
			break
		}
	}
	return s
}
