package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// MembersConfig sets up the members benchmark (issue 14): a year of joins
// and leaves in many groups, written through the registry, then the health
// rollup filled by its job, then the board and a group's year timed
// against the plain computation from the memberships; and a member list
// import from a generated file.
type MembersConfig struct {
	Dir      string // SQLite database and generated lists
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Groups   int
	Members  int
	Events   int // joins and leaves in all (about Events/Members per member)
	Days     int // the span of the events, ending at the bench's "now"
	Seed     uint64
	Batch    int // events per ApplyEvents call (whole members)

	Boards      int // timed board calls
	GroupPages  int // timed group pages (a year of days each)
	PlainBoards int // timed plain boards (0: skip)
	PlainPages  int // timed plain group pages (0: skip)
	ImportRows  int // rows of the generated member list (0: skip the import)
	Log         io.Writer
}

func (c *MembersConfig) defaults() {
	if c.Dir == "" {
		c.Dir = "bench-out"
	}
	if c.Groups <= 0 {
		c.Groups = 1000
	}
	if c.Members <= 0 {
		c.Members = 1_000_000
	}
	if c.Events <= 0 {
		c.Events = 10 * c.Members
	}
	if c.Days <= 0 {
		c.Days = 365
	}
	if c.Batch <= 0 {
		c.Batch = 20_000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// MembersResult is what the members benchmark measured.
type MembersResult struct {
	Groups, Members, Events int
	Load                    time.Duration // writing the events through ApplyEvents
	LoadPerSec              float64       // events per second
	DBBytes                 int64         // SQLite file after the load (0 on PostgreSQL)
	Rollup                  time.Duration // the health job's first run (every group's year)
	RollupDays              int
	Board, Group            CallLatency // health board; one group's year of days
	BoardRows, GroupDays    int
	PlainBoard, PlainGroup  CallLatency // the same figures computed from the memberships
	PlainBoardRows          int
	HeapAlloc               uint64 // Go heap in use after the timed calls
	RSS, PeakRSS            int64
	Imports                 []MemberImport
}

// MemberImport is one timed member list import.
type MemberImport struct {
	Format    string
	Rows      int
	FileBytes int64
	Elapsed   time.Duration
	PerSec    float64
	CPU       time.Duration // process CPU time the import used
	Joined    int
	Left      int // a re-import: the members no longer on the list
}

// memberGen makes the year's stays: each member stays in a few groups
// (popular groups more likely), joining at a random time and leaving after
// an exponential stay (mean 60 days) unless the year ends first.
type memberGen struct {
	groups    []int64
	cum       []float64 // cumulative group weights
	start     int64     // unix seconds
	span      int64     // seconds
	perMember float64   // events per member
}

func newMemberGen(groups []int64, end time.Time, days int, perMember float64) *memberGen {
	g := &memberGen{groups: groups, start: end.Unix() - int64(days)*86400, span: int64(days) * 86400, perMember: perMember}
	sum := 0.0
	for i := range groups {
		sum += 1 / math.Sqrt(float64(i+1))
		g.cum = append(g.cum, sum)
	}
	return g
}

var (
	joinHows  = []community.JoinHow{community.JoinInvite, community.JoinLink, community.JoinQR}
	leaveHows = []community.LeaveHow{community.LeaveSelf, community.LeaveSelf, community.LeaveSelf, community.LeaveRemoved}
)

// member appends member m's events to evs (its own random stream, so a
// member's events do not depend on the batch size).
func (g *memberGen) member(evs []community.MemberEvent, seed uint64, m int) []community.MemberEvent {
	r := rand.New(rand.NewPCG(seed, uint64(m)))
	ext := strconv.Itoa(1_000_000_000 + m)
	name := "成员" + strconv.Itoa(m)
	// events per member vary around the mean: floor or ceil of it.
	want := int(g.perMember)
	if r.Float64() < g.perMember-float64(want) {
		want++
	}
	var used []int
	for n := 0; n < want && len(used) < len(g.groups); {
		gi, _ := slices.BinarySearch(g.cum, r.Float64()*g.cum[len(g.cum)-1])
		gi = min(gi, len(g.groups)-1)
		if slices.Contains(used, gi) {
			continue
		}
		used = append(used, gi)
		joined := g.start + r.Int64N(g.span)
		key := "bench:" + ext + ":" + strconv.FormatInt(g.groups[gi], 10)
		evs = append(evs, community.MemberEvent{Key: key + ":join", Source: community.SourceTelegram, GroupID: g.groups[gi],
			Kind: community.Join, At: time.Unix(joined, 0), ExternalID: ext, Name: name, JoinHow: joinHows[r.IntN(3)]})
		n++
		left := joined + int64(r.ExpFloat64()*60*86400)
		if n < want && left < g.start+g.span {
			evs = append(evs, community.MemberEvent{Key: key + ":leave", Source: community.SourceTelegram, GroupID: g.groups[gi],
				Kind: community.Leave, At: time.Unix(left, 0), ExternalID: ext, LeaveHow: leaveHows[r.IntN(4)]})
			n++
		}
	}
	return evs
}

// loadMembers creates the groups and writes every member's events through
// the registry's ApplyEvents, Batch events (whole members) per call.
func loadMembers(ctx context.Context, db *store.DB, cfg MembersConfig, end time.Time, res *MembersResult) ([]int64, error) {
	cs := community.NewStore(db)
	ids := make([]int64, cfg.Groups)
	for i := range cfg.Groups {
		grp := &community.Group{Name: fmt.Sprintf("成员群%04d", i+1), Channel: community.Manual, Members: 100, Active: true}
		if err := cs.Save(ctx, grp); err != nil {
			return nil, err
		}
		ids[i] = grp.ID
	}
	gen := newMemberGen(ids, end, cfg.Days, float64(cfg.Events)/float64(cfg.Members))
	evs := make([]community.MemberEvent, 0, cfg.Batch+64)
	start := time.Now()
	last := start
	flush := func() error {
		if len(evs) == 0 {
			return nil
		}
		n, err := cs.ApplyEvents(ctx, evs)
		if err != nil {
			return err
		}
		res.Events += n
		evs = evs[:0]
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			el := time.Since(start)
			fmt.Fprintf(cfg.Log, "  %d events (%.0f/s), %s\n", res.Events, float64(res.Events)/el.Seconds(), el.Round(time.Second))
		}
		return nil
	}
	for m := range cfg.Members {
		evs = gen.member(evs, cfg.Seed, m)
		if len(evs) >= cfg.Batch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	res.Load = time.Since(start)
	res.LoadPerSec = float64(res.Events) / res.Load.Seconds()
	res.Groups, res.Members = cfg.Groups, cfg.Members
	return ids, nil
}

// CallLatency is timed calls with the process CPU time they used, on
// average: on a shared machine the wall-clock tail shows the waits for a
// core, the CPU time what a call costs.
type CallLatency struct {
	Latency
	CPU time.Duration // per call
}

// timeCalls times n calls of fn.
func timeCalls(n int, fn func(i int) error) (CallLatency, error) {
	ds := make([]time.Duration, 0, n)
	c0 := processCPU()
	for i := range n {
		t0 := time.Now()
		if err := fn(i); err != nil {
			return CallLatency{}, err
		}
		ds = append(ds, time.Since(t0))
	}
	l := CallLatency{Latency: latency(ds)}
	if n > 0 {
		l.CPU = (processCPU() - c0) / time.Duration(n)
	}
	return l, nil
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// Members runs the benchmark.
func Members(ctx context.Context, cfg MembersConfig) (MembersResult, error) {
	cfg.defaults()
	var res MembersResult
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return res, err
	}
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "members.db", true)
	if err != nil {
		return res, err
	}
	defer done()
	end := benchEnd
	fmt.Fprintf(cfg.Log, "loading %d groups, %d members, ~%d events over %d days\n", cfg.Groups, cfg.Members, cfg.Events, cfg.Days)
	ids, err := loadMembers(ctx, db, cfg, end, &res)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Log, "loaded %d events in %s (%.0f/s)\n", res.Events, res.Load.Round(time.Millisecond), res.LoadPerSec)
	if cfg.Postgres == "" {
		res.DBBytes = fileSize(db.Path())
	}
	if err := timeHealth(ctx, db, cfg, end, ids, &res); err != nil {
		return res, err
	}
	if err := timePlain(ctx, db, cfg, end, ids, &res); err != nil {
		return res, err
	}
	if cfg.ImportRows > 0 {
		if err := timeMemberImports(ctx, db, cfg, end, &res); err != nil {
			return res, err
		}
	}
	res.HeapAlloc = heapAlloc()
	res.RSS, res.PeakRSS = rss()
	return res, nil
}

// timePlain times the plain approach: the board's figures (members now,
// joins and leaves of the last 30 days per group, riskiest = most leaves
// per member first) and a group's year, computed from the memberships per
// request (what the health rollup spares the board and the group page).
func timePlain(ctx context.Context, db *store.DB, cfg MembersConfig, end time.Time, ids []int64, res *MembersResult) error {
	var err error
	r := rand.New(rand.NewPCG(cfg.Seed, 98))
	cs := community.NewStore(db)
	today := end.Truncate(time.Second)
	dayEnd := func(back int) time.Time {
		d := shanghai.Day(today.Unix()) - int64(back) + 1
		return time.Unix(d*86400-shanghai.Offset, 0)
	}
	res.PlainBoard, err = timeCalls(cfg.PlainBoards, func(int) error {
		all, err := cs.DaysFromStays(ctx, 0, dayEnd(30), dayEnd(0))
		if err != nil {
			return err
		}
		type row struct {
			group        int64
			members, out int
		}
		rows := make([]row, 0, len(all))
		for g, ds := range all {
			rw := row{group: g, members: ds[len(ds)-1].Members}
			for _, d := range ds {
				rw.out += d.LeavesSelf + d.LeavesRemoved + d.LeavesOther
			}
			rows = append(rows, rw)
		}
		slices.SortFunc(rows, func(a, b row) int { return b.out*(a.members+1) - a.out*(b.members+1) })
		res.PlainBoardRows = len(rows)
		return nil
	})
	if err != nil {
		return fmt.Errorf("plain board: %w", err)
	}
	res.PlainGroup, err = timeCalls(cfg.PlainPages, func(int) error {
		_, err := cs.DaysFromStays(ctx, ids[r.IntN(len(ids))], dayEnd(cfg.Days), dayEnd(0))
		return err
	})
	if err != nil {
		return fmt.Errorf("plain group page: %w", err)
	}
	return nil
}

// timeMemberImports writes member lists of ImportRows members of new
// groups and imports each through the registry's spreadsheet import (as
// `qunke members import` does), into the loaded database: a CSV and an
// XLSX, each a first import (every row a join), then the CSV's group again
// a day later with a tenth of its members replaced (a snapshot diff).
func timeMemberImports(ctx context.Context, db *store.DB, cfg MembersConfig, end time.Time, res *MembersResult) error {
	cs := community.NewStore(db)
	lists := []struct {
		format, group, path string
		shift               int
		at                  time.Time
	}{
		{"csv", "导入测试群A", "members-a.csv", 0, end.Add(-24 * time.Hour)},
		{"xlsx", "导入测试群B", "members-b.xlsx", 0, end.Add(-24 * time.Hour)},
		{"csv", "导入测试群A", "members-a2.csv", cfg.ImportRows / 10, end},
	}
	for _, l := range lists {
		path := filepath.Join(cfg.Dir, l.path)
		write := writeMemberCSV
		if l.format == "xlsx" {
			write = writeMemberXLSX
		}
		if err := write(path, l.group, cfg.ImportRows, l.shift); err != nil {
			return err
		}
		if l.shift == 0 {
			if err := cs.Save(ctx, &community.Group{Name: l.group, Channel: community.Manual, Active: true}); err != nil {
				return err
			}
		}
		c0, t0 := processCPU(), time.Now()
		r, err := cs.ImportMembersFile(ctx, path, "", l.at)
		if err != nil {
			return fmt.Errorf("import %s: %w", path, err)
		}
		m := MemberImport{Format: l.format, Rows: r.Rows, FileBytes: fileSize(path), Elapsed: time.Since(t0),
			CPU: processCPU() - c0, Joined: r.Joined, Left: r.Left}
		m.PerSec = float64(m.Rows) / m.Elapsed.Seconds()
		res.Imports = append(res.Imports, m)
		fmt.Fprintf(cfg.Log, "imported %s: %d rows in %s\n", path, m.Rows, m.Elapsed.Round(time.Millisecond))
	}
	return nil
}

// memberRow is row i of a generated list whose first shift members were
// replaced by as many new ones.
func memberRow(i, shift int) (name, wxid, joined string) {
	n := i
	if i < shift {
		n = 10_000_000 + i
	}
	return "成员" + strconv.Itoa(n), fmt.Sprintf("wx_%08d", n), fmt.Sprintf("2026-03-%02d %02d:%02d", 1+n%28, n%24, n%60)
}

func writeMemberCSV(path, group string, rows, shift int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("群名,昵称,微信号,入群时间,备注\n")
	for i := range rows {
		name, wxid, joined := memberRow(i, shift)
		fmt.Fprintf(w, "%s,%s,%s,%s,\n", group, name, wxid, joined)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeMemberXLSX(path, group string, rows, shift int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter(f.GetSheetName(0))
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"群名", "昵称", "微信号", "入群时间", "备注"}); err != nil {
		return err
	}
	for i := range rows {
		name, wxid, joined := memberRow(i, shift)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{group, name, wxid, joined, ""}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}
