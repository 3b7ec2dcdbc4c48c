package insight

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	wecomfake "github.com/qunke/qunke/internal/publish/channel/wecom/fake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func newDigester(db *store.DB, wc channel.Sender, now time.Time) *Digester {
	cs, hs := community.NewStore(db), health.NewStore(db)
	return &Digester{DB: db, Store: NewStore(db), Boss: NewBossSources(cs, hs, NewStore(db)), Notify: hs, Groups: cs,
		Senders: map[community.Channel]channel.Sender{community.WeCom: wc}, Zone: time.FixedZone("CST", 8*3600),
		Now: func() time.Time { return now }}
}

// TestDigestOnceAcrossTwoServers: two servers (two connections to one
// database) running the digest job at the same time send each recipient's
// digest once: the team's to the default robot, an owner's to theirs; not
// before the hour, not again later that day, again the next day.
func TestDigestOnceAcrossTwoServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		first := DayOf(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		w := seedBoss(t, db, 9, 8, first, 60)
		fake := wecomfake.New()
		defer fake.Close()
		team, mine := fake.AddRobot(), fake.AddRobot()
		wc := wecom.New()
		wc.BaseURL = fake.URL
		hs := health.NewStore(db)
		if err := hs.SetNotify(ctx, health.Notify{Owner: "", Channel: community.WeCom, Target: team}); err != nil {
			t.Fatal(err)
		}
		if err := hs.SetNotify(ctx, health.Notify{Owner: "老王", Channel: community.WeCom, Target: mine}); err != nil {
			t.Fatal(err)
		}
		// 2026-11-20 07:30 in the team's zone: before the hour.
		now := time.Date(2026, 11, 20, 7, 30, 0, 0, time.FixedZone("CST", 8*3600))
		a, b := newDigester(db, wc, now), newDigester(storetest.Reopen(t, db), wc, now)
		if st, err := a.RunOnce(ctx); err != nil || st.Due {
			t.Fatalf("off: %+v %v", st, err)
		}
		if err := a.Store.SetDigest(ctx, DigestSettings{Enabled: true, Hour: 8}); err != nil {
			t.Fatal(err)
		}
		if err := a.Store.SetDigest(ctx, DigestSettings{Enabled: true, Hour: 24}); err == nil {
			t.Error("hour 24 accepted")
		}
		if st, err := a.RunOnce(ctx); err != nil || st.Due || st.Claimed != 0 {
			t.Fatalf("before the hour: %+v %v", st, err)
		}
		at := func(tm time.Time) {
			a.Now = func() time.Time { return tm }
			b.Now = a.Now
		}
		at(now.Add(time.Hour))
		var wg sync.WaitGroup
		var mu sync.Mutex
		claimed := 0
		for _, d := range []*Digester{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := d.RunOnce(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				claimed += st.Claimed
				mu.Unlock()
			}()
		}
		wg.Wait()
		if claimed != 2 {
			t.Errorf("claimed %d, want 2", claimed)
		}
		if n := len(fake.Messages(team)); n != 1 {
			t.Fatalf("team robot got %d, want 1", n)
		}
		if n := len(fake.Messages(mine)); n != 1 {
			t.Fatalf("owner's robot got %d, want 1", n)
		}
		text := fake.Messages(team)[0].Content
		if !strings.Contains(text, "【群客日报】2026-11-19") || !strings.Contains(text, "本月至今") {
			t.Errorf("team digest:\n%s", text)
		}
		if own := fake.Messages(mine)[0].Content; !strings.Contains(own, "老王") {
			t.Errorf("owner digest:\n%s", own)
		}
		// Its figures are the table's: yesterday's income as the day's table has it.
		yt, err := a.Boss.Boss(ctx, BossQuery{Period: PeriodDay, Day: DayOf(now) - 1})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := w.reference(BossQuery{Period: PeriodDay, Day: DayOf(now) - 1})
		if yt.Total.IncomeFen != want["\x00total"].IncomeFen {
			t.Errorf("yesterday's income %d, want %d", yt.Total.IncomeFen, want["\x00total"].IncomeFen)
		}
		if !strings.Contains(text, "收入 "+cellsYuan(yt.Total.IncomeFen)+" 元") {
			t.Errorf("team digest lacks yesterday's income %d:\n%s", yt.Total.IncomeFen, text)
		}
		// Later that day: nothing more.
		at(now.Add(10 * time.Hour))
		for _, d := range []*Digester{a, b} {
			if st, err := d.RunOnce(ctx); err != nil || st.Claimed != 0 {
				t.Errorf("again: %+v %v", st, err)
			}
			if st, err := d.SendNow(ctx); err != nil || st.Claimed != 0 {
				t.Errorf("send now again: %+v %v", st, err)
			}
		}
		// The next day: once more.
		at(now.Add(25 * time.Hour))
		if st, err := b.RunOnce(ctx); err != nil || st.Sent != 2 {
			t.Errorf("next day: %+v %v", st, err)
		}
		recs, err := a.Store.Digests(ctx, 10)
		if err != nil || len(recs) != 4 {
			t.Fatalf("%d records, %v", len(recs), err)
		}
		for _, r := range recs {
			if r.Status != "sent" || r.Sent.IsZero() || r.Body == "" {
				t.Errorf("record %+v", r)
			}
		}
	})
}

func cellsYuan(fen int64) string { return strconv.FormatFloat(float64(fen)/100, 'f', 2, 64) }

// TestBossExportParsesBack: the CSV and the XLSX read back to the table's
// numbers, row by row, the totals included.
func TestBossExportParsesBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		first := DayOf(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		seedBoss(t, db, 5, 10, first, 61)
		b := NewBossSources(community.NewStore(db), health.NewStore(db), NewStore(db))
		tab, err := b.Boss(ctx, BossQuery{Period: PeriodMonth, Day: first + 35, By: ByTag})
		if err != nil {
			t.Fatal(err)
		}
		tr := func(key string, args ...any) string { return msg.In(i18n.ZH, msg.New(key, args...)) }
		var cb, xb bytes.Buffer
		if err := tab.WriteCSV(&cb, tr); err != nil {
			t.Fatal(err)
		}
		if err := tab.WriteXLSX(&xb, tr); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(cb.String(), "\ufeff"))).ReadAll()
		if err != nil {
			// the title line has one field, the others fourteen
			r := csv.NewReader(strings.NewReader(strings.TrimPrefix(cb.String(), "\ufeff")))
			r.FieldsPerRecord = -1
			if recs, err = r.ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
		f, err := excelize.OpenReader(&xb)
		if err != nil {
			t.Fatal(err)
		}
		xrows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		rows := append(append([]BossRow{}, tab.Rows...), tab.Total)
		if len(recs) != len(rows)+2 || len(xrows) != len(rows)+2 {
			t.Fatalf("csv %d lines, xlsx %d, want %d", len(recs), len(xrows), len(rows)+2)
		}
		fen := func(s string) int64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			return int64(math.Round(v * 100))
		}
		num := func(s string) int64 {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			return v
		}
		for i, r := range rows {
			for name, line := range map[string][]string{"csv": recs[i+2], "xlsx": xrows[i+2]} {
				for len(line) < 14 {
					line = append(line, "")
				}
				if line[0] != tab.RowLabel(&rows[i], tr) && !(i == len(rows)-1 && line[0] == "合计") {
					t.Errorf("%s row %d name %q", name, i, line[0])
				}
				got := []int64{num(line[1]), num(line[2]), num(line[3]), num(line[4]), num(line[5]), num(line[6]),
					num(line[7]), fen(line[8]), fen(line[10])}
				want := []int64{r.Groups, r.Members, r.NetGrowth, r.Joins, r.Leaves, r.Posts, r.Orders, r.IncomeFen, r.CostFen}
				for k := range got {
					if got[k] != want[k] {
						t.Errorf("%s row %d column %d: %d, want %d", name, i, k+1, got[k], want[k])
					}
				}
				if r.HasCAC != (line[11] != "") || (r.HasCAC && fen(line[11]) != r.CACFen) {
					t.Errorf("%s row %d CAC %q, want %d", name, i, line[11], r.CACFen)
				}
				if r.HasPayback != (line[12] != "") || (r.HasPayback && num(line[12]) != int64(r.PaybackDays)) {
					t.Errorf("%s row %d payback %q, want %d", name, i, line[12], r.PaybackDays)
				}
				if v := r.PerMemberDay(); !math.IsNaN(v) && fen(line[9]) != int64(math.Round(v*100)) {
					t.Errorf("%s row %d per member-day %q, want %.2f", name, i, line[9], v)
				}
			}
		}
	})
}
