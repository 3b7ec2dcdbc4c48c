package wecom

import (
	"bytes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// WeCom's published example (企业微信 加解密方案说明).
const (
	vecToken     = "QDG6eK"
	vecAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecReceiveID = "wx5823bf96d3bd56c7"

	vecGetSignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vecGetTimestamp = "1409659589"
	vecGetNonce     = "263014780"
	vecGetEchostr   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="

	vecPostSignature = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecPostTimestamp = "1409659813"
	vecPostNonce     = "1372623149"
	vecPostEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

func vectorCrypto(t testing.TB) *Crypto {
	t.Helper()
	c, err := NewCrypto(vecToken, vecAESKey, vecReceiveID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCryptoOfficialURLVerification(t *testing.T) {
	c := vectorCrypto(t)
	if !c.Verify(vecGetSignature, vecGetTimestamp, vecGetNonce, vecGetEchostr) {
		t.Fatalf("signature of the official GET example: got %s", c.Signature(vecGetTimestamp, vecGetNonce, vecGetEchostr))
	}
	got, err := c.Decrypt(vecGetEchostr)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "1616140317555161061" {
		t.Fatalf("echostr decrypts to %q", got)
	}
}

func TestCryptoOfficialPost(t *testing.T) {
	c := vectorCrypto(t)
	if !c.Verify(vecPostSignature, vecPostTimestamp, vecPostNonce, vecPostEncrypt) {
		t.Fatal("signature of the official POST example does not verify")
	}
	// The example's last block is 30 bytes of padding: unpadding must
	// accept values above AES's 16.
	raw, _ := base64.StdEncoding.DecodeString(vecPostEncrypt)
	if len(raw)%32 != 0 {
		t.Fatalf("%d bytes", len(raw))
	}
	got, err := c.Decrypt(vecPostEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMessage(got)
	if err != nil {
		t.Fatal(err)
	}
	if m.MsgType != "text" || m.Content != "hello" || m.FromUserName != "mycreate" || m.AgentID != "218" {
		t.Fatalf("decrypted %+v from %s", m, got)
	}
	if c.Verify(vecPostSignature, vecPostTimestamp, "1372623148", vecPostEncrypt) {
		t.Fatal("another nonce verifies")
	}
}

func TestCryptoRoundTrip(t *testing.T) {
	c := vectorCrypto(t)
	for n := range 70 { // every padding length 1..32, twice
		msg := bytes.Repeat([]byte{'x'}, n)
		enc, err := c.Encrypt(msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decrypt(enc)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("len %d: %q, %v", n, got, err)
		}
	}
	other, _ := NewCrypto(vecToken, vecAESKey, "ww_other_corp")
	enc, _ := other.Encrypt([]byte("<xml/>"), nil)
	if _, err := c.Decrypt(enc); !errors.Is(err, ErrReceiver) {
		t.Fatalf("another corp's message: %v", err)
	}
}

func TestNewCryptoRejects(t *testing.T) {
	for _, tc := range []struct{ token, key, rid string }{
		{"", vecAESKey, vecReceiveID},
		{vecToken, vecAESKey, ""},
		{vecToken, vecAESKey[:42], vecReceiveID},
		{vecToken, strings.Repeat("!", 43), vecReceiveID},
	} {
		if _, err := NewCrypto(tc.token, tc.key, tc.rid); err == nil {
			t.Errorf("NewCrypto(%q, %q, %q) accepted", tc.token, tc.key, tc.rid)
		}
	}
}

// TestDecryptMalformedNeverPanics feeds broken ciphertexts: truncated,
// bit-flipped, random, wrong lengths. Each must give an error (or, for a
// flip that happens to keep the structure, a message), never a panic.
func TestDecryptMalformedNeverPanics(t *testing.T) {
	c := vectorCrypto(t)
	raw, _ := base64.StdEncoding.DecodeString(vecPostEncrypt)
	cases := []string{"", "=", "!!!!", "AAAA", base64.StdEncoding.EncodeToString(make([]byte, 32)),
		base64.StdEncoding.EncodeToString(make([]byte, 16)), base64.StdEncoding.EncodeToString(make([]byte, 33)),
		strings.Repeat("A", maxEncrypted+4)}
	for _, enc := range cases {
		if _, err := c.Decrypt(enc); err == nil {
			t.Errorf("%.40q... decrypted", enc)
		}
	}
	// Random changes of the official message: truncated, extended and
	// random ciphertexts must be refused; a flipped bit may garble the
	// random prefix only and still decrypt, but never panics.
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		b := bytes.Clone(raw)
		mustFail := true
		switch r.IntN(4) {
		case 0:
			b = b[:r.IntN(len(b))]
		case 1:
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			mustFail = false
		case 2:
			b = make([]byte, 32*(1+r.IntN(8)))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
		case 3:
			b = append(b, byte(r.Uint32()))
		}
		if _, err := c.Decrypt(base64.StdEncoding.EncodeToString(b)); err == nil && mustFail {
			t.Fatalf("a broken message (%d bytes) decrypted", len(b))
		}
	}
	// A ciphertext whose length field runs past the end is refused.
	enc := forge(t, c, func(p []byte) []byte { p[16], p[17], p[18], p[19] = 0xff, 0xff, 0xff, 0xf0; return p })
	if _, err := c.Decrypt(enc); !errors.Is(err, ErrMalformed) {
		t.Fatalf("length past the end: %v", err)
	}
}

// forge encrypts a plaintext built from a valid one and changed by edit,
// padded properly, so the checks after unpadding are reached.
func forge(t *testing.T, c *Crypto, edit func([]byte) []byte) string {
	t.Helper()
	p := make([]byte, 20, 64)
	p = append(p, []byte("<xml/>"+vecReceiveID)...)
	p[19] = 6
	p = edit(p)
	pad := 32 - len(p)%32
	p = append(p, bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(c.block, c.key[:16]).CryptBlocks(out, p)
	return base64.StdEncoding.EncodeToString(out)
}

func TestParseEnvelope(t *testing.T) {
	for _, tc := range []struct {
		body, want string
		ok         bool
	}{
		{"<xml><ToUserName><![CDATA[wx1]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>", "abc+/=", true},
		{"\n<xml>\n<Encrypt>abc</Encrypt>\n</xml>\n", "abc", true},     // no CDATA: encoding/xml
		{"<xml><Encrypt><![CDATA[a b]]></Encrypt></xml>", "a b", true}, // odd characters: encoding/xml
		{"<xml><ToUserName>x</ToUserName></xml>", "", false},
		{"{\"Encrypt\": \"abc\"}", "", false},
		{"<xml><Encrypt><![CDATA[abc]]></Encrypt>", "", false},
	} {
		e, err := parseEnvelope([]byte(tc.body))
		if tc.ok != (err == nil) || tc.ok && e.Encrypt != tc.want {
			t.Errorf("%q: %q, %v", tc.body, e.Encrypt, err)
		}
	}
}
