package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
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

func (f *tgMemberFlags) add(g *globals, fl *pflag.FlagSet) {
	fl.BoolVar(&f.off, "no-telegram-members", false, g.h("cli.serve.flag.no_telegram_members"))
	fl.StringVar(&f.webhookURL, "telegram-webhook-url", os.Getenv("QUNKE_TELEGRAM_WEBHOOK_URL"), g.h("cli.serve.flag.telegram_webhook_url"))
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

// newTelegramCmd is `qunke telegram check`: the bot's setup as Telegram sees it and what Qunke holds.
func newTelegramCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "telegram", Short: g.h("cli.telegram.short")}
	var api string
	check := &cobra.Command{
		Use:   "check",
		Short: g.h("cli.telegram.check.short"),
		Long:  g.h("cli.telegram.check.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			token := os.Getenv("QUNKE_TELEGRAM_TOKEN")
			if token == "" {
				return msg.New("tg.no_token")
			}
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			c := tgmembers.NewClient(token, api)
			me, err := c.GetMe(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, g.t("tg.bot", me.Username, me.ID))
			if me.CanReadAllGroupMessages {
				fmt.Fprintln(out, g.t("tg.privacy_off"))
			} else {
				fmt.Fprintln(out, g.t("tg.privacy_on"))
			}
			info, err := c.GetWebhookInfo(ctx)
			if err != nil {
				return err
			}
			groups := community.NewStore(db)
			a := &tgmembers.Applier{DB: db, Registry: groups, Groups: groups, BotID: tgmembers.BotID(token)}
			off, err := a.Offset(ctx)
			if err != nil {
				return err
			}
			if info.URL != "" {
				fmt.Fprintln(out, g.t("tg.by_webhook", info.URL, info.PendingUpdateCount))
				if info.LastErrorMessage != "" {
					fmt.Fprintln(out, g.t("tg.webhook_error", time.Unix(info.LastErrorDate, 0).In(shanghai.Zone).Format("2006-01-02 15:04"), info.LastErrorMessage))
				}
			} else {
				fmt.Fprintln(out, g.t("tg.by_polling", off))
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelError}))
			if _, err := tgmembers.CheckBot(ctx, c, db, groups, log); err != nil {
				return err
			}
			gs, err := groups.List(ctx, community.Filter{Channel: community.Telegram})
			if err != nil {
				return err
			}
			var targets []string
			for _, gr := range gs {
				targets = append(targets, gr.Target)
			}
			notAdmin, err := tgmembers.Standing{DB: db}.NotAdmin(ctx, targets)
			if err != nil {
				return err
			}
			tw := newWideTable(out)
			defer tw.Flush()
			for _, gr := range gs {
				standing := g.t("tg.admin")
				if notAdmin[gr.Target] {
					standing = g.t("groups.bot_not_admin")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", gr.Name, gr.Target, standing)
			}
			return nil
		},
	}
	check.Flags().StringVar(&api, "telegram-api", envOr("QUNKE_TELEGRAM_API", tgmembers.DefaultBaseURL), g.h("cli.telegram.flag.api"))
	cmd.AddCommand(check)
	return cmd
}
