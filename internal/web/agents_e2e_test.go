package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestBrowserAgentRole: in a real Chromium on a 390 px phone, an admin
// makes an agent user on the users page; the agent signs in, lands on the
// agents page, sees its own subtree and nothing else (not its parent, not
// the other branches), opens an agent under it with the month's statement
// and its reversal, and is turned away from the team's pages and from ids
// outside its subtree. No page scrolls sideways.
func TestBrowserAgentRole(t *testing.T) {
	chromium := needChromium(t)
	f := newAgentFixture(t, storetest.SQLite(t))
	if _, err := f.s.auth.CreateUser(context.Background(), auth.NewUser{Name: "boss", Role: auth.Admin, Password: "a long password"}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f.s)
	t.Cleanup(hs.Close)
	srv := hs.URL
	b := newBrowser(t, chromium, 2*time.Minute)
	b.run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	login := func(name string) {
		b.run("open /login as "+name, chromedp.Navigate(srv+"/login"), chromedp.WaitVisible(`form[action="/login"] input[name=name]`))
		b.submit("sign in as "+name, `document.querySelector('.qk-top nav')`,
			chromedp.SendKeys(`form[action="/login"] input[name=name]`, name),
			chromedp.SendKeys(`form[action="/login"] input[name=password]`, "a long password"),
			chromedp.Click(`form[action="/login"] button[type=submit]`))
	}
	sideways := func(where string) {
		rep := get(t, b.ctx, "measure "+where, chromedp.Evaluate[layoutReport](layoutProbe))
		if rep.Scroll > rep.Inner || rep.Inner != 390 {
			t.Errorf("%s: the page scrolls sideways (%d px wide in %d)", where, rep.Scroll, rep.Inner)
		}
		for _, r := range rep.Raw {
			t.Errorf("%s: raw code shown: %q", where, r)
		}
	}
	// The admin makes the agent user for B on the users page.
	login("boss")
	b.run("open /users", chromedp.Navigate(srv+"/users"), chromedp.WaitVisible(`form.qk-filters input[name=agent_id]`))
	b.submit("add the agent user", `document.querySelector('main table')`,
		chromedp.SendKeys(`form.qk-filters input[name=name]`, "daili"),
		chromedp.SendKeys(`form.qk-filters input[name=password]`, "a long password"),
		chromedp.SetValue(`form.qk-filters select[name=role]`, "agent"),
		chromedp.SendKeys(`form.qk-filters input[name=agent_id]`, fmt.Sprint(f.inside[0])),
		chromedp.Click(`form.qk-filters button[type=submit]`))
	u, err := f.s.auth.UserByName(context.Background(), "daili")
	if err != nil || u.Role != auth.Agent || u.AgentID != f.inside[0] {
		t.Fatalf("the users page made %+v, %v", u, err)
	}
	sideways("users")
	b.run("sign out", chromedp.Click(`label.qk-menu-button`), chromedp.Click(`form.qk-logout button`), chromedp.WaitVisible(`form[action="/login"]`))

	// The agent: "/" leads to the agents page, its subtree only.
	login("daili")
	if p := b.path(); p != "/agents" {
		t.Fatalf("the agent landed on %s, want /agents", p)
	}
	ids := get(t, b.ctx, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#agent-tree tr[data-agent]')].map(r => r.dataset.agent)`))
	var want []string
	for _, id := range f.inside {
		want = append(want, fmt.Sprint(id))
	}
	if slices.Sort(ids); !slices.Equal(ids, sorted(want)) {
		t.Errorf("the agent sees %v, want its subtree %v", ids, want)
	}
	nav := get(t, b.ctx, "menu", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.qk-top nav a')].map(a => a.getAttribute('href'))`))
	if !slices.Equal(nav, []string{"/agents"}) {
		t.Errorf("the agent's menu: %v", nav)
	}
	sideways("agents")
	b.shot("390-agent-tree.png")

	// An agent under it, with the month's statement: D's reversal.
	d := fmt.Sprint(f.tree.Agents[3])
	b.submit("open agent D", `document.querySelector('#statement-lines')`, chromedp.Click(`#agent-tree tr[data-agent="`+d+`"] a`))
	b.run("November", chromedp.Navigate(srv+"/agents/"+d+"?month=2026-11"), chromedp.WaitVisible(`#statement-lines`))
	lines := get(t, b.ctx, "statement", chromedp.Evaluate[string](`document.querySelector('#statement-lines').innerText`))
	if !strings.Contains(lines, "冲正") {
		t.Errorf("D's November statement shows no reversal:\n%s", lines)
	}
	sideways("agent D")
	b.shot("390-agent-statement.png")

	// Outside the subtree, and the team's pages: nothing.
	for _, path := range []string{fmt.Sprintf("/agents/%d", f.outside[0]), fmt.Sprintf("/agents/%d", f.outside[1]), "/income", "/members", "/payouts", "/agents/rules"} {
		b.run("open "+path, chromedp.Navigate(srv+path), chromedp.WaitReady(`body`))
		text := get(t, b.ctx, "text of "+path, chromedp.Evaluate[string](`document.body.innerText`))
		if !strings.Contains(text, "没有") || strings.Contains(text, "#"+fmt.Sprint(f.outside[0])) && !strings.Contains(text, "没有代理或会员") {
			t.Errorf("%s shows the agent: %.200q", path, text)
		}
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }
