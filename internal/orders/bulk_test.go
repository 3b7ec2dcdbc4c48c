package orders

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// PostgreSQL imports in batches of pgBatch written set-based, SQLite in
// batches of batchSize row by row: the same imports (several batches each,
// trade ids repeated within and across batches, new, changed, unchanged,
// regressed and re-attributed orders, then a re-attribution) leave the same
// orders, rollups and change queue, row for row, and count the same. With
// PostgreSQL's batches as large as SQLite's the queue is the same row for
// row too; with its own larger batches an order changed twice in one
// import may be queued fewer times (the poster reads it once either way),
// and the orders credited to a member are queued alike.
func TestPostgresImportMatchesSQLite(t *testing.T) {
	sqlite := importScenario(t, storetest.SQLite(t), 0)
	for _, size := range []int{batchSize, 0} {
		pg := importScenario(t, storetest.Postgres(t), size)
		for _, part := range []string{"stats", "orders", "queue", "credited queue", "order_days", "order_settle_days"} {
			if part == "queue" && size != batchSize {
				continue
			}
			a, b := sqlite[part], pg[part]
			if len(a) == 0 {
				t.Errorf("%s: nothing on SQLite", part)
			}
			diffs := 0
			for i := range max(len(a), len(b)) {
				x, y := "(none)", "(none)"
				if i < len(a) {
					x = a[i]
				}
				if i < len(b) {
					y = b[i]
				}
				if x != y {
					if diffs++; diffs <= 5 {
						t.Errorf("batches of %d, %s line %d:\n sqlite   %s\n postgres %s", size, part, i, x, y)
					}
				}
			}
			if diffs > 0 {
				t.Errorf("batches of %d, %s: %d of %d lines differ", size, part, diffs, len(a))
			}
		}
	}
}

// importScenario runs the imports on db (PostgreSQL: pgBatch orders a
// batch, 0 for the default) and lists what they left, by part.
func importScenario(t *testing.T, db *store.DB, pgBatch int) map[string][]string {
	t.Helper()
	ctx := context.Background()
	s := NewStore(db)
	s.pgBatch = pgBatch
	out := map[string][]string{}
	clock := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	r := rand.New(rand.NewPCG(17, 18))
	t0 := sh("2026-03-01 00:00:00")
	groups := []int64{addGroup(t, db, "甲", "111", 50), addGroup(t, db, "乙", "222", 0), addGroup(t, db, "丙", "333", 9)}
	for i := range 60 {
		addPost(t, db, groups[i%3], []string{"taobao", "tmall"}[i%2], fmt.Sprint("i", i%9), "sent", t0+int64(r.IntN(40*86400)))
	}
	gs := community.NewStore(db)
	var members []int64
	for i := range 6 {
		m := communitytest.Member(t, db, fmt.Sprint("m", i))
		members = append(members, m)
		if err := gs.Bind(ctx, m, "taobao", "special_id", fmt.Sprint(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	statuses := []Status{Paid, Received, Settled, Invalid, Refunded}
	order := func(id string) Order {
		paid := t0 + int64(r.IntN(45*86400))
		o := Order{Platform: []string{"", PlatformTaobao, "tmall", PlatformJD}[r.IntN(4)], TradeID: id,
			ItemID: fmt.Sprint("i", r.IntN(9)), AdzoneID: []string{"111", "222", "333", "444", ""}[r.IntN(5)],
			AdzoneName: fmt.Sprint("位", r.IntN(3)), ClickAt: paid - 3600, PaidAt: paid, PaidAmount: int64(r.IntN(10000)),
			EstIncome: int64(r.IntN(800)), Status: statuses[r.IntN(len(statuses))], SpecialID: fmt.Sprint(100 + r.IntN(9)),
			Title: fmt.Sprint("商品 ", id), Quantity: 1}
		if o.Status == Settled {
			o.SettledAt, o.SettledIncome = paid+int64(r.IntN(20*86400)), o.EstIncome-int64(r.IntN(5))
		}
		return o
	}
	var known []Order
	next := 0
	for round := range 3 {
		var batch []Order
		n := []int{12000, 11000, 3000}[round]
		for range n {
			if len(known) > 0 && r.IntN(3) > 0 {
				o := known[r.IntN(len(known))]
				switch r.IntN(4) {
				case 1:
					o.Status = statuses[r.IntN(len(statuses))] // forward or backward
					if o.Status == Settled && o.SettledAt == 0 {
						o.SettledAt, o.SettledIncome = o.PaidAt+86400, o.EstIncome
					}
				case 2:
					o.PaidAmount, o.EstIncome = o.PaidAmount+1, o.EstIncome+int64(r.IntN(3))
				case 3:
					o.PaidAt += 86400
				}
				batch = append(batch, o)
				known = append(known, o)
			} else {
				next++
				o := order(fmt.Sprint("T", next))
				batch = append(batch, o)
				known = append(known, o)
			}
		}
		st, err := s.Import(ctx, batch)
		if err != nil {
			t.Fatalf("%s: import %d: %v", db.Dialect, round, err)
		}
		out["stats"] = append(out["stats"], fmt.Sprintf("import %d: %+v", round, st))
		// Between imports: more ids bound, so that unchanged
		// orders of the next import change only their attribution.
		if err := gs.Bind(ctx, members[round], "taobao", "special_id", fmt.Sprint(106+round)); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
	}
	setAdzone(t, db, groups[1], "444")
	ast, err := s.Attribute(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out["stats"] = append(out["stats"], fmt.Sprintf("attribute: %+v", ast))
	cols := `platform, trade_id, ` + orderCols + `, status_regressed, group_id, delivery_id, member_id, updated_at`
	for part, q := range map[string]string{
		"orders": `SELECT ` + cols + ` FROM orders ORDER BY platform, trade_id`,
		"queue":  `SELECT platform, trade_id, count(*) FROM order_changes GROUP BY platform, trade_id ORDER BY platform, trade_id`,
		"credited queue": `SELECT DISTINCT c.platform, c.trade_id FROM order_changes c
			JOIN orders o ON o.platform = c.platform AND o.trade_id = c.trade_id WHERE o.member_id <> 0 ORDER BY 1, 2`,
		// The adzones' names left out: the last one seen in a batch.
		"order_days": `SELECT group_id, adzone_id, paid_day, status, orders, paid_amount, est_income, settled_income
			FROM order_days ORDER BY group_id, adzone_id, paid_day, status`,
		"order_settle_days": `SELECT settled_day, orders, settled_income FROM order_settle_days ORDER BY settled_day`,
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		names, _ := rows.Columns()
		for rows.Next() {
			v := make([]any, len(names))
			p := make([]any, len(names))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i := range v {
				if s, ok := v[i].([]byte); ok {
					v[i] = string(s)
				}
				fmt.Fprintf(&b, "%v|", v[i])
			}
			out[part] = append(out[part], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// Two servers import into one database at once, different orders that fall
// on the same rollup rows: both imports commit (no deadlock on the rollups,
// which each takes in key order) and the rollups hold what a rebuild from
// the orders computes.
func TestTwoImportsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		other := storetest.Reopen(t, db)
		addGroup(t, db, "甲", "111", 5)
		t0 := sh("2026-03-01 00:00:00")
		batch := func(prefix string, n int) []Order {
			var out []Order
			for i := range n {
				out = append(out, Order{TradeID: fmt.Sprint(prefix, i), AdzoneID: []string{"111", "222"}[i%2], PaidAt: t0 + int64(i%20)*86400,
					Status: []Status{Paid, Settled, Invalid}[i%3], SettledAt: t0 + 30*86400, PaidAmount: int64(i), EstIncome: 7, SettledIncome: 5})
			}
			return out
		}
		errs := make(chan error, 2)
		for i, d := range []*store.DB{db, other} {
			go func() {
				_, err := NewStore(d).Import(ctx, batch(fmt.Sprint("S", i, "-"), 12000))
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 24000 {
			t.Fatalf("%d orders, %v", n, err)
		}
		kept := rollupSnapshot(t, db)
		if err := NewStore(db).RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := rollupSnapshot(t, db); kept != rebuilt {
			t.Fatalf("rollups after two imports at once:\n%s\nrebuilt:\n%s", kept, rebuilt)
		}
	})
}
