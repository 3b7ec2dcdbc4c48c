package wecom_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/web"
	"github.com/qunke/qunke/internal/wecom"
)

// WeCom's published example (企业微信 加解密方案说明), through the running
// web server (crypto_test.go checks the scheme itself).
const (
	token     = "QDG6eK"
	aesKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	receiveID = "wx5823bf96d3bd56c7"
	echostr   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	encrypted = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

func call(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func signedQuery(sig, ts, nonce string) string {
	return "?" + url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}.Encode()
}

func envelope(enc string) string {
	return "<xml><ToUserName><![CDATA[" + receiveID + "]]></ToUserName><Encrypt><![CDATA[" + enc +
		"]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
}

// TestCallbackOfficialVectorsThroughServer runs WeCom's published examples
// through Qunke's web server as serve builds it: the URL verification
// answers the echostr's plaintext, the POST example (a text message) is
// answered 200 and not stored, a bad signature 403.
func TestCallbackOfficialVectorsThroughServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		log := slog.New(slog.DiscardHandler)
		inbox := wecom.NewInbox(db)
		defer inbox.Close()
		cb, err := wecom.NewCallback(wecom.Config{CorpID: receiveID, Token: token, AESKey: aesKey}, inbox, log)
		if err != nil {
			t.Fatal(err)
		}
		d := web.NewDeps(db, log)
		d.WeComCallback = cb
		srv := httptest.NewServer(web.NewServer(d))
		defer srv.Close()
		u := srv.URL + "/callback/wecom"
		code, body := call(t, "GET", u+signedQuery("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780")+
			"&echostr="+url.QueryEscape(echostr), "")
		if code != 200 || body != "1616140317555161061" {
			t.Fatalf("URL verification: %d %q", code, body)
		}
		code, body = call(t, "POST", u+signedQuery("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"), envelope(encrypted))
		if code != 200 || body != "" {
			t.Fatalf("official POST: %d %q", code, body)
		}
		if code, _ = call(t, "POST", u+signedQuery("477715d11cdb4164915debcba66cb864d751f3e5", "1409659813", "1372623149"), envelope(encrypted)); code != 403 {
			t.Fatalf("bad signature: %d", code)
		}
		c, err := inbox.Counts(t.Context())
		if err != nil || c.New+c.Applied+c.Failed != 0 {
			t.Fatalf("stored %+v, %v", c, err)
		}
	})
}

// TestCallbackOffWhenUnconfigured: without a token and key the route is
// not there.
func TestCallbackOffWhenUnconfigured(t *testing.T) {
	srv := httptest.NewServer(web.New(storetest.SQLite(t), slog.New(slog.DiscardHandler)))
	defer srv.Close()
	if code, _ := call(t, "POST", srv.URL+"/callback/wecom"+signedQuery("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"),
		envelope(encrypted)); code != 404 {
		t.Fatalf("unconfigured callback answered %d", code)
	}
	if (wecom.Config{}).Enabled() {
		t.Fatal("an empty config is enabled")
	}
	if _, err := wecom.NewCallback(wecom.Config{Token: token, AESKey: aesKey}, nil, nil); err == nil {
		t.Fatal("a callback without corp id was built")
	}
}
