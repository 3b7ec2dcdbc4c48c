package orders

import (
	"context"
	"fmt"
	"testing"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/community/communitytest"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// CreditedAfter pages through the orders credited to members only, in
// (platform, trade id) order, each once.
func TestCreditedAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := communitytest.Member(t, db, "a")
		if err := community.NewStore(db).Bind(ctx, m, "taobao", "special_id", "77"); err != nil {
			t.Fatal(err)
		}
		if err := community.NewStore(db).Bind(ctx, m, "jd", "sub_union_id", "m-a"); err != nil {
			t.Fatal(err)
		}
		s := NewStore(db)
		var all []Order
		want := map[string]bool{}
		for i := 0; i < 25; i++ {
			o := Order{Platform: PlatformTaobao, TradeID: fmt.Sprintf("t%02d", i), Status: Paid, EstIncome: int64(i), PaidAt: 1_770_000_000}
			if i%5 == 0 {
				o.Platform, o.SubID = PlatformJD, "m-a"
			} else if i%3 != 0 {
				o.SpecialID = "77"
			}
			if o.SpecialID != "" || o.SubID != "" {
				want[o.Platform+"/"+o.TradeID] = true
			}
			all = append(all, o)
		}
		if _, err := s.Import(ctx, all); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		p, id := "", ""
		last := ""
		for {
			page, err := s.CreditedAfter(ctx, p, id, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				k := c.Platform + "/" + c.TradeID
				if got[k] || k <= last || c.MemberID != m || c.Status != Paid {
					t.Fatalf("page after %s/%s: %+v (seen %v)", p, id, c, got[k])
				}
				got[k], last = true, k
			}
			if len(page) < 4 {
				break
			}
			p, id = page[len(page)-1].Platform, page[len(page)-1].TradeID
		}
		if len(got) != len(want) {
			t.Fatalf("got %d orders, want %d: %v", len(got), len(want), got)
		}
	})
}
