package extract_test

import (
	"fmt"

	"github.com/qunke/qunke/internal/advisor/extract"
)

func ExampleFind() {
	msg := `【维达抽纸】3层120抽*24包 原价59.9 券后29.9元
👉复制这条信息￥hG7kL2mNpQx￥打开手机淘宝
京东：https://item.jd.com/100012345678.html 到手价19.9
客服电话 13812345678`
	for _, r := range extract.Find(msg) {
		fmt.Printf("%s %q platform=%q id=%q needs_resolve=%v\n", r.Kind, r.Raw, r.Platform, r.ItemID, r.NeedsResolve)
	}
	// Output:
	// share_code "￥hG7kL2mNpQx￥" platform="" id="" needs_resolve=true
	// url "https://item.jd.com/100012345678.html" platform="jd" id="100012345678" needs_resolve=false
}
