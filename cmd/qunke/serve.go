package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/web"
)

func newServeCmd(g *globals) *cobra.Command {
	var addr, tz string
	var withDemo bool
	var proxies []string
	var pf postingFlags
	var sf platformFlags
	var syncEvery time.Duration
	var wf wecomCallbackFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "启动 Web 服务与发单引擎 (start the web console, API and posting engine)",
		Long: `启动 Web 服务（默认 127.0.0.1:8080）。/healthz 表示进程存活，/readyz 在数据库可用且商品库加载完成后返回 200。
--demo 在数据库为空时先生成演示市场和演示群组，并用本机内置的 Telegram/企业微信模拟服务发单（不连外网）。
发单：每隔 --plan-every 自动排期当天的时段，后台按各平台限速发送。
订单：每隔 --sync-every 从配置了凭证（只读环境变量，见 qunke sync orders --help）的联盟平台同步订单，共用数据库的多台服务器同时只有一台在同步。
SIGINT/SIGTERM 时等待进行中的请求结束后退出。

Start the web server (default 127.0.0.1:8080). /healthz says the process is alive; /readyz answers 200
once the database responds and the catalog is loaded. --demo fills an empty database with the demo
market and demo groups first, and posts through built-in stand-ins for Telegram and WeCom (no internet).
Posting: today's slots are planned every --plan-every and sent in the background within each platform's
rate limits. Orders are synced every --sync-every from each affiliate platform with credentials
(environment only, see qunke sync orders --help), one server at a time on a shared database.
On SIGINT/SIGTERM it lets in-flight requests finish, then exits.`,
		Args: cobra.NoArgs,
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
			// Every service is built once, here, and shared by the pages,
			// the planning loop and the worker. Zones: --tz is display
			// only; a group's slots follow the group's own zone; money and
			// day rollups follow Asia/Shanghai (the platforms' day).
			if pf.maxLate <= 0 {
				return fmt.Errorf("--max-late %s: give a positive duration, e.g. 15m", pf.maxLate)
			}
			deps := web.NewDeps(db, log)
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
				log.Warn("服务不在本机回环地址上，且没有 TLS：请在前面放一个 HTTPS 反向代理（设置 X-Forwarded-Proto），否则登录 cookie 不能设为 Secure " +
					"(serving plain HTTP beyond loopback: put an HTTPS reverse proxy in front, setting X-Forwarded-Proto, so session cookies can be Secure)")
			}
			if n, err := web.SweepTemp(web.StaleTempAge); n > 0 || err != nil {
				log.Info("swept temporary files of interrupted imports", "removed", n, "err", err)
			}
			images, err := newPosterRenderer(ctx, db, log, &pf)
			if err != nil {
				return err
			}
			deps.Posters = &publish.PosterCache{R: images}
			stopWeCom, err := startWeComCallback(ctx, db, &wf, &deps, log)
			defer stopWeCom() // after the server, before db.Close
			if err != nil {
				return err
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
			go deps.Advisor.Follow(ctx, advisor.FollowEvery, log) // imports by the CLI or other servers
			defer startOrderSync(ctx, db, &sf, syncEvery, log)()  // stops the jobs before db.Close
			return srv.Serve(ctx, ln)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("QUNKE_ADDR", "127.0.0.1:8080"), "监听地址 (listen address) [QUNKE_ADDR]")
	cmd.Flags().StringVar(&tz, "tz", envOr("QUNKE_TZ", "Asia/Shanghai"), "页面显示时间的时区，不影响发单时段（按各群时区） (time zone pages show times in; posting slots follow each group's own zone) [QUNKE_TZ]")
	cmd.Flags().BoolVar(&withDemo, "demo", false, "数据库为空时生成演示市场和群组，发往内置模拟服务 (fill an empty database with the demo market and groups; post to built-in stand-ins)")
	cmd.Flags().StringSliceVar(&proxies, "trusted-proxy", splitList(os.Getenv("QUNKE_TRUSTED_PROXY")),
		"可信反向代理的地址或网段（逗号分隔），只采信它们的 X-Forwarded-For 作为客户端地址 (reverse proxies, CIDRs or IPs, whose X-Forwarded-For names the client; ignored from anyone else) [QUNKE_TRUSTED_PROXY]")
	pf.add(cmd)
	cmd.Flags().DurationVar(&syncEvery, "sync-every", 5*time.Minute, "每隔多久从联盟平台同步一次订单，0 为不同步 (how often to sync orders from the affiliate platforms; 0: never)")
	sf.add(cmd.Flags())
	wf.add(cmd.Flags())
	return cmd
}

// splitList splits a comma-separated environment value ("" is none).
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
