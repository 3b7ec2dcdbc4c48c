package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/apiv1"
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
	if out := run("campaigns", "list"); !strings.Contains(out, "#1\t拉新\t进行中\t2026-01-01") {
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
	if _, _, err := runCLI(t, "--db", path, "--lang", "en", "campaigns", "add", "x", "--tier", "3:red_envelope:5"); err == nil ||
		!strings.Contains(err.Error(), "target groups") {
		t.Fatalf("no target: %v", err)
	}
}
