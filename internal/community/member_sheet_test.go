package community

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/sheet/xlsfake"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestImportMembersSheet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		g := addGroup(t, s, "宝妈1群")
		addGroup(t, s, "宝妈2群")
		imp := func(name, body, group string, when time.Time) (SheetResult, error) {
			return s.ImportMembers(ctx, name, strings.NewReader(body), group, when)
		}
		first := "群名,昵称,微信号,入群时间,备注\n" +
			"宝妈1群,阿花,wx_hua,2026-03-01 09:30,老客户\n" +
			"宝妈1群,小王,,2026/3/2,\n" +
			"宝妈1群,陈姐,wx_chen,,\n"
		r, err := imp("members.csv", first, "", at(3, 12))
		if err != nil {
			t.Fatal(err)
		}
		if r.GroupID != g || r.Rows != 3 || r.SnapshotResult != (SnapshotResult{Joined: 3}) {
			t.Fatalf("first import %+v", r)
		}
		_, ms := memberByExt(t, s, SourceSheet, "wx_hua")
		if len(ms) != 1 || !ms[0].JoinedAt.Equal(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC).Add(-8*time.Hour)) {
			t.Fatalf("阿花 %+v", ms)
		}
		// The next list: 陈姐 has gone, 小丽 came (编号 instead of 微信号), the
		// group given on the command line.
		second := "昵称,编号,备注\n阿花,wx_hua,\n小王,,会买母婴\n小丽,A-007,\n"
		r, err = imp("members.csv", second, "宝妈1群", at(5, 12))
		if err != nil {
			t.Fatal(err)
		}
		if r.SnapshotResult != (SnapshotResult{Joined: 1, Left: 1, Unchanged: 2}) {
			t.Fatalf("second import %+v", r)
		}
		if _, ms := memberByExt(t, s, SourceSheet, "wx_chen"); len(ms) != 1 || !ms[0].LeftAt.Equal(at(5, 12)) {
			t.Fatalf("陈姐 left: %+v", ms)
		}
		if _, ms := memberByExt(t, s, SourceSheet, "A-007"); len(ms) != 1 || !ms[0].In() {
			t.Fatalf("小丽: %+v", ms)
		}

		// Bad rows are named by row and column; nothing is imported.
		_, before, _ := s.Members(ctx, MemberFilter{})
		bad := "群名,昵称,微信号,入群时间\n" +
			"宝妈1群,好人,wx_ok,2026-03-01\n" +
			"宝妈1群,,,\n" + // row 3: nobody
			"宝妈1群,甲,wx_a,昨天\n" + // row 4: bad time
			"宝妈2群,乙,wx_b,\n" + // row 5: another group
			"宝妈1群,丙,wx_ok,\n" + // row 6: repeats row 2's id
			"宝妈1群,同名,,\n宝妈1群,同名,,\n" + // row 8 repeats row 7's nickname
			"宝妈1群," + strings.Repeat("长", 101) + ",,\n" // row 9: too long
		_, err = imp("bad.csv", bad, "", at(6, 1))
		var se *SheetImportError
		if !errors.As(err, &se) {
			t.Fatalf("want a SheetImportError, got %v", err)
		}
		want := []struct {
			row int
			col string
		}{{3, "昵称"}, {4, "入群时间"}, {5, "群名"}, {6, "微信号"}, {8, "昵称"}, {9, "昵称"}}
		if len(se.Rows) != len(want) {
			t.Fatalf("bad rows: %s", se.Text(i18n.ZH))
		}
		for i, w := range want {
			if se.Rows[i].Row != w.row || se.Rows[i].Column != w.col {
				t.Fatalf("bad row %d is %d %q, want %d %q\n%s", i, se.Rows[i].Row, se.Rows[i].Column, w.row, w.col, se.Text(i18n.ZH))
			}
		}
		if txt := se.Text(i18n.EN); !strings.Contains(txt, "row 4") || !strings.Contains(txt, "昨天") {
			t.Fatalf("English text: %s", txt)
		}
		if _, after, _ := s.Members(ctx, MemberFilter{}); after != before {
			t.Fatalf("a rejected list added members: %d, was %d", after, before)
		}
		for _, c := range []struct{ body, group, why string }{
			{"昵称\n某人\n", "", "no group"},
			{"昵称\n某人\n", "没有这个群", "unknown group"},
			{"群名,昵称\n没有这个群,某人\n", "", "unknown group in the file"},
			{"群名,手机\n宝妈1群,123\n", "", "no member column"},
			{"", "宝妈1群", "empty"},
		} {
			if _, err := imp("x.csv", c.body, c.group, at(6, 1)); err == nil {
				t.Fatalf("%s: accepted", c.why)
			}
		}
		// XLSX and XLS lists are read alike; a date cell is a date.
		g2 := "宝妈2群"
		f := excelize.NewFile()
		sh := f.GetSheetName(0)
		for i, row := range [][]any{{"群名", "昵称", "微信号", "入群时间"}, {g2, "大刘", "wx_liu", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, {g2, "小赵", "wx_zhao", nil}} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sh, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(t.TempDir(), "m.xlsx")
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		r, err = s.ImportMembersFile(ctx, path, "", at(6, 3))
		if err != nil || r.Joined != 2 || r.GroupName != g2 {
			t.Fatalf("xlsx: %+v %v", r, err)
		}
		if _, ms := memberByExt(t, s, SourceSheet, "wx_liu"); len(ms) != 1 || ms[0].JoinedAt.In(time.UTC).Format("2006-01-02 15") != "2026-03-01 16" {
			t.Fatalf("xlsx date: %+v", ms)
		}
		xls := xlsfake.Workbook("成员", [][]string{{"群名", "昵称", "微信号"}, {g2, "大刘", "wx_liu"}})
		r, err = s.ImportMembers(ctx, "m.xls", bytes.NewReader(xls), "", at(7, 3))
		if err != nil || r.SnapshotResult != (SnapshotResult{Left: 1, Unchanged: 1}) {
			t.Fatalf("xls: %+v %v", r, err)
		}
	})
}

// BenchmarkImportMembers imports a generated list of 100,000 members of one
// group (a first import: every row a join) from CSV and from XLSX, and
// reports rows per second of wall time and, on SQLite (in the process),
// per second of the process's CPU time: on a busy machine the second is
// what the import costs.
func BenchmarkImportMembers(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	buf.WriteString("群名,昵称,微信号,入群时间,备注\n")
	for i := range n {
		fmt.Fprintf(&buf, "大群,成员%d,wx_%07d,2026-03-01 09:%02d,\n", i, i, i%60)
	}
	csvData := buf.Bytes()
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter(f.GetSheetName(0))
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"群名", "昵称", "微信号", "入群时间", "备注"})
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{"大群", fmt.Sprintf("成员%d", i), fmt.Sprintf("wx_%07d", i), fmt.Sprintf("2026-03-01 09:%02d", i%60), ""})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	xlsx, err := f.WriteToBuffer()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		engine, file string
		data         []byte
	}{{"sqlite", "m.csv", csvData}, {"sqlite", "m.xlsx", xlsx.Bytes()}, {"postgres", "m.csv", csvData}} {
		b.Run(c.engine+"/"+filepath.Ext(c.file)[1:], func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				var db *store.DB
				if c.engine == "sqlite" {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				s := NewStore(db)
				if err := s.Save(context.Background(), &Group{Name: "大群", Channel: Manual}); err != nil {
					b.Fatal(err)
				}
				c0 := processCPU()
				b.StartTimer()
				r, err := s.ImportMembers(context.Background(), c.file, bytes.NewReader(c.data), "", day0)
				if err != nil || r.Joined != n {
					b.Fatal(r, err)
				}
				b.StopTimer()
				cpu += processCPU() - c0
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			if c.engine == "sqlite" {
				b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
			}
		})
	}
}

// processCPU is the CPU time the process has used (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestMemberColumnHeaders: an English list's headers are read whatever
// their case, spaces or hyphens; an unknown header names no field.
func TestMemberColumnHeaders(t *testing.T) {
	for h, want := range map[string]string{
		"\ufeff群名": "group", "Group Name": "group", "Nickname": "name", "WeChat ID": "wxid",
		"wechat-id": "wxid", "Member ID": "number", "Joined": "joined", "Join Time": "joined",
		"joined at": "joined", " 备注 ": "note",
	} {
		if got, ok := memberColumn(h); !ok || got != want {
			t.Errorf("header %q: %q %v, want %q", h, got, ok, want)
		}
	}
	for _, h := range []string{"手机", "phone", "wechat id x", ""} {
		if got, ok := memberColumn(h); ok {
			t.Errorf("header %q read as %q", h, got)
		}
	}
}
