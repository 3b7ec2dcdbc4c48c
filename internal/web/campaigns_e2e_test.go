package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/poster"

	"github.com/chromedp/chromedp"
)

// TestBrowserCampaign walks a campaign from creation in the console to a
// participant's page at phone width: the campaign form, a participant
// added, an invite through their link counted, their page at 390 px.
func TestBrowserCampaign(t *testing.T) {
	chromium := needChromium(t)
	ctx := context.Background()
	s, _ := layoutServer(t)
	images, err := poster.NewRenderer(poster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.posters = &publish.PosterCache{R: images}
	g := &community.Group{Name: "裂变测试群", Channel: community.Manual, Active: true}
	if err := s.groups.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	b := newBrowser(t, chromium, 2*time.Minute)
	b.firstRun(hs.URL)

	b.run("open /campaigns", chromedp.Navigate(hs.URL+"/campaigns"), chromedp.WaitVisible(`#campaign-form input[name=name]`))
	b.submit("create", `document.querySelector('#leaderboard') || document.querySelector('.qk-error')`,
		chromedp.SendKeys(`#campaign-form input[name=name]`, "春节拉新"),
		chromedp.SetValue(`#campaign-form select[name=status]`, "running"),
		chromedp.Click(fmt.Sprintf(`#campaign-form input[name=group][value="%d"]`, g.ID)),
		chromedp.Click(`#campaign-form button[type=submit]`))
	if e := get(t, b.ctx, "form error", chromedp.Evaluate[string](`document.querySelector('.qk-error')?.innerText || ''`)); e != "" {
		t.Fatalf("the form says %q", e)
	}
	cs, err := s.campaigns.List(ctx) // the latest first (err: see above)
	if err != nil || len(cs) == 0 || cs[0].Name != "春节拉新" || cs[0].Status != campaign.Running || len(cs[0].Groups) != 1 ||
		len(cs[0].Tiers) != 2 || cs[0].Rules.StayHours != 24 {
		t.Fatalf("campaigns after the form: %+v %v", cs, err)
	}
	c := cs[0]
	if p := b.path(); p != fmt.Sprintf("/campaigns/%d", c.ID) {
		t.Fatalf("created campaign landed on %s", p)
	}
	b.submit("add a participant", `document.querySelector('#leaderboard a[href*="/participants/"]')`,
		chromedp.SendKeys(`form input[name=name]`, "小红"),
		chromedp.Click(`form input[name=name] ~ button`))
	board, _, err := s.campaigns.Leaderboard(ctx, c.ID, 10, 0)
	if err != nil || len(board) != 1 || board[0].Name != "小红" {
		t.Fatalf("board: %+v %v", board, err)
	}
	p := board[0]
	// A newcomer joins through her link and stays a day.
	if _, err := s.groups.ApplyEvents(ctx, []community.MemberEvent{{Key: "e2e:new", Source: community.SourceWeCom, GroupID: g.ID,
		Kind: community.Join, At: time.Now().Add(-25 * time.Hour), ExternalID: "newcomer", Name: "新朋友", InviteLink: p.Ref}}); err != nil {
		t.Fatal(err)
	}
	// The campaign started today (the form's default): the join before it
	// is not counted; one after it, later, is.
	if _, err := s.groups.ApplyEvents(ctx, []community.MemberEvent{{Key: "e2e:new2", Source: community.SourceWeCom, GroupID: g.ID,
		Kind: community.Join, At: time.Now().Add(time.Second), ExternalID: "newcomer2", Name: "新朋友二", InviteLink: p.Ref}}); err != nil {
		t.Fatal(err)
	}
	b.submit("count now", `document.querySelector('#decisions')`, chromedp.Click(`form input[value=count] ~ button`))
	decisions := get(t, b.ctx, "decisions", chromedp.Evaluate[string](`document.querySelector('#decisions').innerText`))
	if !strings.Contains(decisions, "新朋友二") || !strings.Contains(decisions, "观察中") {
		t.Errorf("the decisions say %q", decisions)
	}
	// 发到活动群: the leaderboard is queued for the campaign's (manual) group.
	b.submit("post the board", `document.querySelector('.qk-badge.good')`, chromedp.Click(`#post-board`))
	if note := get(t, b.ctx, "posted", chromedp.Evaluate[string](`document.querySelector('.qk-badge.good').innerText`)); !strings.Contains(note, "1 个群") {
		t.Errorf("after posting the board the page says %q", note)
	}
	due, err := s.publish.ManualDue(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].GroupID != g.ID || !due[0].IsText() || !strings.Contains(due[0].Body, "1. 小红") {
		t.Fatalf("the board's post: %+v %v", due, err)
	}
	b.run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	for _, path := range []string{fmt.Sprintf("/campaigns/%d", c.ID), fmt.Sprintf("/campaigns/%d/participants/%d", c.ID, p.ID)} {
		b.run("open "+path, chromedp.Navigate(hs.URL+path), chromedp.WaitReady(`main`))
		rep := get(t, b.ctx, "measure "+path, chromedp.Evaluate[layoutReport](layoutProbe))
		if rep.Scroll > rep.Inner || rep.Inner != 390 {
			t.Errorf("390 px %s: the page scrolls sideways (%d px wide, %d laid out)", path, rep.Scroll, rep.Inner)
		}
		for _, r := range rep.Raw {
			t.Errorf("390 px %s: raw code shown: %q", path, r)
		}
	}
	link := get(t, b.ctx, "link", chromedp.Evaluate[string](`document.querySelector('#invite-link').innerText`))
	if !strings.Contains(link, p.Ref) {
		t.Errorf("the participant's link %q lacks the reference %s", link, p.Ref)
	}
	drawn := get(t, b.ctx, "poster", chromedp.Poll[int](`(() => { const i = document.querySelector('img.qk-poster'); return i && i.complete && i.naturalWidth })()`))
	if drawn != 750 {
		t.Errorf("the personal poster is %d px wide, want 750", drawn)
	}
	b.shot("390-participant.png")

	// Her link (no join code, no Telegram group) is her own public page.
	if !strings.HasSuffix(p.Link, "/invite/"+p.Ref) {
		t.Fatalf("link %q, want her page /invite/%s", p.Link, p.Ref)
	}
	// A campaign with the demo's join code: a participant's link is the
	// code's join page with their reference, and her page sends there.
	fuli, err := s.joins.Store.ByCode(ctx, "fuli")
	if err != nil {
		t.Fatal(err)
	}
	jc := &campaign.Campaign{Name: "活码拉新", Status: campaign.Running, Starts: time.Now().Add(-time.Hour), JoinCodeID: fuli.ID}
	if err := s.campaigns.Save(ctx, jc); err != nil {
		t.Fatal(err)
	}
	pj, err := s.campaigns.AddParticipant(ctx, jc.ID, 0, "小绿")
	if err != nil {
		t.Fatal(err)
	}
	if pj.Link != "/join/fuli?i="+pj.Ref {
		t.Fatalf("join code participant's link %q", pj.Link)
	}
	for _, path := range []string{"/invite/" + p.Ref, pj.Link, "/invite/" + pj.Ref} {
		b.run("open "+path, chromedp.Navigate(hs.URL+path), chromedp.WaitReady(`main`))
		rep := get(t, b.ctx, "measure "+path, chromedp.Evaluate[layoutReport](layoutProbe))
		if rep.Scroll > rep.Inner || rep.Inner != 390 {
			t.Errorf("390 px %s: the page scrolls sideways (%d px wide, %d laid out)", path, rep.Scroll, rep.Inner)
		}
		for _, r := range rep.Raw {
			t.Errorf("390 px %s: raw code shown: %q", path, r)
		}
		text := get(t, b.ctx, "text "+path, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
		// The public pages say what a joining member needs; the operator's
		// notes (hand-run groups, QR joins credited to the campaign only)
		// are on the join code's and the campaign's pages.
		for _, note := range []string{"手工运营", "只计入活动", "不计入"} {
			if strings.Contains(text, note) {
				t.Errorf("%s shows the operator's note %q: %q", path, note, text)
			}
		}
		if path == "/invite/"+p.Ref {
			for _, want := range []string{"春节拉新", "小红", "裂变测试群"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q: %q", path, want, text)
				}
			}
			continue
		}
		if got := b.path(); got != "/join/fuli" {
			t.Errorf("%s landed on %s", path, got)
		}
		// An uploaded QR cannot credit the inviter: the page names the
		// group to join and does not promise a credit.
		if !strings.Contains(text, "现在加入") || strings.Contains(text, "邀请链接来的") {
			t.Errorf("%s: the join page says %q", path, text)
		}
	}
	b.shot("390-join-participant.png")
}
