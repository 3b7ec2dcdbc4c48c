package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/spf13/pflag"

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

func (f *wecomCallbackFlags) add(g *globals, fl *pflag.FlagSet) {
	fl.StringVar(&f.cfg.Token, "wecom-callback-token", "", g.h("cli.serve.flag.wecom_callback_token"))
	fl.StringVar(&f.cfg.AESKey, "wecom-callback-aes-key", "", g.h("cli.serve.flag.wecom_callback_aes_key"))
}

// addCorp registers --wecom-corp-id, which the member sync shares: serve
// registers it once.
func (f *wecomCallbackFlags) addCorp(g *globals, fl *pflag.FlagSet) {
	fl.StringVar(&f.cfg.CorpID, "wecom-corp-id", "", g.h("cli.flag_wecom_corp_id"))
}

// startWeComCallback builds the callback into deps (before web.NewServer)
// and starts the inbox's worker, when the callback is configured. stop
// stops the worker and the inbox's writer: call it after the server has
// stopped and before the database closes. rec fetches a group again
// through the API when the events leave a gap (nil: the need is recorded
// and logged).
func startWeComCallback(ctx context.Context, db *store.DB, cfg wecom.Config, rec wecom.Reconciler, deps *web.Deps, log *slog.Logger) (stop func(), err error) {
	cfg = cfg.Env()
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
	w := &wecom.Worker{Inbox: inbox, Registry: deps.Groups, Reconciler: rec, Log: log, Holder: store.Holder()}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	log.Info("wecom callback on", "path", "/callback/wecom")
	return func() { cancel(); wg.Wait(); inbox.Close() }, nil
}
