package demo_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/demo"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

var ordersEnd = time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// postedDB is a demo market with the demo's groups and two weeks of posts.
func postedDB(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	m := demo.New(demo.Config{Seed: 3, Items: 400, Snapshots: 40, Interval: 24 * time.Hour, End: ordersEnd})
	cs := catalog.NewStore(db)
	if _, err := cs.Ingest(ctx, m.AppendRecords(nil, 0, 400)); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedPosting(ctx, db, advisor.New(cs, advisor.Options{}), &channels{}, ordersEnd, 14); err != nil {
		t.Fatal(err)
	}
	return db
}

// ordersDigest sums up every demo order (not when it was written).
func ordersDigest(t *testing.T, db *store.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT o.trade_id, o.status, o.item_id, o.paid_amount, o.est_income, o.settled_income, o.paid_at,
		o.settled_at, o.adzone_id, coalesce(g.name, ''), o.delivery_id, o.status_regressed
		FROM orders o LEFT JOIN chat_groups g ON g.id = o.group_id ORDER BY o.trade_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var v [12]any
		p := make([]any, 12)
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(h, v[:]...)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestOrdersFollowThePosts(t *testing.T) {
	ctx := context.Background()
	db := postedDB(t)
	n, err := demo.Orders(ctx, db, 1, ordersEnd)
	if err != nil {
		t.Fatal(err)
	}
	var stored, attributed, fromPosts, ownPost, wrongPost, future int
	q := func(dst *int, sql string, args ...any) {
		t.Helper()
		if err := db.QueryRowContext(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	q(&stored, `SELECT count(*) FROM orders`)
	if n < 200 || stored != n {
		t.Fatalf("%d orders generated, %d stored", n, stored)
	}
	q(&attributed, `SELECT count(*) FROM orders WHERE group_id <> 0`)
	q(&fromPosts, `SELECT count(*) FROM orders WHERE delivery_id <> 0`)
	// A credited post is of the order's group and item, sent before the click.
	q(&wrongPost, `SELECT count(*) FROM orders o JOIN deliveries d ON d.id = o.delivery_id
		WHERE d.group_id <> o.group_id OR d.item_id <> o.item_id OR d.sent_at > o.click_at`)
	q(&future, `SELECT count(*) FROM orders WHERE paid_at > $1 OR settled_at > $1 OR click_at > paid_at`, ordersEnd.Unix())
	// The trade id carries the post that made the order: most are credited to it
	// (a repost of the same item later, before the click, takes the rest: the
	// demo's live group posts every half hour).
	rows, err := db.QueryContext(ctx, `SELECT trade_id, delivery_id FROM orders WHERE delivery_id <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var d int64
		rows.Scan(&id, &d)
		v, _ := strconv.ParseUint(id, 10, 64)
		if post := int64(v%1_000_000_000_000/100) - 1_000_000; post == d {
			ownPost++
		}
	}
	rows.Close()
	if attributed < n*9/10 || attributed > n*99/100 || fromPosts < attributed*95/100 || ownPost < fromPosts*7/10 || wrongPost != 0 || future != 0 {
		t.Fatalf("%d orders: %d attributed, %d from posts, %d from their own post, %d wrong posts, %d in the future",
			n, attributed, fromPosts, ownPost, wrongPost, future)
	}
	// Statuses: a mix that follows the days since payment.
	counts := map[string]int{}
	rows, err = db.QueryContext(ctx, `SELECT status, count(*) FROM orders GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		var c int
		rows.Scan(&s, &c)
		counts[s] = c
	}
	rows.Close()
	if counts["paid"] == 0 || counts["received"] == 0 || counts["settled"] == 0 || counts["invalid"] < n/50 || counts["invalid"] > n/6 {
		t.Fatalf("statuses %v of %d", counts, n)
	}
	var early, settledEarly int
	q(&early, `SELECT count(*) FROM orders WHERE status IN ('received', 'settled') AND paid_at > $1`, ordersEnd.Unix()-3*86400)
	q(&settledEarly, `SELECT count(*) FROM orders WHERE status = 'settled' AND (settled_at < paid_at + 3*86400 OR settled_income <> est_income)`)
	if early+settledEarly != 0 {
		t.Fatalf("%d received within 3 days of payment, %d settled too early or for another amount", early, settledEarly)
	}
	s := orders.NewStore(db)
	un, err := s.Unattributed(ctx, time.Time{}, time.Time{})
	if err != nil || len(un) == 0 || un[0].AdzoneName == "" {
		t.Fatalf("unattributed %+v %v", un, err)
	}
	rep, err := s.Income(ctx, orders.IncomeQuery{By: orders.Day, From: ordersEnd.AddDate(0, 0, -14), Now: ordersEnd})
	if err != nil || rep.Total.Orders != int64(n) || rep.Total.Posts == 0 || rep.Total.EstIncome == 0 {
		t.Fatalf("income %+v %v", rep.Total, err)
	}

	// Again: nothing changes.
	before := ordersDigest(t, db)
	if n2, err := demo.Orders(ctx, db, 1, ordersEnd); err != nil || n2 != n || ordersDigest(t, db) != before {
		t.Fatalf("second run: %d %v, changed %v", n2, err, ordersDigest(t, db) != before)
	}
	// Ten days on, without new posts: statuses move on, nothing moves back.
	later := ordersEnd.AddDate(0, 0, 10)
	if _, err := demo.Orders(ctx, db, 1, later); err != nil {
		t.Fatal(err)
	}
	var settledLater, regressed int
	q(&settledLater, `SELECT count(*) FROM orders WHERE status = 'settled'`)
	q(&regressed, `SELECT count(*) FROM orders WHERE status_regressed <> 0`)
	if settledLater <= counts["settled"] || regressed != 0 {
		t.Fatalf("ten days later: %d settled (was %d), %d regressed", settledLater, counts["settled"], regressed)
	}
}

// The same seed on the same posts gives the same orders.
func TestOrdersDeterministic(t *testing.T) {
	ctx := context.Background()
	a, b := postedDB(t), postedDB(t)
	for _, db := range []*store.DB{a, b} {
		if _, err := demo.Orders(ctx, db, 7, ordersEnd); err != nil {
			t.Fatal(err)
		}
	}
	if ordersDigest(t, a) != ordersDigest(t, b) {
		t.Fatal("two runs with seed 7 differ")
	}
	c := postedDB(t)
	if _, err := demo.Orders(ctx, c, 8, ordersEnd); err != nil {
		t.Fatal(err)
	}
	if ordersDigest(t, c) == ordersDigest(t, a) {
		t.Fatal("seeds 7 and 8 gave the same orders")
	}
}
