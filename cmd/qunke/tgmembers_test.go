package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/tgmembers/tgfake"
)

// TestTelegramCheck: `qunke telegram check` asks the Bot API about the bot and its standing in each
// Telegram group, and says where it is not an admin.
func TestTelegramCheck(t *testing.T) {
	tg := tgfake.New()
	defer tg.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	csv := filepath.Join(dir, "g.csv")
	os.WriteFile(csv, []byte("群名,渠道,目标\n甲群,telegram,-1001\n乙群,telegram,@DealsPub\n丙群,manual,\n"), 0o644)
	if _, _, err := runCLI(t, "--db", db, "groups", "import", csv); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QUNKE_TELEGRAM_TOKEN", "")
	if _, _, err := runCLI(t, "--db", db, "telegram", "check", "--telegram-api", tg.URL); err == nil || !strings.Contains(err.Error(), "QUNKE_TELEGRAM_TOKEN") {
		t.Fatalf("no token: %v", err)
	}
	t.Setenv("QUNKE_TELEGRAM_TOKEN", tg.Token)
	tg.SetBotStatus("-1001", "", "administrator")
	tg.SetBotStatus("-2", "DealsPub", "member")
	out, _, err := runCLI(t, "--db", db, "telegram", "check", "--telegram-api", tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"机器人：@qunke_test_bot（id 7000001）", "隐私模式：开", "接收方式：轮询 getUpdates",
		"甲群\t-1001\t机器人是管理员\n", "乙群\t@DealsPub\t机器人不是管理员\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "丙群") || strings.Contains(out, tg.Token) {
		t.Fatalf("a manual group or the token in:\n%s", out)
	}
}
