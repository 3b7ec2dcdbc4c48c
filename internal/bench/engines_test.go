package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// eachEngine runs fn as a subtest on SQLite (pg "") and on PostgreSQL (pg
// its URL): every benchmark runs on both engines.
func eachEngine(t *testing.T, fn func(t *testing.T, pg string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, testPostgres(t)) })
}

// testPostgres is the PostgreSQL server the benchmarks' tests run on (each
// benchmark makes a schema of its own there): QUNKE_TEST_POSTGRES, failing
// when it is unreachable; without it, the local default server, skipped when
// absent, except under CI, where the variable must be set.
func testPostgres(t *testing.T) string {
	t.Helper()
	pg, required := os.LookupEnv(storetest.EnvPostgres)
	if !required {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: the benchmarks' PostgreSQL runs are required under CI", storetest.EnvPostgres)
		}
		pg = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := store.Open(context.Background(), pg) // pings
	if err != nil {
		if required {
			t.Fatalf("PostgreSQL from %s is unreachable: %v", storetest.EnvPostgres, err)
		}
		t.Skipf("PostgreSQL not reachable (set %s to require it): %v", storetest.EnvPostgres, err)
	}
	db.Close()
	return pg
}

// Short writes during an import, on each engine: every round of writes
// (one at the start, then one a tick) finishes, none fails, and the
// import takes every row.
func TestLockWaitSmall(t *testing.T) {
	eachEngine(t, func(t *testing.T, pg string) {
		res, err := LockWait(context.Background(), LockWaitConfig{Dir: t.TempDir(), Postgres: pg, Items: 3000, Seed: 2,
			Every: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.ImportRows != 3000 || res.FileBytes <= 0 || res.Import <= 0 {
			t.Fatalf("import: %+v", res)
		}
		w := res.Writes
		if w.N < 1 || res.Sessions.N != w.N || res.Leases.N != 2*w.N {
			t.Fatalf("rounds: writes %d, sessions %d, leases %d", w.N, res.Sessions.N, res.Leases.N)
		}
		for name, st := range map[string]WaitStats{"writes": w, "sessions": res.Sessions, "leases": res.Leases} {
			if st.Failed != 0 || st.Max < st.P50 {
				t.Errorf("%s: %+v", name, st)
			}
		}
	})
}

// The advisor benchmark, tiny, on each engine (the plain-SQL card on
// SQLite only: its table is a SQLite file).
func TestAdvisorSmall(t *testing.T) {
	eachEngine(t, func(t *testing.T, pg string) {
		cfg := AdvisorConfig{Dir: t.TempDir(), Postgres: pg, Items: 400, Snapshots: 6, Seed: 2, Cards: 5, Rankings: 5, Searches: 5}
		if pg == "" {
			cfg.NaiveItems = 100
		}
		res, err := Advisor(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Observations != 2400 || res.Card.N != 5 || res.Search.N != 5 || res.Ranking.N == 0 || res.Card.P99 <= 0 {
			t.Fatalf("%+v", res)
		}
		if (pg == "") != (res.NaiveCard.N == 5) {
			t.Errorf("plain SQL cards: %+v", res.NaiveCard)
		}
	})
}

// The insight benchmark, tiny, on each engine: every order loaded and
// every part timed.
func TestInsightSmall(t *testing.T) {
	eachEngine(t, func(t *testing.T, pg string) {
		res, err := Insight(context.Background(), InsightConfig{Dir: t.TempDir(), Postgres: pg, Groups: 4, Members: 200, Orders: 1000,
			Days: 60, Months: 3, Seed: 2, Queries: 2, Plain: 1, Sims: 2})
		if err != nil {
			t.Fatal(err)
		}
		dbParts := 0
		for _, p := range InsightParts() {
			if !p.Memory {
				dbParts++
			}
		}
		if res.Orders != 1000 || len(res.Parts) != dbParts {
			t.Fatalf("%d parts timed, want the %d that read the database: %+v", len(res.Parts), dbParts, res)
		}
		for _, p := range res.Parts {
			if p.N == 0 {
				t.Errorf("part %q not timed", p.Name)
			}
		}
	})
}
