package tgmembers_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/tgmembers/tgfake"
)

const chatJSON = `{"id":-1001234567890,"type":"supergroup","title":"宝妈福利1群"}`

func msgJSON(from int64, date int64) string {
	return `{"message_id":1,"from":{"id":` + itoa(from) + `,"is_bot":false,"first_name":"U"},"date":` + itoa(date) + `,"chat":` + chatJSON + `,"text":"hi"}`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestGetUpdatesOffsetAndLimit(t *testing.T) {
	tg := tgfake.New()
	defer tg.Close()
	c := tgmembers.NewClient(tg.Token, tg.URL)
	ctx := context.Background()
	first := tg.Push("message", msgJSON(1, 100))
	tg.Push("message", msgJSON(2, 101))
	tg.Push("message", msgJSON(3, 102))
	ups, err := c.GetUpdates(ctx, 0, 2, 0)
	if err != nil || len(ups) != 2 || ups[0].UpdateID != first || ups[1].Message.From.ID != 2 {
		t.Fatalf("%+v %v", ups, err)
	}
	// Asking again without a higher offset confirms nothing: the same updates come back.
	if ups, _ := c.GetUpdates(ctx, first, 10, 0); len(ups) != 3 {
		t.Fatalf("%d updates", len(ups))
	}
	ups, err = c.GetUpdates(ctx, first+2, 10, 0)
	if err != nil || len(ups) != 1 || ups[0].UpdateID != first+2 || tg.Pending() != 1 {
		t.Fatalf("%+v %v pending %d", ups, err, tg.Pending())
	}
	if ups, _ := c.GetUpdates(ctx, first+3, 10, 0); len(ups) != 0 || tg.Pending() != 0 {
		t.Fatalf("%+v pending %d", ups, tg.Pending())
	}
}

// Without allowed_updates Telegram leaves chat_member out; the client always asks for it.
func TestAllowedUpdates(t *testing.T) {
	tg := tgfake.New()
	defer tg.Close()
	cm := `{"chat":` + chatJSON + `,"from":{"id":9,"is_bot":false,"first_name":"A"},"date":1,"old_chat_member":{"status":"left","user":{"id":9,"is_bot":false,"first_name":"A"}},"new_chat_member":{"status":"member","user":{"id":9,"is_bot":false,"first_name":"A"}}}`
	tg.Push("chat_member", cm)
	resp, err := http.Post(tg.URL+"/bot"+tg.Token+"/getUpdates", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tg.Pending() != 0 {
		t.Fatal("the default allowed_updates kept a chat_member update")
	}
	tg.Push("chat_member", cm)
	c := tgmembers.NewClient(tg.Token, tg.URL)
	ups, err := c.GetUpdates(context.Background(), 0, 100, 0)
	if err != nil || len(ups) != 1 || ups[0].ChatMember == nil || ups[0].ChatMember.NewChatMember.Status != "member" {
		t.Fatalf("%+v %v", ups, err)
	}
}

func TestLongPollAndConflict(t *testing.T) {
	tg := tgfake.New()
	defer tg.Close()
	c := tgmembers.NewClient(tg.Token, tg.URL)
	ctx := context.Background()
	// A long poll returns as soon as an update arrives.
	go func() { time.Sleep(100 * time.Millisecond); tg.Push("message", msgJSON(1, 1)) }()
	start := time.Now()
	ups, err := c.GetUpdates(ctx, 0, 100, 10*time.Second)
	if err != nil || len(ups) != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("%+v %v after %s", ups, err, time.Since(start))
	}
	// A second poller ends the waiting one with 409.
	off := ups[0].UpdateID + 1
	errc := make(chan error, 1)
	go func() { _, err := c.GetUpdates(ctx, off, 100, 10*time.Second); errc <- err }()
	for tg.Calls("getUpdates") < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := c.GetUpdates(ctx, off, 100, 0); err != nil {
		t.Fatal(err)
	}
	err = <-errc
	if !tgmembers.IsConflict(err) || !strings.Contains(err.Error(), "terminated by other getUpdates request") {
		t.Fatalf("first poller: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tg := tgfake.New()
	defer tg.Close()
	ctx := context.Background()
	c := tgmembers.NewClient(tg.Token, tg.URL)
	tg.Fail("getUpdates", 429, "Too Many Requests: retry after 3", 3, 1)
	_, err := c.GetUpdates(ctx, 0, 100, 0)
	if tgmembers.RetryAfter(err) != 3*time.Second {
		t.Fatalf("429: %v", err)
	}
	bad := tgmembers.NewClient("7000001:WRONG", tg.URL)
	_, err = bad.GetUpdates(ctx, 0, 100, 0)
	if !tgmembers.IsUnauthorized(err) || strings.Contains(err.Error(), "WRONG") {
		t.Fatalf("401: %v", err)
	}
	// A refused connection's error quotes the URL: the token is taken out.
	gone := tgmembers.NewClient(tg.Token, "http://127.0.0.1:1")
	if _, err := gone.GetMe(ctx); err == nil || strings.Contains(err.Error(), tg.Token) {
		t.Fatalf("transport error: %v", err)
	}
	var e *tgmembers.APIError
	if err := c.SetWebhook(ctx, "http://example.com/callback/telegram", "s3cret"); !errors.As(err, &e) || e.Code != 400 {
		t.Fatalf("http webhook: %v", err)
	}
	if err := c.SetWebhook(ctx, "https://example.com/callback/telegram", "bad secret!"); !errors.As(err, &e) || e.Code != 400 {
		t.Fatalf("bad secret: %v", err)
	}
	if err := c.SetWebhook(ctx, "https://127.0.0.1:1/callback/telegram", "s3cret"); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUpdates(ctx, 0, 100, 0)
	if !tgmembers.IsConflict(err) || !strings.Contains(err.Error(), "webhook is active") {
		t.Fatalf("getUpdates with a webhook: %v", err)
	}
	info, err := c.GetWebhookInfo(ctx)
	if err != nil || info.URL != "https://127.0.0.1:1/callback/telegram" || info.MaxConnections != 1 {
		t.Fatalf("%+v %v", info, err)
	}
	if err := c.DeleteWebhook(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUpdates(ctx, 0, 100, 0); err != nil {
		t.Fatal(err)
	}
	me, err := c.GetMe(ctx)
	if err != nil || me.ID != tgfake.BotID || me.CanReadAllGroupMessages {
		t.Fatalf("%+v %v", me, err)
	}
}
