package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

func TestReaderLanguage(t *testing.T) {
	cases := []struct {
		flag, qunke, lcAll, lang string
		want                     i18n.Lang
	}{
		{"", "", "", "", i18n.ZH},
		{"en", "", "", "", i18n.EN},
		{"zh", "en", "en_US.UTF-8", "en_US.UTF-8", i18n.ZH},
		{"", "en", "", "", i18n.EN},
		{"", "zh", "en_US.UTF-8", "", i18n.ZH},
		{"", "", "", "en_GB.UTF-8", i18n.EN},
		{"", "", "zh_CN.UTF-8", "en_US.UTF-8", i18n.ZH},
		{"", "", "en_US.UTF-8", "zh_CN.UTF-8", i18n.EN},
		{"", "", "", "C.UTF-8", i18n.ZH},
	}
	for _, c := range cases {
		t.Setenv("QUNKE_LANG", c.qunke)
		t.Setenv("LC_ALL", c.lcAll)
		t.Setenv("LANG", c.lang)
		g := &globals{lang: c.flag}
		if got := g.reader(); got != c.want {
			t.Errorf("%+v: got %s", c, got)
		}
	}
}

func TestErrorsInReadersLanguage(t *testing.T) {
	t.Setenv("QUNKE_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LANG", "")
	root, g := rootCmd()
	root.SetArgs([]string{"--lang", "en", "--db", t.TempDir() + "/q.db", "migrate"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	err := fmt.Errorf("delete: %w", msg.New("groups.in_use"))
	if got, want := g.text(err), "delete: The group has posts on record"; !strings.HasPrefix(got, want) || strings.ContainsRune(got, '群') {
		t.Fatalf("en: %q", got)
	}
	g.lang = "zh"
	if got := g.text(err); !strings.HasPrefix(got, "delete: 群组") || strings.Contains(got, "group") {
		t.Fatalf("zh: %q", got)
	}
}

// check says what it found (or did not) in the reader's language.
func TestCheckInReadersLanguage(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "q.db")
	en, _, err := runCLI(t, "--lang", "en", "--db", dbPath, "check", "--no-color", "hello")
	if err != nil || strings.TrimSpace(en) != "no product links, ids or share codes found" {
		t.Fatalf("en: %v %q", err, en)
	}
	zh, _, err := runCLI(t, "--db", dbPath, "check", "--no-color", "https://item.jd.com/100000000001.html")
	if err != nil || !strings.Contains(zh, "商品 100000000001 不在库中") || strings.Contains(zh, "catalog") {
		t.Fatalf("zh: %v %q", err, zh)
	}
	js, _, err := runCLI(t, "--lang", "en", "--db", dbPath, "check", "--json", "hello")
	if err != nil || !strings.Contains(js, `"message": "no product links, ids or share codes found"`) {
		t.Fatalf("json: %v %q", err, js)
	}
}

// import items reports in the reader's language: the summary, the bad rows
// and where they are.
func TestImportInReadersLanguage(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "feed.csv")
	if err := os.WriteFile(feed, []byte("goodsId,title,actualPrice,shopType\n610000000011,杯,59,1\n610000000012,纸,abc,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "q.db")
	_, errOut, err := runCLI(t, "--lang", "en", "--db", db, "import", "items", "--at", "2026-11-25 10:00", feed)
	if err == nil || !strings.Contains(errOut, feed+` line 3, column actualPrice, value "abc": not a valid amount`) ||
		!strings.Contains(errOut, "Of 2 rows, 1 are bad") || strings.Contains(errOut, "金额") {
		t.Fatalf("en: %v\n%s", err, errOut)
	}
	out, errOut, err := runCLI(t, "--db", db, "import", "items", "--at", "2026-11-25 10:00", "--skip-bad", feed)
	if err != nil || !strings.Contains(out, "汇总：新商品 1 ·") || !strings.Contains(errOut, feed+` 第 3 行 列 actualPrice 值 "abc": 不是有效的金额`) ||
		strings.Contains(out+errOut, "amount") {
		t.Fatalf("zh: %v\n%s\n%s", err, out, errOut)
	}
}

// link and sync orders speak only the reader's language: the reason a link
// stays unconverted, an unknown group, the platforms skipped for want of
// credentials and what to set.
func TestLinkAndSyncInReadersLanguage(t *testing.T) {
	for _, v := range []string{"QUNKE_ALIMAMA_APP_KEY", "QUNKE_ALIMAMA_APP_SECRET", "QUNKE_JD_APP_KEY", "QUNKE_JD_APP_SECRET",
		"QUNKE_PDD_CLIENT_ID", "QUNKE_PDD_CLIENT_SECRET"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	groups := filepath.Join(dir, "g.csv")
	os.WriteFile(groups, []byte("群名,渠道,淘宝PID\n甲群,manual,mm_1_2_3\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "groups", "import", groups); err != nil {
		t.Fatal(err)
	}
	hasHan := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff })
	}
	text := "https://item.taobao.com/item.htm?id=623456789012"
	for _, c := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.EN, []string{"no link conversion configured for Taobao", "no such group", "skipped JD: QUNKE_JD_APP_KEY", "set the environment variables"}},
		{i18n.ZH, []string{"没有配置淘宝的转链接口", "没有这个群", "跳过京东：没有设置环境变量 QUNKE_JD_APP_KEY", "请为至少一个平台设置"}},
	} {
		_, linkErr, err := runCLI(t, "--lang", string(c.lang), "--db", db, "link", "--group", "甲群", text)
		if err != nil {
			t.Fatal(err)
		}
		_, _, noGroup := runCLI(t, "--lang", string(c.lang), "--db", db, "link", "--group", "丙群", text)
		_, skipped, none := runCLI(t, "--lang", string(c.lang), "--db", db, "sync", "orders")
		if noGroup == nil || none == nil {
			t.Fatalf("%s: no group: %v; no credentials: %v", c.lang, noGroup, none)
		}
		got := linkErr + msg.In(c.lang, noGroup) + "\n" + skipped + msg.In(c.lang, none)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.lang, got, w)
			}
		}
		if c.lang == i18n.EN && hasHan(strings.NewReplacer("甲群", "", "丙群", "").Replace(got)) || c.lang == i18n.ZH && strings.Contains(got, "no ") {
			t.Errorf("%s: two languages in %q", c.lang, got)
		}
	}
}

// The help texts (commands, flags) are in the reader's language, chosen
// before the flags are parsed: --lang on the command line, else the
// environment.
func TestHelpInReadersLanguage(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LANG", "")
	for _, c := range []struct {
		args []string
		env  string
		want i18n.Lang
	}{
		{[]string{"import", "items", "--lang", "en", "--help"}, "", i18n.EN},
		{[]string{"--lang=en", "rank"}, "zh", i18n.EN},
		{[]string{"rank", "--", "--lang", "en"}, "", i18n.ZH},
		{[]string{"serve"}, "en", i18n.EN},
	} {
		t.Setenv("QUNKE_LANG", c.env)
		if got := helpLang(c.args); got != c.want {
			t.Errorf("%v with QUNKE_LANG=%q: %s, want %s", c.args, c.env, got, c.want)
		}
	}
	han := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff })
	}
	for _, l := range i18n.Langs {
		t.Setenv("QUNKE_LANG", string(l))
		root, _ := rootCmd()
		var walk func(*cobra.Command)
		walk = func(cmd *cobra.Command) {
			texts := map[string]string{cmd.CommandPath(): cmd.Short}
			cmd.LocalFlags().VisitAll(func(f *pflag.Flag) { texts[cmd.CommandPath()+" --"+f.Name] = f.Usage })
			for where, s := range map[string]string{cmd.CommandPath() + " (long)": cmd.Long, cmd.CommandPath() + " (flags)": cmd.LocalFlags().FlagUsages()} {
				if strings.Contains(s, "%%") || strings.Contains(s, "%!") { // a format verb left unformatted
					t.Errorf("%s %s: %q", l, where, s)
				}
			}
			for where, s := range texts {
				switch {
				case s == "" || strings.HasPrefix(s, "cli."):
					t.Errorf("%s %s: no help text: %q", l, where, s)
				case l == i18n.ZH && !han(s):
					t.Errorf("zh %s: %q", where, s)
				case l == i18n.EN && han(s) && !strings.Contains(s, "美妆") && !strings.Contains(s, `"未归属"`): // examples of values
					t.Errorf("en %s: %q", where, s)
				}
			}
			for _, sub := range cmd.Commands() {
				walk(sub)
			}
		}
		walk(root)
	}
}
