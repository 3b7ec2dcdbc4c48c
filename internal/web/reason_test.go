package web

import (
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/publish"
)

// The board shows every skip reason in the reader's language only, with
// its arguments (a platform's name too), and a reason an older release
// wrote in both languages at once by its half.
func TestSkipReasonsInOneLanguage(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang   i18n.Lang
		reason string
		want   string
	}{
		{i18n.ZH, publish.ReasonCap, "已达每日上限"},
		{i18n.EN, publish.ReasonCap, msgs.T(i18n.EN, "board.reason.cap")},
		{i18n.ZH, publish.LateReason(15 * time.Minute), "已过发送时间 15 分钟以上，不再补发"},
		{i18n.EN, publish.LateReason(15 * time.Minute), "More than 15 min past its time: not sent late"},
		{i18n.ZH, publish.ReasonNoConverter(catalog.Tmall), "未转链：没有配置淘宝的转链接口"},
		{i18n.EN, publish.ReasonNoConverter(catalog.JD), "Not converted: no link conversion configured for JD"},
		{i18n.ZH, "plain text", "plain text"},
		{i18n.EN, "群已暂停 (group paused)", "group paused"}, // a row an older release wrote
	} {
		p := &page{Lang: c.lang, msgs: msgs}
		if got := p.Reason(c.reason); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.lang, c.reason, got, c.want)
		}
	}
}
