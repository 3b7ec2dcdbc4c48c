package bench

import (
	"context"
	"testing"
)

// TestBossBench runs the boss's bench small: it seeds, and every grouping
// gets its rows.
func TestBossBench(t *testing.T) { eachEngine(t, bossSmall) }

func bossSmall(t *testing.T, pg string) {
	res, err := Boss(context.Background(), BossConfig{Dir: t.TempDir(), Postgres: pg, Groups: 12, Days: 70, Runs: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 12*70 || res.TableRows[1] != 12 || res.TableRows[0] == 0 || res.TableRows[2] == 0 || res.ByGroup.N != 2 {
		t.Errorf("%+v", res)
	}
}
