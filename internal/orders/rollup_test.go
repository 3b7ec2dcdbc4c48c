package orders

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// rollupSnapshot lists both rollup tables' rows (names left out: a rebuild
// takes the largest, upkeep the latest).
func rollupSnapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT group_id, adzone_id, paid_day, status, orders, paid_amount, est_income, settled_income FROM order_days
			ORDER BY group_id, adzone_id, paid_day, status`,
		`SELECT settled_day, orders, settled_income, 0, 0, 0, 0, 0 FROM order_settle_days ORDER BY settled_day`,
	} {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v [8]any
			p := make([]any, 8)
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", v)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// Whatever imports and re-attributions do, the rollups hold what a rebuild
// from the orders computes.
func TestRollupsMatchOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		r := rand.New(rand.NewPCG(11, 12))
		t0 := sh("2026-03-01 00:00:00")
		groups := []int64{addGroup(t, db, "甲", "111", 50), addGroup(t, db, "乙", "222", 0)}
		for i := range 40 {
			addPost(t, db, groups[i%2], []string{"taobao", "tmall"}[i%2], fmt.Sprint("i", i%7), "sent", t0+int64(r.IntN(40*86400)))
		}
		statuses := []Status{Paid, Received, Settled, Invalid, Refunded}
		known := map[string]Order{}
		order := func(id string) Order {
			paid := t0 + int64(r.IntN(45*86400))
			o := Order{TradeID: id, ItemID: fmt.Sprint("i", r.IntN(7)), AdzoneID: []string{"111", "222", "333", ""}[r.IntN(4)],
				AdzoneName: fmt.Sprint("位", r.IntN(3)), ClickAt: paid - 3600, PaidAt: paid, PaidAmount: int64(r.IntN(10000)),
				EstIncome: int64(r.IntN(800)), Status: statuses[r.IntN(len(statuses))]}
			if o.Status == Settled {
				o.SettledAt, o.SettledIncome = paid+int64(r.IntN(20*86400)), o.EstIncome-int64(r.IntN(5))
			}
			return o
		}
		next := 0
		for round := range 12 {
			var batch []Order
			n := 50 + r.IntN(700)
			if round == 3 {
				n = 1300 // more than one lookup batch
			}
			for range n {
				if len(known) > 0 && r.IntN(2) == 0 {
					// An order seen before: the same, moved on, moved back, or changed.
					ids := make([]string, 0, len(known))
					for id := range known {
						ids = append(ids, id)
					}
					o := known[ids[r.IntN(len(ids))]]
					switch r.IntN(4) {
					case 1:
						o.Status = statuses[r.IntN(len(statuses))]
						if o.Status == Settled && o.SettledAt == 0 {
							o.SettledAt, o.SettledIncome = o.PaidAt+86400, o.EstIncome
						}
					case 2:
						o.PaidAmount, o.EstIncome = o.PaidAmount+1, o.EstIncome+int64(r.IntN(3))
					case 3:
						o.PaidAt += 86400 // a later report with another day
					}
					batch = append(batch, o)
					known[o.TradeID] = o
				} else {
					next++
					o := order(fmt.Sprint("T", next))
					batch = append(batch, o)
					known[o.TradeID] = o
				}
			}
			if round%4 == 2 {
				// Through a report file.
				var b strings.Builder
				b.WriteString("淘宝子订单号,订单状态,付款金额,付款预估收入,结算预估收入,商品ID,推广位ID,推广位名称,点击时间,付款时间,结算时间,维权标签\n")
				tm := func(t int64) string {
					if t == 0 {
						return ""
					}
					return time.Unix(t, 0).In(shanghai.Zone).Format("2006-01-02 15:04:05")
				}
				for _, o := range batch {
					st := map[Status]string{Paid: "已付款", Received: "已收货", Settled: "已结算", Invalid: "已失效", Refunded: "已结算"}[o.Status]
					tag := "--"
					if o.Status == Refunded {
						tag = "维权订单"
					}
					fmt.Fprintf(&b, "%s,%s,%d.%02d,%d.%02d,%d.%02d,%s,%s,%s,%s,%s,%s,%s\n", o.TradeID, st, o.PaidAmount/100, o.PaidAmount%100,
						o.EstIncome/100, o.EstIncome%100, o.SettledIncome/100, o.SettledIncome%100, o.ItemID, o.AdzoneID, o.AdzoneName,
						tm(o.ClickAt), tm(o.PaidAt), tm(o.SettledAt), tag)
				}
				path := filepath.Join(t.TempDir(), "r.csv")
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				if res, err := s.ImportFile(ctx, path, false); err != nil {
					t.Fatalf("round %d file: %v %v", round, err, res.Parsed.Problems)
				}
			} else if _, err := s.Import(ctx, batch); err != nil {
				t.Fatal(err)
			}
			if round%3 == 1 {
				// Placements move between groups; a third group appears.
				setAdzone(t, db, groups[1], []string{"222", "333", "444"}[round%3])
				since := time.Time{}
				if round > 6 {
					since = time.Unix(t0+20*86400, 0)
				}
				if _, err := s.Attribute(ctx, since); err != nil {
					t.Fatal(err)
				}
			}
			if round == 8 {
				groups = append(groups, addGroup(t, db, fmt.Sprint("丙", round), "111"+fmt.Sprint(round), 10))
				setAdzone(t, db, groups[0], "")
				if _, err := s.Attribute(ctx, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		kept := rollupSnapshot(t, db)
		if err := s.RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := rollupSnapshot(t, db); kept != rebuilt {
			t.Fatalf("rollups kept by upkeep differ from a rebuild:\nkept:\n%s\nrebuilt:\n%s", kept, rebuilt)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT count(*) FROM order_days`).Scan(&n)
		if n < 50 {
			t.Fatalf("only %d rollup rows", n)
		}
	})
}
