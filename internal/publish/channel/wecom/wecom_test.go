package wecom_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	"github.com/qunke/qunke/internal/publish/channel/wecom/fake"
)

func poster(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func setup(t *testing.T) (*fake.Server, *wecom.Sender, string) {
	t.Helper()
	wc := fake.New()
	t.Cleanup(wc.Close)
	s := wecom.New()
	s.BaseURL = wc.URL
	s.Client = &http.Client{Timeout: 2 * time.Second}
	return wc, s, wc.AddRobot()
}

func squash(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }

func copyOf(lines int) string {
	var b strings.Builder
	for i := range lines {
		fmt.Fprintf(&b, "%d. 【好价】某品牌保温杯 券后¥%d.9 复制￥AbCd%d￥打开淘宝\n", i, i, i)
	}
	return b.String()
}

func TestSendHappy(t *testing.T) {
	png := poster(t)
	sum := md5.Sum(png)
	for _, tc := range []struct {
		name  string
		m     channel.Message
		url   bool // target as the full webhook URL
		types []string
	}{
		{"poster and copy", channel.Message{Text: "今日好价\n券后 ¥9.9", Poster: png}, false, []string{"image", "text"}},
		{"poster only", channel.Message{Poster: png}, false, []string{"image"}},
		{"copy only, URL target", channel.Message{Text: "hello"}, true, []string{"text"}},
		{"long copy split", channel.Message{Text: copyOf(80), Poster: png}, false, []string{"image", "text", "text", "text", "text"}},
		{"exactly 2048 bytes", channel.Message{Text: strings.Repeat("ab", 1024)}, false, []string{"text"}},
		{"one Chinese line over 2048 bytes", channel.Message{Text: strings.Repeat("货", 1000)}, false, []string{"text", "text"}},
		{"emoji at the byte boundary", channel.Message{Text: strings.Repeat("a", 2046) + "😀b"}, false, []string{"text", "text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wc, s, key := setup(t)
			target := key
			if tc.url {
				target = wc.WebhookURL(key)
			}
			if s.Parts(tc.m) != len(tc.types) {
				t.Fatalf("Parts = %d, want %d", s.Parts(tc.m), len(tc.types))
			}
			rc, err := s.Send(context.Background(), target, tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if len(rc.IDs) != 0 {
				t.Errorf("robots return no ids, got %v", rc.IDs)
			}
			got := wc.Messages(key)
			if len(got) != len(tc.types) {
				t.Fatalf("%d messages, want %d", len(got), len(tc.types))
			}
			var text strings.Builder
			for i, m := range got {
				if m.Type != tc.types[i] {
					t.Errorf("message %d: %s, want %s", i, m.Type, tc.types[i])
				}
				if m.Type == "image" && m.ImageMD5 != hex.EncodeToString(sum[:]) {
					t.Error("image changed")
				}
				if len(m.Content) > wecom.TextLimit || !utf8.ValidString(m.Content) {
					t.Errorf("message %d: %d bytes, valid UTF-8 %v", i, len(m.Content), utf8.ValidString(m.Content))
				}
				text.WriteString(m.Content)
			}
			if squash(text.String()) != squash(tc.m.Text) {
				t.Errorf("group read %q, want %q", text.String(), tc.m.Text)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	png := poster(t)
	msg := channel.Message{Text: "好价", Poster: png}
	for _, tc := range []struct {
		name     string
		prepare  func(wc *fake.Server, s *wecom.Sender, key string) (target string, m channel.Message)
		want     channel.Outcome
		after    time.Duration
		contain  string
		requests int // requests the fake saw; -1 = don't check
	}{
		{name: "unknown key", want: channel.Rejected, contain: "93000", requests: 1,
			prepare: func(*fake.Server, *wecom.Sender, string) (string, channel.Message) {
				return "11111111-2222-3333-4444-555555555555", msg
			}},
		{name: "robot removed", want: channel.Rejected, contain: "robot was removed", requests: 1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.RemoveRobot(key)
				return key, msg
			}},
		{name: "no key", want: channel.Rejected, requests: 0,
			prepare: func(*fake.Server, *wecom.Sender, string) (string, channel.Message) { return " ", msg }},
		{name: "45009 frequency limit", want: channel.RetryLater, after: time.Minute, requests: 1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.InjectFault(fake.Fault{ErrCode: 45009, ErrMsg: "api freq out of limit"})
				return key, msg
			}},
		{name: "45009 with a configured delay", want: channel.RetryLater, after: 30 * time.Second, requests: 1,
			prepare: func(wc *fake.Server, s *wecom.Sender, key string) (string, channel.Message) {
				s.FreqRetry = 30 * time.Second
				wc.InjectFault(fake.Fault{ErrCode: 45009})
				return key, msg
			}},
		{name: "system busy", want: channel.Unknown, requests: 1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.InjectFault(fake.Fault{ErrCode: -1, ErrMsg: "system busy"})
				return key, msg
			}},
		{name: "content rejected", want: channel.Rejected, contain: "40058", requests: 1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.InjectFault(fake.Fault{ErrCode: 40058})
				return key, msg
			}},
		{name: "gateway 504", want: channel.Unknown, requests: 1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.InjectFault(fake.Fault{Status: 504})
				return key, msg
			}},
		{name: "connection dropped", want: channel.Unknown, requests: 1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.InjectFault(fake.Fault{Drop: true})
				return key, msg
			}},
		{name: "timeout", want: channel.Unknown, requests: -1, // recorded once the handler notices the client left
			prepare: func(wc *fake.Server, s *wecom.Sender, key string) (string, channel.Message) {
				s.Client.Timeout = 100 * time.Millisecond
				wc.InjectFault(fake.Fault{Delay: time.Second})
				return wc.WebhookURL(key), msg
			}},
		{name: "unreachable", want: channel.RetryLater, after: channel.NotSentDelay, requests: -1,
			prepare: func(wc *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				wc.Close()
				return wc.WebhookURL(key), msg
			}},
		{name: "poster over 2 MB", want: channel.Rejected, contain: "2 MB", requests: 0,
			prepare: func(_ *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				big := append(poster(t), make([]byte, 2<<20)...)
				return key, channel.Message{Poster: big}
			}},
		{name: "GIF poster", want: channel.Rejected, contain: "PNG or JPEG", requests: 0,
			prepare: func(_ *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				return key, channel.Message{Poster: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}
			}},
		{name: "empty post", want: channel.Rejected, requests: 0,
			prepare: func(_ *fake.Server, _ *wecom.Sender, key string) (string, channel.Message) {
				return key, channel.Message{Text: "\n \n"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wc, s, key := setup(t)
			target, m := tc.prepare(wc, s, key)
			_, err := s.Send(context.Background(), target, m)
			if got := channel.Classify(err); got != tc.want {
				t.Fatalf("outcome %v (%v), want %v", got, err, tc.want)
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), key) || strings.Contains(e.Error(), target) && len(target) > 8 {
					t.Fatalf("robot key in error: %v", e)
				}
			}
			if tc.contain != "" && !strings.Contains(err.Error(), tc.contain) {
				t.Errorf("error %q does not mention %q", err, tc.contain)
			}
			var ra *channel.RetryAfter
			if tc.after != 0 && (!errors.As(err, &ra) || ra.After != tc.after) {
				t.Errorf("want RetryAfter %v, got %v", tc.after, err)
			}
			if tc.requests >= 0 && len(wc.Requests()) != tc.requests {
				t.Errorf("%d requests, want %d", len(wc.Requests()), tc.requests)
			}
			var p *channel.Partial
			if errors.As(err, &p) {
				t.Errorf("first-part failure reported as Partial: %v", err)
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

func TestFrequencyLimitAndPartial(t *testing.T) {
	wc, s, key := setup(t)
	c := &clock{now: time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)}
	wc.SetClock(c.Now)
	m := channel.Message{Key: "d-1", Text: "好价", Poster: poster(t)}
	for i := range 9 { // 18 messages
		if _, err := s.Send(context.Background(), key, m); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	// 19th message (image) goes, 20th too; then a third post: its image hits the limit.
	if _, err := s.Send(context.Background(), key, m); err != nil {
		t.Fatal(err)
	}
	_, err := s.Send(context.Background(), key, m)
	var ae *wecom.APIError
	if channel.Classify(err) != channel.RetryLater || !errors.As(err, &ae) || ae.Code != 45009 {
		t.Fatalf("want 45009 RetryAfter, got %v", err)
	}
	// Image goes, text is limited: a Partial.
	c.Add(59 * time.Second) // nothing has left the window yet
	wc.SetLimit(channel.Rate{N: 1, Per: time.Minute})
	_, err = s.Send(context.Background(), key, m)
	var p *channel.Partial
	if !errors.As(err, &p) || p.Sent != 1 || channel.Classify(err) != channel.RetryLater {
		t.Fatalf("want Partial{Sent:1} RetryAfter, got %v", err)
	}
	before := len(wc.Messages(key))
	c.Add(time.Minute)
	m.SkipParts = p.Sent
	if _, err := s.Send(context.Background(), key, m); err != nil {
		t.Fatal(err)
	}
	got := wc.Messages(key)
	if len(got) != before+1 || got[len(got)-1].Type != "text" || got[len(got)-2].Type != "image" {
		t.Fatalf("resume resent the image or lost the text: %d -> %d", before, len(got))
	}
}

func TestWorkerLimiterAvoids45009(t *testing.T) {
	wc, s, key := setup(t)
	c := &clock{now: time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)}
	wc.SetClock(c.Now)
	lim := channel.NewLimiter(s.Limits().PerTarget)
	m := channel.Message{Text: copyOf(50), Poster: poster(t)} // image + 2 texts
	if channel.PartsLeft(s, m) != 3 {
		t.Fatalf("PartsLeft %d", channel.PartsLeft(s, m))
	}
	posts := 0
	for range 180 {
		if ok, _ := lim.TryTake(key, channel.PartsLeft(s, m), c.Now()); ok {
			if _, err := s.Send(context.Background(), key, m); err != nil {
				t.Fatalf("post %d refused: %v", posts, err)
			}
			posts++
		}
		c.Add(time.Second)
	}
	if posts != 18 { // 6 posts (18 messages) per minute over 3 minutes
		t.Fatalf("%d posts in 3 minutes, want 18", posts)
	}
}

func TestFakeValidation(t *testing.T) {
	wc := fake.New()
	defer wc.Close()
	key := wc.AddRobot()
	img := poster(t)
	sum := md5.Sum(img)
	good := hex.EncodeToString(sum[:])
	b64 := func(b []byte) string { return encodeB64(b) }
	for _, tc := range []struct {
		name string
		body string
		code int
	}{
		{"text ok", `{"msgtype":"text","text":{"content":"hi"}}`, 0},
		{"image ok", `{"msgtype":"image","image":{"base64":"` + b64(img) + `","md5":"` + good + `"}}`, 0},
		{"md5 mismatch", `{"msgtype":"image","image":{"base64":"` + b64(img) + `","md5":"00000000000000000000000000000000"}}`, 301019},
		{"bad base64", `{"msgtype":"image","image":{"base64":"@@@","md5":"` + good + `"}}`, 40058},
		{"gif", `{"msgtype":"image","image":{"base64":"R0lGODlhAQABAAAAADs=","md5":"` + md5hex("GIF89a\x01\x00\x01\x00\x00\x00\x00;") + `"}}`, 40005},
		{"text 2049 bytes", `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", 2049) + `"}}`, 40058},
		{"empty text", `{"msgtype":"text","text":{"content":""}}`, 44004},
		{"bad JSON", `{"msgtype":`, 40058},
		{"unknown type", `{"msgtype":"video"}`, 40008},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(wc.WebhookURL(key), "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a struct {
				ErrCode int    `json:"errcode"`
				ErrMsg  string `json:"errmsg"`
			}
			if err := decodeJSON(resp, &a); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || a.ErrCode != tc.code {
				t.Fatalf("got HTTP %d errcode %d (%s), want 200 %d", resp.StatusCode, a.ErrCode, a.ErrMsg, tc.code)
			}
		})
	}
	if n := len(wc.Messages(key)); n != 2 {
		t.Fatalf("%d accepted, want 2", n)
	}
	resp, err := http.Post(wc.URL+"/cgi-bin/webhook/send?key=nope", "application/json", strings.NewReader(`{"msgtype":"text","text":{"content":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct{ ErrCode int }
	_ = decodeJSON(resp, &a)
	if a.ErrCode != 93000 {
		t.Fatalf("unknown key: errcode %d", a.ErrCode)
	}
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
