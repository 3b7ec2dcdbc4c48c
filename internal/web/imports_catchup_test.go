package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/store/storetest"
)

// lockedBuffer is a log sink safe for the import goroutine and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// An upload into a loaded catalog reloads only the categories it changed
// (one here), not every category.
func TestImportUploadReloadsChangedCategories(t *testing.T) {
	var logs lockedBuffer
	s := New(storetest.SQLite(t), slog.New(slog.NewTextHandler(&logs, nil)))
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	demoMarket(t, s)
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	sel := newClient(t, srv)
	signIn(t, s, sel, "sel", auth.Selector)
	feed := "商品ID,商品标题,原价,券后价,优惠券金额,佣金比例,月销量,店铺类型,商品类目\n" +
		"610000000031,保温杯大容量,89,59,30,30,12000,天猫,测试/新类目\n"
	_, body := sel.do("GET", "/import", nil)
	sel.upload("/import", csrfIn(t, body), "new.csv", feed, nil)
	if body = waitImports(t, sel); !strings.Contains(body, "已导入") {
		t.Fatalf("import:\n%s", body)
	}
	if log := logs.String(); !strings.Contains(log, "caught up with the import") || !strings.Contains(log, "categories=1") {
		t.Fatalf("the import should reload its one category:\n%s", log)
	}
}
