// Package web is Qunke's HTTP face: the console pages and the JSON API. It is
// a thin layer over the domain packages (catalog, advisor, ...): handlers
// parse, authorise, call one of them, and render.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/ops"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/wecom"
)

// Server serves the console and the API.
type Server struct {
	db      *store.DB
	catalog *catalog.Store
	advisor *advisor.Advisor
	log     *slog.Logger
	mux     *routeMux
	msgs    *i18n.Catalog
	pages   pages
	zone    *time.Location // where pages show times (serve --tz)
	auth    *auth.Service
	logins  *auth.LoginGuard
	proxies []netip.Prefix // trusted reverse proxies (see clientIP)
	hashing chan struct{}  // slots for password hashing: bounds its memory
	imports importsState
	warm    atomic.Bool // the advisor has loaded every category

	// Posting (发单): the group registry, the posting store, the planner
	// behind "plan now", and the poster renderer (nil: no posters).
	groups   *community.Store
	publish  *publish.Store
	planner  *publish.Planner
	groupOps *ops.Groups
	orders   *orders.Store
	health   *health.Service
	posters  publish.Posters
	thumbs   Thumbnailer      // the lists' product images (nil: placeholders)
	noImage  failedImages     // images that could not be had, lately
	now      func() time.Time // the clock of the posting pages (tests set it)

	// wecomSync maps WeCom customer groups to groups (/groups/wecom).
	wecomSync *wecom.Syncer
	tgWebhook http.Handler
	tgBot     BotStanding

	// Insight: the acquisition costs and the reinvestment simulator.
	costs     *insight.Store
	campaigns *campaign.Store // fission campaigns (nil: no such pages)
	simulator *insight.Simulator
	boss      *insight.BossSources // the boss's tables (老板报表)
	economics *insight.Economics   // unit economics per group, tag, operator, cohort
	cohorts   *insight.Cohorts     // retention, repurchase, RFM (docs/cohorts.md)

	// Agents: the agents' console (scoped per reader) and the ledger's
	// payouts and rules.
	agents *growth.Console
	joins  *joincode.Service // join codes (群活码): /join/{code} and /joincodes
}

// Deps are the services a Server works with. cmd/qunke serve builds them
// once (NewDeps) and shares them with the posting worker and the planning
// loop; nothing in web builds its own.
type Deps struct {
	DB       *store.DB
	Log      *slog.Logger
	Catalog  *catalog.Store
	Advisor  *advisor.Advisor
	Groups   *community.Store
	Publish  *publish.Store
	Orders   *orders.Store
	GroupOps *ops.Groups
	Auth     *auth.Service
	// Costs are the acquisition costs; Simulator runs the reinvestment
	// simulator over the members registry and the orders.
	Costs     *insight.Store
	Simulator *insight.Simulator
	// Boss reads the boss's tables (groups, health's rollup, costs).
	Boss *insight.BossSources
	// Economics is the unit economics per group, tag, operator and cohort.
	Economics *insight.Economics
	// Cohorts are the retention and repurchase triangles and RFM, read
	// from the rollups serve's job rebuilds (nil: built over DB).
	Cohorts *insight.Cohorts
	// Planner plans posts: the serve loop plans each group's today with it,
	// the board's "plan now" a chosen day. A group's slots follow the
	// group's own zone, never Zone.
	Planner *publish.Planner
	Posters publish.Posters // the manual page's posters (nil: none)
	// Health judges the groups (the board, alerts); serve runs its job.
	Health *health.Service
	// Zone is where pages show times and read dates typed into forms: the
	// viewer's display zone (serve --tz). It changes nothing but display.
	Zone *time.Location
	// WeComCallback serves /callback/wecom (wecom.Callback), authenticated
	// by WeCom's signature, not by a login; nil: not configured, 404.
	WeComCallback http.Handler
	// WeComSync is the WeCom customer groups' member sync: the page that
	// maps customer groups to groups (serve gives it the API credentials).
	WeComSync *wecom.Syncer
	// TelegramWebhook answers Telegram's update deliveries at
	// /callback/telegram (tgmembers.Webhook; nil: no such route, updates
	// are polled).
	TelegramWebhook http.Handler
	// TelegramBot tells where the Telegram bot is not an admin (nil: the
	// pages say nothing of it).
	TelegramBot BotStanding
	// Agents is the agents' console: the tree, statements, payouts, share
	// rules (issue 15); Auth.Agents is its store, which confirms an agent
	// user's agent.
	Agents *growth.Console
	// JoinCodes are join codes (群活码): the public /join/{code} pages and
	// the operators' /joincodes (nil: NewServer builds one without WeCom
	// join ways, Telegram links or a visit buffer).
	JoinCodes *joincode.Service
	// Campaigns are the fission campaigns (裂变活动; nil: no such pages).
	Campaigns *campaign.Store
}

// BotStanding tells, of Telegram groups' targets, those whose chat the bot
// is known not to administer (tgmembers.Standing).
type BotStanding interface {
	NotAdmin(ctx context.Context, targets []string) (map[string]bool, error)
}

// NewDeps builds the services over an open, migrated database: pages in
// Asia/Shanghai, the advisor's items and placement-tagged links for the
// planner, no posters.
func NewDeps(db *store.DB, log *slog.Logger) Deps {
	cs := catalog.NewStore(db)
	adv := advisor.New(cs, advisor.Options{})
	d := Deps{DB: db, Log: log, Catalog: cs, Advisor: adv, Groups: community.NewStore(db), Publish: publish.NewStore(db),
		Orders: orders.NewStore(db), Auth: auth.New(db), Zone: shanghai.Zone}
	d.Planner = &publish.Planner{Store: d.Publish, Groups: d.Groups, Items: publish.AdvisorItems{A: adv}, Links: &publish.Linker{Store: d.Publish}}
	d.Health = health.NewService(db, log)
	d.GroupOps = &ops.Groups{DB: db, Groups: d.Groups, Publish: d.Publish, Orders: d.Orders, Health: d.Health.Store}
	d.Health.Groups, d.Health.Posts, d.Health.Orders = d.Groups, d.Publish, d.Orders
	d.Health.Registry = health.FromRegistry(d.Groups)
	d.WeComSync = &wecom.Syncer{API: wecom.NewClient("", "", ""), Registry: d.Groups, State: wecom.NewSyncStore(db), DB: db, Log: log}
	d.Costs = insight.NewStore(db)
	d.Boss = insight.NewBossSources(d.Groups, d.Health.Store, d.Costs)
	d.Agents = growth.NewConsole(db, d.Orders)
	d.Auth.Agents = d.Agents.Agents
	d.Economics = &insight.Economics{Groups: d.Groups, Stays: d.Groups, Orders: d.Orders, Costs: d.Costs,
		Ledger: ledger.NewStore(db), Health: d.Health.Store}
	d.Simulator = &insight.Simulator{Members: d.Groups, Income: d.Orders, Economics: d.Economics}
	d.JoinCodes = joincode.NewService(joincode.NewStore(db), d.Groups)
	d.JoinCodes.Notify, d.JoinCodes.Log = d.Health, log
	d.Cohorts = insight.NewCohorts(db, d.Groups, d.Orders)
	d.Cohorts.Log = log
	d.Campaigns = campaign.NewStore(db, d.Groups, ledger.NewStore(db), &campaign.PlatformLinker{Joins: d.JoinCodes, Groups: d.Groups})
	d.Campaigns.Board = d.Publish // the leaderboard goes out through the posting worker
	return d
}

// SetPublicURL sets the public address (serve's --public-url) the join
// codes' and the campaigns' personal links start with.
func (d *Deps) SetPublicURL(u string) {
	if d.JoinCodes != nil {
		d.JoinCodes.BaseURL = u
	}
	if d.Campaigns != nil {
		if l, ok := d.Campaigns.Linker.(*campaign.PlatformLinker); ok {
			l.BaseURL = u
		}
	}
}

// New returns a server over an open, migrated database, with NewDeps.
func New(db *store.DB, log *slog.Logger) *Server { return NewServer(NewDeps(db, log)) }

// NewServer returns a server working with d's services.
func NewServer(d Deps) *Server {
	msgs, err := i18n.Load()
	if err != nil {
		panic(err) // the catalogs are embedded: a test catches this
	}
	if d.Health == nil {
		d.Health = health.NewService(d.DB, d.Log)
	}
	if d.Boss == nil && d.Groups != nil && d.Costs != nil {
		d.Boss = insight.NewBossSources(d.Groups, d.Health.Store, d.Costs)
	}
	if d.Cohorts == nil {
		d.Cohorts = insight.NewCohorts(d.DB, community.NewStore(d.DB), orders.NewStore(d.DB))
	}
	zone := d.Zone
	if zone == nil {
		zone = shanghai.Zone
	}
	s := &Server{db: d.DB, catalog: d.Catalog, advisor: d.Advisor, log: d.Log, mux: &routeMux{ServeMux: http.NewServeMux()}, msgs: msgs, zone: zone,
		pages: loadPages(zone, "check", "login", "setup", "library", "rankings", "dashboard", "import", "users",
			"groups", "copytemplates", "plans", "plan", "board", "manual", "deliverylog", "orderimport", "income",
			"wecomchats",
			"members", "member",
			"health", "grouphealth", "alertsettings",
			"simulate",
			"boss",
			"agents", "agent", "agentrules", "payouts",
			"economics",
			"join", "joincodes", "joincode",
			"cohorts", "rfm",
			"campaigns", "campaign", "participant", "invite",
		), auth: d.Auth, logins: auth.NewLoginGuard(),
		hashing: make(chan struct{}, 2*runtime.NumCPU()), now: time.Now, groups: d.Groups, publish: d.Publish,
		planner: d.Planner, groupOps: d.GroupOps, orders: d.Orders, posters: d.Posters,
		tgWebhook: d.TelegramWebhook, tgBot: d.TelegramBot, wecomSync: d.WeComSync, health: d.Health,
		costs: d.Costs, simulator: d.Simulator, boss: d.Boss, agents: d.Agents, economics: d.Economics, joins: d.JoinCodes,
		cohorts: d.Cohorts, campaigns: d.Campaigns}
	if s.agents == nil && d.Orders != nil {
		s.agents = growth.NewConsole(d.DB, d.Orders)
	}
	if s.joins == nil && d.DB != nil {
		s.joins = joincode.NewService(joincode.NewStore(d.DB), d.Groups)
	}
	assets() // compress the static files now, not on the first page
	s.routes()
	if d.WeComCallback != nil {
		s.mux.Handle("/callback/wecom", d.WeComCallback)
	}
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /static/", staticHandler())
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.loginPage)
	s.mux.HandleFunc("GET /setup", s.setupPage)
	s.mux.HandleFunc("POST /setup", s.setupPage)
	s.mux.Handle("POST /logout", s.page(signedIn, s.logout))
	s.mux.Handle("GET /{$}", s.page(signedIn, s.home))
	s.mux.Handle("GET /library", s.page(auth.UseAdvisor, s.libraryPage))
	s.mux.Handle("GET /rankings", s.page(auth.UseAdvisor, s.rankingsPage))
	s.mux.Handle("GET /users", s.page(auth.ManageUsers, s.usersPage))
	s.mux.Handle("POST /users", s.page(auth.ManageUsers, s.usersAction))
	s.mux.Handle("GET /import", s.page(auth.ImportFeeds, s.importPage))
	s.mux.Handle("POST /import", s.upload(s.page(auth.ImportFeeds, s.importUpload)))
	s.mux.Handle("GET /import/{id}/rejected.csv", s.page(auth.ImportFeeds, s.importRejects))
	s.mux.Handle("GET /check", s.page(auth.UseAdvisor, s.checkPage))
	s.mux.Handle("POST /check", s.page(auth.UseAdvisor, s.checkPage))
	s.mux.Handle("POST /api/v1/check", s.api(auth.UseAdvisor, s.apiCheck))
	s.mux.Handle("GET /api/v1/items", s.api(auth.UseAdvisor, s.apiItems))
	s.mux.Handle("GET /api/v1/items/{platform}/{id}", s.api(auth.UseAdvisor, s.apiCard))
	s.mux.Handle("GET /api/v1/items/{platform}/{id}/history", s.api(auth.UseAdvisor, s.apiHistory))
	s.mux.Handle("GET /api/v1/rankings/{kind}", s.api(auth.UseAdvisor, s.apiRanking))
	s.mux.Handle("GET /api/v1/imports", s.api(auth.UseAdvisor, s.apiImports))
	s.mux.Handle("GET /api/v1/openapi.json", s.page(auth.ViewDashboard, s.openapi))
	s.postingRoutes()
	s.incomeRoutes()
	s.healthRoutes()
	s.insightRoutes()
	s.bossRoutes()
	s.economicsRoutes()
	s.cohortRoutes()
	s.orderImportRoutes()
	s.memberRoutes()
	s.thumbRoutes()
	s.bindingRoutes()
	s.wecomChatRoutes()
	s.agentRoutes()
	s.joinRoutes()
	s.inviteRoutes()
	s.campaignRoutes()
	if s.tgWebhook != nil {
		// Authenticated by its secret header, not by a session.
		s.mux.Handle("POST /callback/telegram", s.tgWebhook)
	}
}

// routeMux is the server's ServeMux, remembering the patterns registered
// (Routes): the agent role's test walks every route, new ones included.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// Routes lists the patterns the server serves, in registration order.
func (s *Server) Routes() []string { return append([]string(nil), s.mux.patterns...) }

// WaitWarm waits until the advisor has loaded the catalog (see Warm).
func (s *Server) WaitWarm(ctx context.Context) error {
	for !s.warm.Load() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy lets a page load only this server's own scripts,
// styles and images, and be framed by no one. The templates have no inline
// script (the charts' data sit in <script type="application/json">, which is
// never run) and no inline style; style attributes are allowed because
// ECharts' tooltips are HTML with style attributes (they cannot run code).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setSecurityHeaders hardens every response: the CSP above, no framing
// (clickjacking), no content-type sniffing, and no full URL in the Referer
// sent to other sites.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// healthz says the process is alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz says whether the server can do its work: the database answers and
// the advisor has loaded the catalog.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.db.PingContext(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(s.textIn(w, r)(msg.New("web.db_unavailable")) + "\n"))
		return
	}
	if !s.warm.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(s.textIn(w, r)(msg.New("web.loading")) + "\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// Warm loads the advisor's index (every category); readyz reports ready
// once it is done.
func (s *Server) Warm(ctx context.Context) error {
	t := time.Now()
	if err := s.advisor.Warm(ctx); err != nil {
		return err
	}
	s.warm.Store(true)
	s.log.Info("advisor warm", "elapsed", time.Since(t).Round(time.Millisecond))
	return nil
}

// ShutdownGrace is how long in-flight requests get to finish at shutdown.
const ShutdownGrace = 10 * time.Second

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to ShutdownGrace) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if err := s.Warm(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("advisor warm-up failed", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
