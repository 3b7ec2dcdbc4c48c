package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
)

// TestMemberPageBindings: the member page binds and unbinds the member's
// order ids, says why when it cannot (a bad id, another member's), and
// lists the orders they credit to the member.
func TestMemberPageBindings(t *testing.T) {
	s, srv := newTestServer(t)
	ctx := context.Background()
	if err := s.groups.Save(ctx, &community.Group{Name: "宝妈1群", Channel: community.Manual, PIDTaobao: "mm_1_2_333"}); err != nil {
		t.Fatal(err)
	}
	m := seedMembers(t, s)
	other, _, err := s.groups.Members(ctx, community.MemberFilter{Query: "wxid_hua"})
	if err != nil || len(other) != 1 {
		t.Fatal(other, err)
	}
	if err := s.groups.Bind(ctx, other[0].ID, "taobao", "special_id", "777"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	signIn(t, s, c, "boss", auth.Admin)
	page := "/members/" + strconv.FormatInt(m, 10)
	csrf := c.csrfOf(page)

	resp, _ := c.post(page+"/bindings", csrf, url.Values{"kind": {"special_id"}, "value": {"2688001"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"#ids" {
		t.Fatalf("bind: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := c.do("GET", page, nil); !strings.Contains(body, "<code>2688001</code>") || !strings.Contains(body, "会员运营ID") {
		t.Fatalf("the page does not show the bound id:\n%.3000s", body)
	}
	resp, body := c.post(page+"/bindings", csrf, url.Values{"kind": {"special_id"}, "value": {"777"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "会员运营ID「777」已绑定成员 "+strconv.FormatInt(other[0].ID, 10)) ||
		!strings.Contains(body, `value="777"`) {
		t.Fatalf("another member's id: %d\n%.3000s", resp.StatusCode, body)
	}
	resp, body = c.post(page+"/bindings", csrf, url.Values{"kind": {"sub_union_id"}, "value": {"has space"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "subUnionId「has space」只能含字母") {
		t.Fatalf("a bad id: %d\n%.3000s", resp.StatusCode, body)
	}
	if bs, _ := s.groups.Bindings(ctx, m); len(bs) != 1 {
		t.Fatalf("bindings after the refused ones: %v", bs)
	}

	// An order carrying the id is the member's, on the page.
	if _, err := s.orders.Import(ctx, []orders.Order{{TradeID: "t-1", AdzoneID: "333", SpecialID: "2688001", Title: "维达抽纸",
		Status: orders.Paid, PaidAmount: 2990, EstIncome: 150, PaidAt: time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai.Zone).Unix()}}); err != nil {
		t.Fatal(err)
	}
	if _, body := c.do("GET", page, nil); !strings.Contains(body, "订单 1 笔 · 付款 ¥29.90 · 预估收入 ¥1.50") || !strings.Contains(body, "维达抽纸") {
		t.Fatalf("the member's orders:\n%.4000s", body)
	}

	resp, _ = c.post(page+"/bindings", csrf, url.Values{"unbind": {"1"}, "platform": {"taobao"}, "kind": {"special_id"}, "value": {"2688001"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unbind: %d", resp.StatusCode)
	}
	if bs, _ := s.groups.Bindings(ctx, m); len(bs) != 0 {
		t.Fatalf("bindings after unbinding: %v", bs)
	}
	if resp, _ := c.post("/members/999999/bindings", csrf, url.Values{"kind": {"special_id"}, "value": {"1"}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("no such member: %d", resp.StatusCode)
	}
	// A viewer may not bind.
	v := newClient(t, srv)
	signIn(t, s, v, "viewer", auth.Viewer)
	if resp, _ := v.do("POST", page+"/bindings", url.Values{"kind": {"special_id"}, "value": {"1"}}); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a viewer bound an id")
	}
}
