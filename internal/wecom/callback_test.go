package wecom

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// vectorConfig is WeCom's published example as Qunke's configuration.
var vectorConfig = Config{CorpID: vecReceiveID, Token: vecToken, AESKey: vecAESKey}

// callbackServer serves the callback on db at /callback/wecom, as
// web.Server routes it (web_test.go runs the official examples through
// the whole web server; web imports this package, so tests inside it
// cannot import web).
func callbackServer(t *testing.T, db *store.DB) (*httptest.Server, *Inbox) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	inbox := NewInbox(db)
	t.Cleanup(inbox.Close)
	cb, err := NewCallback(vectorConfig, inbox, log)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/callback/wecom", cb)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, inbox
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func post(t *testing.T, u, body string) (int, string) {
	t.Helper()
	res, err := http.Post(u, "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func query(sig, ts, nonce string) string {
	return "?" + url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}.Encode()
}

func envelopeXML(encrypt string) string {
	return "<xml><ToUserName><![CDATA[" + vecReceiveID + "]]></ToUserName><Encrypt><![CDATA[" + encrypt +
		"]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
}

// signed posts msg as WeCom would: encrypted, signed, with its own nonce.
func signed(t *testing.T, srvURL string, c *Crypto, msg, nonce string) (int, string) {
	t.Helper()
	enc, err := c.Encrypt([]byte(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := "1733450000"
	return post(t, srvURL+"/callback/wecom"+query(c.Signature(ts, nonce, enc), ts, nonce), envelopeXML(enc))
}

func inboxCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM wecom_inbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func chatChange(chat, detail string, created int64, last, cur string, users ...string) string {
	var items strings.Builder
	for _, u := range users {
		items.WriteString("<Item><![CDATA[" + u + "]]></Item>")
	}
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>
<ChatId><![CDATA[%s]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[%s]]></UpdateDetail>
<JoinScene>3</JoinScene><QuitScene>1</QuitScene><MemChangeCnt>%d</MemChangeCnt><MemChangeList>%s</MemChangeList>
<LastMemVer>%s</LastMemVer><CurMemVer>%s</CurMemVer></xml>`, vecReceiveID, created, chat, detail, len(users), items.String(), last, cur)
}

// TestCallbackRefuses: what is not WeCom's, or not readable, changes
// nothing.
func TestCallbackRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, _ := callbackServer(t, db)
		c := vectorCrypto(t)
		cb := srv.URL + "/callback/wecom"
		change := chatChange("wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA", "add_member", 1733450000, "v0", "v1", "wmAAA")
		enc, _ := c.Encrypt([]byte(change), nil)
		ts, nonce := "1733450000", "42"
		good := c.Signature(ts, nonce, enc)
		other, _ := NewCrypto(vecToken, vecAESKey, "ww_another_corp")
		otherEnc, _ := other.Encrypt([]byte(change), nil)
		badXML, _ := c.Encrypt([]byte("<xml><MsgType>event</Msg"), nil)
		for _, tc := range []struct {
			name string
			code int
			do   func() (int, string)
		}{
			{"bad signature", 403, func() (int, string) { return post(t, cb+query(strings.Repeat("0", 40), ts, nonce), envelopeXML(enc)) }},
			{"signature of other fields", 403, func() (int, string) { return post(t, cb+query(good, ts, "43"), envelopeXML(enc)) }},
			{"bad GET signature", 403, func() (int, string) {
				return get(t, cb+query(vecPostSignature, vecGetTimestamp, vecGetNonce)+"&echostr="+url.QueryEscape(vecGetEchostr))
			}},
			{"no signature", 400, func() (int, string) { return post(t, cb, envelopeXML(enc)) }},
			{"GET without echostr", 400, func() (int, string) { return get(t, cb+query(good, ts, nonce)) }},
			{"not XML", 400, func() (int, string) { return post(t, cb+query(good, ts, nonce), "{\"encrypt\": 1}") }},
			{"no Encrypt", 400, func() (int, string) {
				return post(t, cb+query(good, ts, nonce), "<xml><ToUserName>x</ToUserName></xml>")
			}},
			{"Encrypt not base64", 400, func() (int, string) {
				return post(t, cb+query(c.Signature(ts, nonce, "%%%"), ts, nonce), envelopeXML("%%%"))
			}},
			{"broken inner XML", 400, func() (int, string) {
				return post(t, cb+query(c.Signature(ts, nonce, badXML), ts, nonce), envelopeXML(badXML))
			}},
			{"other corp", 403, func() (int, string) {
				return post(t, cb+query(c.Signature(ts, nonce, otherEnc), ts, nonce), envelopeXML(otherEnc))
			}},
			{"too large", 413, func() (int, string) {
				return post(t, cb+query(good, ts, nonce), "<xml><Encrypt>"+strings.Repeat("A", maxCallbackBody)+"</Encrypt></xml>")
			}},
			{"PUT", 405, func() (int, string) {
				req, _ := http.NewRequest(http.MethodPut, cb, nil)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode, ""
			}},
		} {
			if code, body := tc.do(); code != tc.code {
				t.Errorf("%s: %d %q, want %d", tc.name, code, body, tc.code)
			}
		}
		if n := inboxCount(t, db); n != 0 {
			t.Fatalf("refused requests stored %d events", n)
		}
		// The same event, properly signed, is taken.
		if code, body := post(t, cb+query(good, ts, nonce), envelopeXML(enc)); code != 200 || body != "" {
			t.Fatalf("good event: %d %q", code, body)
		}
		if n := inboxCount(t, db); n != 1 {
			t.Fatalf("%d events stored", n)
		}
	})
}

// TestCallbackRetriesDeduplicated: WeCom retries an event it got no answer
// for, re-encrypted with another nonce; the inbox keeps it once. Unknown
// events and change types are answered 200 and not kept.
func TestCallbackRetriesDeduplicated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, inbox := callbackServer(t, db)
		c := vectorCrypto(t)
		ev := chatChange("wrChat1", "add_member", 1733450000, "v0", "v1", "wmA", "wmB")
		for i := range 3 {
			if code, body := signed(t, srv.URL, c, ev, fmt.Sprint(1000+i)); code != 200 || body != "" {
				t.Fatalf("attempt %d: %d %q", i, code, body)
			}
		}
		// Another change of the same chat in the same second is its own event.
		if code, _ := signed(t, srv.URL, c, chatChange("wrChat1", "add_member", 1733450000, "v1", "v2", "wmC"), "7"); code != 200 {
			t.Fatal(code)
		}
		for _, ignored := range []string{
			`<xml><ToUserName>x</ToUserName><MsgType>event</MsgType><Event>change_external_contact</Event><CreateTime>1</CreateTime></xml>`,
			strings.Replace(ev, "<ChangeType><![CDATA[update]]>", "<ChangeType><![CDATA[renamed]]>", 1),
			`<xml><MsgType>image</MsgType></xml>`,
		} {
			if code, body := signed(t, srv.URL, c, ignored, "9"); code != 200 || body != "" {
				t.Fatalf("ignored event: %d %q", code, body)
			}
		}
		counts, err := inbox.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts.New != 2 || inboxCount(t, db) != 2 {
			t.Fatalf("inbox holds %+v", counts)
		}
		// A change_external_chat without a chat id is malformed.
		if code, _ := signed(t, srv.URL, c, strings.Replace(ev, "wrChat1", "", 1), "8"); code != 400 {
			t.Fatalf("change without chat: %d", code)
		}
	})
}

// TestInboxConcurrentRetries: the same event put by many requests at once
// (written in one batch or several) is stored once and reported new once.
func TestInboxConcurrentRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := NewInbox(db)
		defer in.Close()
		ev := chatChange("wrSame", "add_member", 1733450000, "v0", "v1", "wmA")
		m, err := parseMessage([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		added := 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := in.Put(context.Background(), m, []byte(ev))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				if ok {
					added++
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		if added != 1 || inboxCount(t, db) != 1 {
			t.Fatalf("%d puts reported new, %d rows", added, inboxCount(t, db))
		}
	})
}
