package main

import (
	"context"
	"log/slog"
	"os"
	"sync"

	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/web"
)

// tgMemberFlags configure how `qunke serve` follows the Telegram groups' members (the bot is the posting
// one: --telegram-token, --telegram-api). The webhook's secret comes from the environment only.
type tgMemberFlags struct {
	off        bool
	webhookURL string
}

func (f *tgMemberFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&f.off, "no-telegram-members", false, msg.New("cli.flag_no_telegram_members").Error())
	fl.StringVar(&f.webhookURL, "telegram-webhook-url", os.Getenv("QUNKE_TELEGRAM_WEBHOOK_URL"), msg.New("cli.flag_telegram_webhook_url").Error())
}

// tgMembers follows the Telegram groups' members: by a webhook when its URL is set, else by getUpdates
// polling under the store lease (one server polls).
type tgMembers struct {
	client  *tgmembers.Client
	applier *tgmembers.Applier
	db      *store.DB
	groups  *community.Store
	log     *slog.Logger
	url     string
	secret  string
}

// newTelegramMembers builds the follower and puts its webhook handler and the bot's standing in deps. It
// returns nil (and changes nothing) when there is no bot token or it is turned off.
func newTelegramMembers(deps *web.Deps, token, api string, f *tgMemberFlags) (*tgMembers, error) {
	if f.off || token == "" {
		return nil, nil
	}
	m := &tgMembers{client: tgmembers.NewClient(token, api), db: deps.DB, groups: deps.Groups, log: deps.Log,
		url: f.webhookURL, secret: os.Getenv("QUNKE_TELEGRAM_WEBHOOK_SECRET")}
	m.applier = &tgmembers.Applier{DB: deps.DB, Registry: deps.Groups, Groups: deps.Groups, BotID: tgmembers.BotID(token)}
	if m.url != "" {
		if err := tgmembers.CheckWebhook(m.url, m.secret); err != nil {
			return nil, err
		}
		deps.TelegramWebhook = &tgmembers.Webhook{Applier: m.applier, Secret: m.secret, Log: deps.Log}
	}
	deps.TelegramBot = tgmembers.Standing{DB: deps.DB}
	return m, nil
}

// start runs the follower until ctx ends or stop is called (before the database closes).
func (m *tgMembers) start(ctx context.Context) (stop func()) {
	if m == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if m.url != "" {
		m.log.Info("telegram members: by webhook", "url", m.url)
		wg.Go(func() { tgmembers.KeepWebhook(ctx, m.client, m.url, m.secret, m.log) })
	} else {
		m.log.Info("telegram members: by getUpdates polling, one server at a time")
		p := &tgmembers.Poller{Client: m.client, Applier: m.applier, Holder: store.Holder(), Log: m.log}
		wg.Go(func() { p.Run(ctx) })
	}
	wg.Go(func() { tgmembers.WatchBot(ctx, m.client, m.db, m.groups, m.log) })
	return func() { cancel(); wg.Wait() }
}
