package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// growthDB is a database with two members (ids returned) whose 会员运营ID
// are bound, and a settled order of each.
func growthDB(t *testing.T) (string, [2]int64) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cs := community.NewStore(db)
	g := &community.Group{Name: "群", Channel: community.Manual}
	if err := cs.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := cs.ApplyEvents(ctx, []community.MemberEvent{
		{Key: "a", Source: community.SourceWeCom, GroupID: g.ID, Kind: community.Join, At: at, ExternalID: "a", Name: "阿强"},
		{Key: "b", Source: community.SourceWeCom, GroupID: g.ID, Kind: community.Join, At: at, ExternalID: "b", Name: "小美"},
	}); err != nil {
		t.Fatal(err)
	}
	rows, _, err := cs.Members(ctx, community.MemberFilter{GroupID: g.ID})
	if err != nil || len(rows) != 2 {
		t.Fatal(rows, err)
	}
	var ids [2]int64
	for _, r := range rows {
		i := map[string]int{"a": 0, "b": 1}[r.ExternalID]
		ids[i] = r.ID
		if err := cs.Bind(ctx, r.ID, "taobao", "special_id", strconv.Itoa(700+i)); err != nil {
			t.Fatal(err)
		}
	}
	settled := time.Date(2026, 1, 5, 10, 0, 0, 0, shanghai.Zone).Unix() // payable from 2026-02-20
	if _, err := orders.NewStore(db).Import(ctx, []orders.Order{
		{Platform: "taobao", TradeID: "1", SpecialID: "700", Status: orders.Settled, EstIncome: 1000, SettledIncome: 1000, PaidAt: settled, SettledAt: settled},
		{Platform: "taobao", TradeID: "2", SpecialID: "701", Status: orders.Settled, EstIncome: 3001, SettledIncome: 3001, PaidAt: settled, SettledAt: settled},
	}); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

func TestAgentsAndLedgerCommands(t *testing.T) {
	path, ids := growthDB(t)
	a, b := strconv.FormatInt(ids[0], 10), strconv.FormatInt(ids[1], 10)
	run := func(args ...string) string {
		t.Helper()
		out, _, err := runCLI(t, append([]string{"--db", path}, args...)...)
		if err != nil {
			t.Fatalf("qunke %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	run("agents", "add", a)
	run("agents", "add", b, "--parent", a)
	if _, _, err := runCLI(t, "--db", path, "agents", "add", b); err == nil {
		t.Fatal("an agent added twice")
	}
	if _, _, err := runCLI(t, "--db", path, "--lang", "en", "agents", "rules", "--agent", "5000,1000,500,100"); err == nil ||
		!strings.Contains(err.Error(), "pyramid") {
		t.Fatalf("four levels: %v", err)
	}
	if out := run("agents", "tree"); out != "#"+a+" 阿强\n  #"+b+" 小美\n" {
		t.Fatalf("tree:\n%s", out)
	}
	var tree []apiv1.AgentNode
	if err := json.Unmarshal([]byte(run("agents", "tree", "--json")), &tree); err != nil || len(tree) != 1 || len(tree[0].Children) != 1 ||
		*tree[0].Children[0].ParentID != ids[0] {
		t.Fatalf("tree json %+v %v", tree, err)
	}
	var st apiv1.LedgerPost
	if err := json.Unmarshal([]byte(run("ledger", "post", "--json")), &st); err != nil || st.Orders != 2 || st.Postings != 2 || st.Released != 2 {
		t.Fatalf("post %+v %v", st, err)
	}
	var bs []apiv1.LedgerBalance
	if err := json.Unmarshal([]byte(run("ledger", "balance", "--json", "--member", a)), &bs); err != nil {
		t.Fatal(err)
	}
	// a: 50% of 1000 and 10% of 3001 (300.1 -> 300); b: 50% of 3001 (1500.5 -> 1501: the larger remainder).
	if len(bs) != 1 || bs[0].Kind != "agent_payable" || *bs[0].OwedFen != 800 {
		t.Fatalf("balance of a %+v", bs)
	}
	out := run("ledger", "payout", "create", "--min", "8")
	if !strings.Contains(out, "批次 #1") || !strings.Contains(out, "15.01 元") || !strings.Contains(out, "8.00 元") {
		t.Fatalf("payout:\n%s", out)
	}
	var p apiv1.Payout
	if err := json.Unmarshal([]byte(run("ledger", "payout", "paid", "1", "--by", "财务", "--json")), &p); err != nil || p.Status != "paid" ||
		p.TotalFen != 2301 || p.PaidBy != "财务" {
		t.Fatalf("paid %+v %v", p, err)
	}
	month := time.Now().In(shanghai.Zone).Format("2006-01")
	csvPath := filepath.Join(t.TempDir(), "a.csv")
	run("ledger", "statement", "--member", a, "--month", month, "--format", "csv", "-o", csvPath)
	data, err := os.ReadFile(csvPath)
	if err != nil || !strings.Contains(string(data), "阿强（成员 #"+a+"）分成对账单") || !strings.Contains(string(data), "月末可提,0.00") ||
		!strings.Contains(string(data), "已付款") {
		t.Fatalf("csv statement:\n%s %v", data, err)
	}
	xlsxPath := filepath.Join(t.TempDir(), "a.xlsx")
	run("ledger", "statement", "--member", a, "--month", month, "--format", "xlsx", "-o", xlsxPath)
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 4+3+2 { // head, 3 lines (release: held out, payable in; the payout), closing
		t.Fatalf("xlsx rows %v %v", rows, err)
	}
	var js apiv1.Statement
	if err := json.Unmarshal([]byte(run("ledger", "statement", "--member", a, "--month", month, "--format", "json")), &js); err != nil ||
		js.ClosingPayableFen != 0 || len(js.Lines) != 3 {
		t.Fatalf("json statement %+v %v", js, err)
	}
	if _, _, err := runCLI(t, "--db", path, "ledger", "statement", "--member", a, "--month", "2026/1"); err == nil {
		t.Fatal("a bad month was read")
	}
}

// qunke user add --role agent --agent ID makes a user bound to an agent;
// an id that is no agent is refused and names the id.
func TestUserAddAgent(t *testing.T) {
	path, ids := growthDB(t)
	a := strconv.FormatInt(ids[0], 10)
	t.Setenv("QUNKE_PASSWORD", "a long password")
	if _, _, err := runCLI(t, "--db", path, "user", "add", "daili", "--role", "agent", "--agent", a); err == nil || !strings.Contains(err.Error(), a) {
		t.Fatalf("an agent user for a member who is no agent: %v", err)
	}
	if _, _, err := runCLI(t, "--db", path, "agents", "add", a); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "--db", path, "user", "add", "daili", "--role", "agent"); err == nil {
		t.Fatal("an agent user without --agent was made")
	}
	out, _, err := runCLI(t, "--db", path, "user", "add", "daili", "--role", "agent", "--agent", a)
	if err != nil || !strings.Contains(out, "代理") && !strings.Contains(out, "agent") {
		t.Fatalf("user add --role agent: %q %v", out, err)
	}
}
