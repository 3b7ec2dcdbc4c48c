package wecom

import (
	"encoding/base64"
	"testing"
)

// FuzzDecrypt: whatever WeCom (or anyone) sends as Encrypt, Decrypt
// returns a message or an error, never panics.
func FuzzDecrypt(f *testing.F) {
	c, err := NewCrypto(vecToken, vecAESKey, vecReceiveID)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(vecPostEncrypt)
	f.Add(vecGetEchostr)
	f.Add("")
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Fuzz(func(t *testing.T, enc string) {
		if msg, err := c.Decrypt(enc); err == nil && len(msg) > len(enc) {
			t.Fatalf("%d bytes out of %d base64 characters", len(msg), len(enc))
		}
	})
}

// FuzzParse: the envelope and the decrypted message parsers never panic,
// and a change they accept passes or fails check without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(envelopeXML(vecPostEncrypt)))
	f.Add([]byte(chatChange("wrF", "add_member", t0, "a", "b", "wmA", "wmB")))
	f.Add([]byte("<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>"))
	f.Add([]byte("<xml><MemChangeList><Item>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		parseEnvelope(body)
		if m, err := parseMessage(body); err == nil {
			m.check()
			m.DedupKey()
			memberEvents(m)
		}
	})
}
