package campaign

import (
	"testing"
	"time"
)

// People write rewards by name in either language; codes still work, and
// anything else is kept as typed so Validate can name it.
func TestParseRewardKind(t *testing.T) {
	for in, want := range map[string]RewardKind{
		"红包": RedEnvelope, " 免单 ": FreeOrder, "礼物": Gift, "其它": OtherReward,
		"Red envelope": RedEnvelope, "free  order": FreeOrder, "GIFT": Gift, "other": OtherReward,
		"red_envelope": RedEnvelope, "free_order": FreeOrder,
		"优惠券": "优惠券",
	} {
		if got := ParseRewardKind(in); got != want {
			t.Errorf("ParseRewardKind(%q) = %q, want %q", in, got, want)
		}
	}
	c := &Campaign{Name: "x", Status: Running, Starts: time.Now(), Groups: []int64{1}, Tiers: []Tier{{Invites: 3, Kind: ParseRewardKind("优惠券"), CostFen: 100}}}
	if err := check(c); err == nil {
		t.Error("an unknown reward passes check")
	}
	c.Tiers[0].Kind = ParseRewardKind("红包")
	if err := check(c); err != nil {
		t.Errorf("a red envelope by its Chinese name: %v", err)
	}
}
