package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/auth"
)

// TestCheckPageLink: the check page's 转链 converts a card's item for the
// chosen group (its JD placement here, the short link), offered only to
// those who manage posting; a group with no placement gets the reason in
// the reader's language.
func TestCheckPageLink(t *testing.T) {
	_, _, login := postingServer(t)
	op := login(auth.Operator, "op")
	csrf := op.csrfOf("/groups")
	for _, g := range []url.Values{
		{"action": {"add"}, "name": {"京东群"}, "channel": {"manual"}, "pid_jd": {"1_2_3"}, "active": {"1"}},
		{"action": {"add"}, "name": {"无推广位群"}, "channel": {"manual"}, "active": {"1"}},
	} {
		if resp, body := op.post("/groups", csrf, g); resp.StatusCode != 200 {
			t.Fatalf("add group: %d\n%s", resp.StatusCode, body)
		}
	}
	text := "https://item.jd.com/100012345678.html"
	_, body := op.do("GET", "/check?text="+url.QueryEscape(text), nil)
	if !strings.Contains(body, `value="link"`) || !strings.Contains(body, "京东群") {
		t.Fatalf("the card has no 转链 form:\n%s", body)
	}
	sel := login(auth.Selector, "sel")
	if _, body := sel.do("GET", "/check?text="+url.QueryEscape(text), nil); strings.Contains(body, `value="link"`) {
		t.Fatal("a selector is offered 转链")
	}
	csrf = op.csrfOf("/check")
	ask := func(group string) string {
		resp, body := op.post("/check", csrf, url.Values{"text": {text}, "action": {"link"}, "group": {group},
			"platform": {"jd"}, "item_id": {"100012345678"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("转链: %d\n%s", resp.StatusCode, body)
		}
		return body
	}
	want := standin.Link(affiliate.Request{Platform: "jd", ItemID: "100012345678", PID: "1_2_3"}).URL
	if body := ask("1"); !strings.Contains(body, want) || !strings.Contains(body, "给「京东群」的链接") {
		t.Fatalf("转链 for 京东群 lacks %s:\n%s", want, body)
	}
	if body := ask("2"); !strings.Contains(body, "未转链：群没有该平台的推广位") || strings.Contains(body, "(not converted") {
		t.Fatalf("转链 for a group with no placement:\n%s", body)
	}
}
