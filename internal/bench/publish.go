package bench

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wcfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// PublishConfig sets up the posting benchmark: a morning batch of Products
// items into Groups groups, each a WeCom robot.
type PublishConfig struct {
	Dir      string
	Products int
	Groups   int
	// Send, when > 0, then runs the delivery worker for this long against
	// the local WeCom stand-in (20 messages a minute per robot) and counts
	// what each robot received.
	Send time.Duration
	Log  io.Writer
}

// PublishResult is what the posting benchmark measured.
type PublishResult struct {
	Deliveries  int
	Plan        time.Duration // planning: rules, copy, one durable row per post
	Render      time.Duration // every post's poster, product parts once per product
	PosterBytes int64         // average PNG size
	Workers     int

	// Sending (with Send > 0).
	Sent          int     // posts confirmed
	Messages      int     // platform messages accepted (a post is image + text)
	Refused       int     // 45009 answers: the platform's limit was hit
	MaxInWindow   int     // the most messages one robot received in any 60 s window
	Windows       int     // complete rate-limit windows in the run
	Utilization   float64 // messages accepted in those windows / what the limits allow in them
	SendSeconds   float64
	PostsPerRobot float64
}

// Publish plans and renders a morning batch and optionally sends it.
func Publish(ctx context.Context, cfg PublishConfig) (PublishResult, error) {
	var res PublishResult
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	db, err := store.Open(ctx, filepath.Join(cfg.Dir, fmt.Sprintf("publish-%d.db", time.Now().UnixNano())))
	if err != nil {
		return res, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return res, err
	}
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai.Zone)
	m := demo.New(demo.Config{Seed: 1, Items: 3000, Snapshots: 60, Interval: 24 * time.Hour, End: end})
	// Product images come from a local server (a photo-like JPEG each).
	imgs := httptest.NewServer(http.HandlerFunc(serveProductImage))
	defer imgs.Close()
	recs := m.AppendRecords(nil, 0, 3000)
	for i := range recs {
		recs[i].Item.ImageURL = imgs.URL + "/" + recs[i].Item.ItemID + ".jpg"
	}
	cs := catalog.NewStore(db)
	if _, err := cs.Ingest(ctx, recs); err != nil {
		return res, err
	}
	adv := advisor.New(cs, advisor.Options{})
	rows, err := adv.Rank(ctx, advisor.RankQuery{Kind: advisor.RankToday, Limit: cfg.Products})
	if err != nil {
		return res, err
	}
	gs := community.NewStore(db)
	fake := wcfake.New()
	defer fake.Close()
	for i := range cfg.Groups {
		g := &community.Group{Name: fmt.Sprintf("群%04d", i), Channel: community.WeCom, Target: fake.AddRobot(),
			PIDTaobao: fmt.Sprintf("mm_1_2_%d", 100000+i), Tags: []string{"bench"}, Active: true}
		if err := gs.Save(ctx, g); err != nil {
			return res, err
		}
	}
	ps := publish.NewStore(db)
	plan := &publish.Plan{Name: "早间批次", Tag: "bench", Slots: []int{8 * 60}, PerSlot: cfg.Products, DailyCap: cfg.Products, RepeatDays: 7, Active: true}
	if err := ps.SavePlan(ctx, plan); err != nil {
		return res, err
	}
	for _, r := range rows {
		if err := ps.Enqueue(ctx, publish.Queued{PlanID: plan.ID, Key: r.Entry.Key(), ChosenPrice: r.Entry.Now.FinalPrice}); err != nil {
			return res, err
		}
	}
	adv = advisor.New(cs, advisor.Options{}) // sees the image URLs
	// The morning of the market's last day: its coupons still run.
	morning := time.Date(end.Year(), end.Month(), end.Day(), 6, 0, 0, 0, end.Location())
	pl := &publish.Planner{Store: ps, Groups: gs, Items: publish.AdvisorItems{A: adv}, Links: &publish.Linker{Store: ps, Conv: publish.NewConverters(&standin.Converter{})},
		Now: func() time.Time { return morning }}
	fmt.Fprintf(cfg.Log, "planning %d products x %d groups\n", cfg.Products, cfg.Groups)
	t0 := time.Now()
	st, err := pl.PlanDay(ctx, morning)
	if err != nil {
		return res, err
	}
	res.Plan = time.Since(t0)
	res.Deliveries = st.Planned

	// Render every post's poster the way the worker does.
	r, err := poster.NewRenderer(poster.Options{CacheDir: filepath.Join(cfg.Dir, "images"),
		ImageHosts: []string{"127.0.0.1"}, AllowPrivate: true}) // the images' local server
	if err != nil {
		return res, err
	}
	cache := &publish.PosterCache{R: r, MaxBases: cfg.Products}
	board, err := ps.Board(ctx, morning, morning.AddDate(0, 0, 1))
	if err != nil {
		return res, err
	}
	groups, err := gs.List(ctx, community.Filter{})
	if err != nil {
		return res, err
	}
	byID := map[int64]*community.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	res.Workers = runtime.GOMAXPROCS(0)
	fmt.Fprintf(cfg.Log, "rendering %d posters on %d workers\n", len(board), res.Workers)
	t0 = time.Now()
	var total atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range res.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(board) {
					return
				}
				png, err := cache.Poster(ctx, board[i], byID[board[i].GroupID])
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				total.Add(int64(len(png)))
			}
		}()
	}
	wg.Wait()
	res.Render = time.Since(t0)
	if firstErr != nil {
		return res, firstErr
	}
	if len(board) > 0 {
		res.PosterBytes = total.Load() / int64(len(board))
	}
	if cfg.Send <= 0 {
		return res, nil
	}
	return sendBatch(ctx, cfg, res, db, ps, gs, cache, fake, morning)
}

// sendBatch runs the worker against the WeCom stand-in for cfg.Send.
func sendBatch(ctx context.Context, cfg PublishConfig, res PublishResult, db *store.DB, ps *publish.Store, gs *community.Store,
	cache *publish.PosterCache, fake *wcfake.Server, morning time.Time) (PublishResult, error) {
	wc := wecom.New()
	wc.BaseURL = fake.URL
	// The worker's clock starts at the batch's slot, so the batch is due.
	slot, t0 := morning.Add(2*time.Hour), time.Now()
	w := &publish.Worker{Store: ps, Groups: gs, Posters: cache, Concurrency: 64, Poll: 200 * time.Millisecond,
		Senders: map[community.Channel]channel.Sender{community.WeCom: wc},
		Now:     func() time.Time { return slot.Add(time.Since(t0)) }}
	fmt.Fprintf(cfg.Log, "sending for %s through %d WeCom robots (20 messages a minute each)\n", cfg.Send, cfg.Groups)
	sctx, cancel := context.WithTimeout(ctx, cfg.Send)
	defer cancel()
	if err := w.Run(sctx); err != nil {
		return res, err
	}
	res.SendSeconds = time.Since(t0).Seconds()
	counts, err := ps.Counts(ctx, morning, morning.AddDate(0, 0, 1))
	if err != nil {
		return res, err
	}
	sent := counts[publish.Sent]
	res.Sent = sent
	res.PostsPerRobot = float64(sent) / float64(cfg.Groups)
	for _, rq := range fake.Requests() {
		if rq.ErrCode == 45009 {
			res.Refused++
		}
	}
	groups, err := gs.List(ctx, community.Filter{})
	if err != nil {
		return res, err
	}
	// The worker counts 20 per 61.2 s (the platform's minute plus its 2%
	// margin). Utilization: messages received in the run's complete windows
	// over what the limits allow in them (20 per robot per window).
	window := time.Minute + time.Minute/50
	windows := int(time.Duration(res.SendSeconds*float64(time.Second)) / window)
	inWindows := 0
	for _, g := range groups {
		msgs := fake.Messages(g.Target)
		res.Messages += len(msgs)
		for i := range msgs {
			if msgs[i].At.Before(t0.Add(time.Duration(windows) * window)) {
				inWindows++
			}
			// The most messages in any 60 s window.
			j := i
			for j < len(msgs) && msgs[j].At.Sub(msgs[i].At) < time.Minute {
				j++
			}
			res.MaxInWindow = max(res.MaxInWindow, j-i)
		}
	}
	if windows > 0 {
		res.Windows = windows
		res.Utilization = float64(inWindows) / float64(cfg.Groups*20*windows)
	}
	return res, nil
}

// serveProductImage answers any path with an 800x800 photo-like JPEG whose
// colours depend on the path.
func serveProductImage(w http.ResponseWriter, r *http.Request) {
	h := uint32(2166136261)
	for _, c := range []byte(r.URL.Path) {
		h = (h ^ uint32(c)) * 16777619
	}
	img := image.NewRGBA(image.Rect(0, 0, 800, 800))
	for y := range 800 {
		for x := range 800 {
			img.Set(x, y, color.RGBA{uint8(x/4 + int(h)), uint8(y/4 + int(h>>8)), uint8((x+y)/8 + int(h>>16)), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(b.Bytes())
}

// String prints the result as the docs record it.
func (r PublishResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "deliveries %d: plan %s, posters %s (%.2f ms/poster wall, %d workers, avg %d KB), total %s\n",
		r.Deliveries, r.Plan.Round(time.Millisecond), r.Render.Round(time.Millisecond),
		float64(r.Render.Microseconds())/1000/float64(max(r.Deliveries, 1)), r.Workers, r.PosterBytes/1024,
		(r.Plan + r.Render).Round(time.Millisecond))
	if r.SendSeconds > 0 {
		fmt.Fprintf(&b, "send %.0f s: %d posts, %d messages, %.1f posts per robot, max %d messages in any 60 s per robot, %d refused (45009), limiter utilization %.1f%% over %d complete windows\n",
			r.SendSeconds, r.Sent, r.Messages, r.PostsPerRobot, r.MaxInWindow, r.Refused, 100*r.Utilization, r.Windows)
	}
	return b.String()
}
