package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/growth/campaign"
)

func TestCampaignsCommands(t *testing.T) {
	path, _ := growthDB(t)
	run := func(args ...string) string {
		t.Helper()
		out, _, err := runCLI(t, append([]string{"--db", path}, args...)...)
		if err != nil {
			t.Fatalf("qunke %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	if out := run("campaigns", "add", "拉新", "--group", "1", "--tier", "3：红包:5", "--starts", "2026-01-01"); out != "#1\t拉新\n" {
		t.Fatalf("add: %q", out)
	}
	if out := run("campaigns", "list"); !strings.Contains(out, "#1  拉新  进行中  2026-01-01") {
		t.Fatalf("list: %q", out)
	}
	var d apiv1.CampaignDetail
	if err := json.Unmarshal([]byte(run("campaigns", "show", "1", "--json")), &d); err != nil || d.Name != "拉新" ||
		len(d.Tiers) != 1 || d.Tiers[0].CostFen != 500 || d.Tiers[0].Kind != "red_envelope" || d.Figures.Participants != 0 {
		t.Fatalf("show --json: %+v %v", d, err)
	}
	if out := run("campaigns", "board", "1"); !strings.Contains(out, "拉新 邀请排行") {
		t.Fatalf("board: %q", out)
	}
	run("campaigns", "count")
	if _, _, err := runCLI(t, "--db", path, "campaigns", "review", "1", "nothing"); err == nil {
		t.Fatal("a review of no invite")
	}
	// A campaign picks its join code by the code's name; the code's list
	// names the campaigns using it.
	run("joincodes", "add", "--code", "fuli", "--name", "福利群活码", "--group", "1", "--campaign", "旧备注")
	if out := run("campaigns", "add", "用活码", "--join-code", "fuli", "--starts", "2026-01-01"); out != "#2\t用活码\n" {
		t.Fatalf("add with a join code: %q", out)
	}
	if out := run("joincodes", "list"); !strings.Contains(out, "#2 用活码 旧备注") {
		t.Fatalf("joincodes list: %q", out)
	}
	if _, _, err := runCLI(t, "--db", path, "campaigns", "add", "y", "--join-code", "nope"); err == nil || !strings.Contains(err.Error(), "--join-code") {
		t.Fatalf("an unknown join code: %v", err)
	}
	if _, _, err := runCLI(t, "--db", path, "--lang", "en", "campaigns", "add", "x", "--tier", "3:red_envelope:5"); err == nil ||
		!strings.Contains(err.Error(), "target groups") {
		t.Fatalf("no target: %v", err)
	}
}

// TestWriteHeld: held invites print who joined, who invited them and when
// (Shanghai time), not the raw event key first; the key comes last,
// labelled, with the review command that takes it.
func TestWriteHeld(t *testing.T) {
	joined := time.Date(2026, 11, 30, 10, 2, 6, 0, time.UTC)
	rows := []campaign.InviteRow{{Invite: campaign.Invite{EventKey: "wecom:abc:2026-11-30T10:02:06Z", JoinedAt: joined,
		Reason: "burst", ReasonArgs: []string{"5", "60"}}, InviteeName: "小号8", ParticipantName: "老王"}}
	var out strings.Builder
	if err := writeHeld(&out, &globals{lang: "zh"}, 3, rows, 9); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	lines := strings.Split(s, "\n")
	var row string
	for _, l := range lines {
		if strings.HasPrefix(l, "小号8") {
			row = l
		}
	}
	if row == "" || !strings.Contains(row, "老王") || !strings.Contains(row, "2026-11-30 18:02") ||
		!strings.HasSuffix(strings.TrimSpace(row), "wecom:abc:2026-11-30T10:02:06Z") {
		t.Fatalf("held row:\n%s", s)
	}
	if !strings.Contains(s, "审核编号") || !strings.Contains(s, "qunke campaigns review 3 <审核编号>") || !strings.Contains(s, "共 9 条") {
		t.Fatalf("labels and hint:\n%s", s)
	}
	out.Reset()
	writeHeld(&out, &globals{lang: "en"}, 3, nil, 0)
	if !strings.Contains(out.String(), "No invites held") {
		t.Fatalf("none held:\n%s", out.String())
	}
}
