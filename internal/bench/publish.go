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
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Products int
	Groups   int
	// Send, when > 0, then runs the delivery worker for this long against
	// the local WeCom stand-in (20 messages a minute per robot) and counts
	// what each robot received.
	Send time.Duration
	// Convert converts the links through stand-ins limited as the
	// platforms are: 10 calls/s for TOP (20 items a call), JD and PDD (one
	// item a call); else through an unlimited stand-in.
	Convert bool
	Log     io.Writer
}

// PublishResult is what the posting benchmark measured.
type PublishResult struct {
	Deliveries  int
	Plan        time.Duration // planning: rules, copy, one durable row per post
	Posters     int           // posters rendered: every post on the day's board (with Convert, the noon re-slot's too)
	Render      time.Duration // every post's poster, product parts once per product
	PosterBytes int64         // average PNG size
	Workers     int

	// Conversion (with Convert).
	Calls      map[string]int // calls per platform stand-in in the planning run
	Least      time.Duration  // the least planning time those calls allow at 10 calls/s
	Replan     time.Duration  // a re-plan of the same slots
	Reslot     time.Duration  // the same queue planned again at another slot
	Reconverts int            // items converted again by the re-plan and the other slot

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
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "publish.db", true)
	if err != nil {
		return res, err
	}
	defer done()
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
			PIDTaobao: fmt.Sprintf("mm_1_2_%d", 100000+i), PIDJD: fmt.Sprintf("1_2_%d", 100000+i),
			PIDPDD: fmt.Sprintf("1_%d", 100000+i), Tags: []string{"bench"}, Active: true}
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
	limited := limitedStandins()
	conv := publish.NewConverters(&standin.Converter{})
	if cfg.Convert {
		conv = publish.NewConverters(limited[0], limited[1], limited[2])
	}
	pl := &publish.Planner{Store: ps, Groups: gs, Items: publish.AdvisorItems{A: adv}, Links: &publish.Linker{Store: ps, Conv: conv},
		Now: func() time.Time { return morning }}
	fmt.Fprintf(cfg.Log, "planning %d products x %d groups\n", cfg.Products, cfg.Groups)
	t0 := time.Now()
	st, err := pl.PlanDay(ctx, morning)
	if err != nil {
		return res, err
	}
	res.Plan = time.Since(t0)
	res.Deliveries = st.Planned
	if cfg.Convert {
		if err := replan(ctx, &res, pl, ps, plan, limited, morning); err != nil {
			return res, err
		}
	}

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
	res.Posters = len(board)
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

// limitedStandins stand in for TOP (20 items a call), JD and PDD (one item a
// call), each allowing 10 calls a second.
func limitedStandins() [3]*standin.Converter {
	return [3]*standin.Converter{
		{Only: []string{"taobao", "tmall"}, Batch: 20, PerSecond: 10},
		{Only: []string{"jd"}, Batch: 1, PerSecond: 10},
		{Only: []string{"pdd"}, Batch: 1, PerSecond: 10},
	}
}

// replan records the planning run's calls and the least time they allow,
// then plans the same slots again (a restart) and the same queue at another
// slot, counting what converts again.
func replan(ctx context.Context, res *PublishResult, pl *publish.Planner, ps *publish.Store, plan *publish.Plan,
	limited [3]*standin.Converter, morning time.Time) error {
	res.Calls = map[string]int{}
	before := 0
	for i, c := range limited {
		calls, items := c.Calls()
		res.Calls[[]string{"TOP", "JD", "PDD"}[i]] = calls
		res.Least = max(res.Least, time.Duration(max(calls-1, 0))*time.Second/10)
		before += items
	}
	t0 := time.Now()
	if _, err := pl.PlanDay(ctx, morning); err != nil {
		return err
	}
	res.Replan = time.Since(t0)
	queue, err := ps.Queue(ctx, plan.ID)
	if err != nil {
		return err
	}
	noon := &publish.Plan{Name: "午间批次", Tag: plan.Tag, Slots: []int{12 * 60}, PerSlot: plan.PerSlot, DailyCap: 2 * plan.DailyCap, Active: true}
	if err := ps.SavePlan(ctx, noon); err != nil {
		return err
	}
	for _, q := range queue {
		if err := ps.Enqueue(ctx, publish.Queued{PlanID: noon.ID, Key: q.Key, ChosenPrice: q.ChosenPrice}); err != nil {
			return err
		}
	}
	t0 = time.Now()
	if _, err := pl.PlanDay(ctx, morning); err != nil {
		return err
	}
	res.Reslot = time.Since(t0)
	after := 0
	for _, c := range limited {
		_, items := c.Calls()
		after += items
	}
	res.Reconverts = after - before
	return nil
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
	fmt.Fprintf(&b, "deliveries %d: plan %s, %d posters %s (%.2f ms/poster wall, %d workers, avg %d KB), total %s\n",
		r.Deliveries, r.Plan.Round(time.Millisecond), r.Posters, r.Render.Round(time.Millisecond),
		float64(r.Render.Microseconds())/1000/float64(max(r.Posters, 1)), r.Workers, r.PosterBytes/1024,
		(r.Plan + r.Render).Round(time.Millisecond))
	if r.Calls != nil {
		fmt.Fprintf(&b, "conversion: calls TOP %d, JD %d, PDD %d at 10/s: least %s, planning %s (%.1f%% over); re-plan %s, same queue at another slot %s, items converted again %d\n",
			r.Calls["TOP"], r.Calls["JD"], r.Calls["PDD"], r.Least.Round(time.Millisecond), r.Plan.Round(time.Millisecond),
			100*(r.Plan.Seconds()/max(r.Least.Seconds(), 1e-9)-1), r.Replan.Round(time.Millisecond), r.Reslot.Round(time.Millisecond), r.Reconverts)
	}
	if r.SendSeconds > 0 {
		fmt.Fprintf(&b, "send %.0f s: %d posts, %d messages, %.1f posts per robot, max %d messages in any 60 s per robot, %d refused (45009), limiter utilization %.1f%% over %d complete windows\n",
			r.SendSeconds, r.Sent, r.Messages, r.PostsPerRobot, r.MaxInWindow, r.Refused, 100*r.Utilization, r.Windows)
	}
	return b.String()
}
