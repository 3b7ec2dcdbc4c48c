package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestAlertSettings: operators and admins set where alerts go; a WeCom
// robot's key is taken from a pasted URL and shown only begun; a bad target
// is named and nothing is saved; the other roles get 403.
func TestAlertSettings(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	op := newClient(t, srv)
	signIn(t, s, op, "xiaoli", auth.Operator)
	csrf := op.csrfOf("/settings/alerts")
	resp, body := op.post("/settings/alerts", csrf, url.Values{"owner": {""}, "channel": {"wecom"},
		"target": {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh-5678"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/alerts?saved=1" {
		t.Fatalf("save: %d %s\n%.500s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if _, body = op.do("GET", "/settings/alerts?saved=1", nil); !strings.Contains(body, "已保存") {
		t.Errorf("no saved note")
	}
	if strings.Contains(body, "abcd-1234-efgh-5678") || !strings.Contains(body, "abcd…") {
		t.Errorf("the robot key is shown in full or not at all")
	}
	resp, body = op.post("/settings/alerts", csrf, url.Values{"owner": {"老王"}, "channel": {"telegram"}, "target": {"not a chat"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "qk-error") {
		t.Errorf("bad target: %d", resp.StatusCode)
	}
	resp, _ = op.post("/settings/alerts", csrf, url.Values{"owner": {"老王"}, "channel": {"webhook"}, "target": {"https://x.example"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("webhook channel: %d", resp.StatusCode)
	}
	if ns, err := s.health.Store.NotifySettings(t.Context()); err != nil || len(ns) != 1 || ns[0].Target != "abcd-1234-efgh-5678" {
		t.Errorf("settings: %+v %v", ns, err)
	}
	for _, role := range []auth.Role{auth.Viewer, auth.Finance, auth.Selector} {
		c := newClient(t, srv)
		signIn(t, s, c, "u-"+string(role), role)
		if resp, _ := c.do("GET", "/settings/alerts", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s GET /settings/alerts: %d", role, resp.StatusCode)
		}
		if resp, _ := c.do("GET", "/health", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s GET /health: %d", role, resp.StatusCode)
		}
	}
}

// TestGroupHealthNoSpeakers: a group whose channel does not tell who spoke
// (a member sheet) shows no speakers rather than a column of zeros.
func TestGroupHealthNoSpeakers(t *testing.T) {
	s := New(storetest.SQLite(t), slog.New(slog.DiscardHandler))
	g := dyingGroup(t, s, s.now())
	if err := s.health.Refresh(t.Context(), 60); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	signIn(t, s, c, "xiaoli", auth.Viewer)
	resp, body := c.do("GET", fmt.Sprintf("/groups/%d/health", g.ID), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	// The member rows: day, members, joins, leaves, speakers, ...
	row := regexp.MustCompile(`<tr><td class="qk-nowrap">\d\d-\d\d</td><td>\d+</td><td>\d+</td><td>[^<]*(?:<small>[^<]*</small>)*\s*</td><td>([^<]*)`)
	rows := row.FindAllStringSubmatch(body, -1)
	if len(rows) == 0 {
		t.Fatalf("no day rows:\n%.3000s", body)
	}
	for _, r := range rows {
		if strings.TrimSpace(r[1]) != "" {
			t.Fatalf("speakers shown as %q for a member sheet group", r[1])
		}
	}
	if !strings.Contains(body, "—</span>") {
		t.Errorf("no dash for the speakers")
	}
}
