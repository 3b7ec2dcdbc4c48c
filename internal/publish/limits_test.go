package publish

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// TestSendWindowsInDatabase: the windows kept in send_windows admit what
// the in-process sliding windows did: Telegram's 1 a second and 20 a
// minute per chat on one row, the bot's 30 a second on another, and a
// platform's retry_after for every post to the chat.
func TestSendWindowsInDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lim := channel.Limits{PerTarget: channel.Rate{N: 20, Per: time.Minute}, PerTargetShort: channel.Rate{N: 1, Per: time.Second},
			Global: channel.Rate{N: 30, Per: time.Second}}
		keys := limitKeys(lim, "telegram", "-1001")
		take := func(at time.Time) (bool, error) {
			err := db.InTx(ctx, func(tx *sql.Tx) error { return reserve(ctx, tx, keys, 1, at) })
			var noRoom errNoRoom
			if errors.As(err, &noRoom) {
				return false, nil
			}
			return err == nil, err
		}
		t0 := time.Date(2026, 11, 25, 8, 0, 0, 0, cst)
		var admitted []time.Time
		for ms := 0; ms < 3*60_000; ms += 250 {
			at := t0.Add(time.Duration(ms) * time.Millisecond)
			ok, err := take(at)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				admitted = append(admitted, at)
			}
		}
		for i := 1; i < len(admitted); i++ {
			if gap := admitted[i].Sub(admitted[i-1]); gap < time.Second+time.Second/50 {
				t.Fatalf("two messages %s apart, the limit is 1 a second (+2%%)", gap)
			}
		}
		for i := range admitted {
			n := 0
			for j := i; j < len(admitted) && admitted[j].Sub(admitted[i]) < time.Minute+time.Minute/50; j++ {
				n++
			}
			if n > 20 {
				t.Fatalf("%d messages in a minute from %s, the limit is 20", n, admitted[i])
			}
		}
		if len(admitted) != 60 { // 20 in each of three windows of 61.2 s: saturated, exactly N
			t.Fatalf("%d admitted in 3 minutes, want 60", len(admitted))
		}
		// A retry_after on the chat holds for every later claim.
		later := t0.Add(10 * time.Minute)
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return penalize(ctx, tx, keys[0].key, later.Add(5*time.Second)) }); err != nil {
			t.Fatal(err)
		}
		wins, err := NewStore(db).windows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if wait, ok := allow(wins, keys, 1, later.Add(4*time.Second)); ok || wait != time.Second {
			t.Fatalf("inside the penalty: ok %v, wait %s, want 1s", ok, wait)
		}
		if ok, _ := take(later.Add(4 * time.Second)); ok {
			t.Fatal("a claim went through the penalty")
		}
		if ok, _ := take(later.Add(5 * time.Second)); !ok {
			t.Fatal("no room once the penalty ended")
		}
	})
}
