package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/store"
)

// timeHealth fills the health rollup through its job (every group's days),
// then times the board and a group's year of days as the console and the
// API call them (the health job's now is the bench's end).
func timeHealth(ctx context.Context, db *store.DB, cfg MembersConfig, end time.Time, ids []int64, res *MembersResult) error {
	svc := health.NewService(db, slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	svc.Now = func() time.Time { return end }
	svc.Backfill = cfg.Days + 1
	t0 := time.Now()
	if err := svc.Refresh(ctx, 0); err != nil {
		return fmt.Errorf("health rollup: %w", err)
	}
	res.Rollup = time.Since(t0)
	fmt.Fprintf(cfg.Log, "health rollup (%d days of %d groups) in %s\n", cfg.Days+1, len(ids), res.Rollup.Round(time.Millisecond))

	var err error
	res.Board, err = timeCalls(cfg.Boards, func(int) error {
		rows, err := svc.Board(ctx)
		res.BoardRows = len(rows)
		return err
	})
	if err != nil {
		return fmt.Errorf("health board: %w", err)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 99))
	res.Group, err = timeCalls(cfg.GroupPages, func(int) error {
		v, err := svc.Group(ctx, ids[r.IntN(len(ids))], cfg.Days)
		if err == nil {
			res.GroupDays = max(res.GroupDays, len(v.Days))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("group page: %w", err)
	}
	return nil
}
