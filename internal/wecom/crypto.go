// Package wecom is Qunke's side of WeCom (企业微信) customer groups (客户群):
// the callback that WeCom posts member changes to (/callback/wecom, this
// package's callback.go, event.go, inbox.go), and the customer-contact API
// client and the member sync.
package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/qunke/qunke/internal/msg"
)

// Crypto is WeCom's message encryption (WXBizMsgCrypt) for one app's
// callback: the token and EncodingAESKey set in the WeCom admin, and the
// receive id (the corp id for an app's callback).
//
//   - msg_signature = hex(sha1(the token, timestamp, nonce and Encrypt,
//     sorted as strings and joined));
//   - Encrypt = base64(AES-256-CBC(plaintext)), key = base64 decoding of
//     EncodingAESKey + "=", IV = key[:16], PKCS#7 padding to a multiple of 32;
//   - plaintext = 16 random bytes + 4-byte big-endian message length +
//     message + receive id.
type Crypto struct {
	token     string
	key       []byte
	receiveID string
	block     cipher.Block
}

// Errors of the scheme. ErrSignature means the request did not come from
// whoever holds the token; the others mean a malformed message.
var (
	ErrSignature = errors.New("wecom: msg_signature does not match")
	ErrReceiver  = errors.New("wecom: message is for another receive id")
	ErrMalformed = errors.New("wecom: malformed encrypted message")
)

// maxEncrypted bounds what Decrypt accepts (base64 characters): WeCom's
// callback messages are a few kilobytes.
const maxEncrypted = 1 << 20

// NewCrypto checks the token and the 43-character EncodingAESKey and
// returns the scheme for receiveID.
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	if token == "" {
		return nil, msg.New("wecom.callback_no_token")
	}
	if receiveID == "" {
		return nil, msg.New("wecom.callback_no_corp")
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if len(encodingAESKey) != 43 || err != nil || len(key) != 32 {
		return nil, msg.New("wecom.callback_bad_key", len(encodingAESKey))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &Crypto{token: token, key: key, receiveID: receiveID, block: block}, nil
}

// Signature returns msg_signature for timestamp, nonce and encrypted.
func (c *Crypto) Signature(timestamp, nonce, encrypted string) string {
	parts := []string{c.token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether signature is msg_signature of the other three,
// in constant time.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypted string) bool {
	want := c.Signature(timestamp, nonce, encrypted)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) == 1
}

// Decrypt returns the message inside encrypted (base64), checking its
// padding, length and receive id. It never panics on bad input.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	if len(encrypted) == 0 || len(encrypted) > maxEncrypted {
		return nil, fmt.Errorf("%w: %d base64 characters", ErrMalformed, len(encrypted))
	}
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrMalformed)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of AES blocks", ErrMalformed, len(data))
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) {
		return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, fmt.Errorf("%w: too short", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	rest := plain[20:]
	if uint64(n) > uint64(len(rest)) {
		return nil, fmt.Errorf("%w: message length %d beyond the %d bytes there", ErrMalformed, n, len(rest))
	}
	message, rid := rest[:n], rest[n:]
	if subtle.ConstantTimeCompare(rid, []byte(c.receiveID)) != 1 {
		return nil, ErrReceiver
	}
	return bytes.Clone(message), nil
}

// Encrypt returns message encrypted for this receive id (base64), with random
// bytes from rnd (crypto/rand when nil). WeCom encrypts; Qunke uses it in
// tests, the benchmark and the fake.
func (c *Crypto) Encrypt(message []byte, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var buf bytes.Buffer
	var head [20]byte
	if _, err := io.ReadFull(rnd, head[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint32(head[16:], uint32(len(message)))
	buf.Write(head[:])
	buf.Write(message)
	buf.WriteString(c.receiveID)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	out := buf.Bytes()
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out), nil
}
