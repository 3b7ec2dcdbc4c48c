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
