package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/publish/channel/webhook"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wcfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
)

// postingFlags configure the posting engine of `qunke serve`.
type postingFlags struct {
	telegramToken string
	telegramAPI   string
	wecomAPI      string
	imageCache    string
	imageHosts    []string
	imageCacheMB  int64
	noWorker      bool
	planEvery     time.Duration
	maxLate       time.Duration
}

func (f *postingFlags) add(g *globals, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.telegramToken, "telegram-token", os.Getenv("QUNKE_TELEGRAM_TOKEN"), g.h("cli.posting.flag.telegram_token"))
	fl.StringVar(&f.telegramAPI, "telegram-api", envOr("QUNKE_TELEGRAM_API", telegram.DefaultBaseURL), g.h("cli.posting.flag.telegram_api"))
	fl.StringVar(&f.wecomAPI, "wecom-api", envOr("QUNKE_WECOM_API", wecom.DefaultBaseURL), g.h("cli.posting.flag.wecom_api"))
	fl.StringVar(&f.imageCache, "image-cache", os.Getenv("QUNKE_IMAGE_CACHE"), g.h("cli.posting.flag.image_cache"))
	fl.StringSliceVar(&f.imageHosts, "image-hosts", poster.DefaultImageHosts, g.h("cli.posting.flag.image_hosts"))
	fl.Int64Var(&f.imageCacheMB, "image-cache-mb", 2048, g.h("cli.posting.flag.image_cache_mb"))
	fl.BoolVar(&f.noWorker, "no-worker", false, g.h("cli.posting.flag.no_worker"))
	fl.DurationVar(&f.planEvery, "plan-every", 5*time.Minute, g.h("cli.posting.flag.plan_every"))
	fl.DurationVar(&f.maxLate, "max-late", publish.DefaultLate, g.h("cli.posting.flag.max_late"))
}

// demoChannels are in-process stand-ins for Telegram and WeCom (the
// channel packages' fake servers) that `serve --demo` posts to, so the
// demo shows posts going out without touching the internet.
type demoChannels struct {
	tg   *tgfake.Server
	wc   *wcfake.Server
	next atomic.Int64
}

func newDemoChannels() *demoChannels { return &demoChannels{tg: tgfake.New(), wc: wcfake.New()} }

func (d *demoChannels) TelegramChat() string {
	id := strconv.FormatInt(-1001000000000-d.next.Add(1), 10)
	d.tg.AddChat(id)
	return id
}

func (d *demoChannels) WeComRobot() string { return d.wc.AddRobot() }

// adopt registers the stored demo groups' targets with the stand-ins (they
// start empty at every run).
func (d *demoChannels) adopt(ctx context.Context, gs *community.Store) error {
	groups, err := gs.List(ctx, community.Filter{})
	if err != nil {
		return err
	}
	for _, g := range groups {
		switch g.Channel {
		case community.Telegram:
			d.tg.AddChat(g.Target)
		case community.WeCom:
			d.wc.AddRobotKey(g.Target)
		}
	}
	return nil
}

func (d *demoChannels) Close() { d.tg.Close(); d.wc.Close() }

// newPosterRenderer builds the poster renderer (its image cache beside
// the database unless --image-cache says where) and keeps its cache pruned
// until ctx ends.
func newPosterRenderer(ctx context.Context, db *store.DB, log *slog.Logger, f *postingFlags) (*poster.Renderer, error) {
	cache := f.imageCache
	if cache == "" {
		if p := db.Path(); p != "" {
			cache = filepath.Join(filepath.Dir(p), "qunke-images")
		} else if dir, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(dir, "qunke", "images")
		}
	}
	r, err := poster.NewRenderer(poster.Options{CacheDir: cache, Logger: log, ImageHosts: f.imageHosts, CacheMaxBytes: f.imageCacheMB << 20})
	if err != nil {
		return nil, err
	}
	go pruneImages(ctx, r, log)
	return r, nil
}

// startPosting runs the planning loop and the delivery worker over the
// services in d (the ones srv works with) until ctx ends. With fakes
// (serve --demo) the senders talk to them instead of the real platforms.
// Call stop before closing the database: it gives up the planning lease,
// so another server (or this one, restarted) plans at once.
func startPosting(ctx context.Context, d web.Deps, srv *web.Server, f *postingFlags, fakes *demoChannels) (stop func(), err error) {
	stop = func() {}
	db, log := d.DB, d.Log
	if fakes != nil {
		if err := fakes.adopt(ctx, d.Groups); err != nil {
			return stop, err
		}
	}
	if f.noWorker {
		return stop, nil
	}
	tg := telegram.New(f.telegramToken)
	tg.BaseURL = f.telegramAPI
	wc := wecom.New()
	wc.BaseURL = f.wecomAPI
	if fakes != nil {
		tg.Token, tg.BaseURL, wc.BaseURL = fakes.tg.Token, fakes.tg.URL, fakes.wc.URL
	}
	senders := map[community.Channel]channel.Sender{community.WeCom: wc, community.Webhook: webhook.New("")}
	if tg.Token != "" {
		senders[community.Telegram] = tg
	} else {
		log.Info("no Telegram bot token: Telegram groups' posts wait (set --telegram-token or QUNKE_TELEGRAM_TOKEN)")
	}
	// Health alerts go through the same senders (a Telegram chat, a WeCom
	// robot), before the health job starts.
	d.Health.Senders = senders
	pl := d.Planner
	w := &publish.Worker{Store: d.Publish, Groups: d.Groups, Senders: senders, Posters: d.Posters, Items: pl.Items, Log: log,
		MaxLate: f.maxLate}
	go func() {
		if err := w.Run(ctx); err != nil {
			log.Error("posting worker stopped", "err", err)
		}
	}()
	holder := store.Holder()
	go func() {
		if err := srv.WaitWarm(ctx); err != nil {
			return
		}
		if fakes != nil {
			seedDemoPosting(ctx, db, d.Advisor, fakes, log)
			// Judge the demo's groups at once: the board and the
			// dashboard show them without waiting for the hourly job,
			// and their alerts go (or are marked as having no target)
			// now, not an hour later. Alerts are claimed before sending,
			// so another server's job cannot send them twice.
			if _, err := d.Health.RunOnce(ctx); err != nil {
				log.Error("demo group health", "err", err)
			}
		}
		// One server plans at a time (the lease); the others take over
		// if it stops renewing.
		for {
			ok, err := db.Lease(ctx, plannerLease, holder, 2*f.planEvery+time.Minute)
			if ok {
				var st publish.PlanStats
				// Each group's own today, in its own zone (docs/posting.md).
				st, err = pl.PlanToday(ctx)
				if st.Planned > 0 {
					log.Info("planned posts", "planned", st.Planned, "skipped", st.Skipped)
				}
			}
			if err != nil && ctx.Err() == nil {
				log.Error("planning", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(f.planEvery):
			}
		}
	}()
	return func() { db.Release(context.WithoutCancel(ctx), plannerLease, holder) }, nil
}

// plannerLease names the lease of the planning loop (docs/posting.md).
const plannerLease = "publish.planner"

// pruneImages keeps the poster image cache within its cap: at start and
// every six hours.
func pruneImages(ctx context.Context, r *poster.Renderer, log *slog.Logger) {
	for {
		if files, freed, err := r.PruneCache(); err != nil {
			log.Warn("image cache prune", "err", err)
		} else if files > 0 {
			log.Info("image cache pruned", "files", files, "bytes", freed)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(6 * time.Hour):
		}
	}
}

// seedDemoPosting adds the demo's groups and a week of posting history
// (the advisor must be warm).
func seedDemoPosting(ctx context.Context, db *store.DB, adv *advisor.Advisor, fakes *demoChannels, log *slog.Logger) {
	n, k, err := seedDemoCommunity(ctx, db, adv, fakes)
	if err != nil {
		log.Error("demo groups", "err", err)
		return
	}
	if n > 0 {
		log.Info("demo groups, plans, posts, members and orders added", "groups", n, "days", demoPostingDays, "orders", k)
	}
}

// demoPostingDays is how much posting history the demo plays back: enough
// for two settlement months.
const demoPostingDays = 60

// seedDemoCommunity adds the demo's groups, plans and posting history to a
// registry that has no groups, then the members who lived through those
// days (docs/demo.md), the orders that follow the posts and the members,
// and the agent tree with its ledger.
// It returns the groups and orders added.
func seedDemoCommunity(ctx context.Context, db *store.DB, adv *advisor.Advisor, ch demo.Channels) (int, int, error) {
	now := time.Now()
	n, err := demo.SeedPosting(ctx, db, adv, ch, now, demoPostingDays)
	if err != nil || n == 0 {
		return n, 0, err
	}
	if _, _, err := demo.Members(ctx, db, 1, now); err != nil {
		return n, 0, err
	}
	k, err := demo.Orders(ctx, db, 1, now)
	if err != nil {
		return n, k, err
	}
	if _, err = demo.Costs(ctx, db, 1, now, demoPostingDays); err != nil { // the boss's tables' cost, CAC and payback
		return n, k, err
	}
	// A small agent tree with orders, postings and a payout (issue 15).
	if _, err = demo.Agents(ctx, db, now); err != nil {
		return n, k, err
	}
	if _, err = demo.JoinCodes(ctx, db, now); err != nil {
		return n, k, err
	}
	if _, err = demo.Campaign(ctx, db, now); err != nil { // a fission campaign with honest and fraudulent invites
		return n, k, err
	}
	// The cohorts and RFM over what was just seeded (serve's job rebuilds
	// them hourly after).
	_, err = insight.NewCohorts(db, community.NewStore(db), orders.NewStore(db)).Refresh(ctx)
	return n, k, err
}

// offlineChannels names chats and robots for `qunke demo`; `serve --demo`
// registers them with its stand-ins when it starts.
type offlineChannels struct{ n int64 }

func (c *offlineChannels) TelegramChat() string {
	c.n++
	return strconv.FormatInt(-1001000000000-c.n, 10)
}

func (c *offlineChannels) WeComRobot() string {
	c.n++
	return fmt.Sprintf("demo-robot-%04d", c.n)
}
