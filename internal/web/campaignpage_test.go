package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// section is the part of an HTML page from the element with id to the end
// of its table or form.
func section(t *testing.T, body, id, end string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s in the page", id)
	}
	s := body[i:]
	if j := strings.Index(s, end); j >= 0 {
		s = s[:j]
	}
	return s
}

// TestCampaignPageCodesPagerAndHour: the campaign form picks its join code
// from the codes by name and the code's page links back to the campaigns
// using it (its old free-text note still shown); the leaderboard pages 20
// places at a time; the daily board hour is set on the campaign page.
func TestCampaignPageCodesPagerAndHour(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db, slog.New(slog.DiscardHandler))
		srv := httptest.NewTLSServer(s)
		t.Cleanup(srv.Close)
		g := &community.Group{Name: "拉新群", Channel: community.Manual, Active: true}
		if err := s.groups.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		code := &joincode.Code{Code: "fuli", Name: "福利群活码", Campaign: "双12 旧备注", Active: true, Groups: []int64{g.ID}}
		if err := s.joins.Store.Save(ctx, code); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, srv)
		signIn(t, s, c, "op", auth.Operator)
		_, body := c.do("GET", "/campaigns", nil)
		pick := section(t, body, "join-code", "</select>")
		if !strings.Contains(pick, fmt.Sprintf(`<option value="%d">福利群活码 · /join/fuli</option>`, code.ID)) {
			t.Fatalf("the form's join codes: %s", pick)
		}
		csrf := csrfIn(t, body)
		resp, _ := c.post("/campaigns", csrf, url.Values{"name": {"冬季拉新"}, "status": {"running"}, "starts": {"2026-11-01"},
			"group": {itoa(g.ID)}, "join_code": {itoa(code.ID)}, "tiers": {"3:red_envelope:5"}, "stay_hours": {"24"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		cs, err := s.campaigns.List(ctx)
		if err != nil || len(cs) != 1 || cs[0].JoinCodeID != code.ID {
			t.Fatalf("campaigns %+v %v", cs, err)
		}
		cm := cs[0]
		page := "/campaigns/" + itoa(cm.ID)
		_, body = c.do("GET", "/joincodes/"+itoa(code.ID), nil)
		if used := section(t, body, "used-by", "</p>"); !strings.Contains(used, `<a href="`+page+`">冬季拉新</a>`) || !strings.Contains(used, "双12 旧备注") {
			t.Errorf("the code's page: %s", used)
		}
		if !strings.Contains(body, `活动备注（可空，仅作记录） <input name="campaign" value="双12 旧备注"`) {
			t.Errorf("the code's form does not offer the free text as a note")
		}
		if _, body = c.do("GET", "/joincodes", nil); !strings.Contains(body, `<a href="`+page+`">冬季拉新</a>`) {
			t.Errorf("the codes list does not link the campaign")
		}
		_, body = c.do("GET", page, nil)
		if pick := section(t, body, "join-code", "</select>"); !strings.Contains(pick, fmt.Sprintf(`<option value="%d" selected>`, code.ID)) {
			t.Errorf("the edit form does not show the campaign's code: %s", pick)
		}

		// 25 participants: two pages.
		for i := range 25 {
			if _, err := s.campaigns.AddParticipant(ctx, cm.ID, 0, fmt.Sprintf("参与者%02d", i+1)); err != nil {
				t.Fatal(err)
			}
		}
		_, body = c.do("GET", page, nil)
		board, pager := section(t, body, "leaderboard", "</table>"), section(t, body, "board-pager", "</p>")
		if n := strings.Count(board, "/participants/"); n != 20 || !strings.Contains(pager, `href="`+page+`?board=20#leaderboard"`) ||
			strings.Contains(pager, "board-prev") || !strings.Contains(pager, "第 1–20 名，共 25 位参与者") {
			t.Errorf("first page: %d rows, pager %s", n, pager)
		}
		_, body = c.do("GET", page+"?board=20", nil)
		board, pager = section(t, body, "leaderboard", "</table>"), section(t, body, "board-pager", "</p>")
		if n := strings.Count(board, "/participants/"); n != 5 || !strings.Contains(board, "参与者25") || strings.Contains(board, "参与者01") ||
			!strings.Contains(pager, `href="`+page+`?board=0#leaderboard"`) || strings.Contains(pager, "board-next") ||
			!strings.Contains(pager, "第 21–25 名，共 25 位参与者") {
			t.Errorf("second page: %d rows, pager %s", n, pager)
		}

		// The daily board hour, from the page.
		daily := section(t, body, "board-daily", "</form>")
		if !strings.Contains(daily, `<option value="-1" selected>`) || !strings.Contains(daily, `<option value="9">09:00</option>`) {
			t.Fatalf("the daily hour form: %s", daily)
		}
		csrf = csrfIn(t, body)
		if resp, _ := c.post(page, csrf, url.Values{"action": {"board_hour"}, "hour": {"9"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set the hour: %d", resp.StatusCode)
		}
		if got, err := s.campaigns.Get(ctx, cm.ID); err != nil || got.BoardHour != 9 {
			t.Fatalf("board hour %d %v", got.BoardHour, err)
		}
		_, body = c.do("GET", page, nil)
		if daily := section(t, body, "board-daily", "</form>"); !strings.Contains(daily, `<option value="9" selected>09:00</option>`) {
			t.Errorf("the hour set is not shown: %s", daily)
		}
		if resp, body := c.post(page, csrf, url.Values{"action": {"board_hour"}, "hour": {"25"}}); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "qk-error") {
			t.Errorf("hour 25: %d", resp.StatusCode)
		}
		if resp, _ := c.post(page, csrf, url.Values{"action": {"board_hour"}, "hour": {"-1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("turn off: %d", resp.StatusCode)
		}
		if got, _ := s.campaigns.Get(ctx, cm.ID); got.BoardHour != -1 {
			t.Errorf("board hour after off: %d", got.BoardHour)
		}
	})
}
