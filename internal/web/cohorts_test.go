package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestCohortPages: finance sees the retention and repurchase triangles and
// the RFM segments with a segment's members, exports them as CSV and XLSX;
// a bad parameter is named, other roles get 403 and no menu entry.
func TestCohortPages(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := New(db, slog.New(slog.DiscardHandler))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	signIn(t, s, c, "money", auth.Finance)

	resp, body := c.do("GET", "/insight/cohorts", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "还没有数据") {
		t.Fatalf("/insight/cohorts before any rebuild: %d", resp.StatusCode)
	}

	m := communitytest.Member(t, db, "买家")
	if err := community.NewStore(db).Bind(ctx, m, community.PersonTaobao, community.KindSpecialID, "4242"); err != nil {
		t.Fatal(err)
	}
	paid := time.Date(2026, 2, 3, 10, 0, 0, 0, shanghai.Zone).Unix()
	var os []orders.Order
	for i, at := range []int64{paid, paid + 40*86400} {
		os = append(os, orders.Order{Platform: orders.PlatformTaobao, TradeID: "cohort" + string(rune('a'+i)), SpecialID: "4242",
			CreatedAt: at, PaidAt: at, Status: orders.Paid, EstIncome: 1234, PaidAmount: 9900})
	}
	if _, err := orders.NewStore(db).Import(ctx, os); err != nil {
		t.Fatal(err)
	}
	s.cohorts.Now = func() time.Time { return time.Date(2026, 4, 1, 12, 0, 0, 0, shanghai.Zone) }
	if _, err := s.cohorts.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		path string
		want []string
	}{
		{"/insight/cohorts?periods=26", []string{`href="/insight/cohorts" class="on"`, "入群周", "第0周", "2025-12-29", "100.00%"}},
		{"/insight/cohorts?kind=repurchase&periods=8", []string{"首单月", "2026-02", "第1月", "再次下单", "归属到成员的收入 100.00%"}},
		{"/insight/rfm", []string{"重要价值", "一般挽留", "R × F", "买家", "¥24.68"}},
	} {
		resp, body := c.do("GET", p.path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p.path, resp.StatusCode)
		}
		for _, w := range p.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", p.path, w)
			}
		}
	}
	if resp, _ := c.do("GET", "/insight/cohorts?periods=999", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("periods=999: %d", resp.StatusCode)
	}
	if resp, body := c.do("GET", "/insight/rfm/export?format=pdf", nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "format") {
		t.Errorf("export pdf: %d %s", resp.StatusCode, body)
	}
	resp, body = c.do("GET", "/insight/rfm/export?format=csv", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "成员ID,昵称,分群") || !strings.Contains(body, ",买家,") ||
		!strings.Contains(body, ",2,24.68,2026-02-03") {
		t.Errorf("export csv: %d %q", resp.StatusCode, body)
	}
	resp, body = c.do("GET", "/insight/rfm/export?format=xlsx&segment=champions", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") || !strings.Contains(resp.Header.Get("Content-Disposition"), "rfm-champions-") {
		t.Errorf("export xlsx: %d %v", resp.StatusCode, resp.Header)
	}
	for _, role := range []auth.Role{auth.Selector, auth.Operator, auth.Viewer} {
		c := newClient(t, srv)
		signIn(t, s, c, "no-"+string(role), role)
		if resp, body := c.do("GET", "/insight/rfm", nil); resp.StatusCode != http.StatusForbidden || strings.Contains(body, `href="/insight/cohorts"`) {
			t.Errorf("%s /insight/rfm: %d", role, resp.StatusCode)
		}
	}
}
