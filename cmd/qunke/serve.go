package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/web"
	"github.com/qunke/qunke/internal/wecom"
)

func newServeCmd(g *globals) *cobra.Command {
	var addr, tz, advisorCache string
	var withDemo bool
	var proxies []string
	var pf postingFlags
	var sf platformFlags
	var syncEvery, healthEvery, digestEvery, cohortsEvery time.Duration
	var cbf wecomCallbackFlags
	var wsf wecomAPIFlags // the WeCom member sync's
	var wecomEvery time.Duration
	var tf tgMemberFlags
	var lf ledgerFlags
	var joinWarnEvery time.Duration
	var publicURL string
	var cf campaignFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: g.h("cli.serve.short"),
		Long:  g.h("cli.serve.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			display, err := web.LoadZone(tz)
			if err != nil {
				return fmt.Errorf("--tz: %w", err)
			}
			trusted, err := web.ParseProxies(proxies)
			if err != nil {
				return fmt.Errorf("--trusted-proxy: %w", err)
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			// The leased jobs end (and release their leases, so another
			// server takes over at once) before the database closes.
			var jobs sync.WaitGroup
			defer jobs.Wait()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			// Every service is built once, here, and shared by the pages,
			// the planning loop and the worker. Zones: --tz is display
			// only; a group's slots follow the group's own zone; money and
			// day rollups follow Asia/Shanghai (the platforms' day).
			if pf.maxLate <= 0 {
				return fmt.Errorf("--max-late %s: give a positive duration, e.g. 15m", pf.maxLate)
			}
			deps := web.NewDeps(db, log)
			if err := useAdvisorCache(ctx, &deps, db, advisorCache, log); err != nil {
				return err
			}
			wsf.api = pf.wecomAPI
			wsf.useCorp(cmd.Flags())
			deps.WeComSync = newWeComSyncer(db, deps.Groups, wsf.client(), log)
			deps.Zone = display
			deps.Planner.Late = pf.maxLate
			deps.Planner.Links.Conv = converters(withDemo, &sf)
			if withDemo {
				cs := deps.Catalog
				items, _, err := cs.Counts(ctx)
				if err != nil {
					return err
				}
				if items == 0 {
					log.Info("empty database: building the demo market")
					m := demo.New(demo.Config{Seed: 1, Items: 20000, Snapshots: 400, Interval: 24 * time.Hour, End: demoEnd(time.Now())})
					if _, _, err := loadDemo(ctx, cs, m, newProgress(cmd.ErrOrStderr(), g.t("cli.demo_market"), false)); err != nil {
						return err
					}
				}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			log.Info("serving", "addr", "http://"+ln.Addr().String(), "db", db.Source, "pid", os.Getpid())
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
				log.Warn(g.t("cli.serve_plain_http"))
			}
			if n, err := web.SweepTemp(web.StaleTempAge); n > 0 || err != nil {
				log.Info("swept temporary files of interrupted imports", "removed", n, "err", err)
			}
			images, err := newPosterRenderer(ctx, db, log, &pf)
			if err != nil {
				return err
			}
			deps.Posters = &publish.PosterCache{R: images}
			// The callback shares the corp id with the member sync, which
			// reconciles the groups its events leave a gap in (when the API
			// has credentials; else the need is recorded and logged).
			cbf.cfg.CorpID = wsf.corpID
			var rec wecom.Reconciler
			if deps.WeComSync.API.HasCredentials() {
				rec = deps.WeComSync
			}
			stopWeCom, err := startWeComCallback(ctx, db, cbf.cfg, rec, &deps, log)
			defer stopWeCom() // after the server, before db.Close
			if err != nil {
				return err
			}
			tgm, err := newTelegramMembers(&deps, pf.telegramToken, pf.telegramAPI, &tf)
			if err != nil {
				return err
			}
			// Join codes: WeCom's join ways with the member sync's API
			// credentials, Telegram links with the posting bot, views
			// counted in memory and written every second (and at shutdown).
			deps.JoinCodes.WeCom = deps.WeComSync.API
			deps.SetPublicURL(publicURL) // inviters' links: join codes' and campaigns'
			if pf.telegramToken != "" {
				deps.JoinCodes.Telegram = tgmembers.NewClient(pf.telegramToken, pf.telegramAPI)
			}
			deps.JoinCodes.Counter = joincode.NewCounter(deps.JoinCodes.Store, time.Second, log)
			defer func() {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				if err := deps.JoinCodes.Counter.Close(cctx); err != nil {
					log.Error("join code views not written", "err", err)
				}
			}()
			if joinWarnEvery > 0 {
				jobs.Go(func() { deps.JoinCodes.RunWarnings(ctx, db, store.Holder(), joinWarnEvery) }) // one server at a time
			}
			srv := web.NewServer(deps)
			srv.SetTrustedProxies(trusted)
			srv.SetImages(images) // the lists' thumbnails: the same allowed hosts and cache
			var fakes *demoChannels
			if withDemo {
				fakes = newDemoChannels()
				defer fakes.Close()
			}
			stop, err := startPosting(ctx, deps, srv, &pf, fakes)
			defer stop() // before db.Close
			if err != nil {
				return err
			}
			go deps.Advisor.Follow(ctx, advisor.FollowEvery, log)    // imports by the CLI or other servers
			startDigest(ctx, &jobs, deps, display, digestEvery, log) // the boss's daily digest: leased, claimed once a day
			if healthEvery > 0 {
				jobs.Go(func() { deps.Health.Run(ctx, store.Holder(), healthEvery) }) // at start, then every --health-every, one server at a time
			}
			if cohortsEvery > 0 {
				jobs.Go(func() { deps.Cohorts.Run(ctx, store.Holder(), cohortsEvery) }) // the cohorts' and RFM's rollups, one server at a time
			}
			defer startOrderSync(ctx, db, &sf, syncEvery, log)() // stops the jobs before db.Close
			defer startWeComSync(ctx, deps.WeComSync, db, wecomEvery, log)()
			defer tgm.start(ctx)()                                 // Telegram joins, leaves, messages
			stopLedger, err := lf.start(ctx, db, deps.Orders, log) // members' and agents' shares
			if err != nil {
				return err
			}
			defer stopLedger()
			defer cf.start(ctx, db, deps.Campaigns, log)() // fission invites, counted from member events
			return srv.Serve(ctx, ln)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("QUNKE_ADDR", "127.0.0.1:8080"), g.h("cli.serve.flag.addr"))
	cmd.Flags().StringVar(&tz, "tz", envOr("QUNKE_TZ", "Asia/Shanghai"), g.h("cli.serve.flag.tz"))
	cmd.Flags().BoolVar(&withDemo, "demo", false, g.h("cli.serve.flag.demo"))
	cmd.Flags().StringSliceVar(&proxies, "trusted-proxy", splitList(os.Getenv("QUNKE_TRUSTED_PROXY")),
		g.h("cli.serve.flag.trusted_proxy"))
	pf.add(g, cmd)
	cmd.Flags().StringVar(&advisorCache, "advisor-cache", os.Getenv("QUNKE_ADVISOR_CACHE"), g.h("cli.serve.flag.advisor_cache"))
	cmd.Flags().DurationVar(&syncEvery, "sync-every", 5*time.Minute, g.h("cli.serve.flag.sync_every"))
	cmd.Flags().DurationVar(&healthEvery, "health-every", time.Hour, g.h("cli.health_every"))
	cmd.Flags().DurationVar(&digestEvery, "digest-every", 5*time.Minute, g.h("cli.serve.flag.digest_every"))
	cmd.Flags().DurationVar(&cohortsEvery, "cohorts-every", time.Hour, g.h("cli.cohorts_every"))
	sf.add(g, cmd.Flags())
	cbf.add(g, cmd.Flags())
	cbf.addCorp(g, cmd.Flags())
	wsf.addCorp(g, cmd.Flags()) // after the callback's flags, if they define it
	cmd.Flags().DurationVar(&wecomEvery, "wecom-sync-every", 3*time.Hour, g.h("cli.flag_wecom_sync_every"))
	tf.add(g, cmd.Flags())
	lf.add(g, cmd.Flags())
	cmd.Flags().StringVar(&publicURL, "public-url", os.Getenv("QUNKE_PUBLIC_URL"), g.h("cli.serve.flag.public_url"))
	cmd.Flags().DurationVar(&joinWarnEvery, "join-warn-every", 15*time.Minute, g.h("cli.serve.flag.join_warn_every"))
	cf.add(g, cmd.Flags())
	return cmd
}

// splitList splits a comma-separated environment value ("" is none).
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
