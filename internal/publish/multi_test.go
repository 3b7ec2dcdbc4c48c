package publish

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	tgfake "github.com/qunke/qunke/internal/publish/channel/telegram/fake"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wcfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// gatePosters hands out a small poster; with a gate, the first call waits
// for it to open (a worker held up between reading a post and claiming it).
type gatePosters struct {
	once             sync.Once
	entered, release chan struct{}
}

var tinyPNG = func() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	return b.Bytes()
}()

func (p *gatePosters) Poster(context.Context, *Delivery, *community.Group) ([]byte, error) {
	if p.entered != nil {
		p.once.Do(func() {
			p.entered <- struct{}{}
			<-p.release
		})
	}
	return tinyPNG, nil
}

// server is one worker with its own database handle, sender and memory:
// another server on the same database.
func (f *fixture) server(t *testing.T, db *store.DB, tg *tgfake.Server, clock *atomic.Int64, posters Posters) *Worker {
	s := telegram.New(tg.Token)
	s.BaseURL = tg.URL
	return &Worker{Store: NewStore(db), Groups: community.NewStore(db), Posters: posters,
		Now: func() time.Time { return time.Unix(0, clock.Load()) }, MaxLate: 1 << 62,
		Senders: map[community.Channel]channel.Sender{community.Telegram: limited{s, channel.Limits{PerTarget: channel.Rate{N: 100, Per: time.Second}}}}}
}

// TestTwoWorkersResumeNotResend: worker B read a post, then worker A sent
// its poster and was told to wait 120 s before the copy. B's older read
// claims nothing, B honours the platform's wait for every post to that
// chat, and the post is resumed after its poster, never sent twice.
func TestTwoWorkersResumeNotResend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := tgfake.New()
		defer tg.Close()
		tg.AddChat("-3001")
		// Two groups posting to one chat, at 08:00 and 08:01.
		groups := f.addGroups(t, 2, community.Telegram, "two", func(int) string { return "-3001" }, "")
		for i, at := range []string{"08:00", "08:01"} {
			slots, _ := ParseSlots(at)
			f.plan(t, &Plan{Name: at, GroupID: groups[i].ID, Slots: slots, PerSlot: 1, DailyCap: 10, RepeatDays: 7, Active: true},
				Queued{Key: f.a, ChosenPrice: 6000})
		}
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 2 {
			t.Fatalf("plan %+v %v", st, err)
		}
		// A copy too long for a caption: poster (with its first part), then the rest.
		long := strings.Repeat("好物推荐，今日特价，数量有限，先到先得。\n", 80)
		if _, err := db.ExecContext(ctx, `UPDATE deliveries SET body = $1`, long); err != nil {
			t.Fatal(err)
		}
		tg.InjectFault(tgfake.Fault{Method: "sendMessage", ErrorCode: 429, Description: "Too Many Requests: retry after 120", RetryAfter: 120})

		var clock atomic.Int64
		at := func(hh, mm, ss int) { clock.Store(time.Date(2026, 11, 25, hh, mm, ss, 0, cst).UnixNano()) }
		at(8, 0, 5)
		gate := &gatePosters{entered: make(chan struct{}), release: make(chan struct{})}
		a := f.server(t, db, tg, &clock, &gatePosters{})
		b := f.server(t, storetest.Reopen(t, db), tg, &clock, gate)

		bDone := make(chan error, 1)
		go func() { bDone <- b.Drain(ctx) }()
		<-gate.entered // B has read the post and is about to claim it
		if err := a.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		close(gate.release)
		if err := <-bDone; err != nil {
			t.Fatal(err)
		}
		if msgs := tg.Messages("-3001"); len(msgs) != 1 || msgs[0].Method != "sendPhoto" {
			t.Fatalf("after the 429 the chat has %d messages, want the one poster", len(msgs))
		}
		board, _ := f.store.Board(ctx, f.now, f.now.Add(24*time.Hour))
		if d := board[0]; d.Status != Planned || d.PartsSent != 1 || d.Attempts != 1 {
			t.Fatalf("post after the 429: %s, %d parts, %d attempts", d.Status, d.PartsSent, d.Attempts)
		}
		// 08:01:30: the platform's 120 s hold on the chat is not over, for
		// the second group's post either.
		at(8, 1, 30)
		if err := b.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(tg.Messages("-3001")); n != 1 {
			t.Fatalf("worker B sent %d messages into the chat's retry_after", n-1)
		}
		at(8, 2, 10)
		for _, w := range []*Worker{b, a} {
			if err := w.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		photos := 0
		msgs := tg.Messages("-3001")
		for _, m := range msgs {
			if m.Method == "sendPhoto" {
				photos++
			}
		}
		if len(msgs) != 4 || photos != 2 {
			t.Fatalf("the chat got %d messages (%d posters), want 2 posts of 2 parts", len(msgs), photos)
		}
		board, _ = f.store.Board(ctx, f.now, f.now.Add(24*time.Hour))
		for _, d := range board {
			if d.Status != Sent || d.Resent {
				t.Errorf("post %d: %s resent %v %q", d.ID, d.Status, d.Resent, d.LastError)
			}
		}
	})
}

// TestTwoWorkersOnePostAtATimePerGroup: while worker A's post is in
// flight, worker B does not send the group's next post (it would arrive
// first): a group's posts go out one at a time, in order, across workers.
func TestTwoWorkersOnePostAtATimePerGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := tgfake.New()
		defer tg.Close()
		tg.AddChat("-3002")
		f.addGroups(t, 1, community.Telegram, "one", func(int) string { return "-3002" }, "")
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "one", Tag: "one", Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true},
			Queued{Key: f.a, ChosenPrice: 6000}, Queued{Key: f.c, ChosenPrice: 8000})
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 2 {
			t.Fatalf("plan %+v %v", st, err)
		}
		tg.InjectFault(tgfake.Fault{Delay: 500 * time.Millisecond}) // the first post is slow to answer
		var clock atomic.Int64
		clock.Store(time.Date(2026, 11, 25, 8, 0, 5, 0, cst).UnixNano())
		a := f.server(t, db, tg, &clock, &gatePosters{})
		b := f.server(t, storetest.Reopen(t, db), tg, &clock, &gatePosters{})
		aDone := make(chan error, 1)
		go func() { aDone <- a.Drain(ctx) }()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			var n int
			db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = 'sending'`).Scan(&n)
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("worker A never claimed the first post")
			}
		}
		if err := b.Drain(ctx); err != nil { // while A's post is in flight
			t.Fatal(err)
		}
		if err := <-aDone; err != nil {
			t.Fatal(err)
		}
		if err := b.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := tg.Messages("-3002")
		if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "云南白药") || !strings.Contains(msgs[1].Text, "保温杯") {
			var got []string
			for _, m := range msgs {
				got = append(got, strings.SplitN(m.Text, "\n", 2)[0])
			}
			t.Fatalf("the group got %q, want its two posts in queue order", got)
		}
	})
}

// slowLinker holds up the first link of a planning run: the planner has
// counted the slot's posts and not yet written its own.
type slowLinker struct {
	once    sync.Once
	entered chan struct{}
}

func (l *slowLinker) hold() {
	l.once.Do(func() {
		close(l.entered)
		time.Sleep(300 * time.Millisecond)
	})
}

// TestTwoPlannersKeepTheCap: two planners on two handles of one database
// plan the same slot at once; the slot gets per_slot posts, not twice that.
func TestTwoPlannersKeepTheCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		queue := append([]Queued{{Key: f.a, ChosenPrice: 6000}, {Key: f.c, ChosenPrice: 8000}}, f.moreItems(t, 3, 6000, "候补商品", 2000)...)
		slots, _ := ParseSlots("08:00")
		plan := f.plan(t, &Plan{Name: "cap", GroupID: f.g1.ID, Slots: slots, PerSlot: 2, DailyCap: 10, RepeatDays: 7, Active: true}, queue...)

		slow := &slowLinker{entered: make(chan struct{})}
		p1 := *f.planner
		p1.onInsert = slow.hold
		db2 := storetest.Reopen(t, db)
		p2 := Planner{Store: NewStore(db2), Groups: community.NewStore(db2), Items: f.planner.Items, Links: standinLinks(NewStore(db2)), Now: f.planner.Now}
		done := make(chan error, 1)
		go func() { _, err := p1.PlanDay(ctx, f.now); done <- err }()
		<-slow.entered
		if _, err := p2.PlanDay(ctx, f.now); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE plan_id = $1`, plan.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("the slot got %d posts, per_slot is 2", n)
		}
	})
}

// TestTwoProcessesSendOnce runs two worker processes (this test binary,
// re-executed, as in the crash test) on one database against a Telegram
// stand-in that answers 429 to many parts, so that many posts stop half
// sent and wait: every part of every post reaches its chat exactly once,
// each post sent, none resent.
func TestTwoProcessesSendOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tg := tgfake.New()
		defer tg.Close()
		queue := f.moreItems(t, 4, 7000, "双进程商品", 2000)
		groups := f.addGroups(t, 8, community.Telegram, "pp", func(i int) string { tg.AddChat(strconv.Itoa(-5000 - i)); return strconv.Itoa(-5000 - i) }, "")
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "pp", Tag: "pp", Slots: slots, PerSlot: 4, DailyCap: 10, RepeatDays: 7, Active: true}, queue...)
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 32 {
			t.Fatalf("plan %+v %v", st, err)
		}
		// Posts of two messages: the poster with the copy's start, then the rest.
		if _, err := db.ExecContext(ctx, `UPDATE deliveries SET body = dkey || $1 || dkey`, strings.Repeat("\n今日好物，数量有限，先到先得。", 150)); err != nil {
			t.Fatal(err)
		}
		// The first 24 second parts are told to wait; every request is slow.
		tg.InjectFault(tgfake.Fault{Method: "sendMessage", ErrorCode: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1, Times: 24})
		tg.InjectFault(tgfake.Fault{Delay: 15 * time.Millisecond, Times: 1 << 30})
		dsn := db.Path()
		if dsn == "" {
			dsn = db.Source
		}
		var cmds []*exec.Cmd
		for range 2 {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"="+dsn, envTGURL+"="+tg.URL, envTGToken+"="+tg.Token, envPosters+"=1",
				envLease+"=30s") // no send times out on a busy machine: every outcome is known
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		for _, cmd := range cmds {
			waitWorker(t, cmd, 60*time.Second)
		}
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, cst)
		board, _ := f.store.Board(ctx, day, day.AddDate(0, 0, 1))
		for _, d := range board {
			if d.Status != Sent || d.Resent {
				t.Errorf("post %s: %s resent %v %q", d.Key, d.Status, d.Resent, d.LastError)
			}
		}
		for _, g := range groups {
			seen := map[string]int{}
			msgs := tg.Messages(g.Target)
			for _, m := range msgs {
				if seen[m.Method+m.Text]++; seen[m.Method+m.Text] == 2 {
					t.Errorf("chat %s got a part twice: %s %.40q", g.Target, m.Method, m.Text)
				}
			}
			if len(msgs) != 8 {
				t.Errorf("chat %s got %d messages, want 4 posts of 2", g.Target, len(msgs))
			}
		}
		// No message reached a chat while the platform had told it to wait.
		for _, rq := range tg.Requests() {
			_, secs, ok := strings.Cut(rq.Description, "retry after ")
			n, err := strconv.Atoi(secs)
			if rq.Status != 429 || !ok || err != nil {
				continue
			}
			until := rq.At.Add(time.Duration(n) * time.Second)
			for _, m := range tg.Messages(rq.Chat) {
				if m.At.After(rq.At) && m.At.Before(until) {
					t.Errorf("chat %s got a message %s after a 429 asking for %d s", rq.Chat, m.At.Sub(rq.At), n)
				}
			}
		}
		var retries, partial int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_attempts WHERE outcome = 'retry'`).Scan(&retries)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery_attempts WHERE outcome = 'retry' AND detail LIKE 'partly%'`).Scan(&partial)
		if retries == 0 {
			t.Error("no post waited for a 429: the test proved nothing")
		}
		t.Logf("%d posts, %d attempts told to wait, %d posts stopped half sent", len(board), retries, partial)
	})
}

// TestTwoWorkersShareARobotsLimit: two workers running side by side on one
// database send one WeCom robot's posts no faster than its limit allows
// one sender: the robot never answers 45009.
func TestTwoWorkersShareARobotsLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		wc := wcfake.New()
		defer wc.Close()
		rate := channel.Rate{N: 4, Per: time.Second}
		wc.SetLimit(rate)
		// The workers count 4 per 1.25 s: room for a loaded machine's delays
		// between a reservation and the robot's clock, while two workers
		// each counting alone would send 6.4 a second.
		slack := channel.Rate{N: 4, Per: 1250 * time.Millisecond}
		robot := wc.AddRobot()
		f.addGroups(t, 1, community.WeCom, "wc", func(int) string { return robot }, "")
		slots, _ := ParseSlots("08:00")
		f.plan(t, &Plan{Name: "wc", Tag: "wc", Slots: slots, PerSlot: 12, DailyCap: 20, RepeatDays: 7, Active: true},
			f.moreItems(t, 12, 8000, "企微商品", 2000)...)
		if st, err := f.planner.PlanDay(ctx, f.now); err != nil || st.Planned != 12 {
			t.Fatalf("plan %+v %v", st, err)
		}
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for _, h := range []*store.DB{db, storetest.Reopen(t, db)} {
			s := wecom.New()
			s.BaseURL = wc.URL
			w := &Worker{Store: NewStore(h), Groups: community.NewStore(h), MaxLate: 1 << 62, Poll: 20 * time.Millisecond,
				Senders: map[community.Channel]channel.Sender{community.WeCom: limited{s, channel.Limits{PerTarget: slack}}}}
			wg.Add(1)
			go func() { defer wg.Done(); w.Run(rctx) }()
		}
		for {
			var open int
			db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status IN ('planned', 'sending')`).Scan(&open)
			if open == 0 || rctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		refused := 0
		for _, rq := range wc.Requests() {
			if rq.ErrCode == 45009 {
				refused++
			}
		}
		var at []time.Time
		for _, m := range wc.Messages(robot) {
			at = append(at, m.At)
		}
		if refused > 0 || len(at) != 12 {
			t.Fatalf("the robot got %d messages of 12 and refused %d (45009)", len(at), refused)
		}
		for i := range at {
			j := i
			for j < len(at) && at[j].Sub(at[i]) < rate.Per {
				j++
			}
			if j-i > rate.N {
				t.Fatalf("%d messages within %s, limit %d", j-i, rate.Per, rate.N)
			}
		}
	})
}
