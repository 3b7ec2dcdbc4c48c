package insight

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func day(s string) time.Time {
	t, ok := ParseDay(s)
	if !ok {
		panic(s)
	}
	return t
}

func TestCostsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		costs := []Cost{
			{GroupID: 7, Day: day("2026-01-05"), Kind: BoughtMembers, Members: 100, UnitFen: 1000},
			{Campaign: "春节裂变", Day: day("2026-01-06"), Kind: FissionRewards, AmountFen: 5000, Members: 40},
			{GroupID: 7, Day: day("2026-02-01"), Kind: RedEnvelopes, AmountFen: 888, Note: "开群红包"},
		}
		if err := s.AddCosts(ctx, costs); err != nil {
			t.Fatal(err)
		}
		if costs[0].AmountFen != 100_000 || costs[0].ID == 0 {
			t.Fatalf("bought members stored as %+v, want amount 100,000 fen and an id", costs[0])
		}
		// A bad cost among good ones: nothing is stored.
		bad := []Cost{{GroupID: 7, Day: day("2026-01-07"), Kind: Ads, AmountFen: 100},
			{GroupID: 7, Day: day("2026-01-07"), Kind: BoughtMembers, Members: 10, UnitFen: 1000, AmountFen: 9000}}
		err := s.AddCosts(ctx, bad)
		if !errors.Is(err, ErrAmountUnits) {
			t.Fatalf("mismatched amount: %v", err)
		}
		all, err := s.Costs(ctx, CostFilter{})
		if err != nil || len(all) != 3 {
			t.Fatalf("costs after a refused batch: %d %v, want 3", len(all), err)
		}
		if !all[0].Day.Equal(day("2026-01-05")) || all[1].Campaign != "春节裂变" || all[2].Note != "开群红包" {
			t.Fatalf("costs read back as %+v", all)
		}
		jan, err := s.Costs(ctx, CostFilter{From: day("2026-01-01"), To: day("2026-02-01"), GroupID: 7})
		if err != nil || len(jan) != 1 || jan[0].Kind != BoughtMembers {
			t.Fatalf("January's costs of group 7: %+v %v", jan, err)
		}
		acq, err := s.AcquisitionByGroup(ctx, day("2026-01-01"), day("2026-03-01"))
		if err != nil {
			t.Fatal(err)
		}
		if acq[7] != (Acquisition{CostFen: 100_888, Members: 100}) || acq[0] != (Acquisition{CostFen: 5000, Members: 40}) {
			t.Fatalf("acquisition = %+v", acq)
		}
		if got := CAC(acq[7].CostFen, acq[7].Members); got != 1009 {
			t.Fatalf("CAC of group 7 = %d, want 1009 fen", got)
		}
	})
}

func TestCostNormalize(t *testing.T) {
	for _, c := range []struct {
		cost  Cost
		field string
	}{
		{Cost{Day: day("2026-01-05"), Kind: Ads, AmountFen: 1}, "group"},
		{Cost{GroupID: 1, Kind: Ads, AmountFen: 1}, "day"},
		{Cost{GroupID: 1, Day: day("2026-01-05"), Kind: "bribes", AmountFen: 1}, "kind"},
		{Cost{GroupID: 1, Day: day("2026-01-05"), Kind: Ads}, "amount"},
		{Cost{GroupID: 1, Day: day("2026-01-05"), Kind: Ads, AmountFen: -5}, "amount"},
		{Cost{GroupID: 1, Day: day("2026-01-05"), Kind: BoughtMembers, UnitFen: 1000}, "members"},
		{Cost{GroupID: 1, Day: day("2026-01-05"), Kind: BoughtMembers, Members: 1 << 40, UnitFen: 1 << 40}, "members"},
		{Cost{GroupID: 1, Day: day("2026-01-05"), Kind: BoughtMembers, Members: 90_000_000, UnitFen: 1 << 40}, "unit"},
	} {
		err := c.cost.Normalize()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v, want a problem with %s", c.cost, err, c.field)
		}
	}
}

func openSheet(t *testing.T, name, text string) *sheet.Reader {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := sheet.Open(p, sheet.Options{LazyQuotes: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestParseSheet(t *testing.T) {
	groups := map[string]int64{"甲群": 3, "3": 3}
	good := "日期,群,活动,类型,人数,单价,金额,备注\n" +
		"2026-01-05,甲群,,买粉,100,10,,\n" +
		"2026/1/6,,春节裂变,裂变奖励,40,,50.00,\n" +
		",,,,,,,\n" +
		"20260107,3,,red envelopes,,,8.88,开群\n"
	costs, err := ParseSheet(openSheet(t, "costs.csv", good), groups)
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) != 3 || costs[0].AmountFen != 100_000 || costs[1].Campaign != "春节裂变" || costs[1].AmountFen != 5000 ||
		costs[2].Kind != RedEnvelopes || costs[2].GroupID != 3 || !costs[2].Day.Equal(day("2026-01-07")) {
		t.Fatalf("parsed %+v", costs)
	}
	bad := "日期,群,类型,人数,单价,金额\n" +
		"2026-01-05,甲群,买粉,100,10,,\n" +
		"2026-13-05,甲群,广告,,,10\n" +
		"2026-01-05,乙群,广告,,,10\n" +
		"2026-01-05,甲群,买粉,10,10,99\n" +
		"2026-01-05,甲群,广告,,,abc\n"
	_, err = ParseSheet(openSheet(t, "costs.csv", bad), groups)
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("bad sheet: %v", err)
	}
	want := []struct {
		row int
		col string
	}{{3, "日期"}, {4, "群"}, {5, "金额"}, {6, "金额"}}
	if len(ie.Rows) != len(want) {
		t.Fatalf("bad rows %v, want %d", ie.Text(i18n.EN), len(want))
	}
	for i, w := range want {
		if ie.Rows[i].Row != w.row || ie.Rows[i].Column != w.col {
			t.Errorf("problem %d at row %d %q, want row %d %q", i, ie.Rows[i].Row, ie.Rows[i].Column, w.row, w.col)
		}
	}
	if en := ie.Text(i18n.EN); !strings.Contains(en, `row 4, column "群": there is no group named "乙群"`) {
		t.Errorf("English text: %s", en)
	}
	if _, err := ParseSheet(openSheet(t, "costs.csv", "日期,金额\n2026-01-05,10\n"), groups); err == nil ||
		!strings.Contains(err.Error(), "类型") {
		t.Errorf("missing kind column: %v", err)
	}
}
