package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/publish/poster"
)

// TestJoinCodesCommands: add a code over two groups, upload a QR for one
// (a group outside the pool and a non-image refused), list and show it in
// text and JSON.
func TestJoinCodesCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	groups := filepath.Join(dir, "groups.csv")
	os.WriteFile(groups, []byte("群名,渠道\n福利1群,manual\n福利2群,manual\n别的群,manual\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "--db", db, "joincodes", "add", "--code", "fuli", "--name", "福利群活码", "--group", "福利1群", "--group", "福利2群")
	if err != nil || !strings.Contains(out, "/join/fuli") {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "--db", db, "joincodes", "add", "--code", "fuli", "--name", "又一个"); err == nil {
		t.Error("a second code fuli was added")
	}
	png, _ := poster.QRPNG("https://weixin.qq.com/g/x", 4)
	qr := filepath.Join(dir, "qr.png")
	os.WriteFile(qr, png, 0o644)
	txt := filepath.Join(dir, "qr.txt")
	os.WriteFile(txt, []byte("not an image"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "joincodes", "qr", "fuli", "--group", "别的群", "--file", qr); err == nil {
		t.Error("a QR for a group outside the pool was taken")
	}
	if _, _, err := runCLI(t, "--db", db, "joincodes", "qr", "fuli", "--group", "福利1群", "--file", txt); err == nil {
		t.Error("a text file was taken as a QR")
	}
	if _, _, err := runCLI(t, "--db", db, "joincodes", "qr", "fuli", "--group", "福利1群", "--file", qr); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "--db", db, "joincodes", "show", "fuli")
	if err != nil || !strings.Contains(out, "正在显示") || !strings.Contains(out, "没有群二维码") {
		t.Fatalf("show: %q %v", out, err)
	}
	out, _, err = runCLI(t, "--db", db, "joincodes", "list", "--json")
	var list struct {
		JoinCodes []struct {
			Code     string  `json:"code"`
			GroupIDs []int64 `json:"group_ids"`
		} `json:"join_codes"`
	}
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list.JoinCodes) != 1 || len(list.JoinCodes[0].GroupIDs) != 2 {
		t.Fatalf("list: %q %v", out, err)
	}
}
