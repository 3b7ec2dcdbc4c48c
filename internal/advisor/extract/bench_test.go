package extract

import (
	"strings"
	"testing"
)

// roundup is a typical multi-item message: an 早报 with eight items, prices,
// emoji and a phone number.
const roundup = `☀️【早报】6月18日 今日必买清单☀️
1⃣【维达抽纸】超韧3层120抽*24包 原价59.9 券后29.9
👉https://item.taobao.com/item.htm?spm=a230r.1.14.16&id=652318907415&ns=1
2⃣【海天生抽】金标1.28L*2 到手19.9
👉https://item.jd.com/100012345678.html
3⃣【AirPods Pro】百亿补贴1299
👉https://mobile.yangkeduo.com/goods.html?goods_id=345678901234&_oak_share_snapshot_num=1200
4⃣【南极人四件套】券后89
👉复制￥hG7kL2mNpQx￥打开手机淘宝
5⃣【飞利浦牙刷】到手199
👉https://u.jd.com/XaEB1jq
6⃣【三只松鼠坚果】券后79
👉https://m.tb.cn/h.UkSFhyY?sm=7a9f10
7⃣【安踏运动鞋】券后129
👉https://uland.taobao.com/coupon/edetail?e=Vq7XnKp2%2BzQ8aYfGwEHtKg%3D%3D&traceId=0b0f2a1b16&itemId=689012345678&af=1
8⃣【德芙巧克力】商品ID：623049586712
客服：13812345678（微信同号） 订单问题请带订单号
`

// BenchmarkFind reports MB/s on a typical multi-item message, on 1 MB of
// deal messages (the test corpus repeated) and on 1 MB of chat with no
// references at all.
func BenchmarkFind(b *testing.B) {
	var corpus strings.Builder
	for _, e := range loadCorpus(b) {
		corpus.WriteString(e.text)
		corpus.WriteString("\n\n")
	}
	deals := strings.Repeat(corpus.String(), 1<<20/corpus.Len()+1)[:1<<20]
	chat := strings.Repeat("今天的活动力度很大，大家记得8点准时下单哦～原价199现在只要99.9元，限量2000件，售完即止！有问题联系客服 400-820-8820。\n", 1<<20/150+1)[:1<<20]
	for _, tc := range []struct{ name, text string }{
		{"roundup", roundup},
		{"deals-1MB", deals},
		{"chat-1MB", chat},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.text)))
			b.ReportAllocs()
			for b.Loop() {
				if refs := Find(tc.text); tc.name == "roundup" && len(refs) != 8 {
					b.Fatalf("got %d refs", len(refs))
				}
			}
		})
	}
}
