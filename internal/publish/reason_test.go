package publish

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/i18n"
)

// Every reason the planner, the linker and the worker write is a message of
// both catalogs, rendered in one language with its arguments; a reason
// inside another (an interrupted send resent once) is rendered too.
func TestReasonsAreMessages(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	interrupted := reason("publish.reason.resending", ReasonInterrupted)
	for _, r := range []string{ReasonRecent, ReasonCoupon, ReasonPriceRose, ReasonMissing, ReasonCap, ReasonLateUnknown,
		ReasonPlanDeleted, ReasonPaused, ReasonInterrupted, ReasonGone, ReasonNoPermission, ReasonNoPlacement, ReasonAuth,
		ReasonThrottled, ReasonConvert, ReasonUnresolved, ReasonNoConverter(catalog.PDD), LateReason(15 * time.Minute),
		LateReason(90 * time.Second), interrupted,
		reason("publish.reason.moved", "-100200", errors.New("chat moved")),
		reason("publish.reason.gave_up", int64(10), errors.New("retry after 1s: slow down")),
		reason("publish.reason.no_confirmation", int64(3), "timeout"),
		reason("publish.reason.still_unconfirmed", "timeout"),
		reason("publish.log.sent_by_hand", "小王")} {
		e := ReasonError(r)
		if e == nil {
			t.Errorf("%q is no reason", r)
			continue
		}
		for _, l := range i18n.Langs {
			got := ReasonText(l, r)
			if got == e.Key || strings.Contains(got, "%!") || strings.Contains(got, "publish.") || strings.Contains(got, "{") {
				t.Errorf("%s %q: %q", l, r, got)
			}
			if msgs.T(l, e.Key) == e.Key {
				t.Errorf("%s: no message %s", l, e.Key)
			}
		}
	}
	if got := ReasonText(i18n.EN, interrupted); got != "Outcome unknown, resending once: Interrupted mid-send (the process exited or timed out): outcome unknown" {
		t.Errorf("nested reason: %q", got)
	}
	if got := ReasonText(i18n.ZH, LateReason(90*time.Second)); got != "已过发送时间 1m30s 以上，不再补发" {
		t.Errorf("late by a duration: %q", got)
	}
}

// A platform's own error is shown as written; a huge one is clipped inside
// the reason, which stays whole.
func TestReasonText(t *testing.T) {
	for _, s := range []string{"", "rejected: chat not found", "kicked", `{"description":"Bad Request"}`, "v1.2"} {
		if got := ReasonText(i18n.EN, s); got != s {
			t.Errorf("%q shown as %q", s, got)
		}
	}
	long := reason("publish.reason.gave_up", int64(10), errors.New(strings.Repeat("错", 1000)))
	if len(long) > 1000 || ReasonError(long) == nil {
		t.Fatalf("%d bytes, decodes: %v", len(long), ReasonError(long) != nil)
	}
	if got := ReasonText(i18n.ZH, long); !strings.HasPrefix(got, "10 次尝试后放弃：错错") || strings.Contains(got, "\uFFFD") {
		t.Errorf("%q", got[:40])
	}
}

// A reason whose arguments escape to more than the columns hold is cut to
// fit, and stays whole.
func TestReasonFits(t *testing.T) {
	html := strings.Repeat("<\"\x01", 400)
	inner := reason("publish.reason.gave_up", int64(3), html)
	r := reason("publish.reason.no_confirmation", int64(3), reason("publish.reason.still_unconfirmed", inner))
	if len(r) > reasonMax || ReasonError(r) == nil || !strings.Contains(ReasonText(i18n.EN, r), "<") {
		t.Fatalf("%d bytes %q", len(r), r)
	}
}
