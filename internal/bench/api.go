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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
)

// APIConfig sets up the HTTP API benchmark.
type APIConfig struct {
	Dir       string
	Postgres  string // a postgres:// URL: build the market in a schema of its own there, dropped at the end
	Items     int
	Snapshots int
	Seed      uint64
	Clients   int // concurrent clients on loopback
	Checks    int // POST /api/v1/check requests
	Searches  int // GET /api/v1/items?q= requests
	// CheckRates and SearchRates list the load of each measured phase:
	// 0 is a closed loop with no pause between requests, a positive rate
	// the requests a second all clients send together, each on a Poisson
	// schedule (open loop). Empty means one closed-loop phase.
	CheckRates, SearchRates []float64
	Log                     io.Writer
	// Profile, when set, is called before each measured phase (named
	// "check-0", "search-1"...) and the function it returns when the phase
	// ends: the warm-up stays out of a CPU profile.
	Profile func(phase string) (stop func())
	// ClientCommand, when set, is the command line that runs the clients in
	// their own process (RunAPIClients behind it); empty: in this process.
	ClientCommand []string
}

// APIResult is what the API benchmark measured.
type APIResult struct {
	Build   time.Duration // building the market (0 when a SQLite one was reused)
	Warm    time.Duration
	GCTime  time.Duration // one full garbage collection of the warm server, idle
	Phases  []APIPhase
	PeakRSS int64
}

// APIPhase is one measured load of one endpoint.
type APIPhase struct {
	Name    string  // "check" or "search"
	Offered float64 // requests a second offered; 0: closed loop
	Latency Latency
	Rate    float64 // requests a second answered
	// GC is the server's garbage collection and CPU in the phase; with the
	// clients in this process, its CPU includes theirs.
	GC        GCStats       `json:"-"`
	ClientCPU time.Duration // CPU the clients used
}

// API serves the demo market through the real server on a loopback port and
// measures the JSON API from concurrent clients. Traffic stays on 127.0.0.1
// and the number of requests is bounded.
func API(ctx context.Context, cfg APIConfig) (APIResult, error) {
	var res APIResult
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai.Zone)
	m := demo.New(demo.Config{Seed: cfg.Seed, Items: cfg.Items, Snapshots: cfg.Snapshots, Interval: 24 * time.Hour, End: end})
	db, built, done, err := openMarket(ctx, cfg.Dir, cfg.Postgres, m, cfg.Log)
	if err != nil {
		return res, err
	}
	defer done()
	res.Build = built
	srv := web.New(db, slog.New(slog.DiscardHandler))
	t := time.Now()
	if err := srv.Warm(ctx); err != nil {
		return res, err
	}
	res.Warm = time.Since(t)
	// One full collection of the warm heap, timed: what every GC cycle
	// marks while the server works.
	runtime.GC()
	t = time.Now()
	runtime.GC()
	res.GCTime = time.Since(t)
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
	var gc []GCStats
	stopProfile := func() {}
	defer func() { stopProfile() }()

	// Server-side figures per phase, taken when the clients mark a phase's
	// start and end.
	var before GCStats
	mark := func(phase int, start bool) {
		if start {
			runtime.GC()
			if cfg.Profile != nil {
				stopProfile = cfg.Profile(phaseName(cfg, phase))
			}
			before = readGC()
			return
		}
		gc = append(gc, readGC().since(before))
		stopProfile()
		stopProfile = func() {}
	}
	var phases []APIPhase
	if len(cfg.ClientCommand) > 0 {
		phases, err = spawnClients(ctx, cfg, ln.Addr().String(), token, mark)
	} else {
		phases, err = runClients(ctx, cfg, ln.Addr().String(), token, mark)
	}
	for i := range phases {
		if i < len(gc) {
			phases[i].GC = gc[i]
		}
	}
	res.Phases = phases
	if err != nil {
		return res, err
	}
	_, res.PeakRSS = rss()
	return res, nil
}

// openMarket opens the demo market m: the SQLite store under dir built by an
// earlier run (or built now), or on PostgreSQL a schema of its own, built
// now and dropped by done. built is the time building took (0: reused).
func openMarket(ctx context.Context, dir, postgres string, m *demo.Market, log io.Writer) (db *store.DB, built time.Duration,
	done func(), err error) {
	cfg := m.Config()
	if postgres == "" {
		path := filepath.Join(dir, fmt.Sprintf("advisor-%d-%d-%d.db", cfg.Items, cfg.Snapshots, cfg.Seed))
		if db, _, built, err = openOrBuild(ctx, path, m, log); err != nil {
			return nil, 0, nil, err
		}
		return db, built, func() { db.Close() }, nil
	}
	if db, done, err = benchDB(ctx, OrdersConfig{Postgres: postgres}, "", true); err != nil {
		return nil, 0, nil, err
	}
	fmt.Fprintf(log, "building the market on PostgreSQL: %d items x %d snapshots\n", cfg.Items, cfg.Snapshots)
	if built, err = buildMarket(ctx, catalog.NewStore(db), m); err != nil {
		done()
		return nil, 0, nil, err
	}
	return db, built, done, nil
}

// phases lists the measured phases: each endpoint at each of its rates.
func phases(cfg APIConfig) []APIPhase {
	var out []APIPhase
	for _, ph := range []struct {
		name  string
		rates []float64
	}{{"check", cfg.CheckRates}, {"search", cfg.SearchRates}} {
		if len(ph.rates) == 0 {
			ph.rates = []float64{0}
		}
		for _, r := range ph.rates {
			out = append(out, APIPhase{Name: ph.name, Offered: r})
		}
	}
	return out
}

func phaseName(cfg APIConfig, i int) string {
	if ps := phases(cfg); i < len(ps) {
		return fmt.Sprintf("%s-%d", ps[i].Name, i)
	}
	return fmt.Sprint(i)
}

// apiRequests builds the benchmark's requests for the server at addr, the
// same for the same configuration: a check is a message with one item id of
// the demo market and a phone number; a search, a 2-character word of a
// random demo title.
func apiRequests(ctx context.Context, cfg APIConfig, addr, token string) (checks, searches []*http.Request) {
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai.Zone)
	m := demo.New(demo.Config{Seed: cfg.Seed, Items: cfg.Items, Snapshots: cfg.Snapshots, Interval: 24 * time.Hour, End: end})
	base := "http://" + addr
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	checks = make([]*http.Request, cfg.Checks)
	for i := range checks {
		it := m.Item(rng.IntN(cfg.Items))
		body, _ := json.Marshal(map[string]string{"text": "【好价】" + it.ShortTitle + " 券后速抢\n商品ID：" + it.ItemID + "\n客服 13812345678"})
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/check", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		checks[i] = req
	}
	searches = make([]*http.Request, cfg.Searches)
	for i := range searches {
		title := []rune(m.Item(rng.IntN(cfg.Items)).Title)
		at := rng.IntN(max(1, len(title)-2))
		q := url.Values{"q": {string(title[at : at+2])}, "limit": {"50"}}
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/items?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		searches[i] = req
	}
	return checks, searches
}

// probe sends the first check and the first search and reads their answers
// as the API documents them (internal/apiv1): a benchmark of error pages or
// of checks that find no card would measure nothing.
func probe(checks, searches []*http.Request) error {
	if len(checks) > 0 {
		var rep apiv1.Report
		if err := fetchJSON(checks[0], &rep); err != nil {
			return err
		}
		if len(rep.Results) == 0 || rep.Results[0].Card == nil {
			return fmt.Errorf("bench: the check of %s found no card: %+v", checks[0].URL.Path, rep.Results)
		}
	}
	if len(searches) > 0 {
		var lib apiv1.Library
		if err := fetchJSON(searches[0], &lib); err != nil {
			return err
		}
		if len(lib.Items) == 0 {
			return fmt.Errorf("bench: the search %s found nothing", searches[0].URL.RawQuery)
		}
	}
	return nil
}

// fetchJSON sends a copy of req and decodes its answer, which must be 200.
func fetchJSON(req *http.Request, v any) error {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		var err error
		if r.Body, err = req.GetBody(); err != nil {
			return err
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: %s %s: status %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("bench: %s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// runClients runs every phase's clients in this process, calling mark at
// the start and end of each.
func runClients(ctx context.Context, cfg APIConfig, addr, token string, mark func(phase int, start bool)) ([]APIPhase, error) {
	checks, searches := apiRequests(ctx, cfg, addr, token)
	if err := probe(checks, searches); err != nil {
		return nil, err
	}
	out := phases(cfg)
	for i := range out {
		p := &out[i]
		reqs := checks
		if p.Name == "search" {
			reqs = searches
		}
		fmt.Fprintf(cfg.Log, "%d %s requests from %d clients\n", len(reqs), p.Name, cfg.Clients)
		mark(i, true)
		cpu := processCPU()
		var err error
		p.Latency, p.Rate, err = load(addr, reqs, cfg.Clients, p.Offered, cfg.Seed)
		p.ClientCPU = processCPU() - cpu
		mark(i, false)
		if err != nil {
			return out[:i+1], err
		}
	}
	return out, nil
}

// clientLine is one line the client process writes: a phase starts or
// ends, or, last, the results.
type clientLine struct {
	Mark   int        `json:"mark"`
	Start  bool       `json:"start,omitempty"`
	Phases []APIPhase `json:"phases,omitempty"`
	Err    string     `json:"error,omitempty"`
}

// RunAPIClients is the client process of the API benchmark: it runs every
// phase against the server at addr and writes JSON lines to w. After each
// mark it waits for a line on ack: the server takes its figures (and
// collects its garbage) before a phase starts, not during it.
func RunAPIClients(ctx context.Context, cfg APIConfig, addr, token string, w io.Writer, ack io.Reader) error {
	enc := json.NewEncoder(w)
	acks := bufio.NewReader(ack)
	ps, err := runClients(ctx, cfg, addr, token, func(i int, start bool) {
		enc.Encode(clientLine{Mark: i, Start: start})
		acks.ReadString('\n')
	})
	last := clientLine{Mark: -1, Phases: ps}
	if err != nil {
		last.Err = err.Error()
	}
	return enc.Encode(last)
}

// ClientTokenEnv passes the API token to the client process (not on its
// command line, where ps would show it).
const ClientTokenEnv = "QUNKE_BENCH_TOKEN"

// spawnClients runs the clients in another process (cfg.ClientCommand) so
// that they share the machine's cores with the server but not its Go
// scheduler, as real clients would.
func spawnClients(ctx context.Context, cfg APIConfig, addr, token string, mark func(phase int, start bool)) ([]APIPhase, error) {
	floats := func(fs []float64) string {
		var parts []string
		for _, f := range fs {
			parts = append(parts, strconv.FormatFloat(f, 'f', -1, 64))
		}
		return strings.Join(parts, ",")
	}
	args := append(slices.Clone(cfg.ClientCommand[1:]), "--addr", addr, "--items", strconv.Itoa(cfg.Items),
		"--snapshots", strconv.Itoa(cfg.Snapshots), "--seed", strconv.FormatUint(cfg.Seed, 10),
		"--clients", strconv.Itoa(cfg.Clients), "--checks", strconv.Itoa(cfg.Checks), "--searches", strconv.Itoa(cfg.Searches))
	if len(cfg.CheckRates) > 0 {
		args = append(args, "--rate", floats(cfg.CheckRates))
	}
	if len(cfg.SearchRates) > 0 {
		args = append(args, "--search-rate", floats(cfg.SearchRates))
	}
	cmd := exec.CommandContext(ctx, cfg.ClientCommand[0], args...)
	cmd.Env = append(os.Environ(), ClientTokenEnv+"="+token)
	cmd.Stderr = cfg.Log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	ack, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the client process: %w", err)
	}
	var last clientLine
	dec := json.NewDecoder(out)
	for {
		var l clientLine
		if err := dec.Decode(&l); err != nil {
			if err != io.EOF {
				ack.Close()
				cmd.Process.Kill()
				cmd.Wait()
				return nil, fmt.Errorf("bench: read the client process: %w", err)
			}
			break
		}
		if l.Mark >= 0 {
			mark(l.Mark, l.Start)
			io.WriteString(ack, "\n")
		} else {
			last = l
		}
	}
	if err := cmd.Wait(); err != nil {
		return last.Phases, fmt.Errorf("bench: the client process: %w", err)
	}
	if last.Err != "" {
		return last.Phases, errors.New(last.Err)
	}
	return last.Phases, nil
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
// hand-offs a request on the two cores the server uses too.
//
// With rate 0 the clients are a closed loop: each sends its next request as
// soon as the last is answered, so the server is always saturated and the
// latency is about n ÷ throughput. With a rate (requests a second, all
// clients together) each client sends on its own Poisson schedule of rate/n
// and a latency counts from when the request was due, not when it could be
// sent, so a slow answer also delays the ones queued behind it (no
// coordinated omission); when the client was idle, the clock starts when
// it wakes.
func load(addr string, reqs []*http.Request, n int, rate float64, seed uint64) (Latency, float64, error) {
	lat := make([]time.Duration, len(reqs))
	wire := make([][]byte, len(reqs))
	for i, r := range reqs {
		if r.GetBody != nil { // a fresh body for each phase
			var err error
			if r.Body, err = r.GetBody(); err != nil {
				return Latency{}, 0, err
			}
		}
		var b bytes.Buffer
		if err := r.Write(&b); err != nil {
			return Latency{}, 0, err
		}
		wire[i] = b.Bytes()
	}
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
	var next atomic.Int64 // closed loop: the next request to send
	start := time.Now()
	for c := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				fail(err)
				return
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			due := start
			for k := 0; ; k++ {
				var i int
				if rate > 0 {
					// This client's share: requests c, c+n, c+2n...
					if i = c + k*n; i >= len(reqs) {
						return
					}
					due = due.Add(time.Duration(rng.ExpFloat64() * float64(n) / rate * float64(time.Second)))
					if now := time.Now(); due.After(now) {
						// Idle until due: the clock starts when the timer
						// fires (it may fire up to a millisecond late, which
						// is not the server's doing).
						time.Sleep(due.Sub(now))
						due = time.Now()
					}
				} else {
					if i = int(next.Add(1) - 1); i >= len(reqs) {
						return
					}
					due = time.Now()
				}
				err := roundTrip(conn, br, wire[i], reqs[i])
				lat[i] = time.Since(due)
				if err != nil {
					fail(err)
				}
			}
		}()
	}
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
