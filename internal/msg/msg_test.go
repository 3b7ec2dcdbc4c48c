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

// place is an error that renders itself, as orders.Problem does.
type place struct{}

func (place) Error() string { return "甲 (A)" }
func (place) Text(lang i18n.Lang) string {
	return map[i18n.Lang]string{i18n.ZH: "甲", i18n.EN: "A"}[lang]
}

// A Texter in the chain is rendered in the reader's language, also as
// another message's argument.
func TestTextRendersTexters(t *testing.T) {
	if got := In(i18n.EN, fmt.Errorf("f: %w", place{})); got != "f: A" {
		t.Fatalf("wrapped: %q", got)
	}
	if got := In(i18n.ZH, Wrap(place{}, "sheet.bad_xlsx", place{})); got != In(i18n.ZH, New("sheet.bad_xlsx", "甲")) {
		t.Fatalf("as argument: %q", got)
	}
}
