package i18n

import "testing"

func TestCatalogsAgree(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Missing(); len(m) != 0 {
		t.Fatalf("missing keys: %v", m)
	}
	if got := c.T(ZH, "card.coupon_left", 12); got != "剩 12 张" {
		t.Fatalf("zh: %q", got)
	}
	if got := c.T(EN, "card.coupon_left", 12); got != "12 left" {
		t.Fatalf("en: %q", got)
	}
	if got := c.T(EN, "no.such.key"); got != "no.such.key" {
		t.Fatalf("unknown key: %q", got)
	}
	if Parse("en-US") != EN || Parse("") != ZH || Parse("fr") != ZH {
		t.Fatal("Parse")
	}
}

// Pick keeps one language of a two-language text, and leaves others alone.
func TestPick(t *testing.T) {
	for _, c := range []struct {
		in   string
		lang Lang
		want string
	}{
		{"京东 (JD)", ZH, "京东"},
		{"京东 (JD)", EN, "JD"},
		{"未转链：没有配置京东的转链接口 (no link conversion configured for JD)", EN, "no link conversion configured for JD"},
		{"timeout (5s)", ZH, "timeout (5s)"},
		{"群 (宝妈)", EN, "群 (宝妈)"},
	} {
		if got := Pick(c.lang, c.in); got != c.want {
			t.Errorf("Pick(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}
