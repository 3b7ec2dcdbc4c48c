package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
	"github.com/qunke/qunke/internal/wecom"
)

// wecomCallbackFlags configure /callback/wecom. Their defaults are empty
// and the environment fills what is left empty after parsing, so --help
// never shows a secret.
type wecomCallbackFlags struct {
	cfg wecom.Config
}

func (f *wecomCallbackFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.cfg.CorpID, "wecom-corp-id", "", msg.New("cli.flag_wecom_corp_id").Error())
	fl.StringVar(&f.cfg.Token, "wecom-callback-token", "", msg.New("cli.flag_wecom_callback_token").Error())
	fl.StringVar(&f.cfg.AESKey, "wecom-callback-aes-key", "", msg.New("cli.flag_wecom_callback_aes_key").Error())
}

// startWeComCallback builds the callback into deps (before web.NewServer)
// and starts the inbox's worker, when the callback is configured. stop
// stops the worker and the inbox's writer: call it after the server has
// stopped and before the database closes.
func startWeComCallback(ctx context.Context, db *store.DB, f *wecomCallbackFlags, deps *web.Deps, log *slog.Logger) (stop func(), err error) {
	cfg := f.cfg.Env()
	if !cfg.Enabled() {
		log.Info("wecom callback off: no token or key", "needs", wecom.EnvToken+", "+wecom.EnvAESKey+", "+wecom.EnvCorpID)
		return func() {}, nil
	}
	inbox := wecom.NewInbox(db)
	cb, err := wecom.NewCallback(cfg, inbox, log)
	if err != nil {
		inbox.Close()
		return func() {}, fmt.Errorf("wecom callback: %w", err)
	}
	deps.WeComCallback = cb
	w := &wecom.Worker{Inbox: inbox, Registry: deps.Groups, Log: log, Holder: store.Holder()}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	log.Info("wecom callback on", "path", "/callback/wecom")
	return func() { cancel(); wg.Wait(); inbox.Close() }, nil
}
