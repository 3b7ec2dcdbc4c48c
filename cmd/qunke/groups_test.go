package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/standin"
)

// TestGroupsAndLink: groups import (all or nothing, the console's columns),
// groups list (text and JSON), and link converting a message for a group:
// with no converter configured the message stays and the reason is said;
// through the stand-in each reference becomes the group's own link.
func TestGroupsAndLink(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("群名,渠道,淘宝PID,允许未转链\n甲群,manual,mm_1_2_3,是\n乙群,manual,mm_bad,否\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "groups", "import", bad); err == nil || !strings.Contains(err.Error(), "第 3 行") {
		t.Fatalf("bad file: %v", err)
	}
	if out, _, err := runCLI(t, "--db", db, "groups", "list"); err != nil || out != "" {
		t.Fatalf("a bad file imported groups: %q %v", out, err)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("群名,渠道,淘宝PID,京东PID,标签,允许未转链\n甲群,manual,mm_1_2_3,1_2_3,学生,是\n乙群,manual,mm_1_2_4,,,\n"), 0o644)
	if out, _, err := runCLI(t, "--lang", "en", "--db", db, "groups", "import", good); err != nil || out != "Imported: 2 groups added, 0 updated\n" {
		t.Fatalf("import: %q %v", out, err)
	}
	if out, _, err := runCLI(t, "--lang", "en", "--db", db, "groups", "list"); err != nil || !strings.Contains(out, "乙群  By hand        active\n") {
		t.Fatalf("list: the channel and state, in English: %q %v", out, err)
	}
	if out, _, err := runCLI(t, "--db", db, "groups", "list"); err != nil || !strings.Contains(out, "乙群  手动发送        启用\n") {
		t.Fatalf("list: the channel and state, in Chinese: %q %v", out, err)
	}
	out, _, err := runCLI(t, "--db", db, "groups", "list", "--json")
	var resp struct{ Groups []map[string]any }
	list := resp.Groups
	if err == nil && json.Unmarshal([]byte(out), &resp) == nil {
		list = resp.Groups
	}
	if err != nil || len(list) != 2 || list[0]["name"] != "乙群" ||
		list[1]["allow_unconverted"] != true || list[0]["allow_unconverted"] != false {
		t.Fatalf("list --json: %v\n%s", err, out)
	}

	msg := "好价 https://item.taobao.com/item.htm?id=623456789012 冲"
	out, errOut, err := runCLI(t, "--db", db, "link", "--group", "甲群", msg)
	if err != nil || out != msg+"\n" || !strings.Contains(errOut, "没有配置淘宝的转链接口") {
		t.Fatalf("link with no converter: %q %q %v", out, errOut, err)
	}
	out, _, err = runCLI(t, "--db", db, "link", "--demo", "--group", "甲群", msg)
	code := standin.Link(affiliate.Request{Platform: "taobao", ItemID: "623456789012", PID: "mm_1_2_3", ShareCode: true}).ShareCode
	if err != nil || out != "好价 "+code+" 冲\n" {
		t.Fatalf("link --demo: %q %v, want the 淘口令 %s", out, err, code)
	}
	out, _, err = runCLI(t, "--db", db, "link", "--demo", "--json", "--group", "2", msg)
	var m struct {
		Group string
		Text  string
		Links []struct{ Link, Reason string }
	}
	code2 := standin.Link(affiliate.Request{Platform: "taobao", ItemID: "623456789012", PID: "mm_1_2_4", ShareCode: true}).ShareCode
	if err != nil || json.Unmarshal([]byte(out), &m) != nil || m.Group != "乙群" || m.Text != "好价 "+code2+" 冲" || len(m.Links) != 1 {
		t.Fatalf("link --json: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, "--db", db, "link", "--group", "丙群", msg); err == nil || !strings.Contains(err.Error(), "no such group") {
		t.Fatalf("unknown group: %v", err)
	}
}
