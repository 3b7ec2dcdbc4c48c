package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	jdfake "github.com/qunke/qunke/internal/affiliate/jd/fake"
	pddfake "github.com/qunke/qunke/internal/affiliate/pdd/fake"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// rowPlatform is a JD or PDD fake loaded with orders for the sync command:
// its flags, and the ids of the orders it credits to the group's
// placement (want) and to another placement (other).
type rowPlatform struct {
	name, secret string
	flags        []string
	want, other  []string
}

func jdPlatform(t *testing.T, at time.Time) rowPlatform {
	const key, secret = "jd-key-1", "jd-secret-never-printed"
	f := jdfake.New(key, secret, 0)
	t.Cleanup(f.Close)
	t.Setenv("QUNKE_JD_APP_KEY", key)
	t.Setenv("QUNKE_JD_APP_SECRET", secret)
	p := rowPlatform{name: "jd", secret: secret, flags: []string{"--jd-api", f.URL}}
	for i := range 30 { // over 3 hours: three or four windows of an hour
		id, pos := fmt.Sprintf("jd-%d", i), int64(3003)
		if i%5 == 0 {
			pos, p.other = 4004, append(p.other, id)
		} else {
			p.want = append(p.want, id)
		}
		when := at.Add(time.Duration(i) * 6 * time.Minute)
		f.AddOrders(jdfake.Order{ID: id, OrderID: fmt.Sprint(700 + i), SkuID: "100012043978", SkuName: "抽纸", SkuNum: 1,
			Price: "19.90", EstimateCosPrice: "19.90", EstimateFee: "2.09", CommissionRate: "10.5", ValidCode: 16,
			OrderTime: when, ModifyTime: when, PositionID: pos, SubUnionID: "m1"})
	}
	return p
}

func pddPlatform(t *testing.T, at time.Time) rowPlatform {
	const id, secret = "pdd-client-1", "pdd-secret-never-printed"
	f := pddfake.New(id, secret, 0)
	t.Cleanup(f.Close)
	t.Setenv("QUNKE_PDD_CLIENT_ID", id)
	t.Setenv("QUNKE_PDD_CLIENT_SECRET", secret)
	p := rowPlatform{name: "pdd", secret: secret, flags: []string{"--pdd-api", f.URL}}
	for i := range 120 { // three pages of 50
		sn, pid := fmt.Sprintf("261206-%06d", i), "8888_500"
		if i%5 == 0 {
			pid, p.other = "8888_600", append(p.other, sn)
		} else {
			p.want = append(p.want, sn)
		}
		when := at.Add(time.Duration(i) * time.Minute)
		f.AddOrders(pddfake.Order{OrderSN: sn, GoodsSign: "E9H2", GoodsName: "抽纸", PID: pid, GoodsID: 123456789,
			GoodsQuantity: 1, GoodsPrice: 990, OrderAmount: 990, PromotionAmount: 153, PromotionRate: 155, Status: 1,
			PayTime: when, ModifyTime: when})
	}
	return p
}

// qunke sync orders --platform jd|pdd fetches the platform's orders from
// its API, stores them credited to the group whose JD PID or PDD p_id
// matches, adds nothing on a second run and prints no secret.
func TestSyncOrdersJDAndPDD(t *testing.T) {
	for name, load := range map[string]func(*testing.T, time.Time) rowPlatform{"jd": jdPlatform, "pdd": pddPlatform} {
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				t.Setenv("QUNKE_ALIMAMA_APP_KEY", "")
				g := &community.Group{Name: "京东拼多多群", Channel: community.Manual, PIDJD: "1001_2002_3003", PIDPDD: "8888_500", Active: true}
				if err := community.NewStore(db).Save(ctx, g); err != nil {
					t.Fatal(err)
				}
				since := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
				p := load(t, since.Add(time.Minute))
				n := len(p.want) + len(p.other)
				args := append([]string{"sync", "orders", "--db", dsn(db), "--platform", p.name, "--since", since.Format(time.RFC3339)}, p.flags...)
				out, errOut, err := runCLI(t, args...)
				if err != nil {
					t.Fatalf("%v\n%s", err, errOut)
				}
				if !strings.Contains(out, fmt.Sprintf("%d 单：新增 %d", n, n)) {
					t.Errorf("output %q, want %d new orders", out, n)
				}
				if got := countRows(t, db, `SELECT COUNT(*) FROM orders`); got != n {
					t.Errorf("%d orders stored, want %d", got, n)
				}
				st := orders.NewStore(db)
				for _, id := range p.want {
					if a, ok, err := st.AttributionOf(ctx, p.name, id); err != nil || !ok || a.GroupID != g.ID {
						t.Fatalf("order %s credited to %+v (%v %v), want group %d", id, a, ok, err, g.ID)
					}
				}
				for _, id := range p.other {
					if a, _, err := st.AttributionOf(ctx, p.name, id); err != nil || a.GroupID == g.ID {
						t.Fatalf("order %s of another placement credited to %+v (%v)", id, a, err)
					}
				}
				// Again from the same time: every order seen, none added.
				out2, errOut2, err := runCLI(t, args...)
				if err != nil || !strings.Contains(out2, fmt.Sprintf("%d 单：新增 0，更新 0，未变 %d", n, n)) {
					t.Errorf("second run: %q %v", out2, err)
				}
				if got := countRows(t, db, `SELECT COUNT(*) FROM orders`); got != n {
					t.Errorf("%d orders after the second run, want %d", got, n)
				}
				for _, s := range []string{out, errOut, out2, errOut2} {
					if strings.Contains(s, p.secret) {
						t.Errorf("the secret is printed: %q", s)
					}
				}
			})
		})
	}
}

// The server's sync job runs for JD and PDD when their credentials are
// set, and logs no secret.
func TestServeOrderSyncJDAndPDD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Setenv("QUNKE_ALIMAMA_APP_KEY", "")
		now := time.Now()
		j := jdPlatform(t, now.Add(-50*time.Minute)) // the first run fetches the last window: an hour
		p := pddPlatform(t, now.Add(-3*time.Hour))
		var logs lockedBuffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		stop := startOrderSync(context.Background(), db, &platformFlags{jdAPI: j.flags[1], pddAPI: p.flags[1]}, 20*time.Millisecond, log)
		time.Sleep(1500 * time.Millisecond)
		stop()
		if got := countRows(t, db, `SELECT COUNT(*) FROM orders WHERE platform = 'pdd'`); got != 120 {
			t.Errorf("%d PDD orders stored, want 120", got)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM orders WHERE platform = 'jd'`); got != 9 { // 0, 6, … 48 minutes in
			t.Errorf("%d JD orders stored, want the 9 of the last hour", got)
		}
		l := logs.String()
		for _, s := range []string{"platform=jd", "platform=pdd"} {
			if !strings.Contains(l, s) {
				t.Errorf("no %s in the logs:\n%s", s, l)
			}
		}
		if strings.Contains(l, j.secret) || strings.Contains(l, p.secret) {
			t.Errorf("a secret is logged:\n%s", l)
		}
	})
}
