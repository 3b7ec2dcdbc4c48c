package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/growth/ledger"
)

// LeaderboardConfig sizes the invite leaderboard benchmark.
type LeaderboardConfig struct {
	Dir          string // SQLite database
	Postgres     string // a postgres:// URL: run in a schema of its own
	Participants int    // participants of the campaign (default 100,000)
	Calls        int    // leaderboard pages timed (default 2,000)
	Seed         uint64
	Log          io.Writer
}

// LeaderboardResult is what the benchmark measured.
type LeaderboardResult struct {
	Load      time.Duration // enrolling the participants
	Top       CallLatency   // the first page (50 rows), as the console shows it
	Deep      CallLatency   // a page at a random place
	Rows      int
	TopPlaces int // the first page's best valid invites
}

// Leaderboard times a campaign's leaderboard (邀请排行) over
// cfg.Participants participants whose valid invites follow a long tail
// (most 0 to 3, a few hundreds): the first page and pages at random
// places, as the console and GET /api/v1/campaigns/{id}/leaderboard read
// them.
func Leaderboard(ctx context.Context, cfg LeaderboardConfig) (*LeaderboardResult, error) {
	if cfg.Participants <= 0 {
		cfg.Participants = 100000
	}
	if cfg.Calls <= 0 {
		cfg.Calls = 2000
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "leaderboard.db", true)
	if err != nil {
		return nil, err
	}
	defer done()
	cs := community.NewStore(db)
	g := &community.Group{Name: "排行基准群", Channel: community.Manual}
	if err := cs.Save(ctx, g); err != nil {
		return nil, err
	}
	s := campaign.NewStore(db, cs, ledger.NewStore(db), nil)
	c := &campaign.Campaign{Name: "排行基准", Status: campaign.Running, Starts: time.Now().Add(-24 * time.Hour), Groups: []int64{g.ID}}
	if err := s.Save(ctx, c); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 15))
	names := make([]string, cfg.Participants)
	valid := make([]int, cfg.Participants)
	for i := range names {
		names[i] = "参与者" + strconv.Itoa(i+1)
		// A long tail: ~60% none, most of the rest a few, 1% dozens to hundreds.
		switch x := r.Float64(); {
		case x < 0.6:
		case x < 0.99:
			valid[i] = 1 + r.IntN(5)
		default:
			valid[i] = 10 + r.IntN(400)
		}
	}
	res := &LeaderboardResult{}
	t0 := time.Now()
	if err := s.BulkParticipants(ctx, c.ID, names, valid); err != nil {
		return nil, err
	}
	res.Load = time.Since(t0)
	fmt.Fprintf(cfg.Log, "%d participants enrolled in %s\n", cfg.Participants, res.Load.Round(time.Millisecond))
	if err := db.VacuumAnalyze(ctx, "campaign_participants"); err != nil {
		return nil, err
	}
	res.Top, err = timeCalls(cfg.Calls, func(int) error {
		rows, total, err := s.Leaderboard(ctx, c.ID, 50, 0)
		res.Rows = total
		if len(rows) > 0 {
			res.TopPlaces = rows[0].Valid
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Deep, err = timeCalls(cfg.Calls, func(int) error {
		_, _, err := s.Leaderboard(ctx, c.ID, 50, r.IntN(cfg.Participants))
		return err
	})
	return res, err
}
