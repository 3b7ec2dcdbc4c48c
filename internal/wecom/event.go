package wecom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// envelope is the body WeCom posts to the callback URL: the encrypted
// message and, unencrypted, who it is for.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// Message is a decrypted callback message: the fields Qunke reads of the
// messages and events WeCom sends (one XML shape for all of them).
type Message struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	AgentID      string `xml:"AgentID"`
	MsgID        string `xml:"MsgId"`
	Content      string `xml:"Content"` // text messages: parsed, never stored

	// change_external_chat (客户群变更事件)
	ChatID       string   `xml:"ChatId"`
	ChangeType   string   `xml:"ChangeType"`   // create, update, dismiss
	UpdateDetail string   `xml:"UpdateDetail"` // add_member, del_member, change_owner, change_name, change_notice
	JoinScene    int      `xml:"JoinScene"`    // 0 invited (directly or by link), 3 by the group's QR code
	QuitScene    int      `xml:"QuitScene"`    // 0 left by themselves, 1 removed by the owner or an admin
	MemChangeCnt int      `xml:"MemChangeCnt"` // how many members changed
	MemChange    []string `xml:"MemChangeList>Item"`
	LastMemVer   string   `xml:"LastMemVer"` // the member version before the change
	CurMemVer    string   `xml:"CurMemVer"`  // and after it
}

// EventChangeExternalChat is the event WeCom sends when a customer group
// (客户群) is created, changed or dismissed.
const EventChangeExternalChat = "change_external_chat"

// The change types and details of change_external_chat.
const (
	ChangeCreate  = "create"
	ChangeUpdate  = "update"
	ChangeDismiss = "dismiss"

	DetailAddMember = "add_member"
	DetailDelMember = "del_member"
)

// Limits on a message: WeCom's are far smaller.
const (
	maxCallbackBody = 64 << 10 // a posted callback body
	maxMembers      = 2000     // MemChangeList items (a customer group holds at most 2,000)
	maxFieldSize    = 256      // an id or a version
)

var errNotXML = errors.New("wecom: the body is not WeCom's XML")

// parseEnvelope reads the posted body's Encrypt. WeCom's body is one small
// element; the common shape (<Encrypt><![CDATA[base64]]></Encrypt>) is
// read directly, anything else through encoding/xml. Either way only the
// signature over Encrypt says whether the body is WeCom's.
func parseEnvelope(body []byte) (envelope, error) {
	if enc, ok := fastEncrypt(body); ok {
		return envelope{Encrypt: enc}, nil
	}
	var e envelope
	if err := xml.Unmarshal(body, &e); err != nil {
		return e, fmt.Errorf("%w: %v", errNotXML, err)
	}
	if e.Encrypt == "" {
		return e, fmt.Errorf("%w: no Encrypt element", errNotXML)
	}
	return e, nil
}

// fastEncrypt finds <Encrypt><![CDATA[...]]></Encrypt> in an <xml> body
// holding one such element, with base64 characters only inside.
func fastEncrypt(body []byte) (string, bool) {
	b := bytes.TrimSpace(body)
	if !bytes.HasPrefix(b, []byte("<xml>")) || !bytes.HasSuffix(b, []byte("</xml>")) {
		return "", false
	}
	const head, tail = "<Encrypt><![CDATA[", "]]></Encrypt>"
	i := bytes.Index(b, []byte(head))
	if i < 0 || bytes.Count(b, []byte("<Encrypt>")) != 1 {
		return "", false
	}
	rest := b[i+len(head):]
	j := bytes.Index(rest, []byte(tail))
	if j <= 0 {
		return "", false
	}
	enc := rest[:j]
	for _, c := range enc {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return "", false
		}
	}
	return string(enc), true
}

// parseMessage reads a decrypted message.
func parseMessage(plain []byte) (*Message, error) {
	var m Message
	d := xml.NewDecoder(bytes.NewReader(plain))
	d.Strict = true
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotXML, err)
	}
	return &m, nil
}

// isChatChange reports whether m is a customer-group change Qunke keeps.
func (m *Message) isChatChange() bool {
	if m.MsgType != "event" || m.Event != EventChangeExternalChat {
		return false
	}
	switch m.ChangeType {
	case ChangeCreate, ChangeUpdate, ChangeDismiss:
		return true
	}
	return false
}

// check refuses a change_external_chat event Qunke cannot use.
func (m *Message) check() error {
	switch {
	case m.ChatID == "":
		return errors.New("wecom: change_external_chat without ChatId")
	case m.CreateTime <= 0:
		return errors.New("wecom: change_external_chat without CreateTime")
	case len(m.MemChange) > maxMembers:
		return fmt.Errorf("wecom: MemChangeList has %d items, a group holds at most %d", len(m.MemChange), maxMembers)
	case m.MemChangeCnt < 0 || m.MemChangeCnt > maxMembers:
		return fmt.Errorf("wecom: MemChangeCnt %d", m.MemChangeCnt)
	}
	for _, f := range append([]string{m.ChatID, m.ToUserName, m.LastMemVer, m.CurMemVer, m.UpdateDetail}, m.MemChange...) {
		if len(f) > maxFieldSize {
			return fmt.Errorf("wecom: a field of %d bytes", len(f))
		}
	}
	return nil
}

// At is when WeCom says the change happened (UTC).
func (m *Message) At() time.Time { return time.Unix(m.CreateTime, 0).UTC() }

// DedupKey names one event whatever WeCom's retries change around it: a
// retry re-encrypts the same message with a new nonce and timestamp, so
// the key is a hash of the message's own fields, those that tell two
// changes apart: the corp (ToUserName), the sender, CreateTime, the event
// and change type, the chat, the detail, the scenes, the member list and
// the member versions (two changes of one chat in the same second differ
// in their members or versions).
func (m *Message) DedupKey() string {
	h := sha256.New()
	for _, f := range []string{m.ToUserName, m.FromUserName, strconv.FormatInt(m.CreateTime, 10), m.MsgType, m.Event,
		m.ChangeType, m.ChatID, m.UpdateDetail, strconv.Itoa(m.JoinScene), strconv.Itoa(m.QuitScene),
		strconv.Itoa(m.MemChangeCnt), strings.Join(m.MemChange, "\x1f"), m.LastMemVer, m.CurMemVer} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
