package tgmembers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// LeaseName is the store lease the poller runs under: of several servers on one database, one polls.
const LeaseName = "telegram.updates"

// Poller applies the bot's updates by getUpdates long polling, under the store lease LeaseName.
type Poller struct {
	Client  *Client
	Applier *Applier
	Holder  string // store.Holder() of this server
	Log     *slog.Logger
	Timeout time.Duration // long-poll timeout; 50 s if 0
	Limit   int           // updates per call, 1..100; 100 if 0
	TTL     time.Duration // the lease's time to live; 1 min if 0
	MaxWait time.Duration // the longest pause after an error; 1 min if 0
}

// Run polls whenever this server holds the lease, until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	ttl := p.TTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	p.Applier.DB.RunLeased(ctx, LeaseName, p.Holder, ttl, p.Poll)
}

// Poll polls until ctx ends (the lease is lost or the server stops). Errors are logged and waited out:
// 429 for its retry_after, 401 (bad token) and 409 (another program polls with this token) for a minute,
// others for a doubling pause up to MaxWait. An update is confirmed to Telegram (the next call's offset)
// only after it is applied.
func (p *Poller) Poll(ctx context.Context) {
	timeout, limit, maxWait := p.Timeout, p.Limit, p.MaxWait
	if timeout <= 0 {
		timeout = 50 * time.Second
	}
	if limit <= 0 {
		limit = 100
	}
	if maxWait <= 0 {
		maxWait = time.Minute
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fails := 0
	pause := func(d time.Duration) {
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	backoff := func() time.Duration {
		fails++
		return min(time.Duration(1<<min(fails-1, 10))*time.Second, maxWait)
	}
	for ctx.Err() == nil {
		off, err := p.Applier.Offset(ctx)
		if err != nil {
			log.Error("telegram updates: read offset", "err", err)
			pause(backoff())
			continue
		}
		ups, err := p.Client.GetUpdates(ctx, off, limit, timeout)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var e *APIError
			switch {
			case RetryAfter(err) > 0:
				log.Warn("telegram updates: rate limited", "err", err)
				pause(RetryAfter(err))
			case IsConflict(err) && errors.As(err, &e) && strings.Contains(e.Description, "webhook"):
				// A webhook set earlier (serve with QUNKE_TELEGRAM_WEBHOOK_URL): polling was chosen now.
				log.Warn("telegram updates: a webhook is set; deleting it to poll", "err", err)
				if err := p.Client.DeleteWebhook(ctx); err != nil {
					log.Error("telegram updates: delete webhook", "err", err)
					pause(backoff())
				}
			case IsConflict(err):
				log.Error("telegram updates: another program polls with this bot's token (only one may)", "err", err)
				pause(min(time.Minute, maxWait))
			case IsUnauthorized(err):
				log.Error("telegram updates: the bot token is wrong or revoked", "err", err)
				pause(min(time.Minute, maxWait))
			default:
				log.Warn("telegram updates: getUpdates failed", "err", err)
				pause(backoff())
			}
			continue
		}
		if len(ups) == 0 {
			fails = 0
			continue
		}
		res, err := p.Applier.Apply(ctx, ups)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("telegram updates: apply", "err", err, "first", ups[0].UpdateID, "n", len(ups))
			pause(backoff())
			continue
		}
		fails = 0
		log.Debug("telegram updates applied", "applied", res.Applied, "skipped", res.Skipped, "events", res.New, "messages", res.Messages)
	}
}
