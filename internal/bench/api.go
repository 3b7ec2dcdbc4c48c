package bench

import (
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
}

// APIResult is what the API benchmark measured.
type APIResult struct {
	Warm          time.Duration
	Check, Search Latency
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
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients}}

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
	fmt.Fprintf(cfg.Log, "%d checks from %d clients\n", cfg.Checks, cfg.Clients)
	if res.Check, res.CheckRate, err = load(client, checks, cfg.Clients); err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Log, "%d searches from %d clients\n", cfg.Searches, cfg.Clients)
	if res.Search, res.SearchRate, err = load(client, searches, cfg.Clients); err != nil {
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
// latencies and the rate achieved.
func load(c *http.Client, reqs []*http.Request, n int) (Latency, float64, error) {
	lat := make([]time.Duration, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				req := reqs[i]
				if req.GetBody == nil && req.Body != nil {
					req.Body = io.NopCloser(req.Body)
				}
				t := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, resp.StatusCode)
					}
				}
				lat[i] = time.Since(t)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
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
