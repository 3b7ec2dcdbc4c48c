package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/affiliate/dataoke"
	"github.com/qunke/qunke/internal/affiliate/jd"
	"github.com/qunke/qunke/internal/affiliate/pdd"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders/ordersync"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// platformFlags are the affiliate platforms' endpoints, for the order sync
// and link conversion (credentials come from the environment only: flags
// show in ps).
type platformFlags struct {
	alimamaAPI, jdAPI, pddAPI, dataokeAPI string
}

func (f *platformFlags) add(g *globals, fl *pflag.FlagSet) {
	fl.StringVar(&f.alimamaAPI, "alimama-api", envOr("QUNKE_ALIMAMA_API", alimama.DefaultBaseURL),
		g.h("cli.sync.flag.alimama_api"))
	fl.StringVar(&f.jdAPI, "jd-api", envOr("QUNKE_JD_API", jd.DefaultBaseURL), g.h("cli.flag_jd_api"))
	fl.StringVar(&f.pddAPI, "pdd-api", envOr("QUNKE_PDD_API", pdd.DefaultBaseURL), g.h("cli.flag_pdd_api"))
	fl.StringVar(&f.dataokeAPI, "dataoke-api", envOr("QUNKE_DATAOKE_API", dataoke.DefaultBaseURL), g.h("cli.flag_dataoke_api"))
}

// syncPlatform is one platform's order sync as the command and the server
// see it.
type syncPlatform struct {
	name    string // the --platform value and lease suffix
	label   string // for people: a message key
	needs   string // the environment variables it needs
	ok      bool   // they are set
	newSync func(db *store.DB) ordersync.Source
}

// syncPlatforms lists the platforms in their order, with their credentials
// from the environment.
func syncPlatforms(f *platformFlags) []syncPlatform {
	top := alimama.Config{AppKey: os.Getenv("QUNKE_ALIMAMA_APP_KEY"), AppSecret: os.Getenv("QUNKE_ALIMAMA_APP_SECRET"),
		Session: os.Getenv("QUNKE_ALIMAMA_SESSION"), BaseURL: f.alimamaAPI}
	jdc := jd.NewClient(jd.Config{AppKey: os.Getenv("QUNKE_JD_APP_KEY"), AppSecret: os.Getenv("QUNKE_JD_APP_SECRET"), BaseURL: f.jdAPI})
	pddc := pdd.NewClient(pdd.Config{ClientID: os.Getenv("QUNKE_PDD_CLIENT_ID"), ClientSecret: os.Getenv("QUNKE_PDD_CLIENT_SECRET"),
		BaseURL: f.pddAPI})
	return []syncPlatform{{
		name: "taobao", label: "cli.sync.taobao", needs: "QUNKE_ALIMAMA_APP_KEY, QUNKE_ALIMAMA_APP_SECRET",
		ok:      top.HasCredentials(),
		newSync: func(db *store.DB) ordersync.Source { return ordersync.New(alimama.NewClient(top), db) },
	}, {
		name: "jd", label: "platform.jd", needs: "QUNKE_JD_APP_KEY, QUNKE_JD_APP_SECRET",
		ok:      jdc.HasCredentials(),
		newSync: func(db *store.DB) ordersync.Source { return ordersync.NewJD(jdc, db) },
	}, {
		name: "pdd", label: "platform.pdd", needs: "QUNKE_PDD_CLIENT_ID, QUNKE_PDD_CLIENT_SECRET",
		ok:      pddc.HasCredentials(),
		newSync: func(db *store.DB) ordersync.Source { return ordersync.NewPDD(pddc, db) },
	}}
}

func newSyncCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: g.h("cli.sync.short"),
	}
	cmd.AddCommand(newSyncOrdersCmd(g), newSyncMembersCmd(g))
	return cmd
}

func newSyncOrdersCmd(g *globals) *cobra.Command {
	var platform, since string
	var f platformFlags
	cmd := &cobra.Command{
		Use:   "orders",
		Short: g.h("cli.sync.orders.short"),
		Long:  g.h("cli.sync.orders.long"),
		Example: `  qunke sync orders
  qunke sync orders --platform taobao --since 2026-11-01
  qunke sync orders --platform jd --since 48h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			from, err := syncSince(since, time.Now())
			if err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			todo, err := choosePlatforms(syncPlatforms(&f), platform, cmd.ErrOrStderr(), g.reader())
			if err != nil {
				return err
			}
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			holder := store.Holder()
			for _, p := range todo {
				if err := syncOnce(ctx, db, holder, p, from, cmd.OutOrStdout(), cmd.ErrOrStderr(), g.reader()); err != nil {
					return fmt.Errorf("%s: %w", g.t(p.label), err)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", g.h("cli.sync.flag.platform"))
	cmd.Flags().StringVar(&since, "since", "", g.h("cli.sync.flag.since"))
	f.add(g, cmd.Flags())
	return cmd
}

// choosePlatforms picks the platforms to sync: the one named (which must
// have credentials), or every one with credentials; warn tells, in lang,
// which are skipped.
func choosePlatforms(all []syncPlatform, name string, warn io.Writer, lang i18n.Lang) ([]syncPlatform, error) {
	var names []string
	for _, p := range all {
		names = append(names, p.name)
		if name != "" && p.name == name {
			if !p.ok {
				return nil, msg.New("cli.sync_no_credentials", msg.In(lang, msg.New(p.label)), p.needs)
			}
			return []syncPlatform{p}, nil
		}
	}
	if name != "" {
		return nil, msg.New("cli.sync_bad_platform", name, strings.Join(names, ", "))
	}
	var todo []syncPlatform
	for _, p := range all {
		if p.ok {
			todo = append(todo, p)
		} else {
			fmt.Fprintln(warn, msg.In(lang, msg.New("cli.sync_skipped", msg.In(lang, msg.New(p.label)), p.needs)))
		}
	}
	if len(todo) == 0 {
		return nil, msg.New("cli.sync_none")
	}
	return todo, nil
}

// syncOnce syncs one platform under its lease, showing windows done, and
// says what it did in lang.
func syncOnce(ctx context.Context, db *store.DB, holder string, p syncPlatform, from time.Time, out, errOut io.Writer,
	lang i18n.Lang) error {
	src := p.newSync(db)
	label := msg.In(lang, msg.New(p.label))
	bar := newProgress(errOut, msg.In(lang, msg.New("cli.sync_progress", label)), false)
	if s, ok := src.(interface{ SetProgress(func(done, total int)) }); ok {
		s.SetProgress(func(done, total int) { bar.Update(int64(done), int64(total)) })
	}
	var res ordersync.Result
	err := ordersync.Exclusive(ctx, db, p.name, holder, func(ctx context.Context) error {
		var err error
		if from.IsZero() {
			res, err = src.Resume(ctx, time.Now())
		} else {
			res, err = src.Sync(ctx, from, time.Now())
		}
		return err
	})
	bar.Finish()
	cur := msg.In(lang, msg.New("cli.sync_no_cursor"))
	if !res.Cursor.IsZero() {
		cur = res.Cursor.In(shanghai.Zone).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintln(out, msg.In(lang, msg.New("cli.sync_done", label, res.Windows, res.Orders, res.Stats.New, res.Stats.Updated,
		res.Stats.Unchanged, res.Stats.Regressed, cur)))
	return err
}

// syncSince reads --since: a date or date-time in Asia/Shanghai, RFC 3339,
// or a duration before now; "" is the zero time (resume).
func syncSince(s string, now time.Time) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, shanghai.Zone); err == nil {
			return t, nil
		}
	}
	return reportDate(s)
}

// startOrderSync starts a sync job per platform with credentials, each
// under its lease, every every (0: none); it logs which platforms it skips.
// stop ends the jobs and returns once they have stopped.
func startOrderSync(ctx context.Context, db *store.DB, f *platformFlags, every time.Duration, log *slog.Logger) (stop func()) {
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	stop = func() { cancel(); wg.Wait() }
	if every <= 0 {
		log.Info("order sync off: --sync-every 0")
		return stop
	}
	holder := store.Holder()
	for _, p := range syncPlatforms(f) {
		if !p.ok {
			log.Info("order sync off: no credentials", "platform", p.name, "needs", p.needs)
			continue
		}
		j := &ordersync.Job{Platform: p.name, Source: p.newSync(db), DB: db, Holder: holder, Every: every, Log: log}
		wg.Go(func() { j.Run(ctx) })
	}
	return stop
}
