package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/wecom"
	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

// The customer groups page lists what the member sync saw, preselects the
// group proposed by name, and maps and syncs a group when confirmed.
func TestWeComChatsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := wecomfake.New("wwcorp", "the-customer-contact-secret")
		t.Cleanup(f.Close)
		d := NewDeps(db, slog.New(slog.DiscardHandler))
		d.WeComSync.API = wecom.NewClient(f.URL, "wwcorp", "the-customer-contact-secret")
		s := NewServer(d)
		srv := httptest.NewTLSServer(s)
		t.Cleanup(srv.Close)
		g := &community.Group{Name: "宝妈福利1群", Channel: community.Manual}
		if err := s.groups.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		f.AddChat("wrMOM1", "宝妈福利1群", "zhangsan")
		f.AddChat("wrOTHER", "<b>别的群</b>", "lisi")
		f.AddMember("wrMOM1", wecomfake.Member{UserID: "wmA", Type: 2, JoinScene: 3, Name: "小红"})
		f.AddMember("wrMOM1", wecomfake.Member{UserID: "wmB", Type: 2, JoinScene: 2, Name: "小兰"})

		c := newClient(t, srv)
		signIn(t, s, c, "op", auth.Operator)
		_, body := c.do("GET", "/groups/wecom", nil)
		if !strings.Contains(body, "还没有同步过") {
			t.Errorf("before any sync: %s", body)
		}
		if _, err := s.wecomSync.Once(ctx); err != nil {
			t.Fatal(err)
		}
		resp, body := c.do("GET", "/groups/wecom", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "建议：同名群「宝妈福利1群」") ||
			!strings.Contains(body, `<option value="`+strconv.FormatInt(g.ID, 10)+`" selected>`) ||
			strings.Contains(body, "<b>别的群</b>") || !strings.Contains(body, "上次同步") {
			t.Fatalf("page after a sync: %d %s", resp.StatusCode, body)
		}
		csrf := csrfIn(t, body)
		resp, body = c.post("/groups/wecom", csrf, url.Values{"chat_id": {"wrOTHER"}, "group_id": {""}})
		if resp.StatusCode != 400 || !strings.Contains(body, "先选择要对应的群") {
			t.Fatalf("no group chosen: %d", resp.StatusCode)
		}
		resp, body = c.post("/groups/wecom", csrf, url.Values{"chat_id": {"wrMOM1"}, "group_id": {strconv.FormatInt(g.ID, 10)}})
		if resp.StatusCode != 200 || !strings.Contains(body, "「宝妈福利1群」已对应并同步成员：入群 2，退群 0") {
			t.Fatalf("confirm: %d %s", resp.StatusCode, body)
		}
		if gid, _ := s.groups.GroupForChat(ctx, community.SourceWeCom, "wrMOM1"); gid != g.ID {
			t.Fatalf("mapped to %d", gid)
		}
		rows, _, err := s.groups.Members(ctx, community.MemberFilter{GroupID: g.ID})
		if err != nil || len(rows) != 2 {
			t.Fatalf("members %+v %v", rows, err)
		}
		// Mapping it again to another group is refused, with the reason.
		other := &community.Group{Name: "别的", Channel: community.Manual}
		if err := s.groups.Save(ctx, other); err != nil {
			t.Fatal(err)
		}
		resp, _ = c.post("/groups/wecom", csrf, url.Values{"chat_id": {"wrMOM1"}, "group_id": {strconv.FormatInt(other.ID, 10)}})
		if resp.StatusCode != 400 {
			t.Fatalf("remapping: %d", resp.StatusCode)
		}
		// A viewer may not map.
		v := newClient(t, srv)
		signIn(t, s, v, "viewer", auth.Viewer)
		if resp, _ := v.do("GET", "/groups/wecom", nil); resp.StatusCode != 403 {
			t.Fatalf("viewer: %d", resp.StatusCode)
		}
	})
}
