package wecom

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/qunke/qunke/internal/msg"
)

// Config is the callback's configuration from the WeCom admin (应用管理 →
// 接收消息 → 设置API接收): the corp id (我的企业 → 企业ID), the token and the
// EncodingAESKey. They are secrets: never logged.
type Config struct {
	CorpID, Token, AESKey string
}

// The environment variables of Config.
const (
	EnvCorpID = "QUNKE_WECOM_CORP_ID"
	EnvToken  = "QUNKE_WECOM_CALLBACK_TOKEN"
	EnvAESKey = "QUNKE_WECOM_CALLBACK_AES_KEY"
)

// Env fills the fields of c left empty from the environment.
func (c Config) Env() Config {
	fill := func(v *string, env string) {
		if *v == "" {
			*v = os.Getenv(env)
		}
	}
	fill(&c.CorpID, EnvCorpID)
	fill(&c.Token, EnvToken)
	fill(&c.AESKey, EnvAESKey)
	return c
}

// Enabled reports whether the callback is configured at all: the token and
// key are both set (the corp id is checked by NewCallback).
func (c Config) Enabled() bool { return c.Token != "" || c.AESKey != "" }

// Callback is the handler of /callback/wecom: GET answers WeCom's URL
// verification, POST takes events. It is authenticated by msg_signature,
// not by a login. A customer-group change (change_external_chat) is stored
// in the inbox before the answer; other events and messages are answered
// and ignored.
//
//   - bad signature, or a message for another corp: 403, nothing stored;
//   - malformed body, query or encryption: 400; a body over 64 KiB: 413;
//   - the database did not take the event within PutWait: 503 (WeCom
//     retries; the retry is de-duplicated);
//   - otherwise 200 with an empty body, as WeCom asks.
type Callback struct {
	crypto *Crypto
	inbox  *Inbox
	log    *slog.Logger
}

// NewCallback checks cfg and returns the handler storing into inbox.
func NewCallback(cfg Config, inbox *Inbox, log *slog.Logger) (*Callback, error) {
	c, err := NewCrypto(cfg.Token, cfg.AESKey, cfg.CorpID)
	if err != nil {
		return nil, err
	}
	return &Callback{crypto: c, inbox: inbox, log: log}, nil
}

// ServeHTTP implements http.Handler.
func (h *Callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.event(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		h.fail(w, http.StatusMethodNotAllowed, "wecom.callback_method")
	}
}

// verify answers the URL verification: the decrypted echostr, as is.
func (h *Callback) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce, echo := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")
	if sig == "" || ts == "" || nonce == "" || echo == "" {
		h.fail(w, http.StatusBadRequest, "wecom.callback_params")
		return
	}
	if !h.crypto.Verify(sig, ts, nonce, echo) {
		h.fail(w, http.StatusForbidden, "wecom.callback_signature")
		return
	}
	plain, err := h.crypto.Decrypt(echo)
	if err != nil {
		h.decryptFailed(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(plain)
}

// answerWithin is how long the event path may take: WeCom waits 5 s.
const answerWithin = 4500 * time.Millisecond

// event takes one posted event.
func (h *Callback) event(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || ts == "" || nonce == "" {
		h.fail(w, http.StatusBadRequest, "wecom.callback_params")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, http.StatusRequestEntityTooLarge, "wecom.callback_too_large")
			return
		}
		h.fail(w, http.StatusBadRequest, "wecom.callback_malformed")
		return
	}
	env, err := parseEnvelope(body)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "wecom.callback_malformed")
		return
	}
	if !h.crypto.Verify(sig, ts, nonce, env.Encrypt) {
		h.fail(w, http.StatusForbidden, "wecom.callback_signature")
		return
	}
	plain, err := h.crypto.Decrypt(env.Encrypt)
	if err != nil {
		h.decryptFailed(w, err)
		return
	}
	m, err := parseMessage(plain)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "wecom.callback_malformed")
		return
	}
	if !m.isChatChange() {
		w.WriteHeader(http.StatusOK) // answered, ignored
		return
	}
	if err := m.check(); err != nil {
		h.log.Warn("wecom callback: unusable change_external_chat", "err", err)
		h.fail(w, http.StatusBadRequest, "wecom.callback_malformed")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	if _, err := h.inbox.Put(ctx, m, plain); err != nil {
		h.log.Error("wecom callback: event not stored; WeCom will retry", "chat", m.ChatID, "err", err)
		h.fail(w, http.StatusServiceUnavailable, "wecom.callback_unavailable")
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *Callback) decryptFailed(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrReceiver) {
		h.fail(w, http.StatusForbidden, "wecom.callback_other_corp")
		return
	}
	h.fail(w, http.StatusBadRequest, "wecom.callback_malformed")
}

// fail answers code with the message key's text. The caller is WeCom's
// server, not a person: the text is for whoever reads its logs.
func (h *Callback) fail(w http.ResponseWriter, code int, key string) {
	http.Error(w, msg.New(key).Error(), code)
}
