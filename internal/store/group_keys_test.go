package store_test

import (
	"context"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// Migration 0010 makes plans.group_id a foreign key: 0 becomes NULL, the
// plans (and queues) of groups already gone are removed, everything else
// is copied as it was, and a plan can no longer outlive its group.
func TestMigrationGroupKeys(t *testing.T) {
	storetest.EachAt(t, 9, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO chat_groups (id, name, channel, created_at, updated_at) VALUES (1, '宝妈群', 'manual', 0, 0)`)
		exec(`INSERT INTO plans (id, name, group_id, tag, slots, per_slot, daily_cap, repeat_days, quiet_from, quiet_to, active, created_at)
			VALUES (10, '按群', 1, '', '08:00', 2, 5, 7, 1320, 420, 0, 100), (11, '按标签', 0, '宝妈', '12:00', 1, 3, 0, 0, 0, 1, 200),
			(12, '孤儿', 99, '', '20:00', 1, 3, 0, 0, 0, 1, 300)`)
		exec(`INSERT INTO plan_queue (id, plan_id, platform, item_id, chosen_price, reason, pos, added_by, added_at)
			VALUES (1, 10, 'taobao', 'a', 990, '史低', 1, '小王', 5), (2, 11, 'jd', 'b', 1990, '', 1, '', 6), (3, 12, 'pdd', 'c', 100, '', 1, '', 7)`)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		type plan struct {
			id, group                               int64
			null                                    bool
			name, tag, slots                        string
			per, cap, repeat, qf, qt, active, creat int64
		}
		rows, err := db.QueryContext(ctx, `SELECT id, COALESCE(group_id, -1), group_id IS NULL, name, tag, slots, per_slot, daily_cap,
			repeat_days, quiet_from, quiet_to, active, created_at FROM plans ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []plan
		for rows.Next() {
			var p plan
			if err := rows.Scan(&p.id, &p.group, &p.null, &p.name, &p.tag, &p.slots, &p.per, &p.cap, &p.repeat, &p.qf, &p.qt, &p.active, &p.creat); err != nil {
				t.Fatal(err)
			}
			got = append(got, p)
		}
		rows.Close()
		want := []plan{{10, 1, false, "按群", "", "08:00", 2, 5, 7, 1320, 420, 0, 100}, {11, -1, true, "按标签", "宝妈", "12:00", 1, 3, 0, 0, 0, 1, 200}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("plans after the migration:\n got %+v\nwant %+v", got, want)
		}
		var queued, reasons int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN reason = '史低' AND added_by = '小王' THEN 1 END) FROM plan_queue`).Scan(&queued, &reasons); err != nil {
			t.Fatal(err)
		}
		if queued != 2 || reasons != 1 {
			t.Fatalf("queue after the migration: %d entries, %d with their reason", queued, reasons)
		}
		// The keys hold: no plan for a missing group, no group deleted under
		// its plans, a plan's queue goes with it.
		if _, err := db.ExecContext(ctx, `INSERT INTO plans (name, group_id, slots, per_slot, daily_cap, repeat_days, created_at)
			VALUES ('x', 99, '08:00', 1, 1, 0, 0)`); !store.IsForeignKeyViolation(err) {
			t.Fatalf("a plan for a missing group: %v", err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM chat_groups WHERE id = 1`); !store.IsForeignKeyViolation(err) {
			t.Fatalf("a group deleted under its plan: %v", err)
		}
		exec(`DELETE FROM plans WHERE id = 10`)
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM plan_queue`).Scan(&queued); err != nil || queued != 1 {
			t.Fatalf("queue after deleting a plan: %d, %v", queued, err)
		}
	})
}
