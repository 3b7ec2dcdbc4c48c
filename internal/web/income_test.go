package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store/storetest"
)

var incomeNow = time.Date(2026, 3, 10, 12, 0, 0, 0, shanghai.Zone)

// incomeServer has one group (placement 111, 300 members) with a post and
// two March orders, and one order of a placement no group has.
func incomeServer(t *testing.T) (*Server, *httptest.Server, int64) {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := New(db, slog.New(slog.DiscardHandler))
	s.now = func() time.Time { return incomeNow }
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	g := &community.Group{Name: "宝妈福利<1>群", Channel: community.Manual, PIDTaobao: "mm_1_2_111", Members: 300, Active: true}
	if err := s.groups.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	at := func(s string) int64 {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai.Zone)
		if err != nil {
			t.Fatal(err)
		}
		return v.Unix()
	}
	at0 := at("2026-03-02 08:00")
	if err := publish.NewStore(db).RecordPosts(ctx, []publish.Post{{GroupID: g.ID, Platform: "taobao", ItemID: "42",
		Status: publish.Sent, SentAt: at0}}); err != nil {
		t.Fatal(err)
	}
	_, err := orders.NewStore(db).Import(ctx, []orders.Order{
		{TradeID: "t1", AdzoneID: "111", ItemID: "42", ClickAt: at("2026-03-02 09:00"), PaidAt: at("2026-03-02 09:05"),
			Status: orders.Received, PaidAmount: 9900, EstIncome: 1234},
		{TradeID: "t2", AdzoneID: "111", ItemID: "42", PaidAt: at("2026-03-04 20:00"), Status: orders.Invalid, PaidAmount: 1000, EstIncome: 500},
		{TradeID: "t3", AdzoneID: "999", AdzoneName: "旧推广位", ItemID: "7", PaidAt: at("2026-03-05 10:00"), Status: orders.Paid,
			PaidAmount: 2000, EstIncome: 77},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, srv, g.ID
}

func TestIncomeNeedsTheOrdersPermission(t *testing.T) {
	s, srv, _ := incomeServer(t)
	anon := newClient(t, srv)
	signIn(t, s, newClient(t, srv), "boss", auth.Admin) // setup done: anonymous visitors go to the login
	if resp, _ := anon.do("GET", "/income", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous /income: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	apis := []string{"/api/v1/income", "/api/v1/income/forecast", "/api/v1/orders/unattributed"}
	for _, p := range apis {
		if code, _ := callAPI(t, anon, "", "GET", p, "", nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d", p, code)
		}
	}
	for _, role := range []auth.Role{auth.Operator, auth.Selector, auth.Viewer} {
		c := newClient(t, srv)
		signIn(t, s, c, "u-"+string(role), role)
		if resp, _ := c.do("GET", "/income", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s /income: %d, want 403", role, resp.StatusCode)
		}
		_, body := c.do("GET", "/", nil)
		if strings.Contains(body, `href="/income"`) {
			t.Errorf("%s sees the income link", role)
		}
		if resp, _ := c.post("/income/attribute", csrfIn(t, body), url.Values{"from": {"2026-03-01"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST /income/attribute: %d, want 403", role, resp.StatusCode)
		}
		tok := token(t, s, "bot-"+string(role), role)
		for _, p := range apis {
			if code, _ := callAPI(t, anon, tok, "GET", p, "", nil); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", role, p, code)
			}
		}
	}
	for _, role := range []auth.Role{auth.Finance, auth.Admin} {
		c := newClient(t, srv)
		signIn(t, s, c, "ok-"+string(role), role)
		resp, body := c.do("GET", "/income", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/income" class="on"`) {
			t.Errorf("%s /income: %d", role, resp.StatusCode)
		}
	}
}

func TestIncomePageShowsTheOrders(t *testing.T) {
	s, srv, groupID := incomeServer(t)
	c := newClient(t, srv)
	signIn(t, s, c, "money", auth.Finance)
	resp, body := c.do("GET", "/income", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/income: %d\n%s", resp.StatusCode, body)
	}
	main := body[strings.Index(body, "<main>"):]
	for _, want := range []string{
		"2026-03-01 – 2026-03-10",
		"宝妈福利&lt;1&gt;群", // escaped
		// The group: 2 orders, ¥109.00 paid, ¥12.34 estimated (the invalid one left out), 50.00% invalid,
		// 1 post (¥12.34 a post), 300 members: 1234×100/(300×10) = 41 fen per 100 member-days.
		"<td>2</td><td>¥109.00</td><td>¥12.34</td><td>¥0.00</td><td>50.00%</td><td>1</td><td>¥12.34</td><td>300</td><td>¥0.41</td>",
		"<td>1</td><td>¥20.00</td><td>¥0.77</td><td>¥0.00</td><td>0.00%</td><td>0</td><td>—</td><td>—</td><td>—</td>",
		"¥13.11",                       // the total estimate
		"2026-04-20",                   // the pay day of March's orders
		`<td class="qk-name">未归属</td>`, // the orders of no group, in Chinese only
		`action="/income/attribute"`,   // re-attribution from the console
		"<td>999</td>",                 // the placement of no group
		"旧推广位",
		`data-income-chart="income-chart"`,
		`"days":["2026-03-01","2026-03-02"`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("/income lacks %q", want)
		}
	}
	if strings.Contains(main, "<1>") {
		t.Error("group name not escaped")
	}
	// No empty months: neither pay days nor past months without orders,
	// and no command to run in a terminal.
	for _, empty := range []string{"<td>2026-03-20</td><td>0</td>", "<td>2026-02</td><td>0</td>", "(unattributed)", "qunke report"} {
		if strings.Contains(main, empty) {
			t.Errorf("/income shows %q", empty)
		}
	}
	// 重新归属: the group takes the old placement's PID; the orders follow.
	reattribute := func(pid, want string) {
		t.Helper()
		g, err := s.groups.Get(context.Background(), groupID)
		if err != nil {
			t.Fatal(err)
		}
		g.PIDTaobao = pid
		if err := s.groups.Save(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		resp, _ := c.post("/income/attribute", c.csrfOf("/income"), url.Values{"from": {"2026-03-01"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("re-attribute: %d", resp.StatusCode)
		}
		if _, body := c.do("GET", resp.Header.Get("Location"), nil); !strings.Contains(body, want) || strings.Contains(body, "<td>"+pid[len("mm_1_2_"):]+"</td>") {
			t.Errorf("after re-attributing to %s:\n%s", pid, body[strings.Index(body, "<main>"):])
		}
	}
	reattribute("mm_1_2_999", "已重新归属 3 个订单，其中 3 个有变化。")
	reattribute("mm_1_2_111", "已重新归属 3 个订单，其中 3 个有变化。")
	// A week view of one group, and the unattributed alone.
	_, body = c.do("GET", "/income?by=week&from=2026-02-23&to=2026-03-08&group="+strconv.FormatInt(groupID, 10), nil)
	if !strings.Contains(body, "2026-03-02") || strings.Contains(body, "¥0.77</td><td>¥0.00</td>") {
		t.Errorf("week view of one group:\n%.2000s", body[strings.Index(body, "<main>"):])
	}
	// A filter that cannot be read: the page, this month's, with the
	// field marked and the reason beside it.
	for bad, field := range map[string]string{"/income?by=year": "by", "/income?from=yesterday": "from", "/income?group=abc": "group",
		"/income?from=2026-03-05&to=2026-03-01": "to", "/income?from=2001-01-01": "from"} {
		resp, body := c.do("GET", bad, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "筛选条件有误") || !strings.Contains(body, "各群收益") {
			t.Errorf("GET %s: %d, want 400 and the page", bad, resp.StatusCode)
			continue
		}
		if !regexp.MustCompile(`name="`+field+`"[^>]*class="qk-invalid"`).MatchString(body) || !strings.Contains(body, `<span class="qk-field-error">`) {
			t.Errorf("GET %s: the field %s is not marked", bad, field)
		}
	}
	// The English page.
	if _, body := c.do("GET", "/income?lang=en", nil); !strings.Contains(body, "Settlement forecast") || !strings.Contains(body, "Income per post") {
		t.Error("English income page")
	}
}

func TestIncomeAPI(t *testing.T) {
	s, srv, groupID := incomeServer(t)
	c := newClient(t, srv)
	tok := token(t, s, "fin-bot", auth.Finance)
	var rep orders.IncomeReport
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/income", "", &rep); code != http.StatusOK {
		t.Fatalf("income: %d %s", code, body)
	}
	if rep.By != orders.Month || len(rep.Summary) != 2 || rep.Total.EstIncome != 1234+77 || rep.Total.Orders != 3 {
		t.Fatalf("income report %+v", rep)
	}
	g := rep.Summary[0]
	if g.GroupID != groupID || g.EstIncome != 1234 || g.PaidAmount != 10900 || g.InvalidRateBP != 5000 || g.Posts != 1 ||
		g.IncomePerPost == nil || *g.IncomePerPost != 1234 || g.MemberDays != 3000 || *g.IncomePer100MemberDays != 41 {
		t.Fatalf("group row %+v", g)
	}
	if u := rep.Summary[1]; u.GroupID != 0 || u.EstIncome != 77 || u.IncomePerPost != nil {
		t.Fatalf("unattributed row %+v", u)
	}
	path := "/api/v1/income?by=day&from=2026-03-02&to=2026-03-04&group=" + strconv.FormatInt(groupID, 10)
	if code, body := callAPI(t, c, tok, "GET", path, "", &rep); code != http.StatusOK || len(rep.Buckets) != 3 ||
		rep.Buckets[0].Total.EstIncome != 1234 || rep.Buckets[2].Total.Failed != 1 || rep.Total.Orders != 2 {
		t.Fatalf("day view: %d %s", code, body)
	}
	for _, bad := range []string{"/api/v1/income?by=hour", "/api/v1/income?to=3/4", "/api/v1/income?group=-1", "/api/v1/income/forecast?pay_day=31"} {
		if code, _ := callAPI(t, c, tok, "GET", bad, "", nil); code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", bad, code)
		}
	}
	var f orders.Forecast
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/income/forecast", "", &f); code != http.StatusOK ||
		f.PayDay != 20 || f.Coming[0].Month != "2026-03" {
		t.Fatalf("forecast: %d %s", code, body)
	}
	// t1 (received 03-02) is paid on April 20th, t3 (paid) probably too.
	if p := f.Coming[1]; p.Month != "2026-04" || p.Confirmed != 1234 || p.Pending != 77 {
		t.Fatalf("April %+v", p)
	}
	var un struct {
		Adzones []orders.AdzoneOrders `json:"adzones"`
		Orders  []struct {
			TradeID  string    `json:"trade_id"`
			AdzoneID string    `json:"adzone_id"`
			PaidAt   time.Time `json:"paid_at"`
		} `json:"orders"`
	}
	if code, body := callAPI(t, c, tok, "GET", "/api/v1/orders/unattributed?from=2026-03-01&to=2026-03-31", "", &un); code != http.StatusOK ||
		len(un.Adzones) != 1 || un.Adzones[0].AdzoneID != "999" || un.Adzones[0].EstIncome != 77 ||
		len(un.Orders) != 1 || un.Orders[0].TradeID != "t3" || un.Orders[0].PaidAt.IsZero() {
		t.Fatalf("unattributed: %d %s", code, body)
	}
}
