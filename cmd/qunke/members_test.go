package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// TestMembersCommands: groups import maps a group's 企业微信群ID; members
// import takes a list (all or nothing, bad rows named), the next list
// makes joins and leaves; members list filters and prints text or JSON.
func TestMembersCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	groups := write("groups.csv", "群名,渠道,企业微信群ID\n宝妈群,manual,wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA\n学生群,manual,\n")
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	sdb, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	gid, err := community.NewStore(sdb).GroupForChat(context.Background(), community.SourceWeCom, "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA")
	sdb.Close()
	if err != nil || gid == 0 {
		t.Fatalf("the groups CSV's 企业微信群ID is not mapped: %d %v", gid, err)
	}

	bad := write("bad.csv", "群名,昵称,微信号,入群时间\n宝妈群,阿花,wx_hua,上周\n")
	if _, _, err := runCLI(t, "--db", db, "members", "import", bad); err == nil || !strings.Contains(err.Error(), "第 2 行「入群时间」列") {
		t.Fatalf("bad list: %v", err)
	}
	first := write("m1.csv", "群名,昵称,微信号,入群时间,备注\n宝妈群,阿花,wx_hua,2026-11-01,老客户\n宝妈群,小王,,,\n宝妈群,陈姐,wx_chen,,\n")
	out, _, err := runCLI(t, "--lang", "en", "--db", db, "members", "import", first)
	if err != nil || out != "group 宝妈群: 3 on the list, 3 joined, 0 left, 0 unchanged\n" {
		t.Fatalf("import: %q %v", out, err)
	}
	second := write("m2.xlsx.csv", "昵称,微信号\n阿花,wx_hua\n小王,\n")
	out, _, err = runCLI(t, "--db", db, "members", "import", "--group", "宝妈群", "--json", second)
	var imp struct{ Joined, Left, Unchanged int }
	if err != nil || json.Unmarshal([]byte(out), &imp) != nil || imp.Left != 1 || imp.Unchanged != 2 || imp.Joined != 0 {
		t.Fatalf("second import: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "--db", db, "members", "import", second); err == nil {
		t.Fatal("a list without 群名 and without --group was accepted")
	}

	out, _, err = runCLI(t, "--db", db, "members", "list", "--q", "wx_hua")
	if err != nil || !strings.Contains(out, "  表格名单  wx_hua  阿花  在 1 个群（曾在 1 个）\n") {
		t.Fatalf("list: %q %v", out, err)
	}
	out, _, err = runCLI(t, "--db", db, "members", "list", "--group", "宝妈群", "--source", "sheet", "--json")
	var resp struct {
		Members []struct {
			Name     string `json:"name"`
			InGroups int    `json:"in_groups"`
		}
		Total int
	}
	if err != nil || json.Unmarshal([]byte(out), &resp) != nil || resp.Total != 3 || len(resp.Members) != 3 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	for _, m := range resp.Members {
		if (m.Name == "陈姐") != (m.InGroups == 0) {
			t.Fatalf("%s in %d groups", m.Name, m.InGroups)
		}
	}
	if _, _, err := runCLI(t, "--db", db, "members", "list", "--source", "qq"); err == nil {
		t.Fatal("unknown source accepted")
	}
}

// TestMembersAdd: members add records one member joining a hand-run group;
// the group's next list counts them as already in (not a second join), and
// bad input is refused with a message naming what is missing.
func TestMembersAdd(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	groups := filepath.Join(dir, "groups.csv")
	if err := os.WriteFile(groups, []byte("群名,渠道\n学生群,manual\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "--db", db, "members", "add", "--group", "学生群", "--name", "小李", "wx_li")
	if err != nil || !strings.Contains(out, "加入「学生群」") {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "--db", db, "members", "add", "--group", "学生群", " "); err == nil || !strings.Contains(err.Error(), "微信号") {
		t.Fatalf("an empty id: %v", err)
	}
	if _, _, err := runCLI(t, "--db", db, "members", "add", "--group", "没有这个群", "wx_x"); err == nil {
		t.Fatal("an unknown group was accepted")
	}
	out, _, err = runCLI(t, "--db", db, "members", "list", "--group", "学生群", "--json")
	if err != nil || !strings.Contains(out, `"wx_li"`) || !strings.Contains(out, "小李") {
		t.Fatalf("list: %q %v", out, err)
	}
	list := filepath.Join(dir, "m.csv")
	if err := os.WriteFile(list, []byte("昵称,微信号\n小李,wx_li\n阿明,wx_ming\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "--db", db, "members", "import", "--group", "学生群", "--json", list)
	var imp struct{ Joined, Left, Unchanged int }
	if err != nil || json.Unmarshal([]byte(out), &imp) != nil || imp.Joined != 1 || imp.Unchanged != 1 || imp.Left != 0 {
		t.Fatalf("the list after a hand entry: %q %v", out, err)
	}
}
