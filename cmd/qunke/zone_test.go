package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/web"
)

// Issue 12 item 3: serve --tz is where pages show times, nothing more.
// The planning loop plans each group's own today in the group's zone, so
// servers that differ only in --tz plan the same slot times. (It planned
// the day it was in --tz's zone: UTC-12 and UTC+14 are never both on
// Shanghai's date, so one of them planned another day's slot.)
func TestDisplayZoneDoesNotMovePlannedSlots(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(shanghai)
	if now.Hour() == 23 && now.Minute() >= 58 { // the slot must stay on today's date while the test runs
		time.Sleep(3 * time.Minute)
		now = time.Now().In(shanghai)
	}
	y, m, d := now.Date()
	want := time.Date(y, m, d, now.Hour(), now.Minute(), 0, 0, shanghai) // a slot of the group's today
	for _, tz := range []string{"Asia/Shanghai", "Etc/GMT+12", "Pacific/Kiritimati"} {
		got, err := plannedSlot(t, tz, now.Hour()*60+now.Minute())
		if err != nil {
			t.Fatalf("--tz %s: %v", tz, err)
		}
		if !got.Equal(want) {
			t.Errorf("--tz %s planned the slot at %v, want %v", tz, got, want)
		}
	}
}

// plannedSlot runs serve's posting engine with display zone tz over a
// Shanghai group whose plan has one slot (minutes after midnight), and
// returns the time of the post it plans.
func plannedSlot(t *testing.T, tz string, slot int) (time.Time, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.SQLite(t)
	deps := web.NewDeps(db, slog.New(slog.DiscardHandler))
	zone, err := web.LoadZone(tz)
	if err != nil {
		return time.Time{}, err
	}
	deps.Zone = zone
	at := time.Now().Add(-time.Hour).Unix()
	item := catalog.Record{Item: catalog.Item{Platform: catalog.Tmall, ItemID: "1001", Title: "云南白药牙膏 180g×3", CategoryPath: "个护/牙膏"},
		Obs: catalog.Observation{At: at, ListPrice: 8990, FinalPrice: 5990, CommissionRate: 1000, Sales30: 50,
			CouponRemain: catalog.Unknown, Sales2h: catalog.Unknown}}
	if _, err := deps.Catalog.Ingest(ctx, []catalog.Record{item}); err != nil {
		return time.Time{}, err
	}
	g := &community.Group{Name: "宝妈群", Channel: community.Manual, PIDTaobao: "mm_1_2_3", TZ: "Asia/Shanghai", Active: true}
	if err := deps.Groups.Save(ctx, g); err != nil {
		return time.Time{}, err
	}
	p := &publish.Plan{Name: "日常", GroupID: g.ID, Slots: []int{slot}, PerSlot: 1, DailyCap: 5, Active: true}
	if err := deps.Publish.SavePlan(ctx, p); err != nil {
		return time.Time{}, err
	}
	if err := deps.Publish.Enqueue(ctx, publish.Queued{PlanID: p.ID, Key: item.Item.Key(), ChosenPrice: 9900}); err != nil {
		return time.Time{}, err
	}
	srv := web.NewServer(deps)
	if err := srv.Warm(ctx); err != nil {
		return time.Time{}, err
	}
	stop, err := startPosting(ctx, deps, srv, &postingFlags{planEvery: time.Hour, maxLate: publish.DefaultLate}, nil)
	defer stop()
	if err != nil {
		return time.Time{}, err
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ds, err := deps.Publish.Board(ctx, time.Now().Add(-72*time.Hour), time.Now().Add(72*time.Hour))
		if err != nil {
			return time.Time{}, err
		}
		if len(ds) > 0 {
			return time.Unix(ds[0].SlotAt, 0), nil
		}
	}
	t.Errorf("--tz %s: nothing planned", tz)
	return time.Time{}, nil
}
