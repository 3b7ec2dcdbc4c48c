package msg

import (
	"errors"
	"fmt"
	"testing"

	"github.com/qunke/qunke/internal/i18n"
)

func TestTextKeepsWrappersAndRendersErrorArgs(t *testing.T) {
	inner := New("groups.in_use")
	err := fmt.Errorf("a.csv: %w", New("plans.no_group").With())
	if got := In(i18n.EN, err); got != "a.csv: "+In(i18n.EN, New("plans.no_group")) {
		t.Fatalf("wrapped: %q", got)
	}
	if !errors.Is(err, New("plans.no_group")) {
		t.Fatal("errors.Is by key")
	}
	outer := Wrap(inner, "sheet.bad_xlsx", inner)
	if got := In(i18n.EN, outer); got != "not a valid .xlsx file: "+In(i18n.EN, inner) {
		t.Fatalf("error args: %q", got)
	}
	if got := In(i18n.ZH, outer); got != "不是有效的 .xlsx 文件："+In(i18n.ZH, inner) {
		t.Fatalf("error args, zh: %q", got)
	}
	if !errors.Is(outer, New("groups.in_use")) {
		t.Fatal("Wrap: errors.Is the wrapped error")
	}
	if got := In(i18n.EN, errors.New("plain")); got != "plain" {
		t.Fatalf("plain: %q", got)
	}
}
