package bench

import (
	"context"
	"testing"
)

// TestMembersSmall runs the members benchmark at a tiny size and checks
// that what it measured is sane: every event written, the board lists
// every group (the import's too), a group page has the year's days, the
// plain computation ran, and the imports took every row.
// It runs on SQLite and on PostgreSQL.
func TestMembersSmall(t *testing.T) { eachEngine(t, membersSmall) }

func membersSmall(t *testing.T, pg string) {
	cfg := MembersConfig{Dir: t.TempDir(), Postgres: pg, Groups: 12, Members: 300, Events: 2400,
		Days: 60, Seed: 3, Batch: 500, Boards: 3, GroupPages: 5, PlainBoards: 2, PlainPages: 3, ImportRows: 200}
	res, err := Members(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events < cfg.Events*9/10 || res.Events > cfg.Events {
		t.Errorf("events written: %d, want about %d", res.Events, cfg.Events)
	}
	if res.LoadPerSec <= 0 || res.Rollup <= 0 {
		t.Errorf("load %.0f/s, rollup %s", res.LoadPerSec, res.Rollup)
	}
	if res.BoardRows != cfg.Groups {
		t.Errorf("board lists %d groups, want every one of %d", res.BoardRows, cfg.Groups)
	}
	if res.GroupDays != cfg.Days {
		t.Errorf("a group page has %d days, want %d", res.GroupDays, cfg.Days)
	}
	if res.PlainBoardRows != cfg.Groups {
		t.Errorf("plain board: %d groups, want %d", res.PlainBoardRows, cfg.Groups)
	}
	for name, l := range map[string]CallLatency{"board": res.Board, "group": res.Group, "plain board": res.PlainBoard, "plain group": res.PlainGroup} {
		if l.N == 0 || l.P99 <= 0 || l.P50 > l.P99 || l.CPU <= 0 {
			t.Errorf("%s: %+v", name, l)
		}
	}
	if len(res.Imports) != 3 {
		t.Fatalf("imports: %+v", res.Imports)
	}
	for _, i := range res.Imports[:2] {
		if i.Rows != cfg.ImportRows || i.Joined != cfg.ImportRows || i.Left != 0 || i.PerSec <= 0 || i.FileBytes == 0 {
			t.Errorf("%s import: %+v", i.Format, i)
		}
	}
	if i := res.Imports[2]; i.Rows != cfg.ImportRows || i.Joined != cfg.ImportRows/10 || i.Left != cfg.ImportRows/10 {
		t.Errorf("re-import with a tenth replaced: %+v", i)
	}
	if res.HeapAlloc == 0 || res.PeakRSS == 0 {
		t.Errorf("memory: heap %d, peak RSS %d", res.HeapAlloc, res.PeakRSS)
	}
}
