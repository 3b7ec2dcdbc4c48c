package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/shanghai"
)

// seedMembers gives the first of the server's groups members: a hand-kept
// list, and WeCom joins and leaves (one of them re-joining); it returns the
// id of the member who left and came back.
func seedMembers(t *testing.T, s *Server) int64 {
	t.Helper()
	ctx := context.Background()
	groups, err := s.groups.List(ctx, community.Filter{})
	if err != nil || len(groups) == 0 {
		t.Fatalf("groups to seed members in: %v", err)
	}
	g := groups[0].ID
	at := time.Date(2026, 11, 1, 20, 0, 0, 0, shanghai.Zone)
	rows := []community.SnapshotRow{{ExternalID: "wxid_hua", Name: "阿花", Note: "老客户，爱买母婴"}, {Name: "小王"}}
	for i := range 60 {
		rows = append(rows, community.SnapshotRow{ExternalID: "wxid_m" + strconv.Itoa(i), Name: "群友" + strconv.Itoa(i), JoinedAt: at.AddDate(0, 0, -i)})
	}
	if _, err := s.groups.Snapshot(ctx, g, community.SourceSheet, rows, at); err != nil {
		t.Fatal(err)
	}
	ev := func(key string, kind community.EventKind, when time.Time, how community.LeaveHow) community.MemberEvent {
		return community.MemberEvent{Key: key, Source: community.SourceWeCom, ChatID: "wrChatSeed", Kind: kind, At: when,
			ExternalID: "wmSeedUser", UnionID: "oSeedUnion", Name: "张姐（企微）", JoinHow: community.JoinQR, InviteLink: "qr-autumn", LeaveHow: how}
	}
	if _, err := s.groups.ApplyEvents(ctx, []community.MemberEvent{
		ev("seed:1", community.Join, at.AddDate(0, 0, -10), ""),
		ev("seed:2", community.Leave, at.AddDate(0, 0, -5), community.LeaveSelf),
		ev("seed:3", community.Join, at.AddDate(0, 0, -2), ""),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.groups.MapChat(ctx, community.SourceWeCom, "wrChatSeed", g); err != nil {
		t.Fatal(err)
	}
	return seededMember(t, s)
}

// seededMember is the id of the member seedMembers made leave and re-join.
func seededMember(t *testing.T, s *Server) int64 {
	t.Helper()
	rs, _, err := s.groups.Members(context.Background(), community.MemberFilter{Query: "wmSeedUser"})
	if err != nil || len(rs) != 1 {
		t.Fatalf("seeded member: %v %v", rs, err)
	}
	return rs[0].ID
}

// someMember is a member of the demo's who left a group and is in one.
func someMember(t *testing.T, s *Server) int64 {
	t.Helper()
	ctx := context.Background()
	rows, _, err := s.groups.Members(ctx, community.MemberFilter{Limit: 1000})
	if err != nil || len(rows) == 0 {
		t.Fatalf("the demo's members: %d, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.InGroups > 0 && r.Groups > 1 {
			return r.ID
		}
	}
	return rows[0].ID
}

// TestMembersPagesAndAPI: the members page lists and filters, a member's
// page shows its groups and history, a member list upload imports all or
// nothing (bad rows named), and the API answers the same.
func TestMembersPagesAndAPI(t *testing.T) {
	s, srv := newTestServer(t)
	ctx := context.Background()
	for _, name := range []string{"宝妈1群", "宝妈2群"} {
		if err := s.groups.Save(ctx, &community.Group{Name: name, Channel: community.Manual}); err != nil {
			t.Fatal(err)
		}
	}
	rejoined := seedMembers(t, s)
	c := newClient(t, srv)
	signIn(t, s, c, "boss", auth.Admin)

	resp, body := c.do("GET", "/members", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "张姐（企微）") || !strings.Contains(body, "共 63 位成员") {
		t.Fatalf("members page: %d\n%.2000s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "下一页") {
		t.Fatal("63 members and no second page")
	}
	if _, body := c.do("GET", "/members?page=2", nil); !strings.Contains(body, "上一页") || strings.Contains(body, "下一页") {
		t.Fatal("the second page")
	}
	if _, body := c.do("GET", "/members?q=wxid_hua", nil); !strings.Contains(body, "阿花") || strings.Contains(body, "小王") {
		t.Fatal("search by id")
	}
	if _, body := c.do("GET", "/members?source=wecom", nil); !strings.Contains(body, "张姐") || strings.Contains(body, "阿花") {
		t.Fatal("filter by source")
	}
	if resp, body := c.do("GET", "/members?source=qq", nil); resp.StatusCode != 400 || !strings.Contains(body, "来源「qq」未知") {
		t.Fatalf("bad source: %d", resp.StatusCode)
	}
	resp, body = c.do("GET", "/members/"+strconv.FormatInt(rejoined, 10), nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "仍在群里") || !strings.Contains(body, "主动退群") ||
		!strings.Contains(body, "扫码入群") || !strings.Contains(body, "订单 0 笔") {
		t.Fatalf("member page: %d\n%.3000s", resp.StatusCode, body)
	}
	if resp, _ := c.do("GET", "/members/999999", nil); resp.StatusCode != 404 {
		t.Fatalf("missing member: %d", resp.StatusCode)
	}

	// Upload: a bad list names its rows and imports nothing; a good one
	// joins and leaves.
	_, body = c.do("GET", "/members", nil)
	csrf := csrfIn(t, body)
	resp, body = c.upload("/members/import", csrf, "m.csv", "群名,昵称,微信号,入群时间\n宝妈2群,甲,wx_1,前天\n宝妈2群,,,\n", nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "入群时间") || !strings.Contains(body, "<td>3</td>") {
		t.Fatalf("bad upload: %d\n%.3000s", resp.StatusCode, body)
	}
	if rs, _, _ := s.groups.Members(ctx, community.MemberFilter{Query: "wx_1"}); len(rs) != 0 {
		t.Fatal("a bad list imported members")
	}
	groups, _ := s.groups.List(ctx, community.Filter{})
	resp, body = c.upload("/members/import", csrf, "m.csv", "昵称,微信号\n甲,wx_1\n乙,wx_2\n", map[string]string{"group": strconv.FormatInt(groups[1].ID, 10)})
	if resp.StatusCode != 200 || !strings.Contains(body, "入群 2") {
		t.Fatalf("good upload: %d\n%.3000s", resp.StatusCode, body)
	}

	// The API.
	tok := token(t, s, "bot", auth.Admin)
	var list apiv1.Members
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/members?limit=2&source=sheet", "", &list); code != 200 || list.Total != 64 || len(list.Members) != 2 || list.Limit != 2 {
		t.Fatalf("api members: %d %s", code, body)
	}
	if code, _ := callAPI(t, c, tok, "GET", "/api/v1/members?limit=0", "", nil); code != 400 {
		t.Fatalf("limit 0: %d", code)
	}
	var d apiv1.MemberDetail
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/members/"+strconv.FormatInt(rejoined, 10), "", &d); code != 200 ||
		len(d.Memberships) != 2 || len(d.Events) != 3 || d.Memberships[0].LeaveHow != "self" || d.Memberships[1].LeftAt != nil || d.Member.InGroups != 1 {
		t.Fatalf("api member: %d %s", code, body)
	}
	raw, _ := json.Marshal(d)
	if !strings.Contains(string(raw), `"left_at":null`) {
		t.Fatalf("a stay not over has left_at null: %s", raw)
	}
	if code, _ := callAPI(t, c, tok, "GET", "/api/v1/members/999999", "", nil); code != http.StatusNotFound {
		t.Fatalf("missing member: %d", code)
	}
}
