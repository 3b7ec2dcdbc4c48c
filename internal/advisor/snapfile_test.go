package advisor_test

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// logBuf collects an advisor's log lines.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// snapAdvisor starts an advisor with the snapshot file at path, loaded and
// done with the file (checked, caught up, written).
func snapAdvisor(t *testing.T, s *catalog.Store, path string) (*advisor.Advisor, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	a := advisor.New(s, advisor.Options{})
	a.UseSnapshotFile(path, time.Nanosecond, slog.New(slog.NewTextHandler(lb, nil)))
	if err := a.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.WaitSnapshotFile()
	return a, lb
}

// sameAnswers checks that got gives the cards, rankings (every kind and
// filter shape) and library pages a freshly loaded advisor gives.
func sameAnswers(t *testing.T, phase string, m *demo.Market, n int, s *catalog.Store, got *advisor.Advisor) {
	t.Helper()
	ctx := context.Background()
	want := advisor.New(s, advisor.Options{})
	all := latest(m, n)
	rng := rand.New(rand.NewPCG(32, 1))
	nonEmpty := 0
	for qi := range 120 {
		pick := all[rng.IntN(n)]
		q := advisor.RankQuery{Kind: advisor.RankKinds[qi%len(advisor.RankKinds)], Limit: 1 + rng.IntN(40), Offset: rng.IntN(3)}
		switch (qi / len(advisor.RankKinds)) % 4 {
		case 1:
			q.Category = strings.Split(pick.it.CategoryPath, "/")[0]
		case 2:
			q.MinPrice, q.MaxPrice, q.MinRateBP = pick.now.FinalPrice/2, pick.now.FinalPrice*2, pick.now.CommissionRate/2
		case 3:
			q.Brand = pick.it.Brand
		}
		g, err := got.Rank(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Rank(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(g) > 0 {
			nonEmpty++
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: ranking %+v: %d rows differ from a fresh load's %d", phase, q, len(g), len(w))
		}
	}
	for qi := range 60 {
		pick := all[rng.IntN(n)]
		q := advisor.LibraryQuery{Sort: advisor.LibrarySorts[qi%len(advisor.LibrarySorts)], Limit: 1 + rng.IntN(30)}
		switch (qi / len(advisor.LibrarySorts)) % 4 {
		case 1:
			q.Text = string([]rune(pick.it.Title)[:2])
		case 2:
			q.Brand, q.Platform = pick.it.Brand, pick.it.Platform
		case 3:
			q.Category, q.MinPrice = strings.Split(pick.it.CategoryPath, "/")[0], pick.now.FinalPrice/2
		}
		g, gt, err := got.Library(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		w, wt, err := want.Library(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if gt > 0 {
			nonEmpty++
		}
		if gt != wt || !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: library %+v: %d rows of %d, a fresh load's %d of %d", phase, q, len(g), gt, len(w), wt)
		}
	}
	if nonEmpty < 100 {
		t.Errorf("%s: only %d of 180 queries had rows", phase, nonEmpty)
	}
	for i := 0; i < n; i += n / 15 {
		key := all[i].it.Key()
		g, err := got.Card(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Card(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: card of %s differs from a fresh load's:\n%+v\n%+v", phase, key, g, w)
		}
	}
}

// Issue 17: an advisor started from the snapshot file answers as one that
// read the catalog, before and after imports; two advisors (two servers on
// one database) each start from the file the other wrote.
func TestSnapshotFileRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 300
		ctx := context.Background()
		m, s := loadDemo(t, db, n, 20)
		path := filepath.Join(t.TempDir(), "qunke.db.advisor")
		a1, log1 := snapAdvisor(t, s, path)
		if strings.Contains(log1.String(), "started from") || !strings.Contains(log1.String(), "snapshot file written") {
			t.Fatalf("first start: want a full load and a written file; log:\n%s", log1)
		}
		a2, log2 := snapAdvisor(t, s, path)
		if !strings.Contains(log2.String(), "started from the snapshot file") || !strings.Contains(log2.String(), "snapshot file checked") {
			t.Fatalf("second start: want the file; log:\n%s", log2)
		}
		sameAnswers(t, "from the file", m, n, s, a2)

		// Another process imports: a third of the items a day later, a few
		// moved to another category, one new.
		all := latest(m, n)
		var recs []catalog.Record
		for i := 0; i < n; i += 3 {
			r := lastSeen(m, i)
			r.Obs.At += 26 * 3600
			r.Obs.FinalPrice = max(1, r.Obs.FinalPrice*2/3)
			if i%30 == 0 {
				r.Item.CategoryPath = all[(i+7)%n].it.CategoryPath
			}
			recs = append(recs, r)
		}
		added := lastSeen(m, 1)
		added.Item.ItemID = "990000000017"
		recs = append(recs, added)
		if _, err := catalog.NewStore(db).Ingest(ctx, recs); err != nil {
			t.Fatal(err)
		}
		a3, log3 := snapAdvisor(t, s, path) // the file is older than the catalog
		if !strings.Contains(log3.String(), "started from the snapshot file") {
			t.Fatalf("start after an import: want the file; log:\n%s", log3)
		}
		sameAnswers(t, "from an older file, caught up", m, n, s, a3)
		if c, err := a3.Card(ctx, added.Item.Key()); err != nil || c.Item.ItemID != added.Item.ItemID {
			t.Fatalf("the new item: %v", err)
		}
		// a2 catches up and writes the file; a1 too; each restart reads
		// the other's.
		if _, err := a2.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		a2.WaitSnapshotFile()
		sameAnswers(t, "caught up", m, n, s, a2)
		b1, logb1 := snapAdvisor(t, s, path)
		if !strings.Contains(logb1.String(), "started from the snapshot file") {
			t.Fatalf("restart from the other's file; log:\n%s", logb1)
		}
		if _, err := a1.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		a1.WaitSnapshotFile()
		b2, _ := snapAdvisor(t, s, path)
		sameAnswers(t, "restarted from the other's file", m, n, s, b1)
		sameAnswers(t, "restarted from the other's file", m, n, s, b2)
		if ms, _ := filepath.Glob(path + ".tmp*"); len(ms) > 0 {
			t.Errorf("temporary files left: %q", ms)
		}
	})
}

// A snapshot file that is damaged, cut short, of another format or of
// another database is ignored with one log line and replaced; the answers
// stay right.
func TestSnapshotFileBadFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 120
		m, s := loadDemo(t, db, n, 10)
		dir := t.TempDir()
		path := filepath.Join(dir, "qunke.db.advisor")
		snapAdvisor(t, s, path)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, other := loadDemo(t, storetest.SQLite(t), 30, 5)
		foreign := filepath.Join(dir, "other.advisor")
		snapAdvisor(t, other, foreign)
		foreignBytes, err := os.ReadFile(foreign)
		if err != nil {
			t.Fatal(err)
		}
		withHeader := func(b []byte, at int, v uint32) []byte {
			b = append([]byte(nil), b...)
			binary.LittleEndian.PutUint32(b[at:], v)
			binary.LittleEndian.PutUint32(b[52:], crc32.Checksum(b[:52], crc32.MakeTable(crc32.Castagnoli)))
			return b
		}
		flip := func(at int) []byte {
			b := append([]byte(nil), good...)
			if at < 0 {
				at += len(b)
			}
			b[at] ^= 0x5a
			return b
		}
		for _, tc := range []struct {
			name, log string
			file      []byte
		}{
			{"truncated", "truncated", good[:len(good)/2]},
			{"tiny", "truncated", good[:100]},
			{"header byte", "header checksum", flip(20)},
			{"old version", "format version 0", withHeader(good, 8, 0)},
			{"other layout", "laid out differently", withHeader(good, 16, 12345)},
			{"metadata byte", "metadata checksum", flip(-3)},
			{"section byte", "damaged", flip(4096 + 9)},
			{"other database", "another catalog", foreignBytes},
			{"not a snapshot", "not an advisor snapshot", append([]byte("hello"), make([]byte, 5000)...)},
		} {
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			a, lb := snapAdvisor(t, s, path)
			if !strings.Contains(lb.String(), tc.log) {
				t.Fatalf("%s: the log does not say %q:\n%s", tc.name, tc.log, lb)
			}
			if strings.Count(lb.String(), "level=WARN") != 1 {
				t.Errorf("%s: want one warning:\n%s", tc.name, lb)
			}
			sameAnswers(t, tc.name, m, n, s, a)
			if _, lb := snapAdvisor(t, s, path); !strings.Contains(lb.String(), "started from the snapshot file") {
				t.Fatalf("%s: the file was not replaced by a good one:\n%s", tc.name, lb)
			}
		}
	})
}
