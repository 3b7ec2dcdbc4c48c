package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestReportHealth: `qunke report health` fills the days from the groups,
// posts and orders, lists each group with its score and state, as a table
// and as the API's JSON; --backtest replays the days.
func TestReportHealth(t *testing.T) {
	path := reportDB(t)
	out, err := runReport(t, path, "health")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "群") || !strings.Contains(lines[1], "宝妈福利1群") {
		t.Fatalf("table:\n%s", out)
	}
	out, err = runReport(t, path, "health", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var board struct {
		Groups []struct {
			GroupName string `json:"group_name"`
			Score     int    `json:"score"`
			State     string `json:"state"`
			Members   int64  `json:"members"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &board); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	// The group's orders are in January: months without an order or a
	// speaker make it dead by the quiet rule.
	if len(board.Groups) != 1 || board.Groups[0].Members != 200 || board.Groups[0].State != "dead" {
		t.Errorf("board: %+v", board)
	}
	out, err = runReport(t, path, "health", "--backtest")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "宝妈福利1群") || !strings.Contains(out, "死亡的群") {
		t.Errorf("backtest:\n%s", out)
	}
	// In English the reasons are joined the English way, with no
	// Chinese punctuation.
	cmd := newReportCmd(&globals{db: path, lang: "en"})
	var en bytes.Buffer
	cmd.SetOut(&en)
	cmd.SetErr(&en)
	cmd.SetArgs([]string{"health"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	out = en.String()
	if !strings.HasPrefix(out, "group") || strings.ContainsAny(out, "；，：") {
		t.Errorf("English table:\n%s", out)
	}
	if _, err := runReport(t, path, "health", "--backtest", "--json"); err != nil {
		t.Fatal(err)
	}
}
