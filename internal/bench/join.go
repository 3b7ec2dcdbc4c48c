package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/publish/poster"
	"github.com/qunke/qunke/internal/web"
)

// JoinConfig sets up the join page benchmark: visitors opening
// /join/{code} (70% with an inviter's ?i=) at Rate a second for Duration,
// sent on schedule (open loop) from Clients connections, against the real
// server with the visit buffer serve uses.
type JoinConfig struct {
	Dir      string // where the SQLite database is written
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Rate     int
	Duration time.Duration
	Clients  int
	Groups   int // pool groups, each with an uploaded QR
	Inviters int // distinct inviter references
	Log      io.Writer
}

// JoinResult is what the benchmark measured. Latency runs from the moment a
// visit was due (not from when a client was free to send it).
type JoinResult struct {
	Sent, Failed int
	Elapsed      time.Duration
	PerSec       float64
	Page         Latency // from when each visit was due to its answer
	Handler      Latency // inside the server's handler
	Counted      int64   // views stored after the server's buffer was closed
	CPU          time.Duration
}

// Join runs the benchmark.
func Join(ctx context.Context, cfg JoinConfig) (JoinResult, error) {
	var res JoinResult
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Rate <= 0 || cfg.Duration <= 0 || cfg.Clients <= 0 || cfg.Groups <= 0 || cfg.Inviters <= 0 {
		return res, errors.New("bench join: rate, duration, clients, groups and inviters must be positive")
	}
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "join.db", true)
	if err != nil {
		return res, err
	}
	defer done()
	log := slog.New(slog.DiscardHandler)
	var tag [4]byte
	rand.Read(tag[:])
	run := hex.EncodeToString(tag[:])
	reg := community.NewStore(db)
	st := joincode.NewStore(db)
	code := &joincode.Code{Code: "bench-" + run, Name: "bench join " + run, Campaign: "bench", Active: true}
	for i := range cfg.Groups {
		g := &community.Group{Name: fmt.Sprintf("bench join %s %d", run, i), Channel: community.Manual, Active: true,
			Capacity: 500, Members: int64(150 + 10*i)}
		if err := reg.Save(ctx, g); err != nil {
			return res, err
		}
		img, err := poster.QRPNG(fmt.Sprintf("https://weixin.qq.com/g/bench-%s-%d", run, i), 6)
		if err != nil {
			return res, err
		}
		if _, err := st.UploadQR(ctx, g.ID, img, "bench", time.Time{}); err != nil {
			return res, err
		}
		code.Groups = append(code.Groups, g.ID)
	}
	if err := st.Save(ctx, code); err != nil {
		return res, err
	}

	// Qunke's server as serve builds it, with the visit buffer.
	d := web.NewDeps(db, log)
	d.JoinCodes.Counter = joincode.NewCounter(d.JoinCodes.Store, time.Second, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	srv := web.NewServer(d)
	var hmu sync.Mutex
	var handler []time.Duration // time inside the handler (no connection queueing)
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.Now()
		srv.ServeHTTP(w, r)
		d := time.Since(t)
		hmu.Lock()
		handler = append(handler, d)
		hmu.Unlock()
	})
	hs := &http.Server{Handler: timed, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	n := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	paths := make([]string, n)
	base := "http://" + ln.Addr().String() + "/join/" + code.Code
	for i := range paths {
		paths[i] = base
		if i%10 < 7 {
			paths[i] += fmt.Sprintf("?i=inv%d", i%cfg.Inviters)
		}
	}
	fmt.Fprintf(cfg.Log, "%d visits of /join/%s prepared, %d pool groups\n", n, code.Code, cfg.Groups)
	lat, failed, elapsed, cpu := openLoop(ctx, n, cfg.Rate, cfg.Clients, func(c *http.Client, i int) (*http.Response, error) {
		return c.Get(paths[i])
	})
	res.Elapsed, res.CPU, res.Failed = elapsed, cpu, failed
	res.Sent = n
	res.PerSec = float64(n-res.Failed) / res.Elapsed.Seconds()
	res.Page = latency(lat)
	hmu.Lock()
	res.Handler = latency(handler)
	hmu.Unlock()
	// The server's shutdown: the buffer writes what waits.
	if err := d.JoinCodes.Counter.Close(ctx); err != nil {
		return res, err
	}
	res.Counted, err = st.TotalViews(ctx, code.ID)
	return res, err
}
