package wecom

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The kill test runs the server (callback and worker) in a child process,
// this test binary re-executed to run TestCallbackServerChild, and kills
// it with SIGKILL in the middle of a burst of callbacks.
const (
	envKillDSN  = "QUNKE_WECB_KILL_DSN"  // the database
	envKillAddr = "QUNKE_WECB_KILL_ADDR" // a file to write the server's address to
)

// TestCallbackServerChild is the child of TestCallbackKill9: it serves
// until it is killed. Run on its own it has nothing to do.
func TestCallbackServerChild(t *testing.T) {
	dsn := os.Getenv(envKillDSN)
	if dsn == "" {
		t.Skip("the child process of TestCallbackKill9")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	inbox := NewInbox(db)
	cb, err := NewCallback(vectorConfig, inbox, log)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/callback/wecom", cb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &Worker{Inbox: inbox, Registry: community.NewStore(db), Log: log, Holder: store.Holder(), Poll: 50 * time.Millisecond, Lease: time.Second}
	go w.Run(ctx)
	if err := os.WriteFile(os.Getenv(envKillAddr), []byte(ln.Addr().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	http.Serve(ln, mux)
}

// startChild starts a server process on db and returns its address.
func startChild(t *testing.T, dsn string) (*exec.Cmd, string) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCallbackServerChild$")
	cmd.Env = append(os.Environ(), envKillDSN+"="+dsn, envKillAddr+"="+addrFile)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 400 {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return cmd, string(b)
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the server process did not start")
	return nil, ""
}

// TestCallbackKill9: a server killed with SIGKILL during a burst of
// callbacks loses no event it answered 200, and after WeCom's retries
// (to a new server process) every event is applied exactly once.
func TestCallbackKill9(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reg := community.NewStore(db)
		g := &community.Group{Name: "kill -9", Channel: community.Manual}
		if err := reg.Save(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := reg.MapChat(ctx, community.SourceWeCom, "wrKill", g.ID); err != nil {
			t.Fatal(err)
		}
		dsn := db.Path()
		if dsn == "" {
			dsn = db.Source
		}
		c := vectorCrypto(t)
		const n = 400
		bodies, queries := make([]string, n), make([]string, n)
		for i := range n {
			msg := chatChange("wrKill", "add_member", t0+int64(i), fmt.Sprint("k", i), fmt.Sprint("k", i+1), fmt.Sprintf("wmK%03d", i))
			enc, err := c.Encrypt([]byte(msg), nil)
			if err != nil {
				t.Fatal(err)
			}
			ts, nonce := fmt.Sprint(t0+i), fmt.Sprint(i)
			queries[i] = "?" + url.Values{"msg_signature": {c.Signature(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}.Encode()
			bodies[i] = envelopeXML(enc)
		}
		client := &http.Client{Timeout: 5 * time.Second}
		// burst sends the events from 8 connections and returns which
		// were answered 200; kill, if set, runs after killAfter answers.
		burst := func(addr string, kill func(), killAfter int64) []bool {
			acked := make([]bool, n)
			var answered atomic.Int64
			var once sync.Once
			next := make(chan int)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for i := range next {
						res, err := client.Post("http://"+addr+"/callback/wecom"+queries[i], "text/xml", strings.NewReader(bodies[i]))
						if err != nil {
							continue
						}
						res.Body.Close()
						if res.StatusCode == http.StatusOK {
							acked[i] = true
							if answered.Add(1) == killAfter && kill != nil {
								once.Do(kill)
							}
						}
					}
				})
			}
			for i := range n {
				next <- i
			}
			close(next)
			wg.Wait()
			return acked
		}
		child, addr := startChild(t, dsn)
		acked := burst(addr, func() { child.Process.Kill() }, n/3)
		child.Wait()
		var before []int
		for i, ok := range acked {
			if ok {
				before = append(before, i)
			}
		}
		if len(before) < n/3 || len(before) == n {
			t.Fatalf("%d of %d answered before the kill: the kill came at the wrong time", len(before), n)
		}
		// Nothing answered was lost.
		stored := map[int64]bool{}
		rows, err := db.Query(`SELECT created_at FROM wecom_inbox`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var at int64
			rows.Scan(&at)
			stored[at] = true
		}
		rows.Close()
		for _, i := range before {
			if !stored[t0+int64(i)] {
				t.Fatalf("event %d was answered 200 and is not in the inbox", i)
			}
		}
		// WeCom retries what got no answer (here: everything again), up to
		// three times; on a loaded machine a retry may meet the killed
		// server's connections still holding their locks (lock_timeout).
		_, addr = startChild(t, dsn)
		answered := make([]bool, n)
		for try := 0; try < 3; try++ {
			for i, ok := range burst(addr, nil, 0) {
				answered[i] = answered[i] || ok
			}
			if !slices.Contains(answered, false) {
				break
			}
			time.Sleep(2 * time.Second)
		}
		for i, ok := range answered {
			if !ok {
				t.Fatalf("event %d not answered after three retries", i)
			}
		}
		in := NewInboxView(db)
		deadline := time.Now().Add(60 * time.Second)
		for {
			cnt, err := in.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cnt.New == 0 && cnt.Applied == n && cnt.Failed == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("inbox after the retries: %+v", cnt)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var events, inGroup int
		db.QueryRow(`SELECT count(*) FROM member_events`).Scan(&events)
		db.QueryRow(`SELECT count(*) FROM memberships WHERE group_id = $1`, g.ID).Scan(&inGroup)
		if events != n || inGroup != n {
			t.Fatalf("%d member events, %d memberships; want %d each", events, inGroup, n)
		}
	})
}
