package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
)

// An upload larger than the in-memory part of a multipart form (32 MiB)
// goes through a temporary file; nothing of it may stay in TMPDIR.
func TestLargeUploadLeavesNoTempFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s, srv := newTestServer(t)
	sel := newClient(t, srv)
	signIn(t, s, sel, "sel", auth.Selector)
	_, body := sel.do("GET", "/import", nil)
	csrf := csrfIn(t, body)
	big := "goodsId,title\n" + strings.Repeat("x", 33<<20) + "\n" // one bad, over-long row: fails fast
	resp, _ := sel.upload("/import", csrf, "big.csv", big, map[string]string{"at": "2026-11-25T10:00"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	waitImports(t, sel)
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("temporary file left behind: %s", e.Name())
	}
}

func TestSweepTempRemovesOldConsoleFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := time.Now().Add(-2 * StaleTempAge)
	files := map[string]bool{ // name → swept
		"qunke-upload-123.csv":   true,
		"qunke-rejected-9.csv":   true,
		"qunke-orders-7.xlsx":    true,
		"qunke-upload-fresh.csv": false, // an upload still running
		"other-program.tmp":      false,
	}
	for name := range files {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != "qunke-upload-fresh.csv" {
			os.Chtimes(p, old, old)
		}
	}
	n, err := SweepTemp(StaleTempAge)
	if err != nil || n != 3 {
		t.Fatalf("swept %d, %v; want 3", n, err)
	}
	for name, swept := range files {
		_, err := os.Stat(filepath.Join(tmp, name))
		if gone := os.IsNotExist(err); gone != swept {
			t.Errorf("%s: removed %v, want %v", name, gone, swept)
		}
	}
}
