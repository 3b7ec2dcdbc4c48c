package community

import (
	"context"
	"fmt"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// A batch counts as the same counts one by one would: messages summed,
// a member active once a day, an unmapped chat's counts folded in when
// it is mapped.
func TestCountMessagesBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		one, many, later := addGroup(t, s, "一条条"), addGroup(t, s, "一批"), addGroup(t, s, "后来才对上")
		for chat, g := range map[string]int64{"-1001": one, "-1002": many} {
			if err := s.MapChat(ctx, SourceTelegram, chat, g); err != nil {
				t.Fatal(err)
			}
		}
		counts := func(chat string) []MessageCount {
			var cs []MessageCount
			for i := range 40 {
				// Member u(i%7) on day i%3, some twice a day in one batch.
				cs = append(cs, MessageCount{Source: SourceTelegram, ChatID: chat, ExternalID: fmt.Sprint(500 + i%7),
					At: at(i%3, 8+i%10), N: 1 + i%4})
			}
			return cs
		}
		// The first day's words come before the batch, one by one, in every chat.
		for _, chat := range []string{"-1001", "-1002", "-1003"} {
			if err := s.CountMessages(ctx, SourceTelegram, chat, "500", at(0, 7), 2); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range counts("-1001") {
			if err := s.CountMessages(ctx, c.Source, c.ChatID, c.ExternalID, c.At, c.N); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CountMessagesBatch(ctx, counts("-1002")); err != nil {
			t.Fatal(err)
		}
		if err := s.CountMessagesBatch(ctx, counts("-1003")); err != nil {
			t.Fatal(err)
		}
		if err := s.MapChat(ctx, SourceTelegram, "-1003", later); err != nil {
			t.Fatal(err)
		}
		want := days(t, s, one, 3)
		if want[0].Active == 0 || want[0].Messages <= want[0].Active {
			t.Fatalf("one by one: %+v", want)
		}
		for _, g := range []int64{many, later} {
			got := days(t, s, g, 3)
			for i := range got {
				if got[i].Active != want[i].Active || got[i].Messages != want[i].Messages {
					t.Fatalf("group %d day %d: %+v, one by one %+v", g, i, got[i], want[i])
				}
			}
		}
		// A bad count is named, and nothing of its batch is counted.
		bad := counts("-1002")
		bad[5].N = 0
		if err := s.CountMessagesBatch(ctx, bad); err == nil {
			t.Fatal("a zero count accepted")
		}
		if got := days(t, s, many, 3); got[0].Messages != want[0].Messages {
			t.Fatalf("half a bad batch counted: %+v", got[0])
		}
	})
}
