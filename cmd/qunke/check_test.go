package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCheckAndRank(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "q.db")
	if _, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "400", "--days", "40"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "--db", dbPath, "rank", "commission", "--limit", "5", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ranking struct {
		Kind  string `json:"kind"`
		Items []struct {
			Rank     int    `json:"rank"`
			Platform string `json:"platform"`
			ItemID   string `json:"item_id"`
			RateBP   int64  `json:"commission_rate_bp"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &ranking); err != nil || len(ranking.Items) != 5 || ranking.Kind != "commission" {
		t.Fatalf("rank --json: %v, %d rows\n%s", err, len(ranking.Items), out)
	}
	rows := ranking.Items
	for i := 1; i < len(rows); i++ {
		if rows[i].RateBP > rows[i-1].RateBP || rows[i].Rank != i+1 {
			t.Fatalf("ranking out of order: %+v", rows)
		}
	}
	// A message naming the top item by its id, plus a phone number that is not an item.
	msg := "今日推荐 商品ID：" + rows[0].ItemID + " 券后价59.9 客服 13812345678"
	out, _, err = runCLI(t, "--db", dbPath, "check", "--json", msg)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Status string `json:"status"`
			Card   struct {
				Score int `json:"score"`
				Item  struct {
					ItemID string `json:"item_id"`
				} `json:"item"`
				Substitutes []json.RawMessage `json:"substitutes"`
			} `json:"card"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	if len(rep.Results) != 1 || rep.Results[0].Status != "ok" || rep.Results[0].Card.Item.ItemID != rows[0].ItemID {
		t.Fatalf("check found %+v", rep.Results)
	}
	text, _, err := runCLI(t, "--db", dbPath, "check", msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"券后 ¥", "推荐分", "佣金", "最低"} {
		if !strings.Contains(text, want) {
			t.Errorf("card text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
	nothing, _, err := runCLI(t, "--db", dbPath, "check", "😀 hello 59.9元")
	if err != nil || !strings.Contains(nothing, "没有找到") {
		t.Fatalf("message without products: %v %q", err, nothing)
	}
	if _, _, err := runCLI(t, "--db", dbPath, "rank", "best"); err == nil {
		t.Fatal("unknown ranking accepted")
	}
	if _, _, err := runCLI(t, "--db", dbPath, "rank", "--offset", "-5"); err == nil {
		t.Fatal("negative offset accepted")
	}
	if _, _, err := runCLI(t, "--db", dbPath, "check", "--service-fee", "20000", msg); err == nil || !strings.Contains(err.Error(), "service-fee") {
		t.Fatalf("fee of 200%%: %v", err)
	}
	zeroFee, _, err := runCLI(t, "--db", dbPath, "check", "--service-fee", "0", msg)
	if err != nil || !strings.Contains(zeroFee, "扣服务费 0.00%") {
		t.Fatalf("zero fee not honoured: %v\n%s", err, zeroFee)
	}
}

func TestUserAddAndToken(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "q.db")
	root := newRoot()
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader("a long password\n"))
	root.SetArgs([]string{"--db", dbPath, "user", "add", "xiaoli", "--role", "selector"})
	if err := root.Execute(); err != nil || !strings.Contains(out.String(), "xiaoli") {
		t.Fatalf("user add: %v %s", err, out.String())
	}
	if _, _, err := runCLI(t, "--db", dbPath, "user", "add", "bad", "--role", "king"); err == nil || !strings.Contains(err.Error(), "king") {
		t.Fatalf("unknown role: %v", err)
	}
	tok, _, err := runCLI(t, "--db", dbPath, "user", "token", "xiaoli")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(tok), "qk_") {
		t.Fatalf("token: %v %q", err, tok)
	}
	if _, _, err := runCLI(t, "--db", dbPath, "user", "token", "nobody"); err == nil {
		t.Fatal("token for an unknown user")
	}
}

// TestReadmeCheckExample: the README tour's first check, after its demo
// (smaller, same seed), gives a decision card: a newcomer's first try
// finds the item.
func TestReadmeCheckExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\./qunke check "([^"]+)"`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README has no ./qunke check \"...\" example")
	}
	msg := string(m[1])
	dbPath := filepath.Join(t.TempDir(), "q.db")
	if _, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "400", "--days", "30"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "--db", dbPath, "check", "--json", msg)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Status string          `json:"status"`
			Card   json.RawMessage `json:"card"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	if len(rep.Results) != 1 || rep.Results[0].Status != "ok" || len(rep.Results[0].Card) == 0 {
		t.Fatalf("the README's example %q on the demo: %s", msg, out)
	}
	// The card in words, not codes: the trend, the kind of shop (the
	// sample is sold by JD itself).
	text, _, err := runCLI(t, "--db", dbPath, "check", msg)
	if err != nil || regexp.MustCompile(`趋势 [a-z]`).MatchString(text) || !strings.Contains(text, "[京东自营]") {
		t.Errorf("check %q: %v\n%s", msg, err, text)
	}
	// The message's 到手价 is set beside the catalog's price (one no item
	// has, so that they differ whatever day the demo ends on).
	cheap := strings.Replace(msg, "到手价59", "到手价0.01", 1)
	text, _, err = runCLI(t, "--db", dbPath, "check", cheap)
	if err != nil || cheap == msg || !strings.Contains(text, "消息里写的 ¥0.01，库中今天 ¥") {
		t.Fatalf("check %q: %v\n%s", cheap, err, text)
	}
}

// TestCheckCardInReadersLanguage: the README's check prints its card in
// English with --lang en (Han only in the item's and substitutes' own
// titles and shop name) and in Chinese alone by default.
func TestCheckCardInReadersLanguage(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "q.db")
	if _, _, err := runCLI(t, "--db", dbPath, "demo", "--items", "400", "--days", "30"); err != nil {
		t.Fatal(err)
	}
	const msg = "【好物】https://item.jd.com/100012345678.html 到手价59"
	out, _, err := runCLI(t, "--db", dbPath, "check", "--json", msg)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Card struct {
				Item struct {
					Title    string `json:"title"`
					ShopName string `json:"shop_name"`
				} `json:"item"`
				Substitutes []struct {
					Title string `json:"title"`
				} `json:"substitutes"`
			} `json:"card"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Results) != 1 || rep.Results[0].Card.Item.Title == "" {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	card := rep.Results[0].Card
	names := []string{card.Item.Title, card.Item.ShopName}
	for _, s := range card.Substitutes {
		names = append(names, truncate(s.Title, 28))
	}
	en, _, err := runCLI(t, "--db", dbPath, "--lang", "en", "check", msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"JD 100012345678", "Final ¥", "List price ¥", "Price: ", "Lowest prices: ", "Commission: ", "Sales: ", "trend ", "Shop: ", "[JD self-run]", "Score: "} {
		if !strings.Contains(en, want) {
			t.Errorf("English card lacks %q:\n%s", want, en)
		}
	}
	rest := en
	for _, n := range names {
		rest = strings.ReplaceAll(rest, n, "")
	}
	if han := regexp.MustCompile(`\p{Han}+`).FindAllString(rest, -1); len(han) > 0 || strings.Contains(en, "jd:") {
		t.Errorf("English card has Chinese %q or a raw platform code:\n%s", han, en)
	}
	zh, _, err := runCLI(t, "--db", dbPath, "check", msg)
	if err != nil {
		t.Fatal(err)
	}
	if words := regexp.MustCompile(`(?i)\b(final|price|lows?|commission|sales|trend|shop|score|substitutes|coupon|typical|self-run|flat|rising|falling)\b`).FindAllString(zh, -1); len(words) > 0 || !strings.Contains(zh, "京东 100012345678") {
		t.Errorf("Chinese card has English labels %q or lacks the platform's name:\n%s", words, zh)
	}
}
