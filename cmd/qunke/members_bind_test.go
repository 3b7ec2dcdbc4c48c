package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/affiliate/alimama/fake"
	jdfake "github.com/qunke/qunke/internal/affiliate/jd/fake"
	pddfake "github.com/qunke/qunke/internal/affiliate/pdd/fake"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// TestMembersBindLinkAndAttribute: members bind (all or nothing), then
// link --member converts with the member's ids on each platform (the
// fakes check and echo the parameters), and report attribute credits the
// member's stored orders.
func TestMembersBindLinkAndAttribute(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	groups := filepath.Join(dir, "groups.csv")
	os.WriteFile(groups, []byte("群名,渠道,淘宝PID,京东PID,拼多多PID\n甲群,manual,mm_1_2_333,1001_2002_4004,8888_500\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sdb, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	member, other := communitytest.Member(t, sdb, "m7"), communitytest.Member(t, sdb, "m8")
	m7, m8 := strconv.FormatInt(member, 10), strconv.FormatInt(other, 10)
	// An order paid before the member's ids were bound.
	if _, err := orders.NewStore(sdb).Import(ctx, []orders.Order{{Platform: orders.PlatformTaobao, TradeID: "t1",
		AdzoneID: "333", SpecialID: "889", Status: orders.Paid, PaidAt: cst("2026-02-03 10:00")}}); err != nil {
		t.Fatal(err)
	}
	sdb.Close()

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("成员ID,会员运营ID,渠道关系ID\n"+m7+",889,\n"+m8+",8a9,\n"), 0o644)
	if _, _, err := runCLI(t, "--lang", "en", "--db", db, "members", "bind", bad); err == nil ||
		!strings.Contains(err.Error(), `row 3, column 会员运营ID: the Alimama special ID (会员运营ID) must be a number, not "8a9"`) {
		t.Fatalf("bad file: %v", err)
	}
	good := filepath.Join(dir, "bind.csv")
	os.WriteFile(good, []byte("外部ID,平台,类型,值\nm7,淘宝,会员运营ID,889\nm7,淘宝,渠道关系ID,2700001\nm7,京东,,m7\nm7,拼多多,,m7\n"), 0o644)
	if out, _, err := runCLI(t, "--lang", "en", "--db", db, "members", "bind", good); err != nil || out != "bound 4 ids, 0 were already bound\n" {
		t.Fatalf("bind: %q %v", out, err)
	}

	top := fake.New("k", "s")
	top.Tpwd = true
	jd := jdfake.New("jd-key-1", "jd-secret-0123456789", 0)
	defer jd.Close()
	pdd := pddfake.New("pdd-client-1", "pdd-secret-0123456789", 0)
	defer pdd.Close()
	for k, v := range map[string]string{"QUNKE_ALIMAMA_APP_KEY": "k", "QUNKE_ALIMAMA_APP_SECRET": "s", "QUNKE_JD_APP_KEY": "jd-key-1",
		"QUNKE_JD_APP_SECRET": "jd-secret-0123456789", "QUNKE_PDD_CLIENT_ID": "pdd-client-1", "QUNKE_PDD_CLIENT_SECRET": "pdd-secret-0123456789", "QUNKE_DATAOKE_APP_KEY": ""} {
		t.Setenv(k, v)
	}
	flags := []string{"--db", db, "--alimama-api", top.Start(t), "--jd-api", jd.URL, "--pdd-api", pdd.URL}
	msg := "好价 https://item.taobao.com/item.htm?id=623456789012 京东 https://item.jd.com/100012345678.html 拼多多 https://mobile.yangkeduo.com/goods.html?goods_id=445566"
	out, errOut, err := runCLI(t, append(flags, "link", "--group", "甲群", "--member", m7, msg)...)
	if err != nil {
		t.Fatal(err, errOut)
	}
	want := "好价 " + fake.ShareCode(fake.Link("623456789012", "333", fake.Person("2700001", "889"))) +
		" 京东 " + jdfake.ShortURL("https://item.jd.com/100012345678.html", 4004, "m7") +
		" 拼多多 " + pddfake.ShortURL("445566", "8888_500", "m7") + "\n"
	if out != want {
		t.Fatalf("link --member:\n%q\nwant\n%q\n%s", out, want, errOut)
	}
	if c := top.Calls()[0].Form; c.Get("relation_id") != "2700001" || c.Get("special_id") != "889" {
		t.Fatalf("the convert call carried %v", c)
	}
	// Without --member: the group's plain links.
	out, _, err = runCLI(t, append(flags, "link", "--group", "甲群", msg)...)
	if err != nil || !strings.Contains(out, jdfake.ShortURL("https://item.jd.com/100012345678.html", 4004, "")) {
		t.Fatalf("link without --member: %q %v", out, err)
	}
	// A member with no ids is an error, not a plain link.
	if _, _, err := runCLI(t, append(flags, "--lang", "en", "link", "--group", "甲群", "--member", m8, msg)...); err == nil ||
		!strings.Contains(err.Error(), "member "+m8+" has no bound ids") {
		t.Fatalf("member without ids: %v", err)
	}

	if _, _, err := runCLI(t, append(flags, "--lang", "en", "link", "--group", "甲群", "--member", "999999", msg)...); err == nil ||
		!strings.Contains(err.Error(), "no member with id 999999") {
		t.Fatalf("no such member: %v", err)
	}
	// The stored order is the member's once attributed again.
	out, err = runReport(t, db, "attribute")
	if err != nil || !strings.Contains(out, "归属到成员 1 · 有变化 1") {
		t.Fatalf("attribute: %v %s", err, out)
	}
	sdb, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if a, _, err := orders.NewStore(sdb).AttributionOf(ctx, orders.PlatformTaobao, "t1"); err != nil || a.MemberID != member {
		t.Fatalf("order t1: %+v %v", a, err)
	}
	if bs, err := community.NewStore(sdb).Bindings(ctx, member); err != nil || len(bs) != 4 {
		t.Fatalf("bindings: %v %v", bs, err)
	}
	if out, _, err := runCLI(t, "--db", db, "members", "unbind", "taobao", "special_id", "889"); err != nil || out != "已解除绑定\n" {
		t.Fatalf("unbind: %q %v", out, err)
	}
}
