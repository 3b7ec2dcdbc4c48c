package publish

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/publish/channel/webhook"
	whfake "github.com/qunke/qunke/internal/publish/channel/webhook/fake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// The crash test runs the worker in a child process (this test binary,
// re-executed) and kills it with SIGKILL while posts are in flight.
const (
	envChild   = "QUNKE_CRASH_CHILD" // database path
	envTGURL   = "QUNKE_CRASH_TG_URL"
	envTGToken = "QUNKE_CRASH_TG_TOKEN"
	envPosters = "QUNKE_CRASH_POSTERS" // "1": posts carry a poster
	envLease   = "QUNKE_CRASH_LEASE"   // the worker's lease, default crashLease
	crashLease = time.Second
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envChild); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

// crashChild sends every due delivery, then exits 0. The parent kills it
// at random moments before that.
func crashChild(path string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	tg := telegram.New(os.Getenv(envTGToken))
	tg.BaseURL = os.Getenv(envTGURL)
	// The posts are planned on the fixture's day, not today: none is late.
	w := &Worker{Store: NewStore(db), Groups: community.NewStore(db), Lease: crashLease, Poll: 50 * time.Millisecond, MaxLate: 1 << 62,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Senders: map[community.Channel]channel.Sender{
			community.Telegram: limited{tg, channel.Limits{PerTarget: channel.Rate{N: 50, Per: time.Second}}},
			community.Webhook:  webhook.New("")}}
	if os.Getenv(envPosters) == "1" {
		w.Posters = &gatePosters{}
	}
	if l, err := time.ParseDuration(os.Getenv(envLease)); err == nil {
		w.Lease = l
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			var open int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status IN ('planned', 'sending')`).Scan(&open); err == nil && open == 0 {
				cancel()
				return
			}
		}
	}()
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 4
	}
	return 0
}

func TestCrashNoLossNoDuplicate(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	// Eight more items, so each group gets ten posts.
	var queue []Queued
	for _, k := range []catalog.Key{f.a, f.c} {
		queue = append(queue, Queued{Key: k, ChosenPrice: 10000})
	}
	queue = append(queue, f.moreItems(t, 8, 5000, "测试商品", 10000)...)
	tg := tgfake.New()
	defer tg.Close()
	const secret = "crash-test-secret-0123456789"
	wh := whfake.New(secret)
	defer wh.Close()
	// Every answer takes 40 ms, so kills land while posts are in flight.
	tg.InjectFault(tgfake.Fault{Delay: 40 * time.Millisecond, Times: 1 << 30})
	wh.InjectFault(whfake.Fault{Delay: 40 * time.Millisecond, Times: 1 << 30})
	tgGroups := f.addGroups(t, 6, community.Telegram, "tg", func(i int) string { tg.AddChat(strconv.Itoa(-2000 - i)); return strconv.Itoa(-2000 - i) }, "")
	whGroups := f.addGroups(t, 6, community.Webhook, "wh", func(i int) string { return wh.Target(fmt.Sprintf("g%d", i)) }, secret)
	slots, _ := ParseSlots("08:00")
	for _, tag := range []string{"tg", "wh"} {
		f.plan(t, &Plan{Name: tag, Tag: tag, Slots: slots, PerSlot: 10, DailyCap: 20, RepeatDays: 7, Active: true}, queue...)
	}
	if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 120 {
		t.Fatalf("plan: %+v %v", st, err)
	}

	run := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"="+db.Path(), envTGURL+"="+tg.URL, envTGToken+"="+tg.Token)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	requests := func() int { return len(tg.Requests()) + len(wh.Requests()) }
	kills := 0
	for range 5 {
		before := requests()
		cmd := run()
		deadline := time.Now().Add(10 * time.Second)
		for requests() < before+12 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Kill() // SIGKILL: no deferred function, no cleanup
		cmd.Wait()
		kills++
	}
	waitWorker(t, run(), 60*time.Second)

	day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
	board, err := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
	if err != nil || len(board) != 120 {
		t.Fatalf("board %d %v", len(board), err)
	}
	isTG := map[int64]string{}
	for _, g := range tgGroups {
		isTG[g.ID] = g.Target
	}
	isWH := map[int64]int{}
	for i, g := range whGroups {
		isWH[g.ID] = i
	}
	// The webhook de-duplicates by key: every post arrived exactly once.
	got := map[string]int{}
	for _, d := range wh.Deliveries() {
		got[d.Key]++
	}
	tgText := map[string]int{}
	for _, g := range tgGroups {
		for _, m := range tg.Messages(g.Target) {
			tgText[g.Target+"\x00"+m.Text]++
		}
	}
	resent, unconfirmed := 0, 0
	for _, d := range board {
		if _, ok := isWH[d.GroupID]; ok {
			if d.Status != Sent || got[d.Key] != 1 {
				t.Errorf("webhook post %s: %s, received %d times", d.Key, d.Status, got[d.Key])
			}
			continue
		}
		chat := isTG[d.GroupID]
		n := tgText[chat+"\x00"+d.Body]
		switch {
		case d.Status == Sent && !d.Resent && n != 1:
			t.Errorf("telegram post %s sent once, members saw it %d times", d.Key, n)
		case d.Status == Sent && d.Resent && (n < 1 || n > 2):
			t.Errorf("telegram post %s resent once, members saw it %d times", d.Key, n)
		case d.Status == Unconfirmed && (!d.Resent || n > 2):
			t.Errorf("unconfirmed telegram post %s: resent %v, seen %d times", d.Key, d.Resent, n)
		case d.Status != Sent && d.Status != Unconfirmed:
			t.Errorf("telegram post %s ended %s", d.Key, d.Status)
		}
		if d.Resent {
			resent++
		}
		if d.Status == Unconfirmed {
			unconfirmed++
		}
	}
	if len(got) != 60 {
		t.Errorf("the webhook received %d distinct posts, want 60", len(got))
	}
	var crashed int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_attempts WHERE outcome = 'crashed'`).Scan(&crashed); err != nil {
		t.Fatal(err)
	}
	if crashed == 0 {
		t.Errorf("no kill landed mid-send (%d kills): the test proved nothing", kills)
	}
	t.Logf("%d kills, %d attempts interrupted, webhook repeats absorbed %d, telegram resent %d, unconfirmed %d",
		kills, crashed, wh.Duplicates(), resent, unconfirmed)
	if strings.Contains(fmt.Sprint(board), secret) {
		t.Error("a secret reached a delivery")
	}
}

// moreItems adds n items to the catalog (ids from first on, final price
// about ¥15) and returns them queued at chosen.
func (f *fixture) moreItems(t *testing.T, n, first int, title string, chosen int64) []Queued {
	t.Helper()
	var queue []Queued
	for i := range n {
		r := catalog.Record{Item: catalog.Item{Platform: catalog.Taobao, ItemID: strconv.Itoa(first + i), Title: fmt.Sprintf("%s %d 号", title, i), CategoryPath: "测试/商品"},
			Obs: catalog.Observation{At: f.now.Add(-time.Hour).Unix(), ListPrice: 2000, FinalPrice: 1500 + int64(i), CommissionRate: 800, Sales30: 10, CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}}
		if _, err := f.cat.Ingest(context.Background(), []catalog.Record{r}); err != nil {
			t.Fatal(err)
		}
		queue = append(queue, Queued{Key: r.Item.Key(), ChosenPrice: chosen})
	}
	return queue
}

// waitWorker waits for a worker process to finish its work and exit 0.
func waitWorker(t *testing.T, cmd *exec.Cmd, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a worker process: %v", err)
		}
	case <-time.After(limit):
		cmd.Process.Kill()
		t.Fatalf("a worker process did not finish in %s", limit)
	}
}
