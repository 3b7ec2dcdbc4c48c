package health

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wecomfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func addGroup(t *testing.T, db *store.DB, name, adzone, owner string, members int64) *community.Group {
	t.Helper()
	g := &community.Group{Name: name, Channel: community.Manual, PIDTaobao: "mm_1_2_" + adzone, Members: members,
		Owner: owner, Active: true}
	if err := community.NewStore(db).Save(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestService fills the days from the owners, judges the groups and sends
// one alert per change of state, once, to the owner's channel.
func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().Truncate(time.Second)
		today := shanghai.Day(now.Unix())
		steady := addGroup(t, db, "稳定群", "111", "小李", 300)
		dying := addGroup(t, db, "衰退群", "222", "老王", 0)
		untouched := addGroup(t, db, "新群", "333", "", 50)

		// Posts and orders for the steady group, through their owners.
		var posts []publish.Post
		var ords []orders.Order
		for d := range 40 {
			at := now.Add(-time.Duration(d) * 24 * time.Hour).Unix()
			posts = append(posts, publish.Post{GroupID: steady.ID, Platform: "taobao", ItemID: "i1", Status: publish.Sent, SentAt: at})
			for k := range 3 {
				ords = append(ords, orders.Order{Platform: orders.PlatformTaobao, TradeID: "t" + itoa(int64(d*10+k)), ItemID: "i1",
					AdzoneID: "111", PaidAt: at, ClickAt: at - 60, PaidAmount: 5000, EstIncome: 200, Status: orders.Paid})
			}
		}
		if err := publish.NewStore(db).RecordPosts(ctx, posts); err != nil {
			t.Fatal(err)
		}
		if _, err := orders.NewStore(db).Import(ctx, ords); err != nil {
			t.Fatal(err)
		}

		// The dying group's members come from the registry: 400 members,
		// leaving faster from 20 days ago on, under 30% of the peak today.
		members := func(back int64) int64 {
			if back >= 20 {
				return 400
			}
			return 400 - (20-back)*15 // 100 today
		}
		reg := func(_ context.Context, from, to int64) (map[int64][]Day, error) {
			var ds []Day
			for d := from; d <= to; d++ {
				back := today - d
				m := members(back)
				leaves := int64(2)
				if back < 20 {
					leaves = 15
				}
				ds = append(ds, Day{Day: d, Members: m, Tracked: true, LeavesSelf: leaves, Joins: 2, Active: m / 10})
			}
			return map[int64][]Day{dying.ID: ds}, nil
		}
		fake := wecomfake.New()
		defer fake.Close()
		robot := fake.AddRobot()
		wc := wecom.New()
		wc.BaseURL = fake.URL

		svc := NewService(db, nil)
		svc.Registry = reg
		svc.Senders = map[community.Channel]channel.Sender{community.WeCom: wc}
		clock := now
		svc.Now = func() time.Time { return clock }
		svc.Backfill = 60
		if err := svc.Store.SetNotify(ctx, Notify{Owner: "", Channel: community.WeCom,
			Target: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + robot}); err != nil {
			t.Fatal(err)
		}

		// Back in time: yesterday-20 the dying group was fine.
		clock = now.Add(-25 * 24 * time.Hour)
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if h, ok, err := svc.Store.Health(ctx, dying.ID); err != nil || !ok || h.Verdict.State != OK {
			t.Fatalf("25 days ago: %+v %v %v", h, ok, err)
		}
		clock = now
		st, err := svc.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		days, err := svc.Store.Days(ctx, steady.ID, today-2, today)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 3 || days[2].Posts != 1 || days[2].Orders != 3 || days[2].IncomeFen != 600 || days[2].Members != 300 || days[2].Tracked {
			t.Errorf("steady group's days: %+v", days)
		}
		dd, _ := svc.Store.Days(ctx, dying.ID, today, today)
		if len(dd) != 1 || dd[0].Members != 100 || !dd[0].Tracked || dd[0].LeavesSelf != 15 {
			t.Errorf("dying group's day: %+v", dd)
		}
		if nd, _ := svc.Store.Days(ctx, untouched.ID, today-60, today); len(nd) != 1 {
			t.Errorf("a group created today has %d days", len(nd))
		}

		board, err := svc.Store.Board(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(board) != 3 || board[0].GroupID != dying.ID || board[0].Verdict.State != Dead || board[0].Peak != 400 {
			t.Fatalf("board: %+v", board)
		}
		if st.Alerts != 1 || st.Sent != 1 {
			t.Errorf("run: %+v, want one alert sent", st)
		}
		msgs := fake.Messages(robot)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "衰退群") || !strings.Contains(msgs[0].Content, "已死") {
			t.Errorf("robot got %+v", msgs)
		}
		// A second server judging the same day sends nothing more.
		other := NewService(storetest.Reopen(t, db), nil)
		other.Registry, other.Senders, other.Now = reg, svc.Senders, svc.Now
		if st, err := other.RunOnce(ctx); err != nil || st.Alerts != 0 || st.Sent != 0 {
			t.Errorf("second run: %+v %v", st, err)
		}
		if n := len(fake.Messages(robot)); n != 1 {
			t.Errorf("robot got %d messages", n)
		}
		alerts, err := svc.Store.Alerts(ctx, "", dying.ID, 10)
		if err != nil || len(alerts) != 1 || alerts[0].Status != "sent" || alerts[0].Previous != OK || alerts[0].Target != robot {
			t.Errorf("alerts: %+v %v", alerts, err)
		}
	})
}

func TestNotifySettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		if err := s.SetNotify(ctx, Notify{Owner: "小李", Channel: community.Telegram, Target: "-100123"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetNotify(ctx, Notify{Owner: "", Channel: community.WeCom, Target: "abc"}); err == nil {
			t.Error("a 3-character robot key was taken")
		}
		if err := s.SetNotify(ctx, Notify{Owner: "", Channel: community.Webhook, Target: "https://x"}); err == nil {
			t.Error("a webhook was taken as an alert channel")
		}
		if err := s.SetNotify(ctx, Notify{Owner: "", Channel: community.WeCom, Target: "key-12345678"}); err != nil {
			t.Fatal(err)
		}
		ns, err := s.NotifySettings(ctx)
		if err != nil || len(ns) != 2 || ns[0].Owner != "" || ns[1].Target != "-100123" {
			t.Fatalf("settings: %+v %v", ns, err)
		}
		if n, ok := route(ns, "小李"); !ok || n.Channel != community.Telegram {
			t.Errorf("小李's alerts go to %+v", n)
		}
		if n, ok := route(ns, "老王"); !ok || n.Channel != community.WeCom {
			t.Errorf("老王's alerts go to %+v (the default)", n)
		}
		if err := s.SetNotify(ctx, Notify{Owner: "小李"}); err != nil {
			t.Fatal(err)
		}
		if ns, _ := s.NotifySettings(ctx); len(ns) != 1 {
			t.Errorf("after removing 小李's: %+v", ns)
		}
	})
}

// TestRegistryDays: a group whose members the registry holds (events from
// a source, messages counted) gets its days from it: members at the end of
// each day, joins, leaves by how, speakers; its member count field is not
// used.
func TestRegistryDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := community.NewStore(db)
		now := time.Now()
		today := shanghai.Day(now.Unix())
		g := addGroup(t, db, "电报群", "444", "", 999)
		if err := cs.MapChat(ctx, community.SourceTelegram, "-1001", g.ID); err != nil {
			t.Fatal(err)
		}
		at := func(back int) time.Time { return now.Add(-time.Duration(back) * 24 * time.Hour) }
		var evs []community.MemberEvent
		for i := range 5 {
			evs = append(evs, community.MemberEvent{Key: "j" + itoa(int64(i)), Source: community.SourceTelegram, ChatID: "-1001",
				Kind: community.Join, At: at(10), ExternalID: itoa(int64(100 + i))})
		}
		evs = append(evs,
			community.MemberEvent{Key: "l1", Source: community.SourceTelegram, ChatID: "-1001", Kind: community.Leave, At: at(3),
				ExternalID: "100", LeaveHow: community.LeaveSelf},
			community.MemberEvent{Key: "l2", Source: community.SourceTelegram, ChatID: "-1001", Kind: community.Leave, At: at(3),
				ExternalID: "101", LeaveHow: community.LeaveRemoved})
		if _, err := cs.ApplyEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if err := cs.CountMessages(ctx, community.SourceTelegram, "-1001", "102", at(1), 4); err != nil {
			t.Fatal(err)
		}
		svc := NewService(db, nil)
		svc.Backfill = 30
		if _, err := svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		days, err := svc.Store.Days(ctx, g.ID, today-30, today)
		if err != nil {
			t.Fatal(err)
		}
		byDay := map[int64]Day{}
		for _, d := range days {
			byDay[d.Day] = d
			if !d.Tracked || d.Members == 999 {
				t.Fatalf("day %d not from the registry: %+v", d.Day, d)
			}
		}
		d10, d3, d1 := byDay[today-10], byDay[today-3], byDay[today-1]
		if d10.Members != 5 || d10.Joins != 5 {
			t.Errorf("10 days ago: %+v", d10)
		}
		if d3.Members != 3 || d3.LeavesSelf != 1 || d3.LeavesRemoved != 1 {
			t.Errorf("3 days ago: %+v", d3)
		}
		if d1.Active != 1 || d1.Messages != 4 || d1.Members != 3 {
			t.Errorf("yesterday: %+v", d1)
		}
		if _, ok := byDay[today-11]; ok || len(days) != 11 {
			t.Errorf("days before the first member are kept: %d days", len(days))
		}
	})
}

// TestServiceFitsModel: with enough dead groups in the stored history the
// job judges with a logistic model fitted on it, and says so; with the
// rule set forced it does not.
func TestServiceFitsModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := NewService(db, nil)
		pop := synthPopulation(60, 900)
		today := pop[0].Days[len(pop[0].Days)-1].Day
		var gds []GroupDays
		var groups []*community.Group
		for i, s := range pop {
			g := addGroup(t, db, "群"+itoa(int64(i)), itoa(int64(1000+i)), "", 0)
			groups = append(groups, g)
			gds = append(gds, GroupDays{GroupID: g.ID, Days: s.Days})
		}
		if err := svc.Store.SaveDays(ctx, gds); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Judge(ctx, groups, today); err != nil {
			t.Fatal(err)
		}
		m := svc.Model()
		if m == nil || m.Deaths != 15 {
			t.Fatalf("model: %+v", m)
		}
		h, ok, err := svc.Store.Health(ctx, groups[1].ID)
		if err != nil || !ok || h.Verdict.Reasons[len(h.Verdict.Reasons)-1].Key != "health.model" {
			t.Errorf("verdict: %+v %v %v", h, ok, err)
		}
		bt, err := svc.Backtest(ctx)
		if err != nil || bt.InUse != "logistic" || bt.Rules.Dying != 15 || bt.Model == nil || bt.Model.Dying != 15 {
			t.Errorf("backtest: %+v %v", bt, err)
		}
		only := NewService(db, nil)
		only.RulesOnly = true
		if _, err := only.Judge(ctx, groups, today); err != nil || only.Model() != nil {
			t.Errorf("rules only: %v %v", only.Model(), err)
		}
	})
}

// TestBoardCache: the board is kept decoded between saves, and a save or a
// delete by another server (another Store on the same database), even in
// the same second as the board's read, shows on the next read.
func TestBoardCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
		clock := func() time.Time { return at } // both servers' saves in one second
		a, b := NewStore(db), NewStore(db)
		a.now, b.now = clock, clock
		day := shanghai.Day(at.Unix())
		verdict := func(g int64, st State, score int, key string) Judged {
			return Judged{GroupID: g, Members: 100, Peak: 200, Verdict: Verdict{Day: day, Score: score, State: st,
				Reasons: []Reason{{Key: key, Args: []string{itoa(g)}, Points: score - 100}}}}
		}
		if _, err := a.SaveVerdicts(ctx, []Judged{verdict(1, OK, 90, "health.r1"), verdict(2, Watch, 60, "health.r2")}); err != nil {
			t.Fatal(err)
		}
		board := func(s *Store) string {
			t.Helper()
			hs, err := s.Board(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, h := range hs {
				out = append(out, itoa(h.GroupID)+":"+string(h.Verdict.State)+":"+itoa(int64(h.Verdict.Score))+":"+
					h.Verdict.Reasons[0].Key)
			}
			return strings.Join(out, " ")
		}
		if got, want := board(a), "2:watch:60:health.r2 1:ok:90:health.r1"; got != want {
			t.Fatalf("board %q, want %q", got, want)
		}
		if got := board(a); got != "2:watch:60:health.r2 1:ok:90:health.r1" {
			t.Fatalf("cached board %q", got)
		}
		// The caller's slice is its own: changing it leaves the cache alone.
		hs, _ := a.Board(ctx)
		hs[0].Verdict.Score = -1
		if got := board(a); got != "2:watch:60:health.r2 1:ok:90:health.r1" {
			t.Fatalf("board after the caller's change %q", got)
		}

		// Server b judges again in the same second: a sees it.
		if _, err := b.SaveVerdicts(ctx, []Judged{verdict(1, Dead, 5, "health.r3"), verdict(2, Watch, 60, "health.r2")}); err != nil {
			t.Fatal(err)
		}
		if got, want := board(a), "1:dead:5:health.r3 2:watch:60:health.r2"; got != want {
			t.Fatalf("board after b's save %q, want %q", got, want)
		}
		// Server b deletes a group: a sees it.
		if err := db.Atomic(ctx, func(tx *store.Tx) error { return b.DeleteGroup(ctx, tx, 1) }); err != nil {
			t.Fatal(err)
		}
		if got, want := board(a), "2:watch:60:health.r2"; got != want {
			t.Fatalf("board after b's delete %q, want %q", got, want)
		}
		// The saves' stamps moved on each time (same clock second).
		h, ok, err := a.Health(ctx, 2)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if want := at.Add(time.Second); !h.Updated.Equal(want) {
			t.Fatalf("updated %v, want %v", h.Updated, want)
		}
	})
}
