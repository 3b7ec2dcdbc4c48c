package demo_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/store/storetest"
)

type channels struct{ n int }

func (c *channels) TelegramChat() string { c.n++; return strconv.Itoa(-100 - c.n) }
func (c *channels) WeComRobot() string   { c.n++; return "robot-key-" + strconv.Itoa(c.n) }

func TestSeedPosting(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	end := time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	m := demo.New(demo.Config{Seed: 3, Items: 400, Snapshots: 30, Interval: 24 * time.Hour, End: end})
	cs := catalog.NewStore(db)
	if _, err := cs.Ingest(ctx, m.AppendRecords(nil, 0, 400)); err != nil {
		t.Fatal(err)
	}
	adv := advisor.New(cs, advisor.Options{})
	// A worker already running (serve --demo starts it first) must never
	// find a past post planned: watch for one while the history is written.
	stop := make(chan struct{})
	seen := make(chan int)
	go func() {
		most := 0
		for {
			select {
			case <-stop:
				seen <- most
				return
			default:
			}
			var n int
			db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = 'planned' AND slot_at < $1`, end.Unix()).Scan(&n)
			most = max(most, n)
		}
	}()
	n, err := demo.SeedPosting(ctx, db, adv, &channels{}, end, 5)
	close(stop)
	if err != nil || n == 0 {
		t.Fatalf("seed: %d %v", n, err)
	}
	if most := <-seen; most > 0 {
		t.Fatalf("%d past posts were planned while the history was written: a running worker would send them", most)
	}
	groups, _ := community.NewStore(db).List(ctx, community.Filter{})
	if len(groups) != n {
		t.Fatalf("%d groups, seeded %d", len(groups), n)
	}
	var sent, future int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND slot_at < $1`, end.Unix()).Scan(&sent)
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status <> 'planned' AND slot_at >= $1`, end.Unix()).Scan(&future)
	if sent < 5*len(groups) || future != 0 {
		t.Fatalf("history: %d sent, %d future posts not planned", sent, future)
	}
	// Seeding again leaves an existing registry alone.
	if n, err := demo.SeedPosting(ctx, db, adv, &channels{}, end, 5); n != 0 || err != nil {
		t.Fatalf("second seed: %d %v", n, err)
	}
}
