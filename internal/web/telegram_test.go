package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers"
)

// The groups page says which Telegram groups' bot is not an admin, and /callback/telegram takes
// Telegram's deliveries by their secret, not by a session.
func TestTelegramBotStandingAndCallback(t *testing.T) {
	db := storetest.SQLite(t)
	deps := NewDeps(db, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	for _, g := range []*community.Group{
		{Name: "管理员群", Channel: community.Telegram, Target: "-1001", Active: true},
		{Name: "普通成员群", Channel: community.Telegram, Target: "-1002", Active: true},
	} {
		if err := deps.Groups.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	a := &tgmembers.Applier{DB: db, Registry: deps.Groups, Groups: deps.Groups, BotID: "7000001"}
	self := `{"id":7000001,"is_bot":true,"first_name":"Qunke"}`
	var ups []tgmembers.Update
	for i, c := range []struct{ chat, status string }{{"-1001", "administrator"}, {"-1002", "member"}} {
		js := fmt.Sprintf(`{"update_id":%d,"my_chat_member":{"chat":{"id":%s,"type":"supergroup","title":"g"},"from":{"id":9,"is_bot":false,"first_name":"o"},"date":%d,"old_chat_member":{"status":"left","user":%s},"new_chat_member":{"status":%q,"user":%s}}}`,
			i+1, c.chat, time.Now().Unix(), self, c.status, self)
		var u tgmembers.Update
		if err := json.Unmarshal([]byte(js), &u); err != nil {
			t.Fatal(err)
		}
		ups = append(ups, u)
	}
	if _, err := a.Apply(ctx, ups); err != nil {
		t.Fatal(err)
	}
	deps.TelegramBot = tgmembers.Standing{DB: db}
	deps.TelegramWebhook = &tgmembers.Webhook{Applier: a, Secret: "right"}
	s := NewServer(deps)
	srv := httptest.NewTLSServer(s)
	defer srv.Close()
	c := newClient(t, srv)
	signIn(t, s, c, "boss", auth.Admin)
	_, body := c.do("GET", "/groups", nil)
	row := func(name string) string {
		i := strings.Index(body, name)
		if i < 0 {
			t.Fatalf("no %s on the page", name)
		}
		end := strings.Index(body[i:], "</tr>")
		return body[i : i+end]
	}
	if !strings.Contains(row("普通成员群"), "机器人不是管理员") || strings.Contains(row("管理员群"), "机器人不是管理员") {
		t.Fatalf("badges:\n%s\n%s", row("普通成员群"), row("管理员群"))
	}

	for secret, want := range map[string]int{"wrong": http.StatusForbidden, "right": http.StatusOK} {
		req, _ := http.NewRequest("POST", srv.URL+"/callback/telegram", strings.NewReader(`{"update_id":10,"message":{"message_id":1,"date":1,"chat":{"id":-1001,"type":"supergroup"}}}`))
		req.Header.Set(tgmembers.SecretHeader, secret)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("secret %q: %d, want %d", secret, resp.StatusCode, want)
		}
	}
	// Without a webhook configured there is no such route.
	plain := httptest.NewTLSServer(New(storetest.SQLite(t), slog.New(slog.DiscardHandler)))
	defer plain.Close()
	resp, err := plain.Client().Post(plain.URL+"/callback/telegram", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("no webhook configured: %d", resp.StatusCode)
	}
}
