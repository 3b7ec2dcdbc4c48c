package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers/tgfake"
	"github.com/qunke/qunke/internal/web"
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
		"甲群  -1001      机器人是管理员\n", "乙群  @DealsPub  机器人不是管理员\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "丙群") || strings.Contains(out, tg.Token) {
		t.Fatalf("a manual group or the token in:\n%s", out)
	}
}

// TestServeFollowsTelegramMembers: the follower serve builds polls the bot's updates into the registry,
// and with a webhook URL it needs the secret and routes /callback/telegram instead.
func TestServeFollowsTelegramMembers(t *testing.T) {
	tg := tgfake.New()
	defer tg.Close()
	ctx := context.Background()
	db := storetest.SQLite(t)
	deps := web.NewDeps(db, slog.New(slog.DiscardHandler))
	g := &community.Group{Name: "甲群", Channel: community.Telegram, Target: "-1001", Active: true}
	if err := deps.Groups.Save(ctx, g); err != nil {
		t.Fatal(err)
	}
	if m, err := newTelegramMembers(&deps, "", tg.URL, &tgMemberFlags{}); m != nil || err != nil {
		t.Fatalf("no token: %v %v", m, err)
	}
	m, err := newTelegramMembers(&deps, tg.Token, tg.URL, &tgMemberFlags{})
	if err != nil || deps.TelegramWebhook != nil || deps.TelegramBot == nil {
		t.Fatalf("%v %+v", err, deps)
	}
	stop := m.start(ctx)
	tg.Push("chat_member", `{"chat":{"id":-1001,"type":"supergroup","title":"甲群"},"from":{"id":5,"is_bot":false,"first_name":"A"},"date":1767225600,`+
		`"old_chat_member":{"status":"left","user":{"id":5,"is_bot":false,"first_name":"A"}},"new_chat_member":{"status":"member","user":{"id":5,"is_bot":false,"first_name":"A"}}}`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows, _, err := deps.Groups.Members(ctx, community.MemberFilter{GroupID: g.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 && rows[0].ExternalID == "5" && rows[0].InGroups == 1 {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the join never landed: %+v", rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()

	t.Setenv("QUNKE_TELEGRAM_WEBHOOK_SECRET", "")
	if _, err := newTelegramMembers(&deps, tg.Token, tg.URL, &tgMemberFlags{webhookURL: "https://q.example.com/callback/telegram"}); err == nil {
		t.Fatal("a webhook without a secret was accepted")
	}
	t.Setenv("QUNKE_TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123")
	if _, err := newTelegramMembers(&deps, tg.Token, tg.URL, &tgMemberFlags{webhookURL: "http://q.example.com/callback/telegram"}); err == nil {
		t.Fatal("a plain http webhook was accepted")
	}
	if _, err := newTelegramMembers(&deps, tg.Token, tg.URL, &tgMemberFlags{webhookURL: "https://q.example.com/callback/telegram"}); err != nil || deps.TelegramWebhook == nil {
		t.Fatalf("webhook: %v", err)
	}
}
