package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/web"
)

// APIConfig sets up the HTTP API benchmark.
type APIConfig struct {
	Dir       string
	Items     int
	Snapshots int
	Seed      uint64
	Clients   int // concurrent clients on loopback
	Checks    int // POST /api/v1/check requests
	Searches  int // GET /api/v1/items?q= requests
	Log       io.Writer
	// Profile, when set, is called before each measured phase ("check",
	// "search") and the function it returns when the phase ends: the
	// warm-up stays out of a CPU profile.
	Profile func(phase string) (stop func())
}

// APIResult is what the API benchmark measured.
type APIResult struct {
	Warm          time.Duration
	Check, Search Latency
	CheckGC       GCStats // garbage collection during the checks
	SearchGC      GCStats
	CheckRate     float64 // requests per second
	SearchRate    float64
	PeakRSS       int64
}

// API serves the demo market through the real server on a loopback port and
// measures the JSON API from concurrent clients. Traffic stays on 127.0.0.1
// and the number of requests is bounded.
func API(ctx context.Context, cfg APIConfig) (APIResult, error) {
	var res APIResult
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	m := demo.New(demo.Config{Seed: cfg.Seed, Items: cfg.Items, Snapshots: cfg.Snapshots, Interval: 24 * time.Hour, End: end})
	path := filepath.Join(cfg.Dir, fmt.Sprintf("advisor-%d-%d-%d.db", cfg.Items, cfg.Snapshots, cfg.Seed))
	db, _, _, err := openOrBuild(ctx, path, m, cfg.Log)
	if err != nil {
		return res, err
	}
	defer db.Close()
	srv := web.New(db, slog.New(slog.DiscardHandler))
	t := time.Now()
	if err := srv.Warm(ctx); err != nil {
		return res, err
	}
	res.Warm = time.Since(t)
	token, err := benchToken(ctx, auth.New(db))
	if err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go srv.Serve(sctx, ln)
	base := "http://" + ln.Addr().String()

	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	checks := make([]*http.Request, cfg.Checks)
	for i := range checks {
		it := m.Item(rng.IntN(cfg.Items))
		body, _ := json.Marshal(map[string]string{"text": "【好价】" + it.ShortTitle + " 券后速抢\n商品ID：" + it.ItemID + "\n客服 13812345678"})
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/check", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		checks[i] = req
	}
	searches := make([]*http.Request, cfg.Searches)
	for i := range searches {
		title := []rune(m.Item(rng.IntN(cfg.Items)).Title)
		at := rng.IntN(max(1, len(title)-2))
		q := url.Values{"q": {string(title[at : at+2])}, "limit": {"50"}}
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/items?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		searches[i] = req
	}
	phase := func(name string, reqs []*http.Request, lat *Latency, rate *float64, gc *GCStats) error {
		fmt.Fprintf(cfg.Log, "%d %ss from %d clients\n", len(reqs), name, cfg.Clients)
		runtime.GC()
		stop := func() {}
		if cfg.Profile != nil {
			stop = cfg.Profile(name)
		}
		before := readGC()
		var err error
		*lat, *rate, err = load(ln.Addr().String(), reqs, cfg.Clients)
		*gc = readGC().since(before)
		stop()
		return err
	}
	if err := phase("check", checks, &res.Check, &res.CheckRate, &res.CheckGC); err != nil {
		return res, err
	}
	if err := phase("search", searches, &res.Search, &res.SearchRate, &res.SearchGC); err != nil {
		return res, err
	}
	_, res.PeakRSS = rss()
	return res, nil
}

func benchToken(ctx context.Context, a *auth.Service) (string, error) {
	u, err := a.UserByName(ctx, "bench")
	if errors.Is(err, auth.ErrUserNotFound) {
		var pw [12]byte
		for i := range pw {
			pw[i] = byte('a' + rand.IntN(26))
		}
		u, err = a.CreateUser(ctx, auth.NewUser{Name: "bench", Role: auth.Selector, Password: string(pw[:])})
	}
	if err != nil {
		return "", err
	}
	tok, _, err := a.IssueToken(ctx, u.ID, "bench")
	return tok, err
}

// load sends every request once from n concurrent clients and returns the
// latencies and the rate achieved. Each client owns one keep-alive
// connection and writes a request and reads its answer in its own goroutine,
// as a load tool such as wrk does: net/http's client would add two goroutine
// hand-offs a request, and on a 2-core machine shared with the server those
// waits, not the server, made most of the tail.
func load(addr string, reqs []*http.Request, n int) (Latency, float64, error) {
	lat := make([]time.Duration, len(reqs))
	wire := make([][]byte, len(reqs))
	for i, r := range reqs {
		var b bytes.Buffer
		if err := r.Write(&b); err != nil {
			return Latency{}, 0, err
		}
		wire[i] = b.Bytes()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				fail(err)
				for range next {
				}
				return
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for i := range next {
				t := time.Now()
				err := roundTrip(conn, br, wire[i], reqs[i])
				lat[i] = time.Since(t)
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	return latency(lat), float64(len(reqs)) / elapsed.Seconds(), firstErr
}

// roundTrip writes one serialised request and reads the whole answer.
func roundTrip(conn net.Conn, br *bufio.Reader, wire []byte, req *http.Request) error {
	if _, err := conn.Write(wire); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return err
}

// GCStats is what the garbage collector did during a phase.
type GCStats struct {
	Cycles   uint64
	CPU      time.Duration // GC CPU time, all cores (runtime/metrics estimate, updated at each cycle)
	Total    time.Duration // CPU the process used in the phase (user + system, server and clients)
	Alloc    uint64        // bytes allocated
	LiveHeap uint64        // heap in use at the end
}

// Share is the part of the process's CPU the collector took.
func (g GCStats) Share() float64 {
	if g.Total <= 0 {
		return 0
	}
	return float64(g.CPU) / float64(g.Total)
}

func readGC() GCStats {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return GCStats{Cycles: s[0].Value.Uint64(), CPU: time.Duration(s[1].Value.Float64() * 1e9),
		Total: processCPU(), Alloc: s[2].Value.Uint64(), LiveHeap: s[3].Value.Uint64()}
}

func (g GCStats) since(b GCStats) GCStats {
	return GCStats{Cycles: g.Cycles - b.Cycles, CPU: g.CPU - b.CPU, Total: g.Total - b.Total, Alloc: g.Alloc - b.Alloc, LiveHeap: g.LiveHeap}
}
