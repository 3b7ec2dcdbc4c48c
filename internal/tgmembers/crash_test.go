package tgmembers_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/tgmembers"
)

// The kill test runs the poller in a child process (this test binary, re-executed) and kills it with
// SIGKILL while it applies updates.
const (
	envChild = "QUNKE_TG_CRASH_CHILD" // database DSN
	envURL   = "QUNKE_TG_CRASH_URL"
	envToken = "QUNKE_TG_CRASH_TOKEN"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(envChild); dsn != "" {
		os.Exit(crashChild(dsn))
	}
	os.Exit(m.Run())
}

// crashChild polls until killed, a few updates per batch, under a short lease.
func crashChild(dsn string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	token := os.Getenv(envToken)
	cs := community.NewStore(db)
	p := &tgmembers.Poller{Client: tgmembers.NewClient(token, os.Getenv(envURL)),
		Applier: &tgmembers.Applier{DB: db, Registry: cs, Groups: cs, BotID: tgmembers.BotID(token)},
		Holder:  store.Holder(), Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Timeout: time.Second, Limit: 3, TTL: 600 * time.Millisecond, MaxWait: 100 * time.Millisecond}
	p.Run(ctx)
	return 0
}

// TestKillPoller: updates applied by a poller killed at random moments, restarted each time, are all
// there once: every message counted once, every join a member.
func TestKillPoller(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dsn := db.Path()
		if dsn == "" {
			dsn = db.Source
		}
		const joins, msgs = 30, 300
		var last int64
		for i := range msgs {
			if i%(msgs/joins) == 0 {
				u := int64(100 + i/(msgs/joins))
				e.tg.Push("chat_member", chatMember(u, u, "left", "member", int64(i), link))
			}
			last = e.tg.Push("message", message(int64(100+i%joins), int64(i), ""))
		}
		run := func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"="+dsn, envURL+"="+e.tg.URL, envToken+"="+e.tg.Token)
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			return cmd
		}
		kills := 0
		deadline := time.Now().Add(60 * time.Second)
		for offset(t, e) != last+1 {
			if time.Now().After(deadline) {
				t.Fatalf("not done after %d kills: offset %d, want %d", kills, offset(t, e), last+1)
			}
			// Kill it once it has applied a few more batches (or after a while: it may wait for the lease).
			from, k := offset(t, e), int64(10+rand.IntN(40))
			cmd := run()
			for wait := time.Now().Add(5 * time.Second); time.Now().Before(wait); time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond) {
				if off := offset(t, e); off == last+1 || off >= from+k && from != 0 || from == 0 && off >= k {
					break
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			kills++
		}
		if kills < 5 {
			t.Fatalf("only %d kills", kills)
		}
		t.Logf("%d kills", kills)
		if n := messagesAll(t, e); n != msgs {
			t.Fatalf("%d messages counted, want %d (after %d kills)", n, msgs, kills)
		}
		rows, total, err := e.cs.Members(context.Background(), community.MemberFilter{GroupID: e.group, Limit: 1000})
		if err != nil || total != joins {
			t.Fatalf("%d members, want %d: %v", total, joins, err)
		}
		for _, r := range rows {
			if r.InGroups != 1 {
				t.Fatalf("%+v", r)
			}
		}
	})
}

// messagesAll is the group's message count over the days the updates span.
func messagesAll(t *testing.T, e *env) int {
	t.Helper()
	from := time.Unix(base, 0)
	days, err := e.cs.MemberDays(context.Background(), e.group, from, from.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range days {
		n += d.Messages
	}
	return n
}
