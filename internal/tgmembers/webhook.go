package tgmembers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// SecretHeader carries the webhook's secret_token in each delivery.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// MaxUpdateBytes bounds a delivered update's body: an update is a few KB; anything near this is not one.
const MaxUpdateBytes = 1 << 20

var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// CheckWebhook says what is wrong with a webhook URL and secret, if anything: Telegram delivers only to
// HTTPS, and a secret_token is 1-256 characters of A-Z, a-z, 0-9, _ and -. Qunke requires the secret, as
// the callback is reachable by anyone.
func CheckWebhook(rawURL, secret string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("QUNKE_TELEGRAM_WEBHOOK_URL %q: give the public https:// URL of /callback/telegram", rawURL)
	}
	if !secretToken.MatchString(secret) {
		return errors.New("QUNKE_TELEGRAM_WEBHOOK_SECRET: set 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token)")
	}
	return nil
}

// Webhook answers Telegram's deliveries at /callback/telegram: it checks the secret header (403 if wrong,
// compared in constant time), reads one update (at most MaxUpdateBytes: 413; not JSON: 400), applies it
// (500 on failure, so Telegram delivers it again) and answers 200.
type Webhook struct {
	Applier *Applier
	Secret  string
	Log     *slog.Logger
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(SecretHeader)
	if h.Secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.Secret)) != 1 {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var u Update
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxUpdateBytes))
	if err := dec.Decode(&u); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "not a Telegram update: "+err.Error(), http.StatusBadRequest)
		return
	}
	if u.UpdateID <= 0 {
		http.Error(w, "not a Telegram update: no update_id", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	if _, err := h.Applier.Apply(ctx, []Update{u}); err != nil {
		if h.Log != nil {
			h.Log.Error("telegram webhook: apply", "update_id", u.UpdateID, "err", err)
		}
		http.Error(w, "not applied; deliver again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// KeepWebhook sets the webhook (SetWebhook with the secret and AllowedUpdates), retrying until it is set
// or ctx ends. Each server may call it: setting the same webhook again changes nothing.
func KeepWebhook(ctx context.Context, c *Client, url, secret string, log *slog.Logger) {
	wait := time.Second
	for ctx.Err() == nil {
		err := c.SetWebhook(ctx, url, secret)
		if err == nil {
			log.Info("telegram webhook set", "url", url)
			return
		}
		log.Error("telegram webhook: setWebhook failed", "err", err)
		if d := RetryAfter(err); d > wait {
			wait = d
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Minute)
	}
}
