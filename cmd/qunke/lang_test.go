package main

import (
	"fmt"
	"strings"
	"testing"

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
