package fake

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
)

var gif = []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")

type answer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func post(t *testing.T, s *Server, method string, fields map[string]string, photo []byte) (int, answer) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if photo != nil {
		fw, _ := w.CreateFormFile("photo", "p.gif")
		_, _ = fw.Write(photo)
	}
	_ = w.Close()
	resp, err := http.Post(s.URL+"/bot"+s.Token+"/"+method, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, a
}

func TestValidation(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddChat("-1")
	s.SetLimits(nil, channel.Rate{})
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name   string
		method string
		fields map[string]string
		photo  []byte
		status int
		desc   string
	}{
		{"caption 1024", "sendPhoto", map[string]string{"chat_id": "-1", "caption": long(1024)}, gif, 200, ""},
		{"caption 1025", "sendPhoto", map[string]string{"chat_id": "-1", "caption": long(1025)}, gif, 400, "Bad Request: message caption is too long"},
		{"caption 1023 + emoji = 1025 UTF-16 units", "sendPhoto", map[string]string{"chat_id": "-1", "caption": long(1023) + "😀"}, gif, 400, "Bad Request: message caption is too long"},
		{"entities count once", "sendPhoto", map[string]string{"chat_id": "-1", "caption": strings.Repeat("&amp;", 1024), "parse_mode": "HTML"}, gif, 200, ""},
		{"entities not parsed without parse_mode", "sendPhoto", map[string]string{"chat_id": "-1", "caption": strings.Repeat("&amp;", 300)}, gif, 400, "Bad Request: message caption is too long"},
		{"tags do not count", "sendPhoto", map[string]string{"chat_id": "-1", "caption": "<b>" + long(1024) + "</b>", "parse_mode": "HTML"}, gif, 200, ""},
		{"unsupported tag", "sendMessage", map[string]string{"chat_id": "-1", "text": "a <foo> b", "parse_mode": "HTML"}, nil, 400, `Bad Request: can't parse entities: Unsupported start tag "foo" at byte offset 2`},
		{"bare <", "sendMessage", map[string]string{"chat_id": "-1", "text": "1 < 2 > 0", "parse_mode": "HTML"}, nil, 400, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
		{"unclosed tag", "sendMessage", map[string]string{"chat_id": "-1", "text": "<b>x", "parse_mode": "HTML"}, nil, 400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"bare & kept", "sendMessage", map[string]string{"chat_id": "-1", "text": "A & B &nbsp;", "parse_mode": "HTML"}, nil, 200, ""},
		{"text 4096", "sendMessage", map[string]string{"chat_id": "-1", "text": long(4096)}, nil, 200, ""},
		{"text 4097", "sendMessage", map[string]string{"chat_id": "-1", "text": long(4097)}, nil, 400, "Bad Request: message is too long"},
		{"empty text", "sendMessage", map[string]string{"chat_id": "-1", "text": " \n "}, nil, 400, "Bad Request: message text is empty"},
		{"no photo", "sendPhoto", map[string]string{"chat_id": "-1"}, nil, 400, "Bad Request: there is no photo in the request"},
		{"not an image", "sendPhoto", map[string]string{"chat_id": "-1"}, []byte("hello"), 400, "Bad Request: IMAGE_PROCESS_FAILED"},
		{"no chat", "sendMessage", map[string]string{"text": "x"}, nil, 400, "Bad Request: chat_id is empty"},
		{"unknown chat", "sendMessage", map[string]string{"chat_id": "-2", "text": "x"}, nil, 400, "Bad Request: chat not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, a := post(t, s, tc.method, tc.fields, tc.photo)
			if status != tc.status || a.Description != tc.desc || a.OK != (tc.status == 200) {
				t.Fatalf("got %d %+v, want %d %q", status, a, tc.status, tc.desc)
			}
			if !a.OK && a.ErrorCode != tc.status {
				t.Fatalf("error_code %d", a.ErrorCode)
			}
		})
	}
}

func TestTokenAndPath(t *testing.T) {
	s := New()
	defer s.Close()
	for path, want := range map[string]int{
		"/bot" + s.Token + "/getMe": 404,
		"/botWRONG/sendMessage":     401,
		"/nothing":                  404,
	} {
		resp, err := http.Post(s.URL+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestRateLimitAnswer(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddChat("-1")
	s.AddChat("-2")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.SetLimits([]channel.Rate{{N: 20, Per: time.Minute}, {N: 1, Per: time.Second}}, channel.Rate{N: 30, Per: time.Second})
	if st, _ := post(t, s, "sendMessage", map[string]string{"chat_id": "-1", "text": "a"}, nil); st != 200 {
		t.Fatal(st)
	}
	now = now.Add(400 * time.Millisecond)
	st, a := post(t, s, "sendMessage", map[string]string{"chat_id": "-1", "text": "b"}, nil)
	if st != 429 || a.ErrorCode != 429 || a.Parameters.RetryAfter != 1 || a.Description != "Too Many Requests: retry after 1" {
		t.Fatalf("got %d %+v", st, a)
	}
	// Another chat is not limited by chat -1's window; a refused send does not count.
	if st, _ := post(t, s, "sendMessage", map[string]string{"chat_id": "-2", "text": "c"}, nil); st != 200 {
		t.Fatal(st)
	}
	if n := len(s.Messages("-1")); n != 1 {
		t.Fatalf("%d messages in -1", n)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[1].Status != 429 || reqs[1].Chat != "-1" || reqs[1].Method != "sendMessage" {
		t.Fatalf("requests: %+v", reqs)
	}
}

func TestJSONAndFormBodies(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddChat("-1")
	resp, err := http.Post(s.URL+"/bot"+s.Token+"/sendMessage", "application/json", strings.NewReader(`{"chat_id":-1,"text":"x &amp; y","parse_mode":"HTML"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post(s.URL+"/bot"+s.Token+"/sendMessage", "application/x-www-form-urlencoded", strings.NewReader(`chat_id=-1&text=z`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ms := s.Messages("-1")
	if len(ms) != 2 || ms[0].Text != "x & y" || ms[0].HTML != "x &amp; y" || ms[1].Text != "z" {
		t.Fatalf("%+v", ms)
	}
}

func TestParseHTML(t *testing.T) {
	for in, want := range map[string]string{
		"&lt;&gt;&amp;&quot;":                `<>&"`,
		"&#20320;&#x597D;":                   "你好",
		"&#x1F600;":                          "😀",
		"&unknown; & &#xZZ;":                 "&unknown; & &#xZZ;",
		`<a href="https://x.cn">link</a>`:    "link",
		`<span class="tg-spoiler">s</span>`:  "s",
		"<b>bold <i>both</i></b> 1&gt;0 2>1": "bold both 1>0 2>1",
	} {
		got, err := ParseHTML(in)
		if err != nil || got != want {
			t.Errorf("ParseHTML(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"<b>x</i>", "</b>", "<span>x</span>", "<b", "<script>"} {
		if _, err := ParseHTML(bad); err == nil {
			t.Errorf("ParseHTML(%q) accepted", bad)
		}
	}
}
