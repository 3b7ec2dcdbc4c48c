package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/auth"
)

func TestOrderReportUpload(t *testing.T) {
	s, srv, groupID := incomeServer(t)
	fin := newClient(t, srv)
	signIn(t, s, fin, "fin", auth.Finance)
	_, body := fin.do("GET", "/orders/import", nil)
	csrf := csrfIn(t, body)
	report := "淘宝子订单号,订单状态,付款金额,付款预估收入,商品ID,付款时间,推广位ID\n" +
		"9001,已付款,99.00,5.94,42,2026-03-02 10:00:00,111\n"
	bad := report + "9002,已付款,abc,1.00,42,2026-03-02 11:00:00,111\n"

	// A bad row: nothing imported, the row and column named.
	resp, body := fin.upload("/orders/import", csrf, "OrderDetail.csv", bad, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "付款金额") || !strings.Contains(body, "<td>3</td>") {
		t.Fatalf("bad report: %d\n%s", resp.StatusCode, body)
	}
	// In the reader's language only: the importer's reasons come in both.
	for _, both := range []string{"not a valid amount", "nothing was imported"} {
		if strings.Contains(body, both) {
			t.Errorf("the Chinese page shows %q:\n%s", both, body)
		}
	}
	fin.do("GET", "/orders/import?lang=en", nil)
	_, body = fin.upload("/orders/import", csrf, "OrderDetail.csv", bad, nil)
	if !strings.Contains(body, "<td>not a valid amount</td>") || !strings.Contains(body, "Bad rows: nothing was imported") || strings.Contains(body, "不是有效的金额") {
		t.Errorf("the English page:\n%s", body)
	}
	fin.do("GET", "/orders/import?lang=zh", nil)
	var n int
	s.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM orders WHERE trade_id IN ('9001', '9002')`).Scan(&n)
	if n != 0 {
		t.Fatalf("a rejected report imported %d orders", n)
	}
	// A good one imports and is credited to the group of placement 111.
	resp, body = fin.upload("/orders/import", csrf, "OrderDetail.csv", report, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "新增 1") {
		t.Fatalf("good report: %d\n%s", resp.StatusCode, body)
	}
	var group int64
	if err := s.db.QueryRowContext(context.Background(), `SELECT group_id FROM orders WHERE trade_id = '9001'`).Scan(&group); err != nil || group != groupID {
		t.Fatalf("order credited to group %d (%v), want %d", group, err, groupID)
	}
	// Re-importing changes nothing.
	if _, body = fin.upload("/orders/import", csrf, "OrderDetail.csv", report, nil); !strings.Contains(body, "未变 1") {
		t.Fatalf("re-import:\n%s", body)
	}
	if resp, _ := fin.upload("/orders/import", csrf, "orders.txt", report, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a .txt report: %d", resp.StatusCode)
	}
	if resp, _ := fin.upload("/orders/import", "forged", "OrderDetail.csv", report, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", resp.StatusCode)
	}
	op := newClient(t, srv)
	signIn(t, s, op, "op", auth.Operator)
	if resp, _ := op.do("GET", "/orders/import", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", resp.StatusCode)
	}
}
