package telegram_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	"github.com/qunke/qunke/internal/publish/channel/telegram/fake"
)

const chat = "-1001234567890"

func poster(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func setup(t *testing.T) (*fake.Server, *telegram.Sender) {
	t.Helper()
	tg := fake.New()
	t.Cleanup(tg.Close)
	tg.AddChat(chat)
	s := telegram.New(tg.Token)
	s.BaseURL = tg.URL
	s.Client = &http.Client{Timeout: 2 * time.Second}
	return tg, s
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// lines builds a copy of n lines of deal text.
func lines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%d. 好物推荐 <限时> 券后价 ¥%d.9 & 包邮 😀\n", i, i)
	}
	return b.String()
}

func squash(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }

func TestSendHappy(t *testing.T) {
	png := poster(t)
	for _, tc := range []struct {
		name    string
		m       channel.Message
		methods []string
	}{
		{"photo with caption", channel.Message{Key: "d-1", Text: "今日好价\n券后 ¥9.9", Poster: png}, []string{"sendPhoto"}},
		{"photo without text", channel.Message{Key: "d-2", Poster: png}, []string{"sendPhoto"}},
		{"text only", channel.Message{Key: "d-3", Text: "hello"}, []string{"sendMessage"}},
		{"HTML specials survive", channel.Message{Text: "A&B <b>not bold</b> 1>0 &amp; &#39;", Poster: png}, []string{"sendPhoto"}},
		{"long copy split", channel.Message{Text: lines(300), Poster: png}, []string{"sendPhoto", "sendMessage", "sendMessage", "sendMessage"}},
		{"caption exactly 1024", channel.Message{Text: strings.Repeat("a", 1022) + "😀", Poster: png}, []string{"sendPhoto"}},
		{"caption 1025 with surrogate pair at the boundary", channel.Message{Text: strings.Repeat("a", 1023) + "😀", Poster: png}, []string{"sendPhoto", "sendMessage"}},
		{"entity at the caption boundary", channel.Message{Text: strings.Repeat("a", 1023) + "&<>tail", Poster: png}, []string{"sendPhoto", "sendMessage"}},
		{"one line longer than a message", channel.Message{Text: strings.Repeat("长", 5000)}, []string{"sendMessage", "sendMessage"}},
		{"text exactly 4096", channel.Message{Text: strings.Repeat("x", 4096)}, []string{"sendMessage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, s := setup(t)
			if n := s.Parts(tc.m); n != len(tc.methods) {
				t.Fatalf("Parts = %d, want %d", n, len(tc.methods))
			}
			rc, err := s.Send(context.Background(), chat, tc.m)
			if err != nil {
				t.Fatal(err)
			}
			got := tg.Messages(chat)
			if len(got) != len(tc.methods) || len(rc.IDs) != len(tc.methods) {
				t.Fatalf("%d messages, %d ids, want %d", len(got), len(rc.IDs), len(tc.methods))
			}
			var text strings.Builder
			for i, m := range got {
				if m.Method != tc.methods[i] {
					t.Errorf("message %d: %s, want %s", i, m.Method, tc.methods[i])
				}
				if rc.IDs[i] != fmt.Sprint(m.MessageID) {
					t.Errorf("id %d: %s, fake says %d", i, rc.IDs[i], m.MessageID)
				}
				text.WriteString(m.Text)
			}
			if got[0].Method == "sendPhoto" && got[0].PhotoMD5 != md5hex(png) {
				t.Error("photo bytes changed")
			}
			if squash(text.String()) != squash(tc.m.Text) {
				t.Errorf("members read %q, want %q", text.String(), tc.m.Text)
			}
		})
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestSendErrors(t *testing.T) {
	png := poster(t)
	msg := channel.Message{Key: "d-9", Text: "好价", Poster: png}
	for _, tc := range []struct {
		name    string
		prepare func(tg *fake.Server, s *telegram.Sender) (target string)
		want    channel.Outcome
		after   time.Duration // for RetryLater
		contain string
		check   func(t *testing.T, err error, tg *fake.Server)
	}{
		{name: "chat not found", want: channel.Rejected, contain: "chat not found",
			prepare: func(*fake.Server, *telegram.Sender) string { return "-100999" }},
		{name: "bot kicked", want: channel.Rejected, contain: "kicked",
			prepare: func(tg *fake.Server, _ *telegram.Sender) string { tg.Kick(chat); return chat }},
		{name: "wrong token", want: channel.Rejected, contain: "Unauthorized",
			prepare: func(_ *fake.Server, s *telegram.Sender) string { s.Token = "999:WRONGTOKEN"; return chat }},
		{name: "group upgraded to supergroup", want: channel.Rejected, contain: "-1009876",
			prepare: func(tg *fake.Server, _ *telegram.Sender) string { tg.Migrate(chat, -1009876); return chat },
			check: func(t *testing.T, err error, _ *fake.Server) {
				var ae *telegram.APIError
				if !errors.As(err, &ae) || ae.MigrateToChatID != -1009876 {
					t.Errorf("APIError not found: %v", err)
				}
			}},
		{name: "injected 429", want: channel.RetryLater, after: 7 * time.Second,
			prepare: func(tg *fake.Server, _ *telegram.Sender) string {
				tg.InjectFault(fake.Fault{ErrorCode: 429, Description: "Too Many Requests: retry after 7", RetryAfter: 7})
				return chat
			}},
		{name: "bad request", want: channel.Rejected, contain: "can't parse entities",
			prepare: func(tg *fake.Server, _ *telegram.Sender) string {
				tg.InjectFault(fake.Fault{ErrorCode: 400, Description: "Bad Request: can't parse entities: x"})
				return chat
			}},
		{name: "API 500", want: channel.Unknown,
			prepare: func(tg *fake.Server, _ *telegram.Sender) string {
				tg.InjectFault(fake.Fault{ErrorCode: 500, Description: "Internal Server Error"})
				return chat
			}},
		{name: "proxy 502 page", want: channel.Unknown,
			prepare: func(tg *fake.Server, _ *telegram.Sender) string {
				tg.InjectFault(fake.Fault{Status: 502})
				return chat
			}},
		{name: "connection dropped", want: channel.Unknown,
			prepare: func(tg *fake.Server, _ *telegram.Sender) string {
				tg.InjectFault(fake.Fault{Drop: true})
				return chat
			}},
		{name: "timeout", want: channel.Unknown,
			prepare: func(tg *fake.Server, s *telegram.Sender) string {
				s.Client.Timeout = 100 * time.Millisecond
				tg.InjectFault(fake.Fault{Delay: time.Second})
				return chat
			}},
		{name: "timeout after the message arrived", want: channel.Unknown,
			prepare: func(tg *fake.Server, s *telegram.Sender) string {
				s.Client.Timeout = 500 * time.Millisecond
				tg.InjectFault(fake.Fault{Delay: 5 * time.Second, AfterAccept: true})
				return chat
			},
			check: func(t *testing.T, _ error, tg *fake.Server) {
				if n := len(tg.Messages(chat)); n != 1 {
					t.Errorf("fake recorded %d messages, want 1 (delivered, answer lost)", n)
				}
			}},
		{name: "server unreachable", want: channel.RetryLater, after: channel.NotSentDelay,
			prepare: func(tg *fake.Server, _ *telegram.Sender) string { tg.Close(); return chat }},
		{name: "empty post", want: channel.Rejected, contain: "empty",
			prepare: func(*fake.Server, *telegram.Sender) string { return chat }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, s := setup(t)
			target := tc.prepare(tg, s)
			m := msg
			if tc.name == "empty post" {
				m = channel.Message{}
			}
			_, err := s.Send(context.Background(), target, m)
			if got := channel.Classify(err); got != tc.want {
				t.Fatalf("outcome %v (%v), want %v", got, err, tc.want)
			}
			if strings.Contains(err.Error(), tg.Token) || strings.Contains(err.Error(), s.Token) {
				t.Fatalf("token in error: %v", err)
			}
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), s.Token) {
					t.Fatalf("token in wrapped error: %v", e)
				}
			}
			if tc.contain != "" && !strings.Contains(err.Error(), tc.contain) {
				t.Errorf("error %q does not mention %q", err, tc.contain)
			}
			var ra *channel.RetryAfter
			if tc.after != 0 && (!errors.As(err, &ra) || ra.After != tc.after) {
				t.Errorf("want RetryAfter %v, got %v", tc.after, err)
			}
			var p *channel.Partial
			if errors.As(err, &p) {
				t.Errorf("single-part failure reported as Partial: %v", err)
			}
			if tc.check != nil {
				tc.check(t, err, tg)
			}
		})
	}
}

func TestRateLimit429(t *testing.T) {
	tg, s := setup(t)
	c := &clock{now: time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)}
	tg.SetClock(c.Now)
	m := channel.Message{Text: "好价"}
	for i := range 20 {
		if _, err := s.Send(context.Background(), chat, m); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		c.Add(2 * time.Second) // 20 sends over 40 s
	}
	// At 40 s, the first send leaves the window at 60 s: retry after 20 s.
	_, err := s.Send(context.Background(), chat, m)
	var ra *channel.RetryAfter
	if !errors.As(err, &ra) || ra.After != 20*time.Second {
		t.Fatalf("want RetryAfter 20s, got %v", err)
	}
	var ae *telegram.APIError
	if !errors.As(err, &ae) || ae.Code != 429 || ae.Description != "Too Many Requests: retry after 20" {
		t.Fatalf("APIError: %+v", ae)
	}
	c.Add(ra.After)
	if _, err := s.Send(context.Background(), chat, m); err != nil {
		t.Fatalf("after waiting: %v", err)
	}
	// The sender's documented limits and a Limiter built from them keep a worker under the fake's limits.
	lim := channel.NewLimiter(s.Limits().PerTarget)
	other := "-100777"
	tg.AddChat(other)
	sent := 0
	for range 100 {
		if ok, _ := lim.TryTake(other, channel.PartsLeft(s, m), c.Now()); ok {
			if _, err := s.Send(context.Background(), other, m); err != nil {
				t.Fatalf("limiter let through a send the platform refused: %v", err)
			}
			sent++
		}
		c.Add(time.Second)
	}
	if sent != 40 { // 100 s: 20 in the first minute, 20 from 60 s on
		t.Fatalf("sent %d in 100 s, want 40", sent)
	}
}

func TestPartialResume(t *testing.T) {
	tg, s := setup(t)
	m := channel.Message{Key: "d-5", Text: lines(200), Poster: poster(t)}
	parts := s.Parts(m)
	if parts != 3 {
		t.Fatalf("test premise: %d parts, want 3", parts)
	}
	// Part 2 (the first text message) is rate limited.
	tg.InjectFault(fake.Fault{Method: "sendMessage", ErrorCode: 429, Description: "Too Many Requests: retry after 3", RetryAfter: 3})
	rc, err := s.Send(context.Background(), chat, m)
	var p *channel.Partial
	if !errors.As(err, &p) || p.Sent != 1 || len(p.IDs) != 1 || len(rc.IDs) != 1 {
		t.Fatalf("want Partial{Sent:1}, got %v (receipt %v)", err, rc)
	}
	var ra *channel.RetryAfter
	if !errors.As(err, &ra) || ra.After != 3*time.Second || channel.Classify(err) != channel.RetryLater {
		t.Fatalf("want RetryAfter 3s inside the Partial, got %v", err)
	}
	// Resume from part 2; part 3 now fails with an unknown outcome (a proxy's 502).
	m.SkipParts = p.Sent
	if channel.PartsLeft(s, m) != 2 {
		t.Fatalf("PartsLeft = %d", channel.PartsLeft(s, m))
	}
	tg.InjectFault(fake.Fault{Method: "sendMessage"}) // no effect: lets part 2 through
	tg.InjectFault(fake.Fault{Method: "sendMessage", Status: 502})
	rc, err = s.Send(context.Background(), chat, m)
	if !errors.As(err, &p) || p.Sent != 2 || len(p.IDs) != 1 || channel.Classify(err) != channel.Unknown {
		t.Fatalf("want Partial{Sent:2} with an unknown outcome, got %v", err)
	}
	// A resumed attempt that fails at once still reports its resume point.
	m.SkipParts = p.Sent
	tg.InjectFault(fake.Fault{Status: 503})
	_, err = s.Send(context.Background(), chat, m)
	if !errors.As(err, &p) || p.Sent != 2 || len(p.IDs) != 0 {
		t.Fatalf("want Partial{Sent:2}, got %v", err)
	}
	rc, err = s.Send(context.Background(), chat, m)
	if err != nil || len(rc.IDs) != 1 {
		t.Fatalf("final resume: %v %v", rc, err)
	}
	got := tg.Messages(chat)
	if len(got) != 3 || got[0].Method != "sendPhoto" || got[1].Method != "sendMessage" || got[2].Method != "sendMessage" {
		t.Fatalf("messages: %+v", got)
	}
	var all strings.Builder
	for _, g := range got {
		all.WriteString(g.Text)
	}
	if squash(all.String()) != squash(m.Text) {
		t.Fatal("copy changed or duplicated across resumes")
	}
	// Nothing left to send.
	m.SkipParts = 3
	if rc, err := s.Send(context.Background(), chat, m); err != nil || len(rc.IDs) != 0 {
		t.Fatalf("SkipParts past the end: %v %v", rc, err)
	}
}

func TestCanceledContextNotSent(t *testing.T) {
	tg, s := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Send(ctx, chat, channel.Message{Text: "x"})
	if channel.Classify(err) != channel.RetryLater || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if n := len(tg.Requests()); n != 0 {
		t.Fatalf("%d requests made", n)
	}
}

func TestConcurrentSends(t *testing.T) {
	tg, s := setup(t)
	tg.SetLimits(nil, channel.Rate{})
	chats := []string{"-1", "-2", "-3", "-4"}
	for _, c := range chats {
		tg.AddChat(c)
	}
	png := poster(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := chats[i%len(chats)]
			if _, err := s.Send(context.Background(), c, channel.Message{Text: fmt.Sprint("post ", i), Poster: png}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, c := range chats {
		ms := tg.Messages(c)
		if len(ms) != 10 {
			t.Fatalf("chat %s: %d messages", c, len(ms))
		}
		for i, m := range ms {
			if m.MessageID != int64(i+1) {
				t.Fatalf("chat %s: ids not sequential", c)
			}
		}
	}
	if len(tg.Requests()) != 40 {
		t.Fatalf("%d requests", len(tg.Requests()))
	}
}

func TestPlanEscapes(t *testing.T) {
	parts := telegram.Plan(channel.Message{Text: "a<b>&c", Poster: []byte("x")})
	if len(parts) != 1 || !parts[0].Photo || parts[0].Text != "a<b>&c" {
		t.Fatalf("plan: %+v", parts)
	}
	if got := telegram.EscapeHTML(parts[0].Text); got != "a&lt;b&gt;&amp;c" {
		t.Fatalf("escaped %q", got)
	}
}
