package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/wecom"
	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

const (
	corp   = "ww1234567890abcdef"
	secret = "cc-secret-Kq8x2P9vL0mN3bR7tY6u"
)

// clock is a test clock shared by the fake and the client: the client's
// waits move it forward.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	slept  []time.Duration
	sleeps int
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func newFake(t *testing.T, clk *clock) (*wecomfake.Server, *wecom.Client) {
	t.Helper()
	f := wecomfake.New(corp, secret)
	t.Cleanup(f.Close)
	f.SetClock(clk.Now)
	c := wecom.NewClient(f.URL, corp, secret)
	c.Now, c.Sleep = clk.Now, clk.Sleep
	return f, c
}

func TestListChatsPagesByCursor(t *testing.T) {
	clk := newClock()
	f, c := newFake(t, clk)
	for i := range 7 {
		owner := "zhangsan"
		if i%2 == 1 {
			owner = "lisi"
		}
		f.AddChat(fmt.Sprintf("wr%02d", i), fmt.Sprintf("群 %d", i), owner)
	}
	ctx := context.Background()
	var got []string
	cursor, pages := "", 0
	for {
		p, err := c.ListChats(ctx, wecom.ListFilter{Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ch := range p.Chats {
			got = append(got, ch.ChatID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if pages != 3 || strings.Join(got, ",") != "wr00,wr01,wr02,wr03,wr04,wr05,wr06" {
		t.Fatalf("%d pages: %v", pages, got)
	}
	p, err := c.ListChats(ctx, wecom.ListFilter{Owners: []string{"lisi"}})
	if err != nil || len(p.Chats) != 3 || p.NextCursor != "" {
		t.Fatalf("owner filter: %+v %v", p, err)
	}
	if _, err := c.ListChats(ctx, wecom.ListFilter{Limit: 1001}); !errors.Is(err, msg.New("wecom.bad_limit")) {
		t.Fatalf("limit 1001: %v", err)
	}
	if f.Calls("gettoken") != 1 {
		t.Fatalf("the token was not cached: %d gettoken calls", f.Calls("gettoken"))
	}
}

func TestChatMembers(t *testing.T) {
	clk := newClock()
	f, c := newFake(t, clk)
	f.AddChat("wrA", "福利群", "zhangsan")
	joined := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.AddMember("wrA", wecomfake.Member{UserID: "zhangsan", Type: 1, JoinTime: joined, JoinScene: 1, Name: "张三"})
	f.AddMember("wrA", wecomfake.Member{UserID: "wmEXT1", Type: 2, UnionID: "ozUNION1", JoinTime: joined, JoinScene: 3,
		Invitor: "zhangsan", GroupNickname: "小王", Name: "王五", State: "qr-summer"})
	ch, err := c.Chat(context.Background(), "wrA")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "福利群" || ch.Owner != "zhangsan" || len(ch.Members) != 2 || ch.MemberVersion != f.Version("wrA") {
		t.Fatalf("chat: %+v", ch)
	}
	m := ch.Members[1]
	want := wecom.Member{UserID: "wmEXT1", Type: wecom.MemberExternal, UnionID: "ozUNION1", JoinTime: joined,
		JoinScene: wecom.SceneQR, Invitor: "zhangsan", GroupNickname: "小王", Name: "王五", State: "qr-summer"}
	if m != want {
		t.Fatalf("member:\n got %+v\nwant %+v", m, want)
	}
	_, err = c.Chat(context.Background(), "wrNONE")
	var ae *wecom.APIError
	if !errors.As(err, &ae) || ae.Code != wecom.ErrNoChat || !errors.Is(err, msg.New("wecom.no_chat")) {
		t.Fatalf("unknown chat: %v", err)
	}
}

// An expired (42001) or revoked (40014) token is renewed once and the call
// made again; a token that is refused after renewal is an error.
func TestTokenRenewal(t *testing.T) {
	clk := newClock()
	f, c := newFake(t, clk)
	f.AddChat("wrA", "A", "u")
	ctx := context.Background()
	if _, err := c.Chat(ctx, "wrA"); err != nil {
		t.Fatal(err)
	}
	f.ExpireTokens()
	if _, err := c.Chat(ctx, "wrA"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	f.RevokeTokens()
	if _, err := c.ListChats(ctx, wecom.ListFilter{}); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := f.Calls("gettoken"); n != 3 {
		t.Fatalf("gettoken calls %d, want 3", n)
	}
	// The client renews ahead of WeCom's two hours by itself.
	clk.Add(wecomfake.TokenLife - time.Minute)
	if _, err := c.Chat(ctx, "wrA"); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls("gettoken"); n != 4 {
		t.Fatalf("gettoken calls %d, want 4 (renewed before expiry)", n)
	}
	f.InjectFault(wecomfake.Fault{Path: "externalcontact/groupchat/get", ErrCode: wecom.ErrTokenExpired, Times: 2})
	_, err := c.Chat(ctx, "wrA")
	if !errors.Is(err, msg.New("wecom.token_rejected")) {
		t.Fatalf("refused twice: %v", err)
	}
}

func TestCredentialsErrors(t *testing.T) {
	clk := newClock()
	f, _ := newFake(t, clk)
	ctx := context.Background()
	wrong := wecom.NewClient(f.URL, corp, "not-the-secret-0000")
	_, err := wrong.ListChats(ctx, wecom.ListFilter{})
	if !errors.Is(err, msg.New("wecom.bad_secret")) {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "not-the-secret-0000") {
		t.Fatalf("the secret is in the error: %v", err)
	}
	if got := msg.In(i18n.ZH, err); !strings.Contains(got, "QUNKE_WECOM_SECRET") {
		t.Fatalf("the error does not say what to fix: %s", got)
	}
	badCorp := wecom.NewClient(f.URL, "wwNOPE", secret)
	if _, err := badCorp.ListChats(ctx, wecom.ListFilter{}); !errors.Is(err, msg.New("wecom.bad_corp")) {
		t.Fatalf("wrong corp: %v", err)
	}
	none := wecom.NewClient(f.URL, corp, "")
	if _, err := none.ListChats(ctx, wecom.ListFilter{}); !errors.Is(err, wecom.ErrNoCredentials) {
		t.Fatalf("no secret: %v", err)
	}
	if f.Calls("externalcontact/groupchat/list") != 0 {
		t.Fatal("a call went out without a token")
	}
}

// 45009 and 45033 are waited out, doubling the wait, up to RateRetries.
func TestRateLimitBackoff(t *testing.T) {
	clk := newClock()
	f, c := newFake(t, clk)
	f.AddChat("wrA", "A", "u")
	f.SetLimit(channel.Rate{N: 2, Per: 5 * time.Second})
	c.Backoff = time.Second
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.Chat(ctx, "wrA"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// The third call found the window full and waited 1 s, 2 s, 4 s: the
	// window of 5 s had passed by then.
	if fmt.Sprint(clk.slept) != "[1s 2s 4s]" {
		t.Fatalf("waits %v", clk.slept)
	}
	f.InjectFault(wecomfake.Fault{Path: "externalcontact/groupchat/get", ErrCode: wecom.ErrConcurrency, Times: 10})
	c.RateRetries = 2
	_, err := c.Chat(ctx, "wrA")
	if !errors.Is(err, msg.New("wecom.rate_limited")) {
		t.Fatalf("after retries: %v", err)
	}
	if n := f.Calls("externalcontact/groupchat/get"); n != 3+3+3 {
		t.Fatalf("%d calls: want 3 tries of the limited call", n)
	}
}

// Answers that are not WeCom's, or too large, are errors naming the call;
// the access token never appears in an error.
func TestBadAnswers(t *testing.T) {
	var token string
	big := strings.Repeat("x", 9<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			token = "tok-SECRET-abcdef"
			fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","access_token":%q,"expires_in":7200}`, token)
		case "/cgi-bin/externalcontact/groupchat/list":
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html>502 "+r.URL.RawQuery+"</html>")
		case "/cgi-bin/externalcontact/groupchat/get":
			fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","group_chat":{"chat_id":"`+big+`"}}`)
		}
	}))
	defer srv.Close()
	c := wecom.NewClient(srv.URL, corp, secret)
	ctx := context.Background()
	_, err := c.ListChats(ctx, wecom.ListFilter{})
	if !errors.Is(err, msg.New("wecom.http_status")) || strings.Contains(err.Error(), token) {
		t.Fatalf("502: %v", err)
	}
	_, err = c.Chat(ctx, "wrA")
	if !errors.Is(err, msg.New("wecom.too_large")) {
		t.Fatalf("9 MB: %v", err)
	}
	dead := wecom.NewClient("http://127.0.0.1:1", corp, secret)
	_, err = dead.ListChats(ctx, wecom.ListFilter{})
	if !errors.Is(err, msg.New("wecom.transport")) || strings.Contains(err.Error(), secret) {
		t.Fatalf("unreachable: %v", err)
	}
}

// A page that is not WeCom's (a proxy's 502) is an error naming the status.
func TestProxyErrorPage(t *testing.T) {
	f, c := newFake(t, newClock())
	f.AddChat("wrA", "A", "u")
	f.InjectFault(wecomfake.Fault{Path: "externalcontact/groupchat/get", Status: http.StatusBadGateway, Times: 10})
	_, err := c.Chat(context.Background(), "wrA")
	if !errors.Is(err, msg.New("wecom.http_status")) || !strings.Contains(msg.In(i18n.EN, err), "502") {
		t.Fatalf("proxy page: %v", err)
	}
}
