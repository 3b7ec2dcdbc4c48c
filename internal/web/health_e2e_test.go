package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wcfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
)

// dyingGroup adds a group whose members (a member sheet, snapshot each day)
// fall from 100 to 20 over the 40 days before now: dead today by the share
// rule.
func dyingGroup(t *testing.T, s *Server, now time.Time) *community.Group {
	t.Helper()
	ctx := context.Background()
	g := &community.Group{Name: "流失测试群", Channel: community.Manual, Owner: "老王", Members: 100, Active: true}
	if err := s.groups.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	for back := 40; back >= 0; back-- {
		n := 100
		if back < 25 {
			n = 20 + back*80/25
		}
		rows := make([]community.SnapshotRow, n)
		for i := range rows {
			rows[i] = community.SnapshotRow{ExternalID: fmt.Sprint("m", i), Name: fmt.Sprint("成员", i)}
		}
		if _, err := s.groups.Snapshot(ctx, g.ID, community.SourceSheet, rows, now.Add(-time.Duration(back)*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// TestBrowserHealth walks group health in a real Chromium: the dashboard
// names the dead group, its link opens the group's health page with its
// reasons and chart, the board lists it first, the alert settings take a
// WeCom robot, and the job sends the alert to it once.
func TestBrowserHealth(t *testing.T) {
	chromium := needChromium(t)
	ctx := context.Background()
	s, _ := layoutServer(t)
	g := dyingGroup(t, s, s.now())
	if err := s.health.Refresh(ctx, 60); err != nil {
		t.Fatal(err)
	}
	wc := wcfake.New()
	t.Cleanup(wc.Close)
	robot := wc.AddRobot()

	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	srv := hs.URL
	b := newBrowser(t, chromium, 90*time.Second)
	b.firstRun(srv)

	warn := get(t, b.ctx, "dashboard warnings", chromedp.Evaluate[string](`document.querySelector('.qk-health-warn')?.innerText || ''`))
	if !strings.Contains(warn, "流失测试群") || !strings.Contains(warn, "已死") {
		t.Fatalf("the dashboard's warnings say %q", warn)
	}
	b.submit("open the group from the dashboard", `document.querySelector('.qk-chart canvas')`,
		chromedp.Click(`.qk-health-warn a[href="/groups/`+fmt.Sprint(g.ID)+`/health"]`))
	page := get(t, b.ctx, "group page", chromedp.Evaluate[string](`document.querySelector('main').innerText`))
	for _, want := range []string{"流失测试群", "已死", "不到高峰 100 人的 30.0%"} {
		if !strings.Contains(page, want) {
			t.Errorf("the group's health page lacks %q:\n%s", want, page)
		}
	}
	b.shot("health-group.png")

	b.run("open /health", chromedp.Navigate(srv+"/health"), chromedp.WaitVisible(`table.qk-health`))
	first := get(t, b.ctx, "board", chromedp.Evaluate[string](`document.querySelector('table.qk-health tr:nth-child(2) td').innerText`))
	if !strings.Contains(first, "流失测试群") {
		t.Errorf("the board's first group is %q", first)
	}

	b.run("open /settings/alerts", chromedp.Navigate(srv+"/settings/alerts"), chromedp.WaitVisible(`form.qk-form input[name=target]`))
	b.submit("save the default", `document.querySelector('.qk-ok')`,
		chromedp.SetValue(`form.qk-form select[name=channel]`, "wecom"),
		chromedp.SendKeys(`form.qk-form input[name=target]`, wc.WebhookURL(robot)),
		chromedp.Click(`form.qk-form button[type=submit]`))
	settings, err := s.health.Store.NotifySettings(ctx)
	if err != nil || len(settings) != 1 || settings[0].Owner != "" || settings[0].Target != robot {
		t.Fatalf("settings after the form: %+v %v", settings, err)
	}

	sender := wecom.New()
	sender.BaseURL = wc.URL
	s.health.Senders = map[community.Channel]channel.Sender{community.WeCom: sender}
	for range 2 {
		if _, err := s.health.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, m := range wc.Messages(robot) {
		if strings.Contains(m.Content, "流失测试群") {
			got = append(got, m.Content)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "流失测试群") {
		t.Errorf("the robot got %q, want one alert for the dead group", got)
	}
	alerts, err := s.health.Store.Alerts(ctx, "", g.ID, 5)
	if err != nil || len(alerts) != 1 || alerts[0].State != health.Dead || alerts[0].Status != "sent" {
		t.Errorf("alerts: %+v %v", alerts, err)
	}
}
