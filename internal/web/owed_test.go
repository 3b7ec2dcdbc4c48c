package web

import (
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/i18n"
)

// TestOwedReadsAsOperatorsRead: a member's payable shows what the team
// owes them, and a payable below zero (a share reversed after it was paid)
// says the member owes the team, as a positive amount, in both languages.
func TestOwedReadsAsOperatorsRead(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ts := loadPages(time.UTC, "agents")["agents"]
	for _, c := range []struct {
		lang i18n.Lang
		owed growth.Owed
		want []string
		not  string
	}{
		{i18n.ZH, growth.Owed{Payable: 2295}, []string{"可提", "22.95"}, "欠团队"},
		{i18n.ZH, growth.Owed{Payable: -300}, []string{"欠团队", "3.00", "冲正待扣"}, "-¥"},
		{i18n.EN, growth.Owed{Payable: -300}, []string{"owes the team", "3.00"}, "-¥"},
	} {
		var b strings.Builder
		if err := ts.ExecuteTemplate(&b, "owed", map[string]any{"P": &page{Lang: c.lang, msgs: msgs}, "F": c.owed}); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s %+v: %q lacks %q", c.lang, c.owed, b.String(), w)
			}
		}
		if strings.Contains(b.String(), c.not) {
			t.Errorf("%s %+v: %q has %q", c.lang, c.owed, b.String(), c.not)
		}
	}
}
