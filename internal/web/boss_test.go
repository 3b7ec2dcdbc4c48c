package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestBossPage: the boss's table of a month by operator, its totals, the
// server-side sort both ways (links that work without script), the period
// picker's neighbours, the CSV export, the digest's settings; other roles
// get 403.
func TestBossPage(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := New(db, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, shanghai.Zone)
	s.now = func() time.Time { return now }
	var days []health.GroupDays
	for i, owner := range []string{"小李", "老王"} {
		g := &community.Group{Name: owner + "的群", Channel: community.Manual, Owner: owner, Active: true}
		if err := s.groups.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		gd := health.GroupDays{GroupID: g.ID}
		for d := insight.DayOf(now) - 25; d <= insight.DayOf(now); d++ {
			gd.Days = append(gd.Days, health.Day{Day: d, Members: 100, Joins: 3, LeavesSelf: 1, Posts: 4, Orders: 2,
				IncomeFen: int64(1000 * (i + 1))})
		}
		days = append(days, gd)
		if err := s.costs.AddCosts(ctx, []insight.Cost{{GroupID: g.ID, Day: now, Kind: insight.Ads, AmountFen: 30000}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.health.Store.SaveDays(ctx, days); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	signIn(t, s, c, "boss", auth.Admin)
	resp, body := c.do("GET", "/boss", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/boss: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`href="/boss" class="on"`, "2026-11-01 至 2026-11-30", "合计", "小李", "老王", "¥600.00",
		"date=2026-10-31", "date=2026-12-01", "/boss/export?", `name="hour"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/boss lacks %q", want)
		}
	}
	if strings.Index(body, ">老王<") > strings.Index(body, ">小李<") {
		t.Error("by income, largest first: 老王 earns more")
	}
	_, body = c.do("GET", "/boss?sort=income&order=asc", nil)
	if strings.Index(body, ">老王<") < strings.Index(body, ">小李<") {
		t.Error("ascending: 小李 first")
	}
	if resp, _ := c.do("GET", "/boss?period=year", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("period=year: %d", resp.StatusCode)
	}
	resp, body = c.do("GET", "/boss/export?format=csv&by=group", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\ufeff") || !strings.Contains(body, "合计,2,200,") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "boss-group-20261101-20261130.csv") {
		t.Errorf("export: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
	}
	csrf := csrfIn(t, body0(c))
	if resp, _ := c.post("/boss/digest", csrf, url.Values{"enabled": {"1"}, "hour": {"9"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("digest save: %d", resp.StatusCode)
	}
	if d, err := s.costs.Digest(ctx); err != nil || !d.Enabled || d.Hour != 9 {
		t.Errorf("digest %+v %v", d, err)
	}
	if resp, _ := c.post("/boss/digest", csrf, url.Values{"hour": {"30"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("hour 30: %d", resp.StatusCode)
	}
	for _, role := range []auth.Role{auth.Selector, auth.Operator, auth.Viewer} {
		c := newClient(t, srv)
		signIn(t, s, c, "no-"+string(role), role)
		if resp, body := c.do("GET", "/boss", nil); resp.StatusCode != http.StatusForbidden || strings.Contains(body, `href="/boss"`) {
			t.Errorf("%s /boss: %d", role, resp.StatusCode)
		}
	}
}

func body0(c *client) string {
	_, body := c.do("GET", "/boss", nil)
	return body
}
